"""Worked examples per sector, computed by hand from domain.md §2 with the arithmetic shown,
against the bundled 2017 rule files."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from peie.exact.compiler import CompiledRule, EvaluationError, compile_rule
from peie.ruleset import load_rules

RULES = load_rules().in_force(2017)


def compiled(sector: str) -> CompiledRule:
    return compile_rule(RULES[sector])


def power(**values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "category": "subc_300", "cooling": "water", "electricity_supplied_mwh": D("0"),
        "heat_supplied_gj": D("0"), "heat_ratio": D("0"), "calorific_value_kcal_per_kg": None,
    }
    row.update(values)
    return row


def test_power_sub_critical_300_water_cooled_no_heat() -> None:
    # 1 500 000 MWh x 0.9266 tCO2/MWh x 1 (water) x (1 - 0.25 x 0) x 1 = 1 389 900 tCO2
    row = power(electricity_supplied_mwh=D("1500000"))
    assert compiled("power").allocate(row, D(1)) == D("1389900")


def test_power_air_cooled_coal_unit_with_heat() -> None:
    # supply: 2 000 000 MWh x 0.8610 = 1 722 000; x 1.05 (air) = 1 808 100;
    #         x (1 - 0.25 x 0.2 = 0.95) = 1 717 695 tCO2
    # heat:   3 000 000 GJ x 0.1118 tCO2/GJ = 335 400 tCO2;  total 2 053 095 tCO2
    row = power(category="sc_600", cooling="air", electricity_supplied_mwh=D("2000000"),
                heat_supplied_gj=D("3000000"), heat_ratio=D("0.2"))
    assert compiled("power").allocate(row, D(1)) == D("2053095")


def test_power_gas_unit_heat_factor_uses_0_6() -> None:
    # supply: 800 000 MWh x 0.3795 x 1 x (1 - 0.6 x 0.5) = 303 600 x 0.7 = 212 520
    # heat:   1 000 000 GJ x 0.0602 = 60 200;  total 272 720
    row = power(category="gas_f_plus", electricity_supplied_mwh=D("800000"),
                heat_supplied_gj=D("1000000"), heat_ratio=D("0.5"))
    assert compiled("power").allocate(row, D(1)) == D("272720")


@pytest.mark.parametrize(("calorific", "factor"), [
    (D("2999.9"), D("1.03")), (D("3000"), D("1")), (D("4500"), D("1")),
])
def test_power_cfb_calorific_factor(calorific: D, factor: D) -> None:
    # 100 000 MWh x 1.1597 x 1 x 1 x factor = 115 970 x factor
    row = power(category="cfb_below_300", electricity_supplied_mwh=D("100000"),
                calorific_value_kcal_per_kg=calorific)
    assert compiled("power").allocate(row, D(1)) == D("115970") * factor


def test_power_calorific_value_is_ignored_for_other_categories() -> None:
    # 100 000 MWh x 0.9266 = 92 660: the low calorific value does not apply to subc_300
    row = power(electricity_supplied_mwh=D("100000"), calorific_value_kcal_per_kg=D("2500"))
    assert compiled("power").allocate(row, D(1)) == D("92660")


def test_power_cfb_without_calorific_value_is_an_evaluation_error() -> None:
    row = power(category="cfb_300_plus", electricity_supplied_mwh=D("1"))
    with pytest.raises(EvaluationError, match="'calorific_value_kcal_per_kg' is empty but "
                                              r"needed by the rule \(.*power.rule:\d+\)"):
        compiled("power").allocate(row, D(1))


def test_power_local_factor_multiplies_supply_and_heat() -> None:
    # (92 660 + 10 000 GJ x 0.1118 = 1 118) x 0.98 = 93 778 x 0.98 = 91 902.44
    row = power(electricity_supplied_mwh=D("100000"), heat_supplied_gj=D("10000"))
    assert compiled("power").allocate(row, D("0.98")) == D("91902.44")


@pytest.mark.parametrize(("waste", "uplift"), [
    (D("0"), D("0")), (D("29999.99"), D("0")), (D("30000"), D("0.01")),
    (D("49999"), D("0.01")), (D("50000"), D("0.02")), (D("99999.5"), D("0.02")),
    (D("100000"), D("0.03")), (D("250000"), D("0.03")),
])
def test_cement_coprocessing_brackets(waste: D, uplift: D) -> None:
    # 1 000 000 t clinker x 0.8534 tCO2/t = 853 400 tCO2, x (1 + uplift)
    row = {"clinker_t": D("1000000"), "coprocessed_waste_t": waste}
    assert compiled("cement").allocate(row, D(1)) == D("853400") * (1 + uplift)


def test_cement_local_factor_applies_to_the_uplift_too() -> None:
    # 1 200 000 x 0.8534 = 1 024 080; x 1.02 = 1 044 561.6; x 0.99 = 1 034 115.984
    row = {"clinker_t": D("1200000"), "coprocessed_waste_t": D("60000")}
    assert compiled("cement").allocate(row, D("0.99")) == D("1034115.984")


def test_aluminium() -> None:
    # 250 000 t molten aluminium x 9.1132 tCO2/t = 2 278 300 tCO2
    row = {"molten_aluminium_t": D("250000")}
    assert compiled("aluminium").allocate(row, D(1)) == D("2278300")


def test_aluminium_emissions_use_the_national_grid_factor() -> None:
    # 400 000 t direct + 3 000 000 MWh x 0.6858 tCO2/MWh = 400 000 + 2 057 400 = 2 457 400
    rule = compiled("aluminium")
    assert rule.emissions is not None
    row = {"molten_aluminium_t": D("1"), "direct_emissions_t": D("400000"),
           "electricity_consumed_mwh": D("3000000")}
    assert rule.emissions(row, D(1)) == D("2457400")


def test_shares_and_base_year() -> None:
    assert {s: (r.preallocation_share, r.base_year) for s, r in RULES.items()} == {
        "power": (D("0.7"), 2015), "cement": (D("0.5"), 2015), "aluminium": (D("0.5"), 2015)}


def test_all_eleven_power_benchmarks() -> None:
    table = RULES["power"].tables["supply_benchmark"].values
    assert table == {
        "usc_1000": D("0.8066"), "usc_600": D("0.8267"), "sc_600": D("0.8610"),
        "sc_300": D("0.8748"), "subc_600": D("0.8928"), "subc_300": D("0.9266"),
        "hp_below_300": D("1.0177"), "cfb_300_plus": D("0.9565"),
        "cfb_below_300": D("1.1597"), "gas_f_plus": D("0.3795"), "gas_below_f": D("0.5192"),
    }
