"""Benchmark calibration: the value of one table row or parameter at which a target holds
on a dataset (`peie calibrate`).

The 2021-2022 power plan publishes a balance value (平衡值) per category: the intensity at
which the category's allocation equals its verified emissions. Calibration finds such a
value for any benchmark of any rule file, exactly:

- the *scope* is the units whose computation reads the item (for a table row, the units
  whose explanation reads that row; for a parameter, every unit of its sector);
- the *total* is the sum of the scope's exact unit allocations (before facility
  rounding, which mixes units of several rows);
- the *target* is `balance` (the total equals the scope's verified emissions), `total=N`
  (N tCO2) or `gap=P%` (the total falls short of the scope's verified emissions by P %);
- the value is sought on the grid of the decimals the rule file writes it with (0.8218:
  steps of 0.0001), each candidate evaluated by the rule file with that value written in,
  so what is solved is exactly what `allocate` would compute with the edited file.

The total is taken to move one way as the value grows (a benchmark multiplies); the
derivation shows the totals at the value found and at its neighbours on the grid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from peie.dsl import ast
from peie.dsl.errors import did_you_mean
from peie.dsl.i18n import _
from peie.dsl.model import Rule
from peie.errors import DataProblem, UsageError
from peie.exact.allocation import evaluate_units
from peie.exact.compiler import compile_rule
from peie.exact.explain import explain_reads
from peie.issuance.position import unit_emissions
from peie.provenance import Provenance
from peie.ruleset import rules_from_text

from .inputs import DataLike, FactorsLike, RulesLike, factor_warnings, prepare

_ITEM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<key>[^\[\]]+)\])?$")
_TARGET = re.compile(r"^(?:(?P<balance>balance)|total=(?P<total>[0-9]+(?:\.[0-9]+)?)"
                     r"|gap=(?P<gap>-?[0-9]+(?:\.[0-9]+)?)%)$")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_MAX_PROBES = 200  # evaluations of the rule file; a monotone total needs about 2 log2(range)


@dataclass(frozen=True)
class Target:
    """What the scope's total must come to: `kind` is balance, total or gap."""

    kind: str
    amount: Decimal | None = None  # tCO2 for total, per cent for gap

    def tonnes(self, emissions: Decimal) -> Decimal:
        """The total the target asks for, given the scope's verified emissions."""
        if self.kind == "total":
            assert self.amount is not None
            return self.amount
        share = Decimal(1) if self.kind == "balance" else 1 - (self.amount or Decimal(0)) / 100
        return emissions * share

    def __str__(self) -> str:
        if self.kind == "total":
            return f"total={self.amount}"
        return "balance" if self.kind == "balance" else f"gap={self.amount}%"


def parse_target(text: str) -> Target:
    """`balance`, `total=N` or `gap=P%`."""
    found = _TARGET.match(text.strip())
    if found is None:
        raise UsageError(_("--target {given!r}: give balance, total=N (tCO2) or gap=P%",
                           given=text))
    if found["balance"]:
        return Target("balance")
    if found["total"]:
        return Target("total", Decimal(found["total"]))
    return Target("gap", Decimal(found["gap"]))


@dataclass(frozen=True)
class Point:
    """The scope's total with the item at one value."""

    value: Decimal
    total: Decimal


@dataclass(frozen=True)
class Calibration:
    """The value found, how it was found, and the rule file with it written in."""

    rule: Rule  # the version in force, as it was
    item: str  # as given: table[row] or param
    line: int  # where the value is written in the rule file
    unit: str  # the value's unit as written
    target: Target
    units: tuple[str, ...]  # the scope's unit ids
    emissions: Decimal | None  # the scope's verified emissions (None for a total=N target)
    wanted: Decimal  # the total the target asks for
    current: Point  # the value the file has now, and its total
    found: Point
    neighbours: tuple[Point | None, Point]  # one grid step below (none below 0) and above
    edited_text: str  # the rule file with the value found written in
    provenance: Provenance
    warnings: tuple[DataProblem, ...] = ()  # as AllocationRun.warnings


@dataclass(frozen=True)
class _Written:
    """Where the item's value is written, and how."""

    line: int
    start: int  # offsets of the number in the file's text
    end: int
    value: Decimal
    unit: str
    row: tuple[str, str] | None  # (table, key) for a table row; None for a parameter


def calibrate(data: DataLike, year: int, item: str, target: Target | str, *,
              rules: RulesLike = None, local_factors: FactorsLike = None,
              strict: bool = False) -> Calibration:
    """The value of `item` (`table[row]` or `param`) of the rules in force for `year` at
    which `target` holds on `data`; `strict` as for allocate."""
    target = parse_target(target) if isinstance(target, str) else target
    in_force, table, records, factors = prepare(data, year, rules, local_factors)
    warnings = factor_warnings(factors, {(r.province, r.sector) for r in records}, strict)
    rule, written = _locate(item, in_force.by_sector.values())
    compiled = compile_rule(rule)
    units = evaluate_units([r for r in records if r.sector == rule.sector],
                           {rule.sector: compiled}, factors, table.path)
    if written.row is not None:
        units = [u for u in units
                 if written.row in explain_reads(u, compiled, table.path)[1].table_rows]
    if not units:
        raise UsageError(_("no unit of {data} reads {item}: there is nothing to calibrate",
                           data=table.path, item=item))
    scope = [u.record for u in units]
    emissions = None
    if target.kind != "total":  # the data's verified emissions, or the rule's formula
        found = unit_emissions(units, {rule.sector: compiled}, table.path)
        emissions = sum((amount for amount, _computed in found.values()), Decimal(0))
    wanted = target.tonnes(emissions or Decimal(0))
    decimals = _decimals(rule.file.text[written.start:written.end])
    step = Decimal(1).scaleb(-decimals)

    def text_at(value: Decimal) -> str:
        shown = f"{value:.{decimals}f}"
        return rule.file.text[:written.start] + shown + rule.file.text[written.end:]

    def total_at(grid: int) -> Decimal:
        edited = rules_from_text(text_at(grid * step), rule.path).rules[0]
        found = evaluate_units(scope, {rule.sector: compile_rule(edited)}, factors,
                               table.path)
        return sum((u.allocation for u in found), Decimal(0))

    probe = _Probe(total_at)
    current = round(written.value / step)
    grid = _solve(probe, wanted, current, item)
    point = probe.point(grid, step)
    return Calibration(
        rule=rule, item=item, line=written.line, unit=written.unit, target=target,
        units=tuple(r.unit_id for r in scope), emissions=emissions, wanted=wanted,
        current=probe.point(current, step), found=point,
        neighbours=(probe.point(grid - 1, step) if grid else None, probe.point(grid + 1, step)),
        edited_text=text_at(point.value),
        provenance=Provenance.of(year, {rule.sector: rule}, table.sha256, factors.sha256,
                                 table.path),
        warnings=warnings)


class _Probe:
    """The scope's total at grid points, each computed once."""

    def __init__(self, total_at: Callable[[int], Decimal]):
        self.total_at = total_at
        self.seen: dict[int, Decimal] = {}

    def __call__(self, grid: int) -> Decimal:
        if grid not in self.seen:
            if len(self.seen) >= _MAX_PROBES:
                raise UsageError(_("no value was found within {count} evaluations",
                                   count=_MAX_PROBES))
            self.seen[grid] = self.total_at(grid)
        return self.seen[grid]

    def point(self, grid: int, step: Decimal) -> Point:
        return Point(grid * step, self(grid))


def _solve(total: _Probe, wanted: Decimal, start: int, item: str) -> int:
    """The grid point from 0 up whose total is nearest `wanted` (the lower one on a tie),
    for a total that moves one way with the value: a secant guess, then the target
    bracketed by doubling steps and the bracket halved to two neighbours."""
    far = start * 2 if start else 1
    rise = total(far) - total(start)
    if rise == 0:
        raise UsageError(_("the total of the units that read {item} does not change with "
                           "its value: there is no value to solve for", item=item))
    sign = 1 if rise > 0 else -1

    def above(grid: int) -> bool:  # the total at grid is at or past the target
        return sign * (total(grid) - wanted) >= 0

    guess = max(0, start + int((wanted - total(start)) * (far - start) / rise))
    low, high = guess, guess
    stride = 1
    while above(low):
        if low == 0:
            at_zero, asked = f"{total(0):,.3f}", f"{wanted:,.3f}"
            raise UsageError(_("no value of {item} from 0 up reaches the target: at 0 the "
                               "total is already {total} tCO2, against {wanted} tCO2",
                               item=item, total=at_zero, wanted=asked))
        low = max(0, low - stride)
        stride *= 2
    stride = 1
    while not above(high):
        high += stride
        stride *= 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if above(middle) else (middle, high)
    return low if abs(total(low) - wanted) <= abs(total(high) - wanted) else high


def _locate(item: str, in_force: Iterable[Rule]) -> tuple[Rule, _Written]:
    """The rule in force that declares `item`, and where its value is written."""
    found = _ITEM.match(item.strip())
    if found is None:
        raise UsageError(_("--solve {item!r}: give TABLE[ROW] or PARAM", item=item))
    name, key = found["name"], found["key"]
    rules = list(in_force)
    for rule in rules:
        if key is not None and name in rule.tables:
            decl = rule.tables[name].decl
            row = next((r for r in decl.rows if r.key == key), None)
            if row is None:
                raise UsageError(_("table {table} of {path} has no row {key}{hint}",
                                   table=name, path=rule.path, key=key,
                                   hint=did_you_mean(key, [r.key for r in decl.rows])))
            if not isinstance(row.value, Decimal):
                raise UsageError(_("row {key} of table {table} is a code, not a number",
                                   key=key, table=name))
            return rule, _row_value(rule, name, row, decl.unit)
        if key is None and name in rule.params:
            return rule, _param_value(rule, rule.params[name])
    known = [f"{t}[...]" for r in rules for t in r.tables] + [p for r in rules for p in r.params]
    raise UsageError(_("no table or parameter {item} in the rules in force{hint}",
                       item=item, hint=did_you_mean(name, [k.split("[")[0] for k in known])))


def _offset(text: str, line: int, column: int) -> int:
    """The offset in `text` of a line and column (both from 1)."""
    start = 0
    for _n in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def _row_value(rule: Rule, table: str, row: ast.TableRow,
               unit: ast.UnitRef | None) -> _Written:
    text = rule.file.text
    start = _offset(text, row.span.line, row.span.column)
    after_key = start + len(row.key)
    if row.label is not None:  # the label is a string: skip past its closing quote
        after_key = text.index('"', text.index('"', after_key) + 1) + 1
    number = _NUMBER.search(text, after_key)
    assert number is not None  # the row parsed with a number value
    return _Written(row.span.line, number.start(), number.end(), Decimal(number.group()),
                    unit.text if unit is not None else "", (table, row.key))


def _param_value(rule: Rule, param: ast.ParamDecl) -> _Written:
    text = rule.file.text
    span = param.value.span
    start = _offset(text, span.line, span.column)
    number = _NUMBER.match(text, start)
    if number is None or (param.value.unit is not None and param.value.unit.percent):
        raise UsageError(_("parameter {name} is not written as a plain number",
                           name=param.name))
    unit = param.value.unit.text if param.value.unit is not None else ""
    return _Written(span.line, number.start(), number.end(), Decimal(number.group()), unit,
                    None)


def _decimals(written: str) -> int:
    return len(written.split(".")[1]) if "." in written else 0
