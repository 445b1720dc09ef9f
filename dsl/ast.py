"""The typed syntax tree of a rule file.

Nodes compare by content only: spans are left out of equality, so two files that differ
only in layout, comments or order of declarations give equal trees (the formatter and the
semantic diff rely on this).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .errors import Span

NOWHERE = Span("<none>", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NOWHERE, compare=False, repr=False)  # type: ignore[no-any-return]


# ---- units and quantities ----------------------------------------------------------


@dataclass(frozen=True)
class UnitRef:
    """A unit as written, e.g. tCO2/MWh -> (("tCO2", 1), ("MWh", -1)); '1' and '%' -> ()."""

    factors: tuple[tuple[str, int], ...]
    percent: bool = False
    text: str = field(default="", compare=False)
    stray_numbers: tuple[str, ...] = field(default=(), compare=False)  # '3' in 'in 3': an error
    span: Span = _span()


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: UnitRef | None
    span: Span = _span()

    @property
    def scaled(self) -> Decimal:
        """The value with a per-cent unit applied (70 % -> 0.70)."""
        return self.value / 100 if self.unit is not None and self.unit.percent else self.value


@dataclass(frozen=True)
class Bound:
    value: Quantity | None  # None is infinity
    closed: bool


@dataclass(frozen=True)
class Interval:
    lower: Bound
    upper: Bound
    span: Span = _span()


# ---- expressions -------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: Decimal  # already scaled when written with %
    text: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Name:
    id: str
    span: Span = _span()


@dataclass(frozen=True)
class Lookup:
    table: str
    key: Expr
    span: Span = _span()
    table_span: Span = _span()


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / ^
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Negate:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Conditional:
    condition: Condition
    then: Expr
    otherwise: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class InSet:
    subject: Expr
    members: tuple[Name, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Logical:
    op: str  # and / or
    left: Condition
    right: Condition
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    operand: Condition
    span: Span = _span()


Expr = Number | Name | Lookup | Binary | Negate | Conditional
Condition = Compare | InSet | Logical | Not


# ---- declarations ------------------------------------------------------------------


@dataclass(frozen=True)
class EnumMember:
    code: str
    label: str
    span: Span = _span()


@dataclass(frozen=True)
class EnumDecl:
    name: str
    label: str | None
    members: tuple[EnumMember, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Requirement:
    """How an input may be absent: kind is 'required', 'optional', 'default' or 'when'."""

    kind: str
    default: Quantity | None = None
    when: Condition | None = None


@dataclass(frozen=True)
class InputDecl:
    name: str
    type: UnitRef  # an enum name is written where a unit goes; the checker tells them apart
    range: Interval | None
    label: str | None
    requirement: Requirement
    span: Span = _span()


@dataclass(frozen=True)
class TableRow:
    key: str
    label: str | None
    value: Decimal | str  # a number, or an enum code
    source: str | None
    span: Span = _span()


@dataclass(frozen=True)
class TableDecl:
    name: str
    label: str | None
    key_enum: str
    unit: UnitRef | None  # numeric tables
    value_enum: str | None  # code tables
    rows: tuple[TableRow, ...]
    source: str | None
    span: Span = _span()
    key_span: Span = _span()


@dataclass(frozen=True)
class BracketRow:
    interval: Interval
    value: Quantity
    source: str | None
    span: Span = _span()


@dataclass(frozen=True)
class BracketDecl:
    name: str
    label: str | None
    subject: str
    rows: tuple[BracketRow, ...]
    span: Span = _span()
    subject_span: Span = _span()


@dataclass(frozen=True)
class ParamDecl:
    name: str
    label: str | None
    value: Quantity
    source: str | None
    span: Span = _span()


@dataclass(frozen=True)
class LetDecl:
    name: str
    label: str | None
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True)
class FormulaDecl:
    """`allocation = ...`, `emissions = ...` or `preallocation basis = ...`."""

    kind: str
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True)
class EnsureDecl:
    name: str
    interval: Interval
    when: Condition | None
    span: Span = _span()


@dataclass(frozen=True)
class PreallocationDecl:
    share: Quantity
    base_year: str  # as written; the checker makes sure it is a year
    source: str | None
    span: Span = _span()


@dataclass(frozen=True)
class RoundingDecl:
    mode: str
    quantum: Quantity
    span: Span = _span()


@dataclass(frozen=True)
class Header:
    """One metadata line: key is sector, version, status, effective, published or source."""

    key: str
    value: tuple[str, ...]
    span: Span = _span()


Decl = (
    Header
    | EnumDecl
    | InputDecl
    | TableDecl
    | BracketDecl
    | ParamDecl
    | LetDecl
    | FormulaDecl
    | EnsureDecl
    | PreallocationDecl
    | RoundingDecl
)


@dataclass(frozen=True)
class RuleFile:
    path: str
    text: str = field(compare=False, repr=False)
    sha256: str = field(compare=False)
    decls: tuple[Decl, ...]


def span_text(text: str, span: Span) -> str:
    """The source text a span covers, with runs of white space folded to one space."""
    lines = text.splitlines()
    if not 1 <= span.line <= span.end_line <= len(lines):
        return ""
    if span.line == span.end_line:
        piece = lines[span.line - 1][span.column - 1 : span.end_column - 1]
    else:
        first = lines[span.line - 1][span.column - 1 :]
        middle = lines[span.line : span.end_line - 1]
        last = lines[span.end_line - 1][: span.end_column - 1]
        piece = " ".join([first, *middle, last])
    return " ".join(piece.split())
