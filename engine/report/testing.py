"""The report of `peie test`: each case ok or FAIL, a failure's expected and actual amounts
with how the rules computed them (the explanation of each unit involved), the rules'
coverage, what --update rewrote; and the same as JUnit XML for CI systems."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from peie.api.testing import CaseResult, CaseRun, Check, Part, PlacedProblem
from peie.data.cases import Case, Expected, amount_text
from peie.dsl.ast import span_text
from peie.dsl.i18n import _, joined, localized, ngettext
from peie.dsl.model import Rule
from peie.exact.coverage import RuleCoverage
from peie.exact.explain import Node
from peie.exact.facilities import FacilityAllocation
from peie.issuance.position import FacilityPosition
from peie.issuance.stages import Preallocation, TrueUp

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_WHAT = {"units": _("unit {key}: allocation"), "emissions": _("unit {key}: emissions"),
         "facilities": _("facility {key}: allocation"),
         "preallocations": _("facility {key}: pre-allocation"),
         "trueups": _("facility {key}: true-up"),
         "obligations": _("facility {key}: obligation")}
_WHAT_IN_SECTOR = {
    "units": _("unit {key} in sector {sector}: allocation"),
    "emissions": _("unit {key} in sector {sector}: emissions"),
    "facilities": _("facility {key} in sector {sector}: allocation"),
    "preallocations": _("facility {key} in sector {sector}: pre-allocation"),
    "trueups": _("facility {key} in sector {sector}: true-up"),
    "obligations": _("facility {key} in sector {sector}: obligation")}
_KINDS = {"table row": _("table rows"), "bracket row": _("bracket rows"),
          "bracket edge": _("bracket edge sides"), "branch": _("branches")}


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
    lines += ["", localized(_("coverage of the rules by the cases (what their computations "
                              "read):"))]
    for covered in run.coverage:
        lines.append(f"  {_coverage_line(covered)}")
        if coverage:
            lines += [localized(_("    {path}:{line}: no case exercises {item}",
                                  path=covered.rule.path, line=item.line, item=item.text))
                      for item in covered.missing]
    lines += list(_update_lines(run))
    lines.append(_count_line(run))
    return "\n".join(lines) + "\n"


def _coverage_line(covered: RuleCoverage) -> str:
    counts = covered.counts()
    if not counts:
        return localized(_("{path}: no table, bracket or if/else to exercise",
                           path=covered.rule.path))
    return f"{covered.rule.path}: " + ", ".join(
        f"{localized(_KINDS[kind])} {done}/{total}" for kind, done, total in counts)


def _count_line(run: CaseRun) -> str:
    failed = sum(not r.passed for r in run.results)
    total = len(run.results)
    counted = ngettext("{count} case: {ok} ok, {failed} failed",
                       "{count} cases: {ok} ok, {failed} failed", total, ok=total - failed,
                       failed=failed)
    if not run.updated or not failed:
        return localized(counted)
    if not run.stuck:
        return localized(ngettext("{counted}; --update mended it",
                                  "{counted}; --update mended them", failed, counted=counted))
    return localized(_("{counted}; --update mended {mended}, not {stuck}", counted=counted,
                       mended=failed - len(run.stuck), stuck=len(run.stuck)))


def _update_lines(run: CaseRun) -> Iterator[str]:
    if not run.updated:
        return
    yield ""
    for update in run.updates:
        yield localized(_("updated {file}:{line}: {what}: {old} → {new}", file=update.file,
                          line=update.line, what=update.what, old=update.old, new=update.new))
    files = len({u.file for u in run.updates})
    in_files = ngettext("{count} file", "{count} files", files)
    yield localized(ngettext("--update rewrote {count} value in {files}",
                             "--update rewrote {count} values in {files}", len(run.updates),
                             files=in_files))
    for result in run.stuck:
        case = result.case
        yield localized(_("not updated: {file}:{line}: {name}: {reason}", file=case.file,
                          line=case.line, name=case.name, reason=_stuck_reason(result)))


def _stuck_reason(result: CaseResult) -> str:
    if result.case.error is not None and not result.problems:
        return _("it expects an error and computes its amounts without one; edit it by hand")
    if result.case.error is not None:
        return _("the error it ends in names no unit; edit the expected error by hand")
    if result.problems:
        return _("it ends in an error it does not expect; edit it by hand")
    return _("an amount it expects does not exist in its data; edit it by hand")


def failure_lines(result: CaseResult) -> list[str]:
    """Why a case failed: each amount that differs, with how it was computed, or the
    error expected and the one found."""
    case = result.case
    if case.error is not None:
        return _error_failure(result)
    if result.problems:
        count = len(result.problems)
        return [localized(ngettext("{file}:{line}: the case ended in {count} problem in its "
                                   "data:", "{file}:{line}: the case ended in {count} problems "
                                   "in its data:", count, file=case.file, line=case.line)),
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
        return [localized(_("{file}:{line}: {what}: expected {amount}, but the case's data "
                            "gives no such amount", file=case.file, line=expected.place.line,
                            what=what, amount=amount_text(expected.value)))]
    lines = [localized(_("{file}:{line}: {what}: expected {amount}, got {actual}",
                         file=case.file, line=expected.place.line, what=what,
                         amount=amount_text(expected.value),
                         actual=amount_text(check.actual)))]
    lines += [f"  {_part_line(part, result.rules[part.sector])}" for part in check.parts]
    for stage, unit_id, tree in check.trees:
        if (stage, unit_id) not in shown:
            shown.add((stage, unit_id))
            if stage == "base year":
                lines.append(localized(_("  unit {unit} on the base-year data:", unit=unit_id)))
            lines += _brief(tree, "  ", set())
    return lines


def _brief(node: Node, indent: str, seen: set[str]) -> list[str]:
    """A computation tree a line a value: name (label) = value [the rule line it comes
    from, and the source of a number]; a value met before is not expanded again."""
    unit = f" {node.unit}" if node.unit and node.unit != "1" else ""
    source = node.source and localized(_("source: {source}", source=node.source))
    where = "; ".join(x for x in (node.rule, source) if x)
    label = f" ({node.label})" if node.label else ""
    lines = [f"{indent}{node.name}{label} = {node.value}{unit}"
             + (f"  [{where}]" if where else "")]
    if node.name not in seen:
        seen.add(node.name)
        for child in node.children:
            lines += _brief(child, indent + "  ", seen)
    return lines


def _what(expected: Expected) -> str:
    if expected.sector is not None:
        return _(_WHAT_IN_SECTOR[expected.kind], key=expected.key, sector=expected.sector)
    return _(_WHAT[expected.kind], key=expected.key)


def _part_line(part: Part, rule: Rule) -> str:
    """How a facility's amount in one sector comes about, with the rule lines."""
    text = rule.file.text
    rounding = _("rounded {mode} to {step} ({path}:{line})", mode=rule.rounding.mode,
                 step=span_text(text, rule.rounding.quantum.span), path=rule.path,
                 line=rule.rounding.span.line)
    match part:
        case FacilityAllocation():
            return localized(_("facility {facility}, {sector}: its units ({units}) sum to "
                               "{exact} tCO2, {rounding}: {allocation}",
                               facility=part.facility_id, sector=part.sector,
                               units=", ".join(part.unit_ids), exact=amount_text(part.exact),
                               rounding=rounding, allocation=part.allocation))
        case Preallocation():
            assert rule.preallocation.share is not None  # a rule that pre-allocates
            share = span_text(text, rule.preallocation.share.span)
            return localized(_("facility {facility}, {sector}: {share} ({path}:{line}) of "
                               "{base} tCO2 on the base-year data, {rounding}: {preallocation}",
                               facility=part.facility_id, sector=part.sector, share=share,
                               path=rule.path, line=rule.preallocation.span.line,
                               base=amount_text(part.base_allocation), rounding=rounding,
                               preallocation=part.preallocation))
        case TrueUp():
            entrant = (_(" (a new entrant: nothing was pre-allocated)") if part.new_entrant
                       else "")
            return localized(_("facility {facility}, {sector}: final {final} − pre-allocation "
                               "{preallocation} = {trueup}{entrant}", facility=part.facility_id,
                               sector=part.sector, final=part.final,
                               preallocation=part.preallocation, trueup=part.trueup,
                               entrant=entrant))
        case FacilityPosition():
            formula = rule.facility_obligation or rule.obligation
            said = (_("as {path}:{line} says", path=rule.path, line=formula.span.line)
                    if formula is not None
                    else _("its verified emissions (the rule states no obligation)"))
            return localized(_("facility {facility}, {sector}: its units owe {owed} tCO2 of "
                               "{emitted} tCO2 emitted, allocated {allocation}; it owes "
                               "{said}, rounded half up: {obligation}",
                               facility=part.facility_id, sector=part.sector,
                               owed=amount_text(part.unit_obligations),
                               emitted=amount_text(part.emissions), allocation=part.allocation,
                               said=said, obligation=part.obligation))


def _error_failure(result: CaseResult) -> list[str]:
    case = result.case
    expected = case.error
    assert expected is not None
    given = []
    if "field" in expected.given:
        field = expected.given["field"]
        given.append(_(" with no field") if field is None
                     else _(" in field '{field}'", field=field))
    if "unit" in expected.given:
        given.append(_(" of unit {unit}", unit=expected.given["unit"]))
    wanted = _("an error whose message holds \"{message}\"{given}", message=expected.message,
               given=joined(given, ""))
    line = expected.places["message"].line
    if not result.problems:
        return [localized(_("{file}:{line}: expected {wanted}; the case computed its amounts "
                            "without an error", file=case.file, line=line, wanted=wanted))]
    return [localized(_("{file}:{line}: expected {wanted}; the errors were:", file=case.file,
                        line=line, wanted=wanted)),
            *(f"  {_problem_line(case, p)}" for p in result.problems)]


def _problem_line(case: Case, placed: PlacedProblem) -> str:
    problem = placed.problem
    where = [*([_("unit {unit}", unit=problem.unit_id)] if problem.unit_id else []),
             *([_("field '{field}'", field=problem.field)] if problem.field else [])]
    head = localized(joined(where)) + ": " if where else ""
    return f"{case.file}:{placed.line}: {head}{localized(problem.message)}"


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
