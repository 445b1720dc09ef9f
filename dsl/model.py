"""A checked rule: the AST plus what the checker proved about it (types, units, order).

Only the checker builds these; the evaluator, explainer and data schema read them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from . import ast
from .i18n import _

Unit = tuple[tuple[str, int], ...]  # sorted (base unit, exponent); () is dimensionless

TCO2: Unit = (("tCO2", 1),)
DIMENSIONLESS: Unit = ()

# Built-in value the engine supplies per (province, sector): the local adjustment factor.
LOCAL_FACTOR = "local_factor"

# Built-in values of the compliance formulas (domain contract 13), each in tCO2: a unit's
# `obligation = ...` reads its verified emissions and its exact allocation; `obligation
# facility = ...` reads its facility's sums over the units of the rule's sector, and the
# facility's whole-tonne allocation of that sector.
UNIT_OBLIGATION_NAMES = ("verified_emissions", "unit_allocation")
FACILITY_OBLIGATION_NAMES = ("facility_emissions", "facility_obligations",
                             "facility_allocation")
COMPLIANCE_NAMES = UNIT_OBLIGATION_NAMES + FACILITY_OBLIGATION_NAMES


def unit_multiply(a: Unit, b: Unit, sign: int = 1) -> Unit:
    exponents = dict(a)
    for base, power in b:
        exponents[base] = exponents.get(base, 0) + sign * power
    return tuple(sorted((k, v) for k, v in exponents.items() if v))


def unit_text(unit: Unit) -> str:
    """tCO2/MWh, tCO2/(MWh*t), 1 for dimensionless."""
    top = [b if e == 1 else f"{b}^{e}" for b, e in unit if e > 0]
    bottom = [b if e == -1 else f"{b}^{-e}" for b, e in unit if e < 0]
    text = "*".join(top) or "1"
    if bottom:
        text += "/" + (bottom[0] if len(bottom) == 1 else "(" + "*".join(bottom) + ")")
    return text


@dataclass(frozen=True)
class NumType:
    unit: Unit

    def __str__(self) -> str:
        return unit_text(self.unit)

    @property
    def shown_unit(self) -> str | None:
        """What follows a value of this type where it is shown (None: nothing)."""
        return str(self)


@dataclass(frozen=True)
class EnumType:
    enum: str

    def __str__(self) -> str:
        return _("a {enum} code", enum=self.enum)

    @property
    def shown_unit(self) -> str | None:
        return None


YES_NO = "yes_no"  # the built-in enum of yes/no inputs (contract 9)
YES_NO_ENUM = ast.EnumDecl(YES_NO, "是否",
                           (ast.EnumMember("yes", "是"), ast.EnumMember("no", "否")))


@dataclass(frozen=True)
class YesNoType(EnumType):
    """A yes/no input: a code of the built-in enum `yes_no` (`yes`, `no`), which data may
    spell in the ways of contract 9."""

    enum: str = YES_NO

    def __str__(self) -> str:
        return _("yes or no")


@dataclass(frozen=True)
class BoolType:
    def __str__(self) -> str:
        return _("a condition")

    @property
    def shown_unit(self) -> str | None:
        return None


Type = NumType | EnumType | BoolType


@dataclass(frozen=True)
class Range:
    """A checked interval over exact numbers; None is an infinite end."""

    low: Decimal | None
    low_closed: bool
    high: Decimal | None
    high_closed: bool

    def contains(self, x: Decimal) -> bool:
        if self.low is not None and (x < self.low or (x == self.low and not self.low_closed)):
            return False
        return not (
            self.high is not None and (x > self.high or (x == self.high and not self.high_closed))
        )

    def __str__(self) -> str:
        low = "-inf" if self.low is None else _plain(self.low)
        high = "inf" if self.high is None else _plain(self.high)
        return f"{'[' if self.low_closed else '('}{low}, {high}{']' if self.high_closed else ')'}"


def _plain(x: Decimal) -> str:
    return format(x.normalize(), "f") if x == x.to_integral_value() else format(x, "f")


@dataclass(frozen=True)
class Bracket:
    """A checked piecewise table: the rows sorted, known to leave no gap and not overlap."""

    decl: ast.BracketDecl
    ranges: tuple[Range, ...]  # sorted from low to high
    values: tuple[Decimal, ...]
    rows: tuple[ast.BracketRow, ...]  # the written rows, in the same sorted order
    unit: Unit

    def select(self, x: Decimal) -> int:
        """Index of the row whose interval holds x; -1 when x lies outside every row.

        A bisection over the rows' lower ends: the last row starting at or below x holds
        it, or (x being that row's open lower end) the row before, which ends there."""
        index = bisect.bisect_right(self._lows, x)
        for candidate in (index, index - 1):
            if candidate >= 0 and self.ranges[candidate].contains(x):
                return candidate
        return -1

    @cached_property
    def _lows(self) -> list[Decimal]:
        """The lower ends of every row but the first (the only one that may be open to
        -inf), sorted as the rows are."""
        return [r.low for r in self.ranges[1:] if r.low is not None]


@dataclass(frozen=True)
class Table:
    decl: ast.TableDecl
    values: dict[str, Decimal | str] = field(hash=False)
    type: Type


@dataclass(frozen=True)
class Input:
    decl: ast.InputDecl
    type: Type
    range: Range | None
    default: Decimal | None


@dataclass(frozen=True)
class Ensure:
    decl: ast.EnsureDecl
    range: Range


@dataclass
class Rule:
    """One checked rule file: one version of one sector's rules."""

    file: ast.RuleFile
    sector: str
    sector_label: str
    version: str
    status: str
    effective: tuple[int, int]
    published: str
    source: str
    enums: dict[str, ast.EnumDecl]
    inputs: dict[str, Input]
    tables: dict[str, Table]
    brackets: dict[str, Bracket]
    params: dict[str, ast.ParamDecl]
    lets: list[ast.LetDecl]  # in an order where each let follows what it uses
    allocation: ast.FormulaDecl
    emissions: ast.FormulaDecl | None
    # What the pre-allocation share multiplies, when it is not the allocation itself
    # (the 2019-2020 plan leaves the load-factor correction out of the pre-allocation).
    preallocation_basis: ast.FormulaDecl | None
    # What a unit and its facility owe at compliance (清缴); None: the verified emissions.
    obligation: ast.FormulaDecl | None
    facility_obligation: ast.FormulaDecl | None
    ensures: list[Ensure]
    preallocation: ast.PreallocationDecl
    rounding: ast.RoundingDecl
    types: dict[str, Type]  # every value name -> its type

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def sha256(self) -> str:
        return self.file.sha256

    @property
    def base_year(self) -> int | None:
        """The base year the rule declares (None for 'of previous year' and 'none')."""
        written = self.preallocation.base_year
        return None if written is None else int(written)

    def base_year_for(self, year: int) -> int | None:
        """The year whose data the pre-allocation for `year` is computed on (contract
        12): the year declared, or the year before `year`; None with no pre-allocation."""
        if self.preallocation.form == "previous year":
            return year - 1
        return self.base_year

    @property
    def preallocation_share(self) -> Decimal:
        """The share pre-allocated (0 when the rule pre-allocates nothing)."""
        share = self.preallocation.share
        return Decimal(0) if share is None else share.scaled

    def in_force(self, year: int) -> bool:
        return self.effective[0] <= year <= self.effective[1]
