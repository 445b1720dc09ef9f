"""`peie test`: the cases rule authors write beside the rules (NAME.cases.yaml, read by
peie.data.cases), run against the rules of their directory.

Each case is computed in memory, as `allocate`, `preallocate` and `trueup` would compute
it, and nothing touches a ledger. Every unit whose amount a case pins (directly, or
through its facility's allocation, pre-allocation or true-up) is explained, and what
those explanations read is the rules' coverage. With `update`, the amounts and error
messages that differ are written back into the case files, and nothing else in them.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, NamedTuple

from peie.data.cases import (
    CASES_SUFFIX,
    Case,
    CaseFile,
    Expected,
    Place,
    amount_text,
    case_paths,
    read_case_files,
    rewrite,
)
from peie.data.local_factors import NO_LOCAL_FACTORS, LocalFactors, parse_factors
from peie.data.readers import table_from_records
from peie.dsl.i18n import _
from peie.dsl.model import Rule
from peie.errors import DataError, DataProblem, UsageError
from peie.exact.compiler import CONTEXT
from peie.exact.coverage import RuleCoverage, coverage
from peie.exact.explain import Node, Reads, branches_taken, explain_reads
from peie.exact.facilities import FacilityAllocation
from peie.files import atomic_write, check_output_path
from peie.issuance.position import (
    FacilityPosition,
    compliance_values,
    positions,
    unit_emissions,
)
from peie.issuance.stages import Preallocation, TrueUp, preallocations, trueups
from peie.ruleset import RuleSet, bundled_rule_paths, expand_rule_paths

from .allocation import AllocationRun, allocate
from .inputs import RulesLike, load_rules

Part = FacilityAllocation | Preallocation | TrueUp | FacilityPosition


class UnitTree(NamedTuple):
    """How one unit's amount is computed, on the year's data or the base year's."""

    stage: str  # "year" or "base year"
    unit_id: str
    tree: Node


@dataclass(frozen=True)
class Check:
    """One amount a case pins, against what the rules compute; for a failed one, how the
    units involved are computed (`trees`) and the facility amounts it comes from."""

    expected: Expected
    actual: Decimal | None  # None: the case's data gives no such amount
    trees: tuple[UnitTree, ...] = ()
    parts: tuple[Part, ...] = ()

    @property
    def passed(self) -> bool:
        return self.actual == self.expected.value


@dataclass(frozen=True)
class PlacedProblem:
    """A data problem of a case's outcome, with the line of the case file it is about."""

    problem: DataProblem
    line: int


@dataclass(frozen=True)
class CaseResult:
    case: Case
    checks: tuple[Check, ...]
    problems: tuple[PlacedProblem, ...]  # the error the case ended in, if it did
    rules: Mapping[str, Rule]  # sector -> the version in force for the case's year
    reads: tuple[tuple[str, Reads], ...] = ()  # (rule path, what a pinned unit read)

    @property
    def error_matched(self) -> bool:
        expected = self.case.error
        return expected is not None and any(_matches(p.problem, expected.message,
                                                     expected.given) for p in self.problems)

    @property
    def passed(self) -> bool:
        if self.case.error is not None:
            return self.error_matched
        return not self.problems and all(c.passed for c in self.checks)


@dataclass(frozen=True)
class Update:
    """One value --update rewrote."""

    file: str
    line: int
    what: str
    old: str
    new: str


@dataclass(frozen=True)
class CaseRun:
    """The cases of the case files, each case's result, and the rules' coverage."""

    files: Sequence[CaseFile]
    results: Sequence[CaseResult]
    coverage: Sequence[RuleCoverage]
    updates: Sequence[Update] = ()
    stuck: Sequence[CaseResult] = ()  # failed cases --update cannot mend
    updated: bool = False  # --update was asked

    @property
    def passed(self) -> bool:
        if self.updated:
            return not self.stuck
        return all(r.passed for r in self.results)


def run_cases(paths: Sequence[str | os.PathLike[str]] = (), *, rules: RulesLike = None,
              update: bool = False) -> CaseRun:
    """Run the cases of `paths` (case files, or directories of rules and their cases;
    the bundled rules' when none is given), each against the rules of its directory, or
    all against `rules` where given."""
    folders = _case_folders(paths)
    if rules is None:
        groups = [(load_rules(_rules_beside(folder)), cases, whole)
                  for folder, cases, whole in folders]
    else:
        groups = [(load_rules(rules), [p for _, cases, _ in folders for p in cases],
                   any(whole for _, _, whole in folders))]
    files = read_case_files([p for _, cases, _ in groups for p in cases])
    by_path = {Path(f.path): f for f in files}
    results: list[CaseResult] = []
    covered: list[RuleCoverage] = []
    for ruleset, cases, whole in groups:
        found = [_run_case(case, ruleset) for path in cases for case in by_path[path].cases]
        results += found
        covered += _coverage(ruleset, found, whole)
    if not update:
        return CaseRun(files, results, covered)
    updates, stuck = _update(files, results)
    return CaseRun(files, results, covered, updates, stuck, updated=True)


def _coverage(ruleset: RuleSet, results: Sequence[CaseResult], whole: bool
              ) -> list[RuleCoverage]:
    """The coverage of every rule file (`whole`), or of those the cases read."""
    reads: dict[str, list[Reads]] = {}
    for result in results:
        for path, read in result.reads:
            reads.setdefault(path, []).append(read)
    return [coverage(rule, reads.get(rule.path, []))
            for rule in sorted(ruleset.rules, key=lambda r: r.path)
            if whole or rule.path in reads]


def _case_folders(paths: Sequence[str | os.PathLike[str]]
                  ) -> list[tuple[Path, list[Path], bool]]:
    """(a directory, its case files asked about, whether the whole directory was): the
    coverage of a directory covers all its rule files, that of case files given one by
    one the rule files their cases read."""
    cases: dict[Path, dict[Path, Path]] = {}  # directory -> case files, each named once
    whole: set[Path] = set()
    for given in paths or [bundled_rule_paths()[0].parent]:
        path = Path(given)
        if path.is_dir():
            found = case_paths(path)
            if not found:
                raise UsageError(_("{given}: no {cases_suffix} files in this directory",
                                   given=given, cases_suffix=CASES_SUFFIX))
            whole.add(path.resolve())
        elif path.name.endswith(CASES_SUFFIX):
            if not path.exists():  # (one that is not a regular file: read_bytes says so)
                raise UsageError(_("{name}: no such file", name=str(given)))
            found = [path]
        else:
            raise UsageError(_("{given}: give case files ({cases_suffix}) or directories of rule "
                               "files and their cases", given=given, cases_suffix=CASES_SUFFIX))
        for case_file in found:
            cases.setdefault(case_file.resolve().parent, {}).setdefault(
                case_file.resolve(), case_file)
    return [(next(iter(listed.values())).parent, list(listed.values()), resolved in whole)
            for resolved, listed in cases.items()]


def _rules_beside(folder: Path) -> list[Path]:
    rules = expand_rule_paths([folder])
    if not rules:
        raise UsageError(_("{folder}: no *.rule files beside the cases", folder=folder))
    return rules


@dataclass(frozen=True)
class _Outcome:
    """What the rules compute for a case."""

    final: AllocationRun
    base: AllocationRun | None = None
    preallocated: tuple[Preallocation, ...] = ()
    settled: tuple[TrueUp, ...] = ()
    emissions: Mapping[str, Decimal] = dataclasses.field(default_factory=dict)
    positions: tuple[FacilityPosition, ...] = ()  # when the case pins obligations


def _table_name(case: Case, rows: str) -> str:
    return f"{case.file}, case '{case.name}', {rows}"


def _run_case(case: Case, ruleset: RuleSet) -> CaseResult:
    try:
        outcome = _compute(case, ruleset)
    except DataError as error:
        return CaseResult(case, (), tuple(_placed(case, p) for p in error.problems), {})
    except UsageError as error:  # no rules in force for the case's year, say
        problem = DataProblem(case.file, None, None,
                              error.args[0] if len(error.args) == 1 else str(error))
        return CaseResult(case, (), (PlacedProblem(problem, case.line),), {})
    explained = _Explained(case, outcome)
    checks = tuple(explained.check(e) for e in case.expected)
    return CaseResult(case, checks, (), outcome.final.rules, tuple(explained.reads))


def _compute(case: Case, ruleset: RuleSet) -> _Outcome:
    factors = _factors(case, ruleset)
    units = table_from_records(case.rows["units"], _table_name(case, "units"))
    final = allocate(units, case.year, rules=ruleset, local_factors=factors)
    kinds = {e.kind for e in case.expected}
    emissions: dict[str, Decimal] = {}
    if "emissions" in kinds:
        pinned = {e.key for e in case.expected if e.kind == "emissions"}
        assert final.compiled is not None
        found = unit_emissions([u for u in final.units if u.unit_id in pinned],
                               final.compiled, final.data_path)
        emissions = {unit: amount for unit, (amount, _) in found.items()}
    owed: tuple[FacilityPosition, ...] = ()
    if "obligations" in kinds:
        assert final.compiled is not None
        owed = tuple(positions(final, final.compiled, final.data_path)[0])
    if not kinds & {"preallocations", "trueups"}:
        return _Outcome(final, emissions=emissions, positions=owed)
    rows = "base_units" if "base_units" in case.rows else "units"
    base = allocate(table_from_records(case.base_rows, _table_name(case, rows)), case.year,
                    rules=ruleset, local_factors=factors, preallocation_basis=True)
    pre = preallocations(base)
    return _Outcome(final, base, tuple(pre), tuple(_trueups(final, pre)), emissions, owed)


def _trueups(final: AllocationRun, pre: Sequence[Preallocation]) -> list[TrueUp]:
    """Each sector of a facility settled against its own pre-allocation (contract 8)."""
    return trueups(final, {(p.facility_id, p.sector): p.preallocation for p in pre},
                   final.data_path)


def _factors(case: Case, ruleset: RuleSet) -> LocalFactors:
    rows = case.rows.get("local_factors")
    if not rows:
        return NO_LOCAL_FACTORS
    return parse_factors(table_from_records(rows, _table_name(case, "local_factors")),
                         ruleset.sectors, ruleset.sector_labels)


def _placed(case: Case, problem: DataProblem) -> PlacedProblem:
    """The problem at the line of the row it is about (the case's line otherwise)."""
    for rows, lines in case.row_lines.items():
        if problem.file == _table_name(case, rows) and problem.row is not None \
                and 1 <= problem.row <= len(lines):
            return PlacedProblem(problem, lines[problem.row - 1])
    return PlacedProblem(problem, case.line)


def _matches(problem: DataProblem, message: str, given: Mapping[str, str | None]) -> bool:
    actual = {"field": problem.field, "unit": problem.unit_id}
    return message in problem.message and all(actual[k] == v for k, v in given.items())


class _Explained:
    """A case's amounts, and the explanation of each unit they pin (made once)."""

    def __init__(self, case: Case, outcome: _Outcome):
        self.outcome = outcome
        self.trees: dict[tuple[str, str], Node] = {}
        self.reads: list[tuple[str, Reads]] = []
        for expected in case.expected:
            for stage, unit in self.units_of(expected):
                self.explain(stage, unit)
            if expected.kind == "obligations":
                self.read_obligations(expected)

    def units_of(self, expected: Expected) -> list[tuple[str, str]]:
        """("year" or "base year", unit id) of each unit the amount is computed from."""
        final, base = self.outcome.final, self.outcome.base
        if expected.kind == "emissions":
            return []
        if expected.kind == "units":
            return [("year", expected.key)]

        def of(run: AllocationRun | None, stage: str) -> list[tuple[str, str]]:
            parts = [] if run is None else run.facilities
            return [(stage, u) for f in parts if f.facility_id == expected.key
                    and expected.sector in (None, f.sector) for u in f.unit_ids]

        if expected.kind in ("facilities", "obligations"):
            return of(final, "year")
        if expected.kind == "preallocations":
            return of(base, "base year")
        return of(final, "year") + of(base, "base year")

    def explain(self, stage: str, unit_id: str) -> None:
        if (stage, unit_id) in self.trees:
            return
        run = self.outcome.final if stage == "year" else self.outcome.base
        assert run is not None and run.compiled is not None
        unit = run.unit(unit_id)
        assert unit is not None
        tree, reads = explain_reads(unit, run.compiled[unit.record.sector], run.data_path,
                                    basis=stage == "base year")
        self.trees[(stage, unit_id)] = tree
        self.reads.append((unit.rule.path, reads))

    def read_obligations(self, expected: Expected) -> None:
        """The if/else branches the compliance formulas took for the facility pinned."""
        final = self.outcome.final
        assert final.compiled is not None
        for position in self.outcome.positions:
            if position.facility_id != expected.key or expected.sector not in (
                    None, position.sector):
                continue
            rule, compiled = final.rules[position.sector], final.compiled[position.sector]
            reads = Reads()
            if rule.facility_obligation is not None:
                reads.branches |= branches_taken(rule, rule.facility_obligation.expr, {},
                                                 Decimal(1), compliance_values(position))
            units = [u for u in final.units if u.record.sector == position.sector
                     and u.record.facility_id == position.facility_id]
            emissions = unit_emissions(units, final.compiled, final.data_path)
            for unit in units if rule.obligation is not None else ():
                assert rule.obligation is not None
                with decimal.localcontext(CONTEXT):
                    lets = compiled.trace(unit.record.values, unit.local_factor.factor)
                values = {**lets, "verified_emissions": emissions[unit.unit_id][0],
                          "unit_allocation": unit.allocation}
                reads.branches |= branches_taken(rule, rule.obligation.expr,
                                                 unit.record.values,
                                                 unit.local_factor.factor, values)
            self.reads.append((rule.path, reads))

    def check(self, expected: Expected) -> Check:
        actual, parts = self.actual(expected)
        found = Check(expected, actual)
        if found.passed:
            return found
        trees = tuple(UnitTree(stage, u, self.trees[(stage, u)])
                      for stage, u in self.units_of(expected))
        return Check(expected, actual, trees, parts)

    def actual(self, expected: Expected) -> tuple[Decimal | None, tuple[Part, ...]]:
        outcome = self.outcome
        if expected.kind == "units":
            unit = outcome.final.unit(expected.key)
            return (None if unit is None else unit.allocation), ()
        if expected.kind == "emissions":
            return outcome.emissions.get(expected.key), ()
        by_kind: dict[str, Sequence[Part]] = {
            "facilities": outcome.final.facilities, "preallocations": outcome.preallocated,
            "trueups": outcome.settled, "obligations": outcome.positions}
        parts = by_kind[expected.kind]
        chosen = tuple(p for p in parts if p.facility_id == expected.key
                       and expected.sector in (None, p.sector))
        if not chosen:
            return None, ()
        return Decimal(sum(_whole(p) for p in chosen)), chosen


def _whole(part: Part) -> int:
    match part:
        case FacilityAllocation():
            return part.allocation
        case Preallocation():
            return part.preallocation
        case TrueUp():
            return part.trueup
        case FacilityPosition():
            return part.obligation


def _update(files: Sequence[CaseFile], results: Sequence[CaseResult]
            ) -> tuple[list[Update], list[CaseResult]]:
    """Rewrite what differs in each case file (every file computed before any is
    written); the failed cases that cannot be mended so."""
    edits: dict[str, list[tuple[Place, str, str]]] = {}
    stuck = []
    for result in results:
        if result.passed:
            continue
        found = _mending(result)
        if found is None:
            stuck.append(result)
        else:
            edits.setdefault(result.case.file, []).extend(found)
    for path in edits:
        check_output_path(path)  # a link or a FIFO among them: none is rewritten
    updates = []
    for file in files:
        changes = edits.get(file.path, [])
        if not changes:
            continue
        atomic_write(file.path, _writer(rewrite(file, [(p, new) for p, new, _ in changes])),
                     binary=True)
        updates += [Update(file.path, place.line, what, file.text[place.start:place.end], new)
                    for place, new, what in sorted(changes, key=lambda c: c[0].start)]
    return updates, stuck


def _writer(data: bytes) -> Callable[[BinaryIO], None]:
    def write(handle: BinaryIO) -> None:
        handle.write(data)

    return write


def _mending(result: CaseResult) -> list[tuple[Place, str, str]] | None:
    """(place, new text, what it is) for each value to rewrite; None when the case
    cannot be mended by rewriting values (it ends in an error it does not expect, or
    expects one and ends in none)."""
    expected = result.case.error
    if expected is None:
        if result.problems or any(c.actual is None for c in result.checks):
            return None
        return [(c.expected.place, amount_text(c.actual), _what(c.expected))
                for c in result.checks if not c.passed and c.actual is not None]
    if not result.problems:
        return None
    problem = result.problems[0].problem
    values = {"message": problem.message, "field": problem.field, "unit": problem.unit_id}
    if "unit" in expected.given and problem.unit_id is None:
        return None
    wrong = [] if expected.message in problem.message else ["message"]
    wrong += [key for key, value in expected.given.items() if values[key] != value]
    return [(expected.places[key], _yaml_text(values[key], expected.places[key]),
             _("error {key}", key=key)) for key in wrong]


def _what(expected: Expected) -> str:
    return " ".join(x for x in (expected.kind, expected.key, expected.sector) if x)


def _yaml_text(value: str | None, place: Place) -> str:
    """A text value as YAML: plain where it was plain and stays text so (a name such
    as heat_ratio; not yes, no or null, which YAML reads otherwise), else quoted."""
    if value is None:
        return "null"
    if not place.quoted and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) \
            and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


# Plain words YAML 1.1 reads as a yes/no or as nothing.
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}

