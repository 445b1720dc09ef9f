"""The later power versions (2019-2020 plan, 2021 and 2022 benchmarks): worked examples by
hand from domain.md §3, the 2017 code mapping, the load-factor correction's pieces, the
pre-allocation basis, and version coverage checks."""

from __future__ import annotations

import csv
import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peie.api import allocate as allocate_exact
from peie.batch.evaluate import batch_allocate
from peie.cli import main
from peie.data.columns import read_columns
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.dsl.errors import RuleError
from peie.exact.compiler import CONTEXT, compile_rule
from peie.ruleset import load_rules, rules_from_text

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules()
V2019, V2021, V2022 = (RULES.in_force(y)["power"] for y in (2019, 2021, 2022))
SAMPLE_2018 = ROOT / "samples" / "units_2018.csv"
SAMPLE_2019 = ROOT / "samples" / "units_2019.csv"

MAPPING = {
    "usc_1000": "coal_above_300", "usc_600": "coal_above_300", "sc_600": "coal_above_300",
    "subc_600": "coal_above_300", "sc_300": "coal_300_below", "subc_300": "coal_300_below",
    "hp_below_300": "coal_300_below", "cfb_300_plus": "coal_unconventional",
    "cfb_below_300": "coal_unconventional", "gas_f_plus": "gas", "gas_below_f": "gas",
}


D = Decimal


def unit(**values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "category": "coal_above_300", "cooling": "water", "electricity_supplied_mwh": D("0"),
        "heat_supplied_gj": D("0"), "heat_ratio": D("0"), "pure_condensing": "no",
        "load_factor": None,
    }
    row.update(values)
    return row


def allocate(rule, row: dict[str, object]) -> Decimal:  # type: ignore[no-untyped-def]
    return compile_rule(rule).allocate(row, D(1))


def test_metadata_of_the_later_versions() -> None:
    assert (V2019.version, V2019.status, V2019.effective) == ("2019-2020-plan", "secondary",
                                                               (2019, 2020))
    assert (V2019.base_year, V2019.preallocation_share) == (2018, D("0.70"))
    assert V2021.effective == (2021, 2021) and V2022.effective == (2022, 2022)
    assert RULES.in_force(2020)["power"] is V2019
    assert RULES.in_force(2018)["power"].version == "2017-draft"


@pytest.mark.parametrize(("load", "correction"), [
    (D("0.95"), D("1")),
    (D("0.85"), D("1")),                                  # F >= 85 %
    (D("0.82"), D("1.0042")),                             # 1 + 0.0014 x (85 - 82)
    (D("0.80"), D("1.007")),                              # 1 + 0.0014 x 5: the pieces meet
    (D("0.77"), D("1.0118")),                             # 1.007 + 0.0016 x (80 - 77)
    (D("0.75"), D("1.015")),                              # 1.007 + 0.0016 x 5 = 1.015^1
])
def test_load_factor_correction_pieces(load: Decimal, correction: Decimal) -> None:
    # 1 000 000 MWh x 0.877 tCO2/MWh x 1 (water) x 1 (no heat) x correction
    row = unit(category="usc_600", electricity_supplied_mwh=D("1000000"),
               pure_condensing="yes", load_factor=load)
    assert allocate(V2019, row) == D("877000") * correction


def test_low_load_factor_uses_the_power_law() -> None:
    # F = 49 %: 1.015^(16 - 20 x 0.49) = 1.015^6.2, about +9.7 % (domain.md §3)
    row = unit(electricity_supplied_mwh=D("1000000"), pure_condensing="yes",
               load_factor=D("0.49"))
    with localcontext(CONTEXT):
        expected = D("877000") * D("1.015") ** D("6.2")
    assert allocate(V2019, row) == expected
    assert D("1.096") < allocate(V2019, row) / D("877000") < D("1.098")


def test_air_cooled_chp_coal_unit_without_load_correction() -> None:
    # sc_300 -> coal_300_below 0.979; 2 000 000 MWh x 0.979 = 1 958 000; x 1.05 (air)
    # = 2 055 900; x (1 - 0.22 x 0.2 = 0.956) = 1 965 440.4
    # heat: 3 000 000 GJ x 0.126 = 378 000;  total 2 343 440.4 tCO2
    row = unit(category="sc_300", cooling="air", electricity_supplied_mwh=D("2000000"),
               heat_supplied_gj=D("3000000"), heat_ratio=D("0.2"))
    assert allocate(V2019, row) == D("2343440.4")


def test_gas_unit_needs_no_cooling_and_gets_no_load_correction() -> None:
    # 800 000 MWh x 0.392 = 313 600; x (1 - 0.6 x 0.5) = 219 520; heat 1 000 000 x 0.059
    # = 59 000;  total 278 520 tCO2
    row = unit(category="gas_f_plus", cooling=None, electricity_supplied_mwh=D("800000"),
               heat_supplied_gj=D("1000000"), heat_ratio=D("0.5"), pure_condensing="yes",
               load_factor=D("0.5"))
    assert allocate(V2019, row) == D("278520")


def test_unconventional_coal_gets_no_load_correction() -> None:
    # cfb_below_300 -> coal_unconventional: 100 000 MWh x 1.146 = 114 600 tCO2
    row = unit(category="cfb_below_300", electricity_supplied_mwh=D("100000"),
               pure_condensing="yes", load_factor=D("0.5"))
    assert allocate(V2019, row) == D("114600")


@pytest.mark.parametrize(("rule", "supply", "heat"), [
    (V2021, ("0.8218", "0.8773", "0.9350", "0.3920"), ("0.1111", "0.0560")),
    (V2022, ("0.8177", "0.8729", "0.9303", "0.3901"), ("0.1105", "0.0557")),
])
def test_2021_and_2022_benchmarks(rule, supply: tuple[str, ...], heat: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    # 1 000 MWh and 1 000 GJ, water-cooled, no heat ratio: 1000 x supply + 1000 x heat
    categories = ("coal_above_300", "coal_300_below", "coal_unconventional", "gas")
    for category, benchmark in zip(categories, supply, strict=True):
        fuel_heat = heat[1] if category == "gas" else heat[0]
        row = unit(category=category, electricity_supplied_mwh=D("1000"),
                   heat_supplied_gj=D("1000"))
        assert allocate(rule, row) == 1000 * D(benchmark) + 1000 * D(fuel_heat)


numbers = st.decimals(min_value=0, max_value=10**7, places=3)
fractions = st.decimals(min_value=0, max_value=1, places=4)


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from(sorted(MAPPING)), supply=numbers, heat=numbers, ratio=fractions,
       cooling=st.sampled_from(["water", "air"]), pure=st.sampled_from(["yes", "no"]),
       load=fractions, version=st.sampled_from([V2019, V2021, V2022]))
def test_a_2017_code_allocates_as_the_category_it_maps_to(
        code: str, supply: Decimal, heat: Decimal, ratio: Decimal, cooling: str, pure: str,
        load: Decimal, version) -> None:  # type: ignore[no-untyped-def]
    row = unit(category=code, cooling=cooling, electricity_supplied_mwh=supply,
               heat_supplied_gj=heat, heat_ratio=ratio, pure_condensing=pure, load_factor=load)
    mapped = dict(row, category=MAPPING[code])
    assert allocate(version, row) == allocate(version, mapped)
    assert allocate(version, row) >= 0


def test_load_factor_is_required_only_where_it_applies(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    header = ("facility_id,unit_id,sector,province,category,cooling,electricity_supplied_mwh,"
              "heat_supplied_gj,heat_ratio,pure_condensing,load_factor\n")
    data = tmp_path / "units.csv"
    data.write_text(header
                    + "F1,U1,power,hebei,usc_600,water,1000,0,0,yes,\n"      # missing: error
                    + "F1,U2,power,hebei,gas_f_plus,,1000,0,0,yes,\n"        # gas: not needed
                    + "F1,U3,power,hebei,sc_300,water,1000,0,0,no,\n",       # CHP: not needed
                    encoding="utf-8")
    assert main(["allocate", str(data), "--year", "2019"]) == 1
    err = capsys.readouterr().err
    assert "row 2 (unit U1), field 'load_factor'" in err
    assert "U2" not in err and "U3" not in err


def _hand_2019_basis(row: dict[str, str]) -> Decimal:
    """The 2019-2020 pre-allocation basis by hand: supply x benchmark x cooling x heat-supply
    factor + heat x heat benchmark, without the load-factor correction."""
    category = MAPPING.get(row["category"], row["category"])
    gas = category == "gas"
    benchmark = {"coal_above_300": "0.877", "coal_300_below": "0.979",
                 "coal_unconventional": "1.146", "gas": "0.392"}[category]
    cooling = D("1.05") if row["cooling"] == "air" and not gas else D(1)
    heat_factor = 1 - (D("0.6") if gas else D("0.22")) * D(row["heat_ratio"])
    return (D(row["electricity_supplied_mwh"]) * D(benchmark) * cooling * heat_factor
            + D(row["heat_supplied_gj"]) * (D("0.059") if gas else D("0.126")))


def test_2019_preallocation_leaves_out_the_load_factor_correction(
        tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    ledger = str(tmp_path / "ledger.sqlite")
    status = main(["preallocate", str(SAMPLE_2018), "--year", "2019", "--ledger", ledger,
                   "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    pre = json.loads(out)
    assert pre["base_year"] == {"power": 2018}
    with open(SAMPLE_2018, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    basis: dict[str, Decimal] = {}
    for row in rows:
        basis[row["facility_id"]] = basis.get(row["facility_id"], D(0)) + _hand_2019_basis(row)
    expected = {f: int((D("0.7") * v).quantize(D(1), ROUND_HALF_UP)) for f, v in basis.items()}
    assert {f["facility_id"]: f["preallocation"] for f in pre["facilities"]} == expected
    # The sample has low-load pure-condensing coal units, so the basis is really smaller.
    final = main(["allocate", str(SAMPLE_2018), "--year", "2019", "--format", "json"])
    allocated = json.loads(capsys.readouterr().out)
    assert final == 0
    assert sum(basis.values()) < sum(D(u["allocation"]) for u in allocated["units"])


@pytest.mark.parametrize("year", [2017, 2019, 2021, 2022])
def test_batch_equals_exact_under_every_power_version(year: int) -> None:
    columns = read_columns(SAMPLE_2019)
    batch = batch_allocate(columns, RULES.for_year(year), NO_LOCAL_FACTORS)
    exact = {f.facility_id: f.allocation for f in allocate_exact(SAMPLE_2019, year).by_facility}
    assert dict(zip(batch.facility_ids, batch.facility_allocation.tolist(), strict=True)) == exact


EFFECTIVE = """sector power "x"
version "{v}"
status draft
effective {a} to {b}
published 2020-01-01
source "s"
input q: MWh in [0, inf)
param b = 1 tCO2/MWh
allocation = q * b
preallocation 70 % of base year 2000
rounding facility half_up to 1 tCO2
"""


def test_versions_may_neither_overlap_nor_leave_a_gap(tmp_path: Path) -> None:
    paths = []
    for name, (a, b) in {"v1": (2017, 2018), "v2": (2020, 2021), "v3": (2021, 2022)}.items():
        path = tmp_path / f"{name}.rule"
        path.write_text(EFFECTIVE.format(v=name, a=a, b=b), encoding="utf-8")
        paths.append(path)
    with pytest.raises(RuleError) as caught:
        load_rules(paths)
    text = str(caught.value)
    assert "v2.rule:4:1: error: power version 'v2' (2020-2021) leaves a gap after version " \
           "'v1' (2017-2018)" in text
    assert "v3.rule:4:1: error: power version 'v3' (2021-2022) overlaps version 'v2'" in text
    assert rules_from_text(EFFECTIVE.format(v="alone", a=2017, b=2030)).rules
