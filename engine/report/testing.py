"""The report of `peie test`: each case ok or FAIL, a failure's expected and actual amounts
with how the rules computed them (the explanation of each unit involved), the rules'
coverage, what --update rewrote; and the same as JUnit XML for CI systems."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from peie.api.testing import CaseResult, CaseRun, Check, Part, PlacedProblem
from peie.data.cases import Case, Expected, amount_text
from peie.dsl.ast import span_text
from peie.dsl.model import Rule
from peie.exact.coverage import RuleCoverage
from peie.exact.explain import Node
from peie.exact.facilities import FacilityAllocation
from peie.issuance.position import FacilityPosition
from peie.issuance.stages import Preallocation, TrueUp

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_WHAT = {"units": "unit {key}: allocation", "emissions": "unit {key}: emissions",
         "facilities": "facility {key}: allocation",
         "preallocations": "facility {key}: pre-allocation",
         "trueups": "facility {key}: true-up",
         "obligations": "facility {key}: obligation"}
_KINDS = {"table row": "table rows", "bracket row": "bracket rows",
          "bracket edge": "bracket edge sides", "branch": "branches"}


def test_text(run: CaseRun, coverage: bool = False) -> str:
    """Every case, then the coverage of each rule file (with `coverage`, every item no
    case exercises), what --update did, and the count."""
    lines = []
    for result in run.results:
        case = result.case
        lines.append(f"{'ok  ' if result.passed else 'FAIL'}  {case.file}:{case.line}: "
                     f"{case.name} ({case.year})")
        if not result.passed:
            lines += ["      " + line for line in failure_lines(result)]
    lines += ["", "coverage of the rules by the cases (what their computations read):"]
    for covered in run.coverage:
        lines.append(f"  {_coverage_line(covered)}")
        if coverage:
            lines += [f"    {covered.rule.path}:{item.line}: no case exercises {item.text}"
                      for item in covered.missing]
    lines += list(_update_lines(run))
    lines.append(_count_line(run))
    return "\n".join(lines) + "\n"


def _coverage_line(covered: RuleCoverage) -> str:
    counts = covered.counts()
    if not counts:
        return f"{covered.rule.path}: no table, bracket or if/else to exercise"
    return f"{covered.rule.path}: " + ", ".join(
        f"{_KINDS[kind]} {done}/{total}" for kind, done, total in counts)


def _count_line(run: CaseRun) -> str:
    failed = sum(not r.passed for r in run.results)
    total = len(run.results)
    counted = f"{total} case{'s' * (total != 1)}: {total - failed} ok, {failed} failed"
    if not run.updated or not failed:
        return counted
    if not run.stuck:
        return f"{counted}; --update mended {'it' if failed == 1 else 'them'}"
    return f"{counted}; --update mended {failed - len(run.stuck)}, not {len(run.stuck)}"


def _update_lines(run: CaseRun) -> Iterator[str]:
    if not run.updated:
        return
    yield ""
    for update in run.updates:
        yield f"updated {update.file}:{update.line}: {update.what}: {update.old} → {update.new}"
    files = len({u.file for u in run.updates})
    yield (f"--update rewrote {len(run.updates)} value{'s' * (len(run.updates) != 1)} in "
           f"{files} file{'s' * (files != 1)}")
    for result in run.stuck:
        case = result.case
        yield f"not updated: {case.file}:{case.line}: {case.name}: {_stuck_reason(result)}"


def _stuck_reason(result: CaseResult) -> str:
    if result.case.error is not None and not result.problems:
        return "it expects an error and computes its amounts without one; edit it by hand"
    if result.case.error is not None:
        return "the error it ends in names no unit; edit the expected error by hand"
    if result.problems:
        return "it ends in an error it does not expect; edit it by hand"
    return "an amount it expects does not exist in its data; edit it by hand"


def failure_lines(result: CaseResult) -> list[str]:
    """Why a case failed: each amount that differs, with how it was computed, or the
    error expected and the one found."""
    case = result.case
    if case.error is not None:
        return _error_failure(result)
    if result.problems:
        count = len(result.problems)
        return [f"{case.file}:{case.line}: the case ended in {count} "
                f"problem{'s' * (count != 1)} in its data:",
                *(f"  {_problem_line(case, p)}" for p in result.problems)]
    # A unit whose own amount the case pins and finds right needs no explaining again.
    shown = {("year", c.expected.key) for c in result.checks
             if c.expected.kind == "units" and c.passed}
    lines = []
    for check in result.checks:
        if not check.passed:
            lines += _check_lines(result, check, shown)
    return lines


def _check_lines(result: CaseResult, check: Check, shown: set[tuple[str, str]]) -> list[str]:
    """The amount expected and found; how the facility amount is made; how each unit
    not shown before is computed, a line for each value with the rule line it is from."""
    case, expected = result.case, check.expected
    what = _what(expected)
    if check.actual is None:
        return [f"{case.file}:{expected.place.line}: {what}: expected "
                f"{amount_text(expected.value)}, but the case's data gives no such amount"]
    lines = [f"{case.file}:{expected.place.line}: {what}: expected "
             f"{amount_text(expected.value)}, got {amount_text(check.actual)}"]
    lines += [f"  {_part_line(part, result.rules[part.sector])}" for part in check.parts]
    for stage, unit_id, tree in check.trees:
        if (stage, unit_id) not in shown:
            shown.add((stage, unit_id))
            if stage == "base year":
                lines.append(f"  unit {unit_id} on the base-year data:")
            lines += _brief(tree, "  ", set())
    return lines


def _brief(node: Node, indent: str, seen: set[str]) -> list[str]:
    """A computation tree a line a value: name (label) = value [the rule line it comes
    from, and the source of a number]; a value met before is not expanded again."""
    unit = f" {node.unit}" if node.unit and node.unit != "1" else ""
    where = "; ".join(x for x in (node.rule, node.source and f"source: {node.source}") if x)
    label = f" ({node.label})" if node.label else ""
    lines = [f"{indent}{node.name}{label} = {node.value}{unit}"
             + (f"  [{where}]" if where else "")]
    if node.name not in seen:
        seen.add(node.name)
        for child in node.children:
            lines += _brief(child, indent + "  ", seen)
    return lines


def _what(expected: Expected) -> str:
    what = _WHAT[expected.kind].format(key=expected.key)
    if expected.sector is not None:
        what = what.replace(":", f" in sector {expected.sector}:", 1)
    return what


def _part_line(part: Part, rule: Rule) -> str:
    """How a facility's amount in one sector comes about, with the rule lines."""
    text = rule.file.text
    rounding = (f"rounded {rule.rounding.mode} to "
                f"{span_text(text, rule.rounding.quantum.span)} "
                f"({rule.path}:{rule.rounding.span.line})")
    match part:
        case FacilityAllocation():
            return (f"facility {part.facility_id}, {part.sector}: its units "
                    f"({', '.join(part.unit_ids)}) sum to {amount_text(part.exact)} tCO2, "
                    f"{rounding}: {part.allocation}")
        case Preallocation():
            assert rule.preallocation.share is not None  # a rule that pre-allocates
            share = span_text(text, rule.preallocation.share.span)
            return (f"facility {part.facility_id}, {part.sector}: {share} "
                    f"({rule.path}:{rule.preallocation.span.line}) of "
                    f"{amount_text(part.base_allocation)} tCO2 on the base-year data, "
                    f"{rounding}: {part.preallocation}")
        case TrueUp():
            entrant = " (a new entrant: nothing was pre-allocated)" if part.new_entrant else ""
            return (f"facility {part.facility_id}, {part.sector}: final {part.final} − "
                    f"pre-allocation {part.preallocation} = {part.trueup}{entrant}")
        case FacilityPosition():
            formula = rule.facility_obligation or rule.obligation
            said = (f"as {rule.path}:{formula.span.line} says" if formula is not None
                    else "its verified emissions (the rule states no obligation)")
            return (f"facility {part.facility_id}, {part.sector}: its units owe "
                    f"{amount_text(part.unit_obligations)} tCO2 of "
                    f"{amount_text(part.emissions)} tCO2 emitted, allocated "
                    f"{part.allocation}; it owes {said}, rounded half up: {part.obligation}")


def _error_failure(result: CaseResult) -> list[str]:
    case = result.case
    expected = case.error
    assert expected is not None
    wanted = f"an error whose message holds \"{expected.message}\""
    if "field" in expected.given:
        field = expected.given["field"]
        wanted += " with no field" if field is None else f" in field '{field}'"
    if "unit" in expected.given:
        wanted += f" of unit {expected.given['unit']}"
    line = expected.places["message"].line
    if not result.problems:
        return [f"{case.file}:{line}: expected {wanted}; the case computed its amounts "
                "without an error"]
    return [f"{case.file}:{line}: expected {wanted}; the errors were:",
            *(f"  {_problem_line(case, p)}" for p in result.problems)]


def _problem_line(case: Case, placed: PlacedProblem) -> str:
    problem = placed.problem
    where = ", ".join([*([f"unit {problem.unit_id}"] if problem.unit_id else []),
                       *([f"field '{problem.field}'"] if problem.field else [])])
    return f"{case.file}:{placed.line}: {where + ': ' if where else ''}{problem.message}"


def junit_xml(run: CaseRun) -> str:
    """One test suite per case file, one test case per case; a failure holds the lines
    the text report gives."""
    import xml.etree.ElementTree as ET  # only --junit pays for the import

    root = ET.Element("testsuites", name="peie test", tests=str(len(run.results)),
                      failures=str(sum(not r.passed for r in run.results)))
    for file in run.files:
        results = [r for r in run.results if r.case.file == file.path]
        suite = ET.SubElement(root, "testsuite", name=file.path, tests=str(len(results)),
                              failures=str(sum(not r.passed for r in results)),
                              errors="0", skipped="0")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="sha256", value=file.sha256)
        for result in results:
            _junit_case(suite, result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _junit_case(suite: Element, result: CaseResult) -> None:
    import xml.etree.ElementTree as ET

    case = result.case
    element = ET.SubElement(suite, "testcase", classname=case.file, name=case.name,
                            file=case.file, line=str(case.line))
    if result.rules:
        properties = ET.SubElement(element, "properties")
        for sector, rule in sorted(result.rules.items()):
            ET.SubElement(properties, "property", name=f"rules {sector}",
                          value=f"{rule.version} {rule.path} sha256 {rule.sha256}")
    if not result.passed:
        lines = failure_lines(result)
        failure = ET.SubElement(element, "failure", message=lines[0] if lines else "")
        failure.text = "\n".join(lines)
