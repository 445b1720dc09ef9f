"""`peie calibrate`: the value of one benchmark at which a target holds, on the exact path,
against cases worked out by hand."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_texts import HEAD

from peie.api import allocate, read_data
from peie.api.calibration import calibrate
from peie.cli import main
from peie.errors import DataError, UsageError
from peie.ruleset import rules_from_text

ROOT = Path(__file__).resolve().parent.parent

# A cement-like rule: a parameter, and a bracketed uplift (60 000 t of waste: +2 %).
PARAM_RULE = HEAD + """input output_t: t in [0, inf)
input waste_t: t in [0, inf) default 0 t
param benchmark = 0.8534 tCO2/t
bracket uplift over waste_t {
    [0 t, 50000 t)  -> 0 %
    [50000 t, inf)  -> 2 %
}
allocation = output_t * benchmark * (1 + uplift)
"""

# A power-like rule: a benchmark per category, one category's units in the scope.
TABLE_RULE = HEAD + """enum kind {
    coal  "燃煤"
    gas   "燃气"
}
input kind: kind
input supply_mwh: MWh in [0, inf)
table benchmark by kind in tCO2/MWh {
    coal  0.877
    gas   0.392
}
allocation = supply_mwh * benchmark[kind]
"""


def rows(*units: tuple[str, dict[str, str]]) -> list[dict[str, str]]:
    return [{"facility_id": f"F-{i}", "unit_id": unit_id, "sector": "test",
             "province": "hebei", **cells} for i, (unit_id, cells) in enumerate(units)]


CEMENT = rows(("U-1", {"output_t": "100000", "verified_emissions_t": "80000"}),
              ("U-2", {"output_t": "200000", "waste_t": "60000",
                       "verified_emissions_t": "179000"}))
# By hand: the allocation is v x (100 000 + 200 000 x 1.02) = v x 304 000 t.
CEMENT_OUTPUT = Decimal(304000)


def nearest(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


def test_a_parameter_balances_the_sectors_emissions() -> None:
    result = calibrate(read_data(CEMENT), 2017, "benchmark", "balance",
                       rules=rules_from_text(PARAM_RULE, "test.rule"))
    # 259 000 tCO2 / 304 000 t = 0.85197..., 0.8520 on the file's four decimals
    assert result.wanted == Decimal(259000)
    assert result.found.value == Decimal("0.8520") == nearest(Decimal(259000) / CEMENT_OUTPUT,
                                                              "0.0001")
    assert result.found.total == Decimal("0.8520") * CEMENT_OUTPUT  # 259 008 tCO2
    below, above = result.neighbours
    assert below is not None
    assert (below.value, below.total) == (Decimal("0.8519"), Decimal("258977.6"))
    assert (above.value, above.total) == (Decimal("0.8521"), Decimal("259038.4"))
    assert result.current.total == Decimal("0.8534") * CEMENT_OUTPUT
    assert result.units == ("U-1", "U-2")


def test_a_total_and_a_gap() -> None:
    ruleset = rules_from_text(PARAM_RULE, "test.rule")
    total = calibrate(read_data(CEMENT), 2017, "benchmark", "total=300000", rules=ruleset)
    assert total.found.value == Decimal("0.9868")  # 300 000 / 304 000 = 0.98684...
    gap = calibrate(read_data(CEMENT), 2017, "benchmark", "gap=10%", rules=ruleset)
    # 90 % of 259 000 = 233 100 tCO2; / 304 000 = 0.766776... -> 0.7668
    assert (gap.wanted, gap.found.value) == (Decimal(233100), Decimal("0.7668"))


def test_a_table_row_is_solved_over_the_units_that_read_it() -> None:
    data = read_data(rows(("G-1", {"kind": "gas", "supply_mwh": "1000000",
                                   "verified_emissions_t": "400000"}),
                          ("G-2", {"kind": "gas", "supply_mwh": "500000",
                                   "verified_emissions_t": "215000"}),
                          ("C-1", {"kind": "coal", "supply_mwh": "900000",
                                   "verified_emissions_t": "1"})))
    result = calibrate(data, 2017, "benchmark[gas]", "balance",
                       rules=rules_from_text(TABLE_RULE, "test.rule"))
    # The coal unit does not read the gas row: 615 000 t / 1 500 000 MWh = 0.41
    assert result.units == ("G-1", "G-2")
    assert (result.wanted, result.found.value) == (Decimal(615000), Decimal("0.410"))
    assert result.found.total == Decimal(615000)
    assert "    gas   0.410\n" in result.edited_text
    assert result.edited_text.replace("0.410", "0.392") == TABLE_RULE


@settings(max_examples=40, deadline=None, derandomize=True)
@given(outputs=st.lists(st.integers(1, 10**7), min_size=1, max_size=5),
       emissions=st.integers(1, 10**8))
def test_the_value_found_is_the_grid_point_nearest_the_target(outputs: list[int],
                                                               emissions: int) -> None:
    data = read_data(rows(*[(f"U-{i}", {"output_t": str(o)}) for i, o in enumerate(outputs)]))
    result = calibrate(data, 2017, "benchmark", f"total={emissions}",
                       rules=rules_from_text(PARAM_RULE, "test.rule"))
    # By hand: the total is v x the outputs' sum, so v is the target over that sum, on the
    # grid of 0.0001 (a tie goes to the lower value).
    exact = Decimal(emissions) / sum(outputs)
    low = exact.quantize(Decimal("0.0001"), rounding="ROUND_FLOOR")
    high = low + Decimal("0.0001")
    expected = low if exact - low <= high - exact else high
    assert result.found.value == expected
    assert result.found.total == expected * sum(outputs)


def test_mistakes_are_named() -> None:
    ruleset = rules_from_text(PARAM_RULE, "test.rule")
    data = read_data(CEMENT)
    for item, target, said in [
        ("benchmrk", "balance", "did you mean 'benchmark'"),
        ("benchmark", "most", "give balance, total=N (tCO2) or gap=P%"),
        ("benchmark[x", "balance", "give TABLE[ROW] or PARAM"),
        ("benchmark", "total=-5", "give balance"),
    ]:
        with pytest.raises(UsageError) as raised:
            calibrate(data, 2017, item, target, rules=ruleset)
        assert said in str(raised.value)
    table = rules_from_text(TABLE_RULE, "test.rule")
    gas = read_data(rows(("G-1", {"kind": "gas", "supply_mwh": "10"})))
    with pytest.raises(UsageError, match="table benchmark of test.rule has no row oil"):
        calibrate(gas, 2017, "benchmark[oil]", "balance", rules=table)
    with pytest.raises(UsageError, match="no unit of .* reads benchmark\\[coal\\]"):
        calibrate(gas, 2017, "benchmark[coal]", "total=5", rules=table)


def test_a_target_out_of_reach_and_missing_emissions_are_refused() -> None:
    ruleset = rules_from_text(PARAM_RULE, "test.rule")
    with pytest.raises(UsageError, match="from 0 up reaches the target"):
        calibrate(read_data(CEMENT), 2017, "benchmark", "gap=120%", rules=ruleset)
    bare = read_data(rows(("U-1", {"output_t": "100"})))
    with pytest.raises(DataError) as raised:
        calibrate(bare, 2017, "benchmark", "balance", rules=ruleset)
    (problem,) = raised.value.problems
    assert (problem.row, problem.unit_id, problem.field) == (1, "U-1", "verified_emissions_t")


def test_the_command_writes_the_edited_rule_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rule = tmp_path / "test.rule"
    rule.write_text(PARAM_RULE, encoding="utf-8")
    data = tmp_path / "units.json"
    data.write_text(json.dumps(CEMENT), encoding="utf-8")
    edited = tmp_path / "calibrated.rule"
    assert main([ "calibrate", str(data), "--year", "2017", "--rules", str(rule),
                  "--solve", "benchmark", "--target", "balance", "--write", str(edited)]) == 0
    shown = capsys.readouterr().out
    assert "found: 0.8520 tCO2/t (the file has 0.8534)" in shown
    assert edited.read_text(encoding="utf-8") == PARAM_RULE.replace("0.8534", "0.8520")
    run = allocate(str(data), 2017, rules=[str(edited)])
    assert sum(u.allocation for u in run.units) == Decimal(259008)
    assert main(["calibrate", str(data), "--year", "2017", "--rules", str(rule),
                 "--solve", "benchmark", "--target", "balance", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["value"], document["wanted"]) == ("0.8520", "259000")
    assert [p["value"] for p in document["points"]] == ["0.8519", "0.8520", "0.8521"]


def test_a_mistake_on_the_command_line_exits_1_without_writing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edited = tmp_path / "calibrated.rule"
    status = main(["calibrate", str(ROOT / "samples" / "units_2017.csv"), "--year", "2017",
                   "--solve", "clinker_benchmak", "--target", "balance",
                   "--write", str(edited)])
    assert status == 1
    assert "did you mean 'clinker_benchmark'" in capsys.readouterr().err
    assert not edited.exists()
