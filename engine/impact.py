"""What a new version of a sector's rules does to every facility, and why.

Both versions are evaluated exactly on the same data: the whole-tonne results are the
ones `peie allocate` issues. Each facility's change is then attributed to the edits of the
semantic diff (peie.dsl.diff) by *sequential substitution*: starting from the old rule
file, edits are applied one step at a time, and each step's part is the change in the
facility's (unrounded) allocation it causes. The steps are evaluated on the batch path
(float64 over columns; the exact path where the batch path cannot evaluate a step), or
exactly with `exact=True`. The parts telescope, and a last part, `rounding`, is the
whole-tonne change less their sum: rounding to whole tonnes, plus on the batch path the
floats' ~1e-9 t departure from exact values. So the parts add up to the issued change
exactly, either way.

The steps: edits that do not touch the allocation formula's inputs (metadata, ensure,
pre-allocation, rounding, emissions, pre-allocation basis) are not steps. The others are
tried one at a time, in the diff's order, against the rule built so far; an edit that
cannot stand alone (its rule does not check, or does not evaluate on every unit: a table
keyed by codes the enum no longer has, a formula naming a let not yet added) waits, and
when none can stand alone the first waiting edit is joined with as few of the others
as make a rule that works. Such a joint step is attributed as one. Sequential
attribution depends on the order of the steps; the order is the diff's, fixed, so the
result is reproducible.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from peie.batch.evaluate import unit_allocations
from peie.batch.vector import NotVectorisable
from peie.data.columns import Columns, columns_from_table, spelled_columns, unit_records
from peie.data.local_factors import LocalFactors
from peie.data.readers import Table
from peie.data.records import UnitRecord
from peie.data.spellings import Spelling
from peie.dsl import ast
from peie.dsl.checker import check_file
from peie.dsl.declarations import kind_of
from peie.dsl.diff import Edit, RuleDiff, diff_files
from peie.dsl.i18n import _, joined
from peie.dsl.model import Rule
from peie.exact.allocation import evaluate_units
from peie.exact.compiler import CONTEXT, EvaluationError, compile_rule
from peie.exact.facilities import members, round_amount

from .errors import DataError, DataProblem, UsageError
from .ruleset import RulesInForce

# Sums of parts are exact: allocations carry at most ~60 significant digits.
EXACT = decimal.Context(prec=400)


@dataclass(frozen=True)
class Step:
    edits: tuple[Edit, ...]

    @property
    def title(self) -> str:
        return joined((e.title for e in self.edits), " + ")


@dataclass(frozen=True)
class FacilityImpact:
    facility_id: str
    sector: str
    units: int
    old: int  # whole tonnes, as issued under the old version
    new: int
    old_exact: Decimal
    new_exact: Decimal
    parts: tuple[Decimal, ...]  # one per step
    rounding: Decimal  # (new - old) less the parts: rounding to whole tonnes (and, on the
    # batch path, the float steps' departure from the exact values, ~1e-9 t)
    provinces: tuple[str, ...] = ()  # its units' provinces and categories, once each
    categories: tuple[str, ...] = ()

    @property
    def change(self) -> int:
        return self.new - self.old

    @property
    def percent(self) -> Decimal | None:
        return None if self.old == 0 else Decimal(self.change) / self.old * 100


@dataclass(frozen=True)
class Impact:
    old_rule: Rule
    new_rule: Rule
    diff: RuleDiff
    steps: tuple[Step, ...]
    without_effect: tuple[Edit, ...]
    facilities: tuple[FacilityImpact, ...]
    data_path: str
    data_sha256: str
    local_factors_sha256: str | None
    other_units: int  # rows of other sectors, left out
    exact: bool  # steps evaluated exactly (else on the batch path)

    def totals(self) -> dict[str, Decimal | int]:
        with decimal.localcontext(EXACT):
            out: dict[str, Decimal | int] = {
                "old": sum(f.old for f in self.facilities),
                "new": sum(f.new for f in self.facilities),
            }
            out["change"] = int(out["new"]) - int(out["old"])
            return out

    def step_totals(self) -> list[Decimal]:
        with decimal.localcontext(EXACT):
            return [sum((f.parts[i] for f in self.facilities), Decimal(0))
                    for i in range(len(self.steps))]

    def rounding_total(self) -> Decimal:
        with decimal.localcontext(EXACT):
            return sum((f.rounding for f in self.facilities), Decimal(0))

    def largest(self, count: int) -> tuple[list[FacilityImpact], list[FacilityImpact]]:
        """The largest gains and the largest losses, in tonnes."""
        gains = sorted((f for f in self.facilities if f.change > 0),
                       key=lambda f: (-f.change, f.facility_id))
        losses = sorted((f for f in self.facilities if f.change < 0),
                        key=lambda f: (f.change, f.facility_id))
        return gains[:count], losses[:count]


# ---- rules built edit by edit ----------------------------------------------------------


def _hybrid(base: ast.RuleFile, edits: Iterable[Edit]) -> Rule | None:
    """The old file with these edits applied, without the declarations that only reject
    or describe units; None when it does not check."""
    decls: list[ast.Decl] = [d for d in base.decls if kind_of(d).feeds_allocation
                             or kind_of(d).section == "metadata"]
    for edit in edits:
        if edit.old is not None:
            decls.remove(edit.old)
        if edit.new is not None:
            decls.append(edit.new)
    decls += [d for d in base.decls if isinstance(d, ast.PreallocationDecl | ast.RoundingDecl)]
    rule, problems = check_file(replace(base, decls=tuple(decls)))
    return None if problems else rule


class _Evaluator:
    """Every unit's allocation under a rule built step by step. By default the batch path
    (float64 over columns) and, where it cannot evaluate, the exact path; `exact` uses the
    exact path only. Step values need not be exact: the parts telescope from the old
    version's exact values to the new version's, so their sum is exact either way."""

    def __init__(self, values: Sequence[dict[str, Decimal | str | None]],
                 factors: Sequence[Decimal], columns: Columns | None):
        self.values, self.factors, self.columns = values, factors, columns
        self.local = np.array([float(f) for f in factors])

    def units(self, rule: Rule) -> list[Decimal] | None:
        """Every unit's allocation, or None if some unit cannot be evaluated."""
        return self._exact(rule) if self.columns is None else self._batch(rule)

    def _batch(self, rule: Rule) -> list[Decimal] | None:
        assert self.columns is not None
        try:
            floats = unit_allocations(self.columns, rule, self.local)
        except NotVectorisable:
            return self._exact(rule)
        if not np.isfinite(floats).all():
            return self._exact(rule)
        return [Decimal(repr(x)) for x in floats.tolist()]  # the shortest exact decimal

    def _exact(self, rule: Rule) -> list[Decimal] | None:
        allocation = compile_rule(rule).allocation
        try:
            with decimal.localcontext(CONTEXT):
                return [allocation(v, f) for v, f in zip(self.values, self.factors, strict=True)]
        except (EvaluationError, decimal.DecimalException, KeyError, TypeError):
            return None


def _steps(diff: RuleDiff, evaluator: _Evaluator
           ) -> tuple[list[Step], list[list[Decimal]]]:
    """The steps and, after each, every unit's allocation under the rule built so far."""
    waiting = [e for e in diff.edits if kind_of(_declared(e)).feeds_allocation]
    applied: list[Edit] = []
    steps: list[Step] = []
    values: list[list[Decimal]] = []
    last: tuple[list[Edit], list[Decimal]] | None = None  # the last group that worked

    def works(group: list[Edit]) -> list[Decimal] | None:
        nonlocal last
        if last is not None and last[0] == applied + group:
            return last[1]  # the group _smallest_group settled on: evaluated already
        rule = _hybrid(diff.old, applied + group)
        units = evaluator.units(rule) if rule is not None else None
        if units is not None:
            last = applied + group, units
        return units

    def attempt(group: list[Edit]) -> bool:
        units = works(group)
        if units is None:
            return False
        applied.extend(group)
        steps.append(Step(tuple(group)))
        values.append(units)
        for edit in group:
            waiting.remove(edit)
        return True

    while waiting:
        if any(attempt([edit]) for edit in list(waiting)):
            continue
        group = _smallest_group(waiting, lambda g: works(g) is not None)
        if not attempt(group):  # only the whole rest works (or nothing does)
            attempt(list(waiting))
            break
    return steps, values


def _declared(edit: Edit) -> ast.Decl:
    declared = edit.new or edit.old
    assert declared is not None  # an edit adds, removes or changes a declaration
    return declared


def _smallest_group(waiting: list[Edit], test: Callable[[list[Edit]], bool]) -> list[Edit]:
    """The first waiting edit with the fewest others that make a working rule: grow a run
    until it works, then drop each member the rest does not need."""
    run = [waiting[0]]
    for edit in waiting[1:]:
        if test(run):
            break
        run.append(edit)
    for edit in list(run[1:]):
        smaller = [e for e in run if e is not edit]
        if test(smaller):
            run = smaller
    return run


# ---- the impact ------------------------------------------------------------------------


def _records(columns: Columns, version: RulesInForce) -> list[UnitRecord]:
    """The rows as this version reads them."""
    try:
        return unit_records(columns, version)
    except DataError as error:
        raise _found_under(version, error) from None


def _exact(version: RulesInForce, records: Sequence[UnitRecord], factors: LocalFactors,
           path: str) -> list[Decimal]:
    """Each unit under a real version (ensures included); every failing unit reported."""
    try:
        units = evaluate_units(records, version.compiled, factors, path)
    except DataError as error:
        raise _found_under(version, error) from None
    return [u.allocation for u in units]


def _found_under(version: RulesInForce, error: DataError) -> DataError:
    """The problems, saying which version found them."""
    (rule,) = version.by_sector.values()
    return DataError([replace(p, message=_("under {version}: {message}", version=rule.version,
                                           message=p.message))
                      for p in error.problems])


def impact(old: Rule, new: Rule, data: Table | Columns, factors: LocalFactors,
           known_rules: Sequence[Rule] = (), *, exact: bool = False) -> Impact:
    """Every facility of the sector under both versions, and each step's part of the change.

    `data`: records, or columns (a large CSV file, peie.api.read_data_file). `known_rules`:
    other loaded rules, whose columns the data may carry. Both versions are always
    evaluated exactly; `exact` evaluates the steps between them exactly too."""
    if old.sector != new.sector:
        raise UsageError(_("the two versions are of different sectors: {sector} ({path}) and "
                           "{sector2} ({path2})", sector=old.sector, path=old.path,
                           sector2=new.sector, path2=new.path))
    known = [*known_rules, old, new]
    # Spelt by both versions at once: a label either declares is read, and one they read
    # differently is an error.
    columns = spelled_columns(data if isinstance(data, Columns) else columns_from_table(data),
                              Spelling((old, new), known))
    mine = columns.of_sector(old.sector)
    if not mine.size:
        raise DataError([DataProblem(columns.path, None, "sector",
                                     _("no units of sector '{sector}' in the data",
                                       sector=old.sector))])
    versions = [RulesInForce.of(rule, known) for rule in (old, new)]
    old_records, new_records = (_records(mine, version) for version in versions)
    values = [{**a.values, **b.values} for a, b in zip(old_records, new_records, strict=True)]
    local = [factors.lookup(r.province, r.sector).factor for r in old_records]
    evaluator = _Evaluator(values, local, None if exact else mine)

    diff = diff_files(old.file, new.file)
    ends = [_exact(version, records, factors, columns.path)
            for version, records in zip(versions, (old_records, new_records), strict=True)]
    steps, middle = _steps(diff, evaluator)
    if exact:  # the steps run from one version's exact values to the other's
        start = ends[0]
        if steps:
            middle[-1] = ends[1]
    else:  # from and to the batch values, so that an edit without effect has no part
        start = evaluator.units(old) or ends[0]
    chain = [start, *middle]
    if not steps and ends[0] != ends[1]:
        raise UsageError(_("the versions differ in value but no edit could be applied"))
    facilities = _facilities(old_records, old, new, chain, ends)
    without = tuple(e for e in diff.edits if not any(e in s.edits for s in steps))
    return Impact(old, new, diff, tuple(steps), without, tuple(facilities), columns.path,
                  columns.sha256, factors.sha256, columns.rows_filled() - mine.size, exact)


def _facilities(records: Sequence[UnitRecord], old: Rule, new: Rule,
                chain: list[list[Decimal]], ends: list[list[Decimal]]) -> list[FacilityImpact]:
    out = []
    with decimal.localcontext(EXACT):
        for facility_id, indices in members(r.facility_id for r in records).items():
            totals = [sum((units[i] for i in indices), Decimal(0)) for units in chain]
            old_exact, new_exact = (sum((e[i] for i in indices), Decimal(0)) for e in ends)
            old_whole, new_whole = round_amount(old_exact, old.rounding), \
                round_amount(new_exact, new.rounding)
            parts = tuple(b - a for a, b in zip(totals, totals[1:], strict=False))
            rounding = (new_whole - old_whole) - (totals[-1] - totals[0])
            out.append(FacilityImpact(
                facility_id, old.sector, len(indices), old_whole, new_whole, old_exact,
                new_exact, parts, rounding,
                tuple(dict.fromkeys(records[i].province for i in indices)),
                tuple(dict.fromkeys(str(c) for i in indices
                                    if (c := records[i].values.get("category")) is not None))))
    return out
