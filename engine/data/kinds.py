"""The kinds of value a data field holds — a number, a code of an enum — and everything
that depends on the kind, in one place: reading a cell, the JSON Schema of the field, the
plain-Python check of a read value, the column check, the batch path's arrays and the
message for a value of the wrong kind. A new kind is one class here and one case in
`kind_of`.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, assert_never

from peie.dsl.errors import did_you_mean
from peie.dsl.i18n import _
from peie.dsl.model import BoolType, EnumType, Input, NumType, Range, Rule, YesNoType

if TYPE_CHECKING:  # the record check runs without numpy (`peie check` does not load it)
    import numpy as np

    from .columns import Columns

# Columns that every row has, and columns that are not rule inputs but that reports may
# read (verified emissions).
IDENTITY_COLUMNS = ("facility_id", "unit_id", "sector", "province")
ACCOUNTING_COLUMNS = ("verified_emissions_t",)
# Their Chinese names, which no rule declares (the inputs' labels are the rules'): a data
# file may be headed by them, and Chinese reports head these columns with them.
COLUMN_LABELS = {"facility_id": "重点排放单位编号", "unit_id": "机组编号", "sector": "行业",
                 "province": "省份", "verified_emissions_t": "核查排放量"}
NON_NEGATIVE = Range(Decimal(0), True, None, False)

# Full-width ASCII (U+FF01-U+FF5E: `１２３．５`, `－５`, as Chinese input methods type them)
# read as the ASCII NFKC makes of it. No other compatibility mapping: NFKC would also read
# a superscript `²` as the digit 2.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")
_DOTTED_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?")
_DASHES = frozenset("-\u2010\u2012\u2013\u2014\u2015\u2212")


# No amount or factor needs more digits or a larger exponent; past them a number costs
# unbounded time and memory to print in full (1E-999999999 has a billion places).
MAX_DIGITS = 100
MAX_EXPONENT = 100
BEYOND_LIMITS = _("a number of more than {max_digits} digits or with an exponent beyond "
                  "{max_exponent} is not an amount", max_digits=MAX_DIGITS,
                  max_exponent=MAX_EXPONENT)


def beyond_limits(value: Decimal) -> bool:
    """Whether a number read from data has more digits or a larger exponent than any
    amount: the one test of every data format (CSV, XLSX, JSON, YAML, local factors)."""
    return value.is_finite() and (len(value.as_tuple().digits) > MAX_DIGITS
                                  or abs(value.adjusted()) > MAX_EXPONENT)


def read_number(text: str) -> Decimal | None:
    """The one reader of a number cell, on every path and for every size of file: plain
    decimal notation in ASCII (an exponent allowed), full-width forms read as ASCII, within
    MAX_DIGITS and MAX_EXPONENT; None for anything else (`number_problem` says why)."""
    plain = text if text.isascii() else text.translate(_FULL_WIDTH)
    if not _NUMBER.fullmatch(plain):
        return None
    number = Decimal(plain)
    return None if beyond_limits(number) else number


def number_problem(text: str) -> str:
    """Why `text` is not a number, with the number it was likely meant to be."""
    plain = text if text.isascii() else text.translate(_FULL_WIDTH)
    if _NUMBER.fullmatch(plain):
        return BEYOND_LIMITS  # the only number read_number refuses
    if _THOUSANDS.fullmatch(plain):
        return _("'{text}' looks like a thousands separator: write {number}", text=text,
                 number=plain.replace(",", ""))
    if _DECIMAL_COMMA.fullmatch(plain):
        return _("'{text}' looks like a decimal comma: write {number}", text=text,
                 number=plain.replace(",", "."))
    if _DOTTED_THOUSANDS.fullmatch(plain):
        written = plain.replace(".", "").replace(",", ".")
        if "," in plain:
            return _("'{text}' looks like dots between thousands and a decimal comma: "
                     "write {number}", text=text, number=written)
        return _("'{text}' looks like dots between thousands: write {number}", text=text,
                 number=written)
    if plain and all(c in _DASHES for c in plain):
        return _("'{text}' is not a number: Excel's accounting format shows zero as a dash, "
                 "and tables also use a dash for nothing; write 0, or leave the cell empty",
                 text=text)
    if any(not c.isascii() and unicodedata.numeric(c, None) is not None for c in plain):
        return _("'{text}' is not a number: write ASCII digits", text=text)
    return _("must be a number, got '{text}'", text=text)


class Kind(ABC):
    """What a field of one kind means at every step from a cell to an evaluator."""

    # The batch path holds codes as indices (int64, -1 for none), numbers as float64.
    coded: bool

    @abstractmethod
    def value(self, text: str) -> Any:
        """A cell's text as the JSON value the schema judges; text the kind cannot read
        stays text, so that the schema words the problem."""

    @abstractmethod
    def schema(self) -> dict[str, Any]:
        """The field's JSON Schema."""

    @abstractmethod
    def accepts(self, value: Any) -> bool:
        """True exactly when `schema()` accepts `value` (a property test holds the two
        to agreement): the fast path of the record check."""

    @abstractmethod
    def mismatch(self, value: Any) -> str:
        """The problem with a value that is not of this kind."""

    @abstractmethod
    def doubtful(self, columns: Columns, name: str) -> np.ndarray:
        """Filled cells of the column that are not certainly valid (the column check
        errs on the side of doubt; the record check decides those)."""

    @abstractmethod
    def read_valid(self, cells: list[str | None]) -> list[Any]:
        """The record values of cells the column check found certainly valid."""

    @abstractmethod
    def vector(self, columns: Columns, name: str) -> np.ndarray:
        """The column for the batch path: indices of codes, or floats (NaN where empty
        or not read)."""


class Number(Kind):
    """An amount, optionally within a range (of the input's unit)."""

    coded = False

    def __init__(self, range_: Range | None):
        self.range = range_

    def __repr__(self) -> str:  # a key of the column check's counts
        return f"Number({self.range})"

    def value(self, text: str) -> Decimal | str:
        number = read_number(text)
        return text if number is None else number

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "number"}
        rng = self.range
        if rng is not None:
            if rng.low is not None:
                schema["minimum" if rng.low_closed else "exclusiveMinimum"] = rng.low
            if rng.high is not None:
                schema["maximum" if rng.high_closed else "exclusiveMaximum"] = rng.high
        return schema

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Decimal) and (self.range is None or self.range.contains(value))

    def mismatch(self, value: Any) -> str:
        return number_problem(str(value))

    def doubtful(self, columns: Columns, name: str) -> np.ndarray:
        return columns.filled(name) & columns.doubtful(name, self.range)

    def read_valid(self, cells: list[str | None]) -> list[Any]:
        # Certain cells are in pyarrow's float syntax, which read_number reads the same
        # (a property test holds it): Decimal alone is the cheaper reading of them.
        return [None if c is None else Decimal(c) for c in cells]

    def vector(self, columns: Columns, name: str) -> np.ndarray:
        return columns.floats(name)

    @staticmethod
    def float_of(text: object) -> float:
        """A cell the batch path's plain-number reading passed over ('１２', '1e5'), read
        as the record check reads it; NaN where it does not."""
        number = read_number(str(text))
        return float("nan") if number is None else float(number)


class Code(Kind):
    """A code of an enum the rule declares."""

    coded = True

    def __init__(self, members: tuple[str, ...]):
        self.members = members
        self._members = frozenset(members)

    def __repr__(self) -> str:
        return f"Code({', '.join(self.members)})"

    def value(self, text: str) -> str:
        return text

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.members)}

    def accepts(self, value: Any) -> bool:
        return value in self._members

    def mismatch(self, value: Any) -> str:
        return _("'{value}' is not one of {codes}{hint}", value=value,
                 codes=", ".join(self.members), hint=did_you_mean(str(value), self.members))

    def doubtful(self, columns: Columns, name: str) -> np.ndarray:
        return columns.strangers(name, self.members)

    def read_valid(self, cells: list[str | None]) -> list[Any]:
        return cells

    def vector(self, columns: Columns, name: str) -> np.ndarray:
        return columns.codes(name, self.members)


class YesNo(Code):
    """A yes/no input (contract 9): `yes` or `no`, which data may write as true/false,
    yes/no, y/n, 1/0 or 是/否, in any case, with spaces around."""

    SPELLINGS = {"true": "yes", "yes": "yes", "y": "yes", "1": "yes", "是": "yes",
                 "false": "no", "no": "no", "n": "no", "0": "no", "否": "no"}

    def __init__(self) -> None:
        super().__init__(("yes", "no"))

    def __repr__(self) -> str:
        return "YesNo()"

    def value(self, text: str) -> str:
        return self.SPELLINGS.get(text.strip().casefold(), text)

    def mismatch(self, value: Any) -> str:
        return _("'{value}' is not yes or no (write yes/no, true/false, y/n, 1/0 or 是/否)",
                 value=value)

    def doubtful(self, columns: Columns, name: str) -> np.ndarray:
        return columns.filled(name) & (self.vector(columns, name) < 0)

    def read_valid(self, cells: list[str | None]) -> list[Any]:
        return [None if c is None else self.value(c) for c in cells]

    def vector(self, columns: Columns, name: str) -> np.ndarray:
        """Codes through the column's distinct spellings (a handful), not per cell."""
        codes, spellings = columns.encoded(name)
        index = {"yes": 0, "no": 1}
        read = [index.get(self.value(s), -1) for s in spellings] + [-1]
        return columns.mapped(("yes/no", name), codes, read)


def kind_of(item: Input, rule: Rule) -> Kind:
    """The kind of one input of `rule`."""
    typ = item.type
    match typ:
        case NumType():
            return Number(item.range)
        case YesNoType():
            return YesNo()
        case EnumType():
            return Code(tuple(m.code for m in rule.enums[typ.enum].members))
        case BoolType():
            raise AssertionError(f"input {item.decl.name} has the type of a condition")
        case _:
            assert_never(typ)


def field_kinds(rule: Rule) -> Mapping[str, Kind]:
    """The kind of every field a row of `rule`'s sector may fill, identity columns apart:
    the rule's inputs, then the accounting columns."""
    kinds = {name: kind_of(item, rule) for name, item in rule.inputs.items()}
    kinds.update({name: Number(NON_NEGATIVE) for name in ACCOUNTING_COLUMNS})
    return kinds
