"""The typed syntax tree of a rule file.

Nodes compare by content only: spans are left out of equality, so two files that differ
only in layout, comments or order of declarations give equal trees (the formatter and the
semantic diff rely on this).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import Span

NOWHERE = Span("<none>", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NOWHERE, compare=False, repr=False)  # type: ignore[no-any-return]


class Node:
    """A node of the tree. Its children are found from its dataclass fields, so a pass
    that only looks for sub-nodes need not know every kind of node."""

    __slots__ = ()

    def children(self) -> tuple[Node, ...]:
        """The nodes directly below, in field order (the nodes of a tuple in its order)."""
        found: list[Node] = []
        for name in _field_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, Node):
                found.append(value)
            elif isinstance(value, tuple | list):
                found.extend(item for item in value if isinstance(item, Node))
        return tuple(found)

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, in pre-order: each node before its children."""
        yield self
        for child in self.children():
            yield from child.walk()


_FIELD_NAMES: dict[type[Node], tuple[str, ...]] = {}


def _field_names(cls: type[Node]) -> tuple[str, ...]:
    """A node class's field names, read from its dataclass fields once."""
    if cls not in _FIELD_NAMES:
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # every node is a dataclass
        _FIELD_NAMES[cls] = tuple(f.name for f in fields)
    return _FIELD_NAMES[cls]


# ---- units and quantities ----------------------------------------------------------


@dataclass(frozen=True)
class UnitRef(Node):
    """A unit as written, e.g. tCO2/MWh -> (("tCO2", 1), ("MWh", -1)); '1' and '%' -> ()."""

    factors: tuple[tuple[str, int], ...]
    percent: bool = False
    text: str = field(default="", compare=False)
    stray_numbers: tuple[str, ...] = field(default=(), compare=False)  # '3' in 'in 3': an error
    span: Span = _span()


@dataclass(frozen=True)
class Quantity(Node):
    value: Decimal
    unit: UnitRef | None
    span: Span = _span()

    @property
    def scaled(self) -> Decimal:
        """The value with a per-cent unit applied (70 % -> 0.70)."""
        return self.value / 100 if self.unit is not None and self.unit.percent else self.value


@dataclass(frozen=True)
class Bound(Node):
    value: Quantity | None  # None is infinity
    closed: bool


@dataclass(frozen=True)
class Interval(Node):
    lower: Bound
    upper: Bound
    span: Span = _span()


# ---- expressions -------------------------------------------------------------------


@dataclass(frozen=True)
class Number(Node):
    value: Decimal  # already scaled when written with %
    text: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Name(Node):
    id: str
    span: Span = _span()


@dataclass(frozen=True)
class Lookup(Node):
    table: str
    key: Expr
    span: Span = _span()
    table_span: Span = _span()


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / ^
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Negate(Node):
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Conditional(Node):
    condition: Condition
    then: Expr
    otherwise: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Compare(Node):
    op: str  # == != < <= > >=
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class InSet(Node):
    subject: Expr
    members: tuple[Name, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Logical(Node):
    op: str  # and / or
    left: Condition
    right: Condition
    span: Span = _span()


@dataclass(frozen=True)
class Not(Node):
    operand: Condition
    span: Span = _span()


# The unions a pass matches on, case by case: `case _: assert_never(node)` makes mypy
# report a pass that misses a kind.
Expr = Number | Name | Lookup | Binary | Negate | Conditional
Condition = Compare | InSet | Logical | Not


# ---- declarations ------------------------------------------------------------------


@dataclass(frozen=True)
class EnumMember(Node):
    code: str
    label: str
    span: Span = _span()


@dataclass(frozen=True)
class EnumDecl(Node):
    name: str
    label: str | None
    members: tuple[EnumMember, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Requirement(Node):
    """How an input may be absent: kind is 'required', 'optional', 'default' or 'when'."""

    kind: str
    default: Quantity | None = None
    when: Condition | None = None


@dataclass(frozen=True)
class InputDecl(Node):
    name: str
    type: UnitRef  # an enum name is written where a unit goes; the checker tells them apart
    range: Interval | None
    label: str | None
    requirement: Requirement
    span: Span = _span()


@dataclass(frozen=True)
class TableRow(Node):
    key: str
    label: str | None
    value: Decimal | str  # a number, or an enum code
    source: str | None
    span: Span = _span()


@dataclass(frozen=True)
class TableDecl(Node):
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
class BracketRow(Node):
    interval: Interval
    value: Quantity
    source: str | None
    span: Span = _span()


@dataclass(frozen=True)
class BracketDecl(Node):
    name: str
    label: str | None
    subject: str
    rows: tuple[BracketRow, ...]
    span: Span = _span()
    subject_span: Span = _span()


@dataclass(frozen=True)
class ParamDecl(Node):
    name: str
    label: str | None
    value: Quantity
    source: str | None
    span: Span = _span()


@dataclass(frozen=True)
class LetDecl(Node):
    name: str
    label: str | None
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True)
class FormulaDecl(Node):
    """`allocation = ...`, `emissions = ...`, `preallocation basis = ...`, `obligation =
    ...` or `obligation facility = ...`."""

    kind: str
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True)
class EnsureDecl(Node):
    name: str
    interval: Interval
    when: Condition | None
    span: Span = _span()


@dataclass(frozen=True)
class PreallocationDecl(Node):
    """`preallocation SHARE of base year Y`, `... of previous year` or `preallocation
    none` (domain contract 12)."""

    form: str  # "base year", "previous year" or "none"
    share: Quantity | None  # None for "none"
    base_year: str | None  # as written, for "base year"; the checker makes sure it is one
    source: str | None
    span: Span = _span()


@dataclass(frozen=True)
class RoundingDecl(Node):
    mode: str
    quantum: Quantity
    span: Span = _span()


@dataclass(frozen=True)
class Header(Node):
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
class RuleFile(Node):
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
