"""`peie test`: case files read and checked (problems at file:line:col), cases run against
the rules beside them, failures explained, --update, --junit, coverage, exit status."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peie import api
from peie.errors import CaseError
from peie.ruleset import bundled_rule_paths

ROOT = Path(__file__).resolve().parent.parent
LINE = "{facility_id: F-1, unit_id: L-1, sector: cement, province: 安徽, clinker_t: 1000000}"

GOOD = f"""# cases for a copy of cement.rule
- name: the benchmark alone
  year: 2017
  units:
    - {LINE}
  expect:
    units:
      L-1: 853400      # 1 000 000 x 0.8534
    facilities: {{F-1: 853400}}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "rules" / "cement.rule", tmp_path / "cement.rule")
    return tmp_path


def write(folder: Path, text: str, name: str = "cement.cases.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_passing_case_is_ok_and_exits_0(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(folder, GOOD)
    status, out, err = cli("test", str(folder))
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == f"ok    {path}:2: the benchmark alone (2017)"
    assert out.splitlines()[-1] == "1 case: 1 ok, 0 failed"
    assert f"  {folder / 'cement.rule'}: bracket rows 1/4, bracket edge sides 0/6" in out


def test_a_failure_shows_expected_actual_and_the_rule_lines(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(folder, GOOD.replace("L-1: 853400", "L-1: 853401"))
    status, out, _ = cli("test", str(path))
    assert status == 1
    lines = out.splitlines()
    assert lines[0] == f"FAIL  {path}:2: the benchmark alone (2017)"
    assert lines[1] == f"      {path}:8: unit L-1: allocation: expected 853401, got 853400"
    rule = folder / "cement.rule"
    assert lines[2] == f"        allocation = 853400 tCO2  [{rule}:33]"
    assert f"          clinker_allowance (熟料配额) = 853400 tCO2  [{rule}:30]" in lines
    assert (f"            clinker_benchmark (熟料排放基准值) = 0.8534 tCO2/t  [{rule}:17; "
            "source: seed 002 L163-165; L743]") in lines
    assert lines[-1] == "1 case: 0 ok, 1 failed"


def test_amounts_are_compared_exactly(folder: Path) -> None:
    """853 400.00 is 853 400; one digit in the twentieth decimal place is a failure."""
    write(folder, GOOD.replace("L-1: 853400", "L-1: 853400.00"))
    assert api.run_cases([folder]).passed
    write(folder, GOOD.replace("L-1: 853400", "L-1: 853400.00000000000000000001"))
    run = api.run_cases([folder])
    check = run.results[0].checks[0]
    assert not run.passed and check.actual == Decimal(853400)
    assert check.expected.value == Decimal("853400.00000000000000000001")


def test_preallocation_and_trueup_failures_show_how_they_are_made(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    text = GOOD.replace("facilities: {F-1: 853400}", "facilities: {F-1: 853400}\n"
                        "    preallocations: {F-1: 426701}\n    trueups: {F-1: 1}")
    write(folder, text)
    status, out, _ = cli("test", str(folder))
    rule = folder / "cement.rule"
    assert status == 1
    assert (f"facility F-1, cement: 50 % ({rule}:38) of 853400 tCO2 on the base-year data, "
            f"rounded half_up to 1 tCO2 ({rule}:41): 426700") in out
    assert "facility F-1, cement: final 853400 − pre-allocation 426700 = 426700" in out
    assert ": facility F-1: pre-allocation: expected 426701, got 426700" in out
    assert ": facility F-1: true-up: expected 1, got 426700" in out


def test_an_expected_error_matches_by_fragment_field_and_unit(folder: Path) -> None:
    bad = LINE.replace("1000000", "-1")
    case = f"- name: bad\n  year: 2017\n  units:\n    - {bad}\n  expect:\n    error: {{{{{{}}}}}}\n"

    def passes(error: str) -> bool:
        write(folder, case.replace("{{{}}}", error))
        return api.run_cases([folder]).passed

    assert passes("{message: is out of range}")
    assert passes("{field: clinker_t, unit: L-1, message: '-1 is out of range'}")
    assert not passes("{field: coprocessed_waste_t, message: is out of range}")
    assert not passes("{unit: L-2, message: is out of range}")
    assert not passes("{field: null, message: is out of range}")  # it has a field
    assert not passes("{message: is required}")


def test_an_error_expected_but_not_found_and_one_not_expected(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    write(folder, f"- name: fine\n  year: 2017\n  units:\n    - {LINE}\n  expect:\n"
                  "    error: {field: clinker_t, message: out of range}\n"
                  f"- name: broken\n  year: 2017\n  units:\n    - {LINE}\n"
                  f"    - {LINE.replace('L-1', 'L-2').replace('1000000', 'many')}\n"
                  "  expect:\n    units: {L-1: 853400}\n")
    status, out, _ = cli("test", str(folder))
    path = folder / "cement.cases.yaml"
    assert status == 1
    assert (f"{path}:6: expected an error whose message holds \"out of range\" in field "
            "'clinker_t'; the case computed its amounts without an error") in out
    assert f"{path}:7: the case ended in 1 problem in its data:" in out
    assert f"  {path}:11: unit L-2, field 'clinker_t': must be a number, got 'many'" in out


def test_a_year_without_rules_is_an_error_a_case_may_expect(folder: Path) -> None:
    write(folder, GOOD.replace("year: 2017", "year: 2031"))
    result = api.run_cases([folder]).results[0]
    assert not result.passed
    assert "no rules are in force for 2031" in result.problems[0].problem.message
    write(folder, f"- name: x\n  year: 2031\n  units:\n    - {LINE}\n  expect:\n"
                  "    error: {field: null, message: no rules are in force for 2031}\n")
    assert api.run_cases([folder]).passed


def test_case_file_problems_are_all_named_by_file_line_and_column(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    write(folder, f"""- name: one
  year: "2017"
  units:
    - {LINE}
  expect:
    units: {{L-1: 1, L-1: 2}}
    facilities: {{F-1: 8.5, F-9: 1}}
    colour: red
""")
    write(folder, "- name: x\n  year: 2017\n  units: [ {a: 1}\n", "other.cases.yaml")
    status, out, err = cli("test", str(folder))
    path, other = folder / "cement.cases.yaml", folder / "other.cases.yaml"
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        f"{path}:2:9: error: must be a whole number",
        '      year: "2017"',
        "            ^^^^^^",
        f"{path}:6:21: error: 'L-1' is given twice in this mapping (first on line 6)",
        "        units: {L-1: 1, L-1: 2}",
        "                        ^^^",
        f"{path}:7:23: error: must be a whole number of tonnes, or a mapping of sector: "
        "whole number",
        "        facilities: {F-1: 8.5, F-9: 1}",
        "                          ^^^",
        f"{path}:8:5: error: 'colour' is not known here; write one of: units, emissions, "
        "facilities, preallocations, trueups, obligations, error",
        "        colour: red",
        "        ^^^^^^",
        f"{other}:4:1: error: is not valid YAML: did not find expected ',' or ']'",
        "5 errors in case files; no case was run",
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "1:1: error: must not be empty"),
    ("", "1:1: error: the file is empty: a list of cases is expected"),
    (GOOD + GOOD.split("\n", 1)[1], "a second case named 'the benchmark alone' (the first is "
                                    "on line 2)"),
    (GOOD.replace("L-1: 853400", "L-2: 853400"), "8:7: error: 'L-2' is not a unit_id of "
                                                 "the case's units"),
    (GOOD.replace("{F-1: 853400}", "{1001: 853400}"),
     "9:18: error: write the name 1001 as text, in quotes: '1001'"),
    (GOOD.replace("facility_id: F-1", "facility_id: 1001"), "5:21: error: must be text"),
    (GOOD.replace("  expect:", "  base_units:\n    - " + LINE + "\n  expect:"),
     "error: base_units are read only for preallocations and trueups"),
    (GOOD.replace("    facilities:", "    error: {message: x}\n    facilities:"),
     "9:5: error: a case that expects an error expects nothing else"),
    (GOOD.replace("  year: 2017\n", ""), "2:3: error: 'year' is missing here"),
    (GOOD.replace("853400      #", ".inf      #"), "'.inf' is not a finite number"),
])
def test_each_kind_of_case_file_problem(folder: Path, text: str, message: str) -> None:
    path = write(folder, text)
    with pytest.raises(CaseError) as raised:
        api.run_cases([path])
    assert message in raised.value.render()


def test_update_rewrites_only_the_values_that_differ(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    text = GOOD.replace("L-1: 853400", "L-1: 1.5").replace("{F-1: 853400}", "{F-1: 2}")
    text += ("- name: bad\n  year: 2017\n  units:\n    - " + LINE.replace("1000000", "-1")
             + "\n  expect:\n    error: {unit: L-1, field: coprocessed_waste_t, "
             "message: 'wrong words'}   # keep me\n")
    path = write(folder, text)
    status, out, _ = cli("test", str(folder), "--update")
    assert status == 0
    after = path.read_text(encoding="utf-8")
    expected = text.replace("L-1: 1.5", "L-1: 853400").replace("{F-1: 2}", "{F-1: 853400}")
    expected = expected.replace("field: coprocessed_waste_t", "field: clinker_t").replace(
        "'wrong words'", f'"-1 is out of range: must be in [0, inf) (input clinker_t, '
                         f'{folder / "cement.rule"}:13)"')
    assert after == expected
    assert f"updated {path}:8: units L-1: 1.5 → 853400" in out
    assert f"updated {path}:9: facilities F-1: 2 → 853400" in out
    assert f"updated {path}:15: error field: coprocessed_waste_t → clinker_t" in out
    assert "--update rewrote 4 values in 1 file" in out
    assert out.splitlines()[-1] == "2 cases: 0 ok, 2 failed; --update mended them"
    assert cli("test", str(folder))[0] == 0


def test_update_keeps_a_byte_order_mark_and_crlf_line_ends(folder: Path) -> None:
    text = GOOD.replace("L-1: 853400", "L-1: 7").replace("\n", "\r\n")
    path = folder / "cement.cases.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert api.run_cases([folder], update=True).passed
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.replace("L-1: 7", "L-1: 853400").encode()


def test_update_leaves_what_it_cannot_mend_and_exits_1(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    text = (f"- name: now an error\n  year: 2017\n  units:\n    - "
            f"{LINE.replace('1000000', '-1')}\n  expect:\n    units: {{L-1: 5}}\n"
            f"- name: no error now\n  year: 2017\n  units:\n    - {LINE}\n  expect:\n"
            "    error: {message: out of range}\n")
    path = write(folder, text)
    status, out, _ = cli("test", str(folder), "--update")
    assert status == 1 and path.read_text(encoding="utf-8") == text
    assert (f"not updated: {path}:1: now an error: it ends in an error it does not expect; "
            "edit it by hand") in out
    assert (f"not updated: {path}:7: no error now: it expects an error and computes its "
            "amounts without one; edit it by hand") in out
    assert out.splitlines()[-1] == "2 cases: 0 ok, 2 failed; --update mended 0, not 2"


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unit=st.decimals(min_value=0, max_value=10**7, places=4),
       facility=st.integers(min_value=-10**7, max_value=10**7),
       comment=st.text(alphabet="abc 中文#:-", max_size=12))
def test_update_then_every_case_passes_and_nothing_else_changed(
        folder: Path, unit: Decimal, facility: int, comment: str) -> None:
    text = GOOD.replace("L-1: 853400", f"L-1: {unit}").replace(
        "{F-1: 853400}", f"{{F-1: {facility}}}  # {comment}")
    path = write(folder, text)
    api.run_cases([folder], update=True)
    after = path.read_text(encoding="utf-8")
    assert api.run_cases([folder]).passed
    assert after == GOOD.replace("{F-1: 853400}", f"{{F-1: 853400}}  # {comment}")


def test_junit_xml_for_ci(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    write(folder, GOOD + GOOD.split("\n", 1)[1].replace("the benchmark alone", "wrong")
          .replace("L-1: 853400", "L-1: 3"))
    report = folder / "junit.xml"
    status, _, _ = cli("test", str(folder), "--junit", str(report))
    assert status == 1
    root = ET.parse(report).getroot()
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "2", "1")
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == str(folder / "cement.cases.yaml")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["the benchmark alone", "wrong"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and "expected 3, got 853400" in (failure.get("message") or "")
    assert "allocation = 853400 tCO2" in (failure.text or "")
    version = cases[0].find("properties/property")
    assert version is not None and version.get("value", "").startswith("2017-draft ")


def test_junit_path_is_refused_before_any_case_is_run(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(folder, GOOD.replace("L-1: 853400", "L-1: 3"))
    status, _, err = cli("test", str(folder), "--update", "--junit", str(folder / "no/x.xml"))
    assert status == 1 and "there is no directory" in err
    assert "L-1: 3" in path.read_text(encoding="utf-8")


def test_coverage_lists_what_no_case_exercises(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    near = LINE.replace("F-1", "F-2").replace("L-1", "L-2").replace(
        "clinker_t: 1000000", "clinker_t: 1, coprocessed_waste_t: 29998.5")
    write(folder, GOOD.replace(f"    - {LINE}", f"    - {LINE}\n    - {near}").replace(
        "L-1: 853400", "L-1: 853400\n      L-2: 0.8534"))
    status, out, _ = cli("test", str(folder), "--coverage")
    rule = folder / "cement.rule"
    assert status == 0
    assert f"  {rule}: bracket rows 1/4, bracket edge sides 0/6" in out
    # 29 998.5 t is in the first row, but more than 1 t below the edge 30 000 t
    assert (f"    {rule}:23: no case exercises the edge 30000 t of bracket "
            "coprocessing_uplift, just below it (within 1 t)") in out
    assert f"    {rule}:24: no case exercises row [30000 t, 50000 t) of bracket " \
           "coprocessing_uplift" in out
    assert out.count("no case exercises") == 9


def test_coverage_counts_only_units_whose_amount_is_pinned(folder: Path) -> None:
    """A unit in the data whose amount no expectation reaches exercises nothing."""
    loose = LINE.replace("F-1", "F-2").replace("L-1", "L-2").replace(
        "clinker_t: 1000000", "clinker_t: 5, coprocessed_waste_t: 30000")
    write(folder, GOOD.replace(f"    - {LINE}", f"    - {LINE}\n    - {loose}"))
    covered = api.run_cases([folder]).coverage[0]
    assert ("bracket", "coprocessing_uplift", 1) not in covered.exercised
    assert ("bracket", "coprocessing_uplift", 0) in covered.exercised


def test_paths_that_are_not_cases_are_refused(cli, folder: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("test", str(folder)) == (1, "", f"peie: error: {folder}: no .cases.yaml files "
                                               "in this directory\n")
    rule = folder / "cement.rule"
    status, _, err = cli("test", str(rule))
    assert status == 1 and "give case files (.cases.yaml) or directories" in err
    status, _, err = cli("test", str(folder / "none.cases.yaml"))
    assert (status, err) == (1, f"peie: error: {folder / 'none.cases.yaml'}: no such file\n")
    alone = tmp_path / "alone"
    alone.mkdir()
    write(alone, GOOD)
    status, _, err = cli("test", str(alone))
    assert (status, err) == (1, f"peie: error: {alone}: no *.rule files beside the cases\n")


def test_rules_given_replace_the_rules_beside_the_cases(cli, folder: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(folder, GOOD)
    edited = tmp_path / "edited"
    edited.mkdir()
    text = (folder / "cement.rule").read_text(encoding="utf-8")
    (edited / "cement.rule").write_text(text.replace("0.8534 tCO2/t", "0.8500 tCO2/t"),
                                        encoding="utf-8")
    status, out, _ = cli("test", str(folder), "--rules", str(edited))
    assert status == 1 and "expected 853400, got 850000" in out
    assert f"  {edited / 'cement.rule'}: bracket rows" in out


def test_a_case_file_beside_the_rules_is_not_read_as_a_rule(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    write(folder, GOOD)
    assert cli("check", str(folder)) == (
        0, f"{folder / 'cement.rule'}: ok (cement 2017-draft, draft, 2017-2018)\n", "")


def test_cases_never_touch_a_ledger(folder: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = tmp_path / "ledger.sqlite"
    monkeypatch.setenv("PEIE_LEDGER", str(ledger))
    monkeypatch.chdir(tmp_path)
    write(folder, GOOD.replace("facilities: {F-1: 853400}",
                               "preallocations: {F-1: 426700}\n    trueups: {F-1: 426700}"))
    assert api.run_cases([folder]).passed
    assert not ledger.exists() and not (tmp_path / "peie-ledger.sqlite").exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".sqlite")]


def test_a_facility_failure_explains_only_units_not_found_right(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    second = LINE.replace("L-1", "L-2").replace("clinker_t: 1000000", "clinker_t: 5")
    write(folder, GOOD.replace(f"    - {LINE}", f"    - {LINE}\n    - {second}"))
    status, out, _ = cli("test", str(folder))
    assert status == 1
    assert ": facility F-1: allocation: expected 853400, got 853404" in out
    assert "its units (L-1, L-2) sum to 853404.267 tCO2" in out
    assert "clinker_t (熟料产量) = 5 t" in out  # L-2: no amount of its own pinned
    assert "clinker_t (熟料产量) = 1000000 t" not in out  # L-1: pinned, and right


def test_rules_that_do_not_check_stop_the_run_as_check_would(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    write(folder, GOOD)
    rule = folder / "cement.rule"
    rule.write_text(rule.read_text(encoding="utf-8").replace("* local_factor\n",
                                                             "* local_factr\n"),
                    encoding="utf-8")
    status, out, err = cli("test", str(folder))
    assert (status, out) == (1, "")
    assert f"{rule}:33:34: error: unknown name 'local_factr'" in err
    assert err.endswith("1 error in rule files\n")


def test_without_paths_the_bundled_cases_run(cli) -> None:  # type: ignore[no-untyped-def]
    status, out, _ = cli("test")
    assert status == 0 and out.splitlines()[-1].endswith(" ok, 0 failed")
    bundled = bundled_rule_paths()[0].parent  # installed: not the checkout's rules/
    assert f"ok    {bundled / 'power.cases.yaml'}:6: " in out
