"""Compliance obligations (清缴义务, domain contract 13): what a unit and its facility owe,
as the rule files state it, worked by hand; and the invariants of the bundled power plans."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_texts import HEAD

from peie.api import position, read_data
from peie.errors import RuleError
from peie.issuance.position import unit_emissions, unit_obligations
from peie.ruleset import load_rules, rules_from_text

ROOT = Path(__file__).resolve().parent.parent
BODY = """enum fuel {
    coal  "燃煤"
    gas   "燃气"
}
input fuel: fuel
input output_t: t in [0, inf)
param factor = 1 tCO2/t
param cap = 20 %
allocation = output_t * factor
"""
OBLIGATIONS = """obligation =
    if fuel == gas and verified_emissions > unit_allocation then unit_allocation
    else verified_emissions
obligation facility =
    if facility_obligations > facility_allocation + cap * facility_emissions then
        facility_allocation + cap * facility_emissions
    else facility_obligations
"""


def unit(facility: str, unit_id: str, fuel: str, output: str, emissions: str) -> dict[str, str]:
    return {"facility_id": facility, "unit_id": unit_id, "sector": "test",
            "province": "hebei", "fuel": fuel, "output_t": output,
            "verified_emissions_t": emissions}


UNITS = [
    unit("F-1", "G-1", "gas", "100", "120"),    # a gas unit owes at most its allocation
    unit("F-1", "C-1", "coal", "200", "260"),
    unit("F-2", "C-2", "coal", "100", "200"),   # short by more than 20 %: capped
    unit("F-3", "G-3", "gas", "100", "80"),     # under its allocation: owes its emissions
    unit("F-4", "C-4", "coal", "10.4", "10.5"),  # whole tonnes: 10 allocated, 10.5 owed -> 11
]


def test_the_compliance_rules_worked_by_hand() -> None:
    report = position(read_data(UNITS), 2017,
                      rules=rules_from_text(HEAD + BODY + OBLIGATIONS, "test.rule"))
    got = {f.facility_id: (f.allocation, f.emissions, f.obligation, f.balance)
           for f in report.facilities}
    # F-1: units owe 100 (gas, capped at its 100 t allocation) + 260 = 360; the cap is
    #      300 + 20 % x 380 = 376, above 360: owes 360.
    # F-2: owes 200 but the cap is 100 + 20 % x 200 = 140: owes 140.
    # F-3: the gas unit emitted 80 < 100 allocated: owes 80.
    # F-4: allocated 10.4 -> 10; owes 10.5 (cap 10 + 2.1 = 12.1), half up -> 11.
    assert got == {"F-1": (300, Decimal(380), 360, -60), "F-2": (100, Decimal(200), 140, -40),
                   "F-3": (100, Decimal(80), 80, 20), "F-4": (10, Decimal("10.5"), 11, -1)}
    (sector,) = report.sectors
    assert (sector.short, sector.shortfall, sector.surplus, sector.obligation) == (
        3, 101, 20, 591)


def test_a_version_without_compliance_rules_owes_the_verified_emissions() -> None:
    report = position(read_data(UNITS), 2017, rules=rules_from_text(HEAD + BODY, "test.rule"))
    # By hand: 380, 200, 80 and 10.5 -> 11 (half up).
    assert [(f.facility_id, f.obligation) for f in report.facilities] == [
        ("F-1", 380), ("F-2", 200), ("F-3", 80), ("F-4", 11)]


@pytest.mark.parametrize(("formulas", "said"), [
    ("obligation = verified_emissions * factor", "obligation must be in tCO2"),
    ("obligation = output_t", "obligation must be in tCO2"),
    ("obligation facility = facility_obligations + output_t * factor",
     "reads the facility's sums (facility_emissions, facility_obligations, "
     "facility_allocation) and parameters, not 'output_t'"),
    ("obligation = facility_emissions", "'facility_emissions' is known only in "
                                        "'obligation facility = ...'"),
    ("obligation facility = verified_emissions",
     "'verified_emissions' is known only in 'obligation = ...'"),
    ("obligation = verified_emissions\nobligation = unit_allocation",
     "'obligation' is declared twice"),
])
def test_mistakes_in_the_compliance_rules_are_diagnosed(formulas: str, said: str) -> None:
    with pytest.raises(RuleError) as raised:
        rules_from_text(HEAD + BODY.replace("allocation = output_t * factor\n",
                                            "allocation = output_t * factor\n" + formulas
                                            + "\n"), "test.rule")
    messages = [d.message for d in raised.value.diagnostics]
    assert any(said in m for m in messages), messages
    assert all(d.span.line > 8 for d in raised.value.diagnostics)  # in the body, not the head


def test_the_built_in_names_cannot_be_declared() -> None:
    with pytest.raises(RuleError, match="'verified_emissions' is built in"):
        rules_from_text(HEAD + BODY + "input verified_emissions: tCO2 in [0, inf)\n", "t.rule")


def test_an_allocation_formula_cannot_read_the_compliance_values() -> None:
    with pytest.raises(RuleError, match="'verified_emissions' is known only in 'obligation"):
        rules_from_text(HEAD + BODY.replace("output_t * factor", "verified_emissions"),
                        "test.rule")


def test_the_chinese_keyword_states_the_same_rule() -> None:
    english = rules_from_text(HEAD + BODY + OBLIGATIONS, "test.rule")
    chinese = rules_from_text(HEAD + BODY + OBLIGATIONS.replace("obligation facility =",
                                                                "清缴 企业 =")
                              .replace("obligation =", "清缴 ="), "test.rule")
    pick = position(read_data(UNITS), 2017, rules=english).facilities
    assert position(read_data(UNITS), 2017, rules=chinese).facilities == pick


# ---- the bundled power plans ------------------------------------------------------

SAMPLE_2019 = ROOT / "samples" / "units_2019.csv"
with SAMPLE_2019.open(encoding="utf-8", newline="") as handle:
    ROWS_2019 = list(csv.DictReader(handle))


@settings(max_examples=15, deadline=None, derandomize=True)
@given(scales=st.lists(st.sampled_from(["0", "0.5", "0.9", "1", "1.1", "1.3", "2.5"]),
                       min_size=len(ROWS_2019), max_size=len(ROWS_2019)),
       year=st.sampled_from([2019, 2021, 2022]))
def test_the_power_plans_compliance_invariants(scales: list[str], year: int) -> None:
    rows = [{**row, "verified_emissions_t": str(Decimal(row["verified_emissions_t"])
                                                * Decimal(scale))}
            for row, scale in zip(ROWS_2019, scales, strict=True)]
    report = position(read_data(rows), year)
    compiled = dict(report.result.compiled or {})
    emissions = unit_emissions(report.result.units, compiled, "units")
    owed = unit_obligations(report.result.units, compiled, emissions, "units")
    for u in report.result.units:
        assert owed[u.unit_id] <= emissions[u.unit_id][0]  # never more than emitted
        if u.record.values["category"] in {"gas", "gas_f_plus", "gas_below_f"}:
            assert owed[u.unit_id] <= u.allocation  # a gas unit: never more than allocated
    for f in report.facilities:
        assert f.obligation <= f.emissions.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        # The 20 % cap: a shortfall is at most 20 % of the verified emissions (and the
        # half tonne of rounding).
        assert -f.balance <= f.emissions * Decimal("0.2") + Decimal("0.5")


def test_every_power_plan_since_2019_states_the_compliance_rules() -> None:
    for rule in load_rules().rules:
        stated = rule.obligation is not None and rule.facility_obligation is not None
        assert stated == (rule.sector == "power" and rule.effective[0] >= 2019), rule.path
