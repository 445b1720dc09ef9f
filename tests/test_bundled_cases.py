"""The bundled rules ship with their cases (rules/NAME.cases.yaml), which pass, exercise
every table row, bracket row and edge side and branch of every bundled rule file, and
expect what the formulas written by hand (tests/hand_cases.py) compute."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from fnmatch import fnmatch
from pathlib import Path

import hand_cases as hand
import pytest

from peie import api
from peie.data.cases import Case, read_case_file
from peie.ruleset import bundled_rule_paths

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
CASE_FILES = sorted(RULES.glob("*.cases.yaml"))


def test_every_bundled_rule_file_has_its_cases_and_both_are_installed() -> None:
    rules = sorted(p.name for p in RULES.glob("*.rule"))
    assert [p.name for p in CASE_FILES] == [n.replace(".rule", ".cases.yaml") for n in rules]
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["peie.rules"]
    shipped = [p.name for p in RULES.iterdir() if p.is_file() and p.name != "__init__.py"]
    assert all(any(fnmatch(name, pattern) for pattern in patterns) for name in shipped)
    folder = bundled_rule_paths()[0].parent
    assert sorted(p.name for p in folder.glob("*.cases.yaml")) == [p.name for p in CASE_FILES]


def test_the_bundled_cases_pass_and_exercise_everything() -> None:
    run = api.run_cases()
    assert run.passed and len(run.results) >= 50
    assert {Path(f.path).name for f in run.files} == {p.name for p in CASE_FILES}
    assert sorted(Path(c.rule.path).name for c in run.coverage) == sorted(
        p.name for p in RULES.glob("*.rule"))
    missing = [f"{c.rule.path}:{i.line}: {i.text}" for c in run.coverage for i in c.missing]
    assert not missing, "\n".join(missing)


def _hand(case: Case) -> dict[tuple[str, str, str | None], Decimal]:
    """(kind, key, sector) -> the amount by hand, for every amount the case can pin."""
    factors = {(r["province"], r["sector"]): Decimal(str(r["factor"]))
               for r in case.rows.get("local_factors", ())}
    units = hand.unit_amounts(case.year, case.rows["units"], factors)
    base = hand.unit_amounts(case.year, case.base_rows, factors, basis=True)
    final = hand.facility_amounts(units)
    pre = hand.facility_amounts(base, lambda sector: hand.share(case.year, sector))
    settled = {key: amount - pre.get(key, 0) for key, amount in final.items()}
    out: dict[tuple[str, str, str | None], Decimal] = {}
    out.update({("units", unit, None): amount for unit, (_, _, amount) in units.items()})
    out.update({("emissions", row["unit_id"], None): hand.emissions(row)
                for row in case.rows["units"]})
    owed = (hand.obligations(case.year, case.rows["units"], units)
            if any(e.kind == "obligations" for e in case.expected) else {})
    for kind, amounts in (("facilities", final), ("preallocations", pre),
                          ("trueups", settled), ("obligations", owed)):
        for (facility, sector), amount in amounts.items():
            out[(kind, facility, sector)] = Decimal(amount)
            total = out.get((kind, facility, None), Decimal(0))
            out[(kind, facility, None)] = total + amount
    return out


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_expected_amount_is_what_the_formulas_by_hand_give(path: Path) -> None:
    checked = 0
    for case in read_case_file(path).cases:
        if not case.expected:
            continue
        by_hand = _hand(case)
        for expected in case.expected:
            key = (expected.kind, expected.key, expected.sector)
            assert expected.value == by_hand[key], (case.name, key, by_hand[key])
            checked += 1
    assert checked >= 10
