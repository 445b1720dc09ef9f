"""What of a rule file test cases exercise: its table rows, its bracket rows and both sides
of each edge between two rows, and both branches of each if/else.

Counted from what the cases' evaluations read (peie.exact.explain.Reads), never from
what a case claims to test. An edge is exercised on both sides when some unit's value
lies on it (it falls in the row that includes the edge) and some unit's value lies just
the other side of it, within one step of the edge's last written digit (3000 kcal/kg:
2999 up to 3000): moving the edge by that step in either direction then changes a case's
result.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from peie.dsl import ast
from peie.dsl.i18n import _
from peie.dsl.model import Bracket, Rule

from .allocation import decimal_text
from .explain import Reads

KINDS = ("table row", "bracket row", "bracket edge", "branch")


@dataclass(frozen=True)
class Item:
    """One thing of a rule file a case can exercise, and how a report names it."""

    kind: str  # one of KINDS
    line: int
    text: str
    key: Hashable


def items(rule: Rule) -> list[Item]:
    """Every item of the rule, in the order of its lines."""
    found = [Item("table row", row.span.line, _("row {key} of table {name}", key=row.key,
                                                name=name),
                  ("table", name, row.key))
             for name, table in rule.tables.items() for row in table.decl.rows]
    for name, bracket in rule.brackets.items():
        found += [Item("bracket row", row.span.line,
                       _("row {interval} of bracket {name}",
                         interval=ast.span_text(rule.file.text, row.interval.span), name=name),
                       ("bracket", name, index))
                  for index, row in enumerate(bracket.rows)]
        found += list(_edge_items(rule, name, bracket))
    for conditional in _conditionals(rule):
        condition = ast.span_text(rule.file.text, conditional.condition.span)
        for held, side in ((True, "then"), (False, "else")):
            found.append(Item("branch", conditional.span.line,
                              _("the '{side}' branch of 'if {condition}'", side=side,
                                condition=condition),
                              ("branch", conditional.span, held)))
    return sorted(found, key=lambda item: item.line)


@dataclass(frozen=True)
class RuleCoverage:
    """The items of one rule file, and the keys of those the cases exercised."""

    rule: Rule
    items: tuple[Item, ...]
    exercised: frozenset[Hashable]

    @property
    def missing(self) -> list[Item]:
        return [item for item in self.items if item.key not in self.exercised]

    def counts(self) -> list[tuple[str, int, int]]:
        """(kind, exercised, all) for each kind of item the rule has."""
        out = []
        for kind in KINDS:
            of_kind = [item for item in self.items if item.kind == kind]
            if of_kind:
                out.append((kind, sum(i.key in self.exercised for i in of_kind),
                            len(of_kind)))
        return out


def coverage(rule: Rule, reads: Iterable[Reads]) -> RuleCoverage:
    return RuleCoverage(rule, tuple(items(rule)), frozenset(exercised(rule, reads)))


def exercised(rule: Rule, reads: Iterable[Reads]) -> set[Hashable]:
    """The keys of the items these reads exercise."""
    keys: set[Hashable] = set()
    for read in reads:
        keys.update(("table", table, key) for table, key in read.table_rows)
        keys.update(("branch", span, held) for span, held in read.branches)
        for name, index, value in read.bracket_rows:
            keys.add(("bracket", name, index))
            keys.update(_edges_touched(rule.brackets[name], name, index, value))
    return keys


def _conditionals(rule: Rule) -> Iterator[ast.Conditional]:
    """The if/else of every formula an allocation, a pre-allocation or an obligation
    evaluates."""
    formulas = [d.expr for d in rule.lets] + [rule.allocation.expr]
    for extra in (rule.preallocation_basis, rule.obligation, rule.facility_obligation):
        if extra is not None:
            formulas.append(extra.expr)
    for formula in formulas:
        yield from (n for n in formula.walk() if isinstance(n, ast.Conditional))


@dataclass(frozen=True)
class _Edge:
    """Where rows `index` and `index + 1` of a bracket meet."""

    index: int
    value: Decimal
    including: int  # the row the edge value itself falls in
    step: Decimal  # one unit of the edge's last written digit

    @property
    def other(self) -> int:
        return self.index + 1 if self.including == self.index else self.index

    def near(self, value: Decimal) -> bool:
        """Just the other side of the edge, within one step."""
        if self.other < self.including:
            return self.value - self.step <= value < self.value
        return self.value < value <= self.value + self.step


def _edges(bracket: Bracket) -> list[_Edge]:
    edges = []
    for index, low in enumerate(bracket.ranges[:-1]):
        assert low.high is not None  # the checker saw the rows meet
        exponent = low.high.as_tuple().exponent
        step = Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)
        edges.append(_Edge(index, low.high, index if low.high_closed else index + 1, step))
    return edges


def _edge_items(rule: Rule, name: str, bracket: Bracket) -> Iterator[Item]:
    unit = rule.types[bracket.decl.subject].shown_unit
    shown = "" if unit in (None, "1") else f" {unit}"
    for edge in _edges(bracket):
        at, step = decimal_text(edge.value), decimal_text(edge.step)
        yield Item("bracket edge", bracket.rows[edge.including].span.line,
                   _("the edge {at}{unit} of bracket {name}, on it", at=at, unit=shown,
                     name=name), ("edge", name, edge.index, "on"))
        near = (_("the edge {at}{unit} of bracket {name}, just below it (within {step}{unit})",
                  at=at, unit=shown, name=name, step=step) if edge.other < edge.including
                else _("the edge {at}{unit} of bracket {name}, just above it (within "
                       "{step}{unit})", at=at, unit=shown, name=name, step=step))
        yield Item("bracket edge", bracket.rows[edge.other].span.line, near,
                   ("edge", name, edge.index, "near"))


def _edges_touched(bracket: Bracket, name: str, index: int,
                   value: Decimal) -> Iterator[tuple[str, str, int, str]]:
    for edge in _edges(bracket):
        if index == edge.including and value == edge.value:
            yield ("edge", name, edge.index, "on")
        elif index == edge.other and edge.near(value):
            yield ("edge", name, edge.index, "near")
