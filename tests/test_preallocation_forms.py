"""The forms of pre-allocation (domain contract 12): a base year up to the first
effective year, the year before each allocation year, or none at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rule_texts import HEAD

import peie
from peie.api import preallocate, read_data, trueup
from peie.errors import RuleError, UsageError
from peie.ruleset import rules_from_text

BODY = """input output_t: t in [0, inf)
param benchmark = 0.8534 tCO2/t
allocation = output_t * benchmark
"""
ROWS = [{"facility_id": "F-1", "unit_id": "U-1", "sector": "test", "province": "hebei",
         "output_t": "1000"},
        {"facility_id": "F-2", "unit_id": "U-2", "sector": "test", "province": "hebei",
         "output_t": "10"}]


def rules(preallocation: str) -> Any:
    head = HEAD.replace("preallocation 50 % of base year 2015\n", preallocation + "\n")
    return rules_from_text(head + BODY, "test.rule")


def test_a_base_year_may_be_the_first_effective_year_but_not_after() -> None:
    assert rules("preallocation 70 % of base year 2017").rules[0].base_year_for(2018) == 2017
    with pytest.raises(RuleError) as raised:
        rules("preallocation 70 % of base year 2018")
    (problem,) = raised.value.diagnostics
    assert "base year 2018 comes after the first effective year 2017" in problem.message


def test_of_previous_year_takes_the_year_before_each_allocation_year(tmp_path: Path) -> None:
    ruleset = rules("preallocation 70 % of previous year")
    (rule,) = ruleset.rules
    assert (rule.base_year, rule.base_year_for(2017), rule.base_year_for(2018)) == (
        None, 2016, 2017)
    run = preallocate(read_data(ROWS), 2018, ledger=tmp_path / "l.sqlite", rules=ruleset)
    # By hand: 1000 t x 0.8534 = 853.4 tCO2, 70 % = 597.38 -> 597; 10 t: 5.9738 -> 6.
    assert [(p.facility_id, p.preallocation) for p in run.items] == [("F-1", 597), ("F-2", 6)]


def test_no_preallocation_issues_everything_at_the_trueup(tmp_path: Path) -> None:
    ruleset = rules("preallocation none")
    ledger = tmp_path / "l.sqlite"
    with pytest.raises(UsageError, match="pre-allocate nothing"):
        preallocate(read_data(ROWS), 2017, ledger=ledger, rules=ruleset)
    assert not ledger.exists() or not peie.api.ledger_entries(ledger).entries
    run = trueup(read_data(ROWS), 2017, ledger=ledger, rules=ruleset)
    # By hand: 853.4 -> 853 and 8.534 -> 9, all issued now, nobody a new entrant.
    assert [(t.facility_id, t.final, t.preallocation, t.trueup, t.new_entrant)
            for t in run.items] == [("F-1", 853, 0, 853, False), ("F-2", 9, 0, 9, False)]


def test_fmt_and_diff_know_the_forms(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = tmp_path / "old.rule", tmp_path / "new.rule"
    head = HEAD.replace("preallocation 50 % of base year 2015\n", "")
    old.write_text(head + BODY + "preallocation 70 % of previous year\n", encoding="utf-8")
    new.write_text(head + BODY + "preallocation none\n", encoding="utf-8")
    status, out, _ = cli("diff", str(old), str(new), "--format", "json")
    assert status == 0
    changes = [c for e in json.loads(out)["edits"] for c in e["changes"]]
    assert {(c["item"], c["old"], c["new"]) for c in changes} == {
        ("form", "previous year", "none"), ("share", "70 %", None)}
    status, out, err = cli("fmt", "--check", str(old), str(new))
    assert status == 0, out + err


def test_trueup_under_no_preallocation_warns_of_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rule = tmp_path / "test.rule"
    rule.write_text(HEAD.replace("preallocation 50 % of base year 2015\n",
                                 "preallocation none\n") + BODY, encoding="utf-8")
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,output_t\n"
                    "F-1,U-1,test,hebei,1000\n", encoding="utf-8")
    status, out, err = cli("trueup", str(data), "--year", "2017", "--rules", str(rule),
                           "--ledger", str(tmp_path / "l.sqlite"), "--format", "json")
    assert status == 0, err
    assert "new entrant" not in err and json.loads(out)["new_entrants"] == []
