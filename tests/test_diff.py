"""Semantic and impact diffs: golden diffs between the bundled versions, emptiness on
reformatting and reordering, factor-level formula notes, FILE@GITREV, and the
attribution's exact sum (property)."""

from __future__ import annotations

import csv
import decimal
import json
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_texts import HEAD

from peie.api import allocate, load_rules, read_data, read_local_factors
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.dsl.diff import diff_files
from peie.dsl.parser import parse, parse_file
from peie.errors import DataError
from peie.impact import EXACT, impact
from peie.ruleset import rules_from_text

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLE_2017 = ROOT / "samples" / "units_2017.csv"
SAMPLE_2019 = ROOT / "samples" / "units_2019.csv"


@pytest.mark.parametrize(("old", "new", "options", "golden"), [
    ("power.rule", "power-2019.rule", (), "diff_power_2017_2019.txt"),
    ("power-2021.rule", "power-2022.rule", ("--format", "markdown"), "diff_power_2021_2022.md"),
    ("power-2019.rule", "power-2021.rule", ("--format", "json"), "diff_power_2019_2021.json"),
    ("power.rule", "power-2019.rule", ("--data", "samples/units_2019.csv"),
     "impact_power_2017_2019.txt"),
])
def test_golden_diffs_between_bundled_versions(cli, old: str, new: str,  # type: ignore[no-untyped-def]
                                               options: tuple[str, ...], golden: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the golden files name paths relative to the checkout
    status, out, err = cli("diff", f"rules/{old}", f"rules/{new}", *options)
    assert status == 0, err
    assert out == (GOLDEN / golden).read_text(encoding="utf-8")


def test_2017_to_2019_names_what_a_regulator_looks_for() -> None:
    diff = diff_files(parse_file(RULES / "power.rule"), parse_file(RULES / "power-2019.rule"))
    changes = {(c.section, c.name, c.item): c for c in diff.changes}
    coal_heat = changes["table", "heat_benchmark", "coal"]
    assert (coal_heat.old, coal_heat.new, coal_heat.note) == ("0.1118", "0.126", "+12.7 %")
    assert changes["table", "supply_benchmark", "usc_1000"].action == "removed"
    assert changes["table", "supply_benchmark", "gas"].new.startswith("0.392")
    assert changes["preallocation", "share", "base year"].new == "2018"
    assert changes["input", "category", "type"].new == "unit_code"
    assert ("bracket", "low_calorific_factor", None) in changes


def test_a_file_differs_in_nothing_from_itself_reordered_and_relaid() -> None:
    text = (RULES / "power.rule").read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    random.Random(7).shuffle(blocks)
    relaid = "\n\n\n".join(b.replace(" = ", "   =   ").replace("    ", "\t") for b in blocks)
    assert diff_files(parse(text, "a"), parse(text, "b")).edits == ()
    assert diff_files(parse(text, "a"), parse(relaid, "b")).edits == ()


def test_formula_notes_name_the_factor_added_or_removed() -> None:
    text = (RULES / "cement.rule").read_text(encoding="utf-8")
    new = text.replace("clinker_t * clinker_benchmark * (1 + coprocessing_uplift)",
                       "clinker_t * clinker_benchmark")
    diff = diff_files(parse(text, "old"), parse(new, "new"))
    [change] = [c for c in diff.changes if c.name == "clinker_allowance"]
    assert change.note == "factor (1 + coprocessing_uplift) removed"


def test_diff_of_a_committed_version(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    rule = tmp_path / "cement.rule"
    text = (RULES / "cement.rule").read_text(encoding="utf-8")
    rule.write_text(text, encoding="utf-8")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "cement.rule"], check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], check=True)
    rule.write_text(text.replace("0.8534 tCO2/t", "0.8400 tCO2/t"), encoding="utf-8")
    status, out, err = cli("diff", f"{rule}@HEAD", str(rule), "--format", "json")
    assert status == 0, err
    [edit] = json.loads(out)["edits"]
    assert edit["changes"][0]["old"] == "0.8534 tCO2/t"
    assert edit["changes"][0]["note"] == "-1.6 %"
    status, _, err = cli("diff", f"{rule}@no-such-rev", str(rule))
    assert status == 1 and "git cannot show it" in err and "Traceback" not in err


def test_bad_diffs_are_reported_not_raised(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    status, _, err = cli("diff", str(RULES / "power.rule"), str(RULES / "cement.rule"),
                         "--data", str(SAMPLE_2017))
    assert status == 1 and "different sectors" in err
    broken = tmp_path / "broken.rule"
    broken.write_text((RULES / "cement.rule").read_text(encoding="utf-8")
                      .replace("allocation =", "allocation"), encoding="utf-8")
    status, _, err = cli("diff", str(RULES / "cement.rule"), str(broken))
    assert status == 1 and f"{broken}:" in err and "Traceback" not in err
    status, _, err = cli("diff", str(RULES), str(RULES / "power-2019.rule"))
    assert status == 1 and "a directory; give one rule file" in err
    status, _, err = cli("diff", str(RULES / "power.rule"),
                         str(RULES / "power-2019.rule"), "--format", "csv")
    assert status == 1 and "give --data" in err
    listed = tmp_path / "problems.csv"
    status, _, err = cli("diff", str(RULES / "power.rule"), str(RULES / "power-2019.rule"),
                         "--problems", str(listed))
    assert status == 1 and "--problems goes with --data" in err
    status, _, err = cli("diff", str(RULES / "power.rule"), str(RULES / "power-2019.rule"),
                         "--data", str(SAMPLE_2017), "--problems", str(listed))
    with open(listed, newline="", encoding="utf-8") as handle:
        problems = list(csv.DictReader(handle))
    assert status == 1 and f"every problem: {listed}" in err and problems
    assert {(p["field"], p["message"]) for p in problems} == {
        ("pure_condensing", "under 2019-2020-plan: is required but empty")}


def test_batch_and_exact_steps_attribute_alike() -> None:
    rules = load_rules()
    old, new = rules.in_force(2017)["power"], rules.in_force(2019)["power"]
    batch, exact = (impact(old, new, read_data(SAMPLE_2019), NO_LOCAL_FACTORS, rules.rules,
                           exact=flag) for flag in (False, True))
    assert [s.title for s in batch.steps] == [s.title for s in exact.steps]
    for a, b in zip(batch.facilities, exact.facilities, strict=True):
        assert (a.facility_id, a.old, a.new) == (b.facility_id, b.old, b.new)
        assert all(abs(x - y) < Decimal("1e-6") for x, y in zip(a.parts, b.parts, strict=True))


def test_the_impact_agrees_with_allocating_under_each_version() -> None:
    rules = load_rules()
    old, new = rules.in_force(2017)["power"], rules.in_force(2019)["power"]
    result = impact(old, new, read_data(SAMPLE_2019), NO_LOCAL_FACTORS, rules.rules)
    before = {f.facility_id: f.allocation for f in allocate(SAMPLE_2019, 2017).facilities}
    after = {f.facility_id: f.allocation for f in allocate(SAMPLE_2019, 2019).facilities}
    assert {f.facility_id: (f.old, f.new) for f in result.facilities} == {
        k: (before[k], after[k]) for k in after}
    with decimal.localcontext(EXACT):
        for f in result.facilities:
            assert sum(f.parts, Decimal(0)) + f.rounding == f.change


POWER_TEXT = (RULES / "power.rule").read_text(encoding="utf-8")
EDITS = {
    "usc_1000": ("usc_1000       0.8066", "usc_1000       {}"),
    "gas_f_plus": ("gas_f_plus     0.3795", "gas_f_plus     {}"),
    "air": ("air    1.05", "air    {}"),
    "coal_heat": ("coal  0.25", "coal  {}"),
    "heat_benchmark": ("coal  0.1118", "coal  {}"),
    "no_local_factor": ("* local_factor\n", "\n"),
    "no_fuel_factor": ("* heat_supply_factor * fuel_factor", "* heat_supply_factor"),
    "heat_doubled": ("heat_allowance \"供热配额\" = heat_supplied_gj",
                     "heat_allowance \"供热配额\" = 2 * heat_supplied_gj"),
}
VALUES = st.decimals(min_value=Decimal("0.05"), max_value=Decimal("1.5"), places=4)
# The heat-supply factor 1 - c * heat ratio must stay within its ensure [0.75, 1], so the
# coal coefficient may only move down from the draft's 0.25.
CEILING = {"coal_heat": Decimal("0.25")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chosen=st.sets(st.sampled_from(sorted(EDITS)), min_size=1), values=st.lists(
    VALUES, min_size=len(EDITS), max_size=len(EDITS)), factor=VALUES, exact=st.booleans())
def test_attribution_adds_up_to_the_change_exactly(chosen: set[str], values: list[Decimal],
                                                   factor: Decimal, exact: bool) -> None:
    text = POWER_TEXT
    for name, value in zip(sorted(EDITS), values, strict=True):
        if name in chosen:
            old, new = EDITS[name]
            value = min(value, CEILING.get(name, value))
            text = text.replace(old, new.format(value) if "{}" in new else new)
    old_rule = rules_from_text(POWER_TEXT, "old.rule").rules[0]
    new_rule = rules_from_text(text, "new.rule").rules[0]
    factors = NO_LOCAL_FACTORS if factor > 1 else read_local_factors(
        {("hebei", "power"): factor}, ["power"])
    result = impact(old_rule, new_rule, read_data(SAMPLE_2017), factors,
                    load_rules().rules, exact=exact)
    with decimal.localcontext(EXACT):  # parts carry more digits than the default 28
        for f in result.facilities:
            assert sum(f.parts, Decimal(0)) + f.rounding == f.new - f.old
            assert abs(f.rounding) < 1 + Decimal("1e-6")  # batch steps: float departure
        totals = result.totals()
        assert sum(result.step_totals(), Decimal(0)) + result.rounding_total() \
            == totals["change"]
    assert len(result.steps) <= len(chosen)


def test_a_unit_a_version_cannot_evaluate_is_reported_under_that_version(
        tmp_path: Path) -> None:
    """Both versions are evaluated exactly; a unit that breaks the new version's ensure is
    named, with its row, and the version that stops it."""
    body = 'input y: tCO2 in [0, inf) "y"\ninput r: 1 in [0, 1] "r"\nlet f = 1 - r\n'
    old = rules_from_text(HEAD + body + "allocation = y\n", "old.rule").rules[0]
    new = rules_from_text(HEAD.replace('"v1"', '"v2"') + body + "allocation = y * f\n"
                          "ensure f in (0, 1]\n", "new.rule").rules[0]
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,y,r\n"
                    "F-1,U-1,test,hebei,10,0.5\nF-1,U-2,test,hebei,10,1\nF-2,U-3,test,hebei,10,0\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as raised:
        impact(old, new, read_data(data), NO_LOCAL_FACTORS)
    [problem] = raised.value.problems
    assert (problem.row, problem.unit_id) == (3, "U-2")
    assert problem.message.startswith("under v2: 'f' = 0 breaks 'ensure f in (0, 1]'")
