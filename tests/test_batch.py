"""The batch path: facility amounts equal to the exact path's, and the same errors."""

from __future__ import annotations

import csv
import json
import math
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from registry_cells import registry_csv
from rule_texts import HEAD

import peie
from bench.synth import generate_units, only_sectors, write_csv
from peie.api import read_data, read_local_factors, unit_allocation
from peie.batch.evaluate import batch_allocate, unit_allocations
from peie.batch.vector import FEW_EDGES, NotVectorisable
from peie.cli import main
from peie.data.columns import columns_from_table, read_columns, unit_records, validate_columns
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.data.readers import read_table
from peie.data.records import validate_table
from peie.dsl.model import EnumType
from peie.errors import DataError
from peie.exact.compiler import EvaluationError
from peie.impact import impact
from peie.ruleset import RuleSet, load_rules, rules_from_text

ROOT = Path(__file__).resolve().parent.parent
FACTORS = ROOT / "samples" / "local_factors.csv"
RULES = load_rules()


def facilities_of(result: Any) -> dict[str, int]:
    return dict(zip(result.facility_ids, result.facility_allocation.tolist(), strict=True))


def test_batch_equals_exact_on_a_synthetic_country(tmp_path: Path) -> None:
    data = tmp_path / "units.csv"
    write_csv(data, generate_units(5000, seed=7))
    factors = read_local_factors(FACTORS, RULES.sectors)
    batch = batch_allocate(read_columns(data), RULES.for_year(2017), factors)
    exact = peie.allocate(data, 2017, local_factors=FACTORS)
    assert facilities_of(batch) == {f.facility_id: f.allocation for f in exact.by_facility}
    assert batch.totals() == exact.totals()


def test_a_total_on_a_half_tonne_is_settled_on_the_exact_path(tmp_path: Path) -> None:
    # 1 000 MWh x 0.3795 tCO2/MWh = 379.5 tCO2 exactly: half up gives 380. A float total
    # this close to a rounding edge could fall either side, so the facility is recomputed.
    row = {"facility_id": "F-1", "unit_id": "U-1", "sector": "power", "province": "hebei",
           "category": "gas_f_plus", "cooling": "water", "electricity_supplied_mwh": "1000",
           "heat_supplied_gj": "0", "heat_ratio": "0"}
    data = tmp_path / "half.csv"
    with open(data, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    batch = batch_allocate(read_columns(data), RULES.for_year(2017), NO_LOCAL_FACTORS)
    assert facilities_of(batch) == {"F-1": 380} and batch.recomputed == 1


def test_cli_batch_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = str(ROOT / "samples" / "units_2017.csv")
    assert main(["allocate", sample, "--year", "2017", "--format", "json"]) == 0
    exact = json.loads(capsys.readouterr().out)
    out = tmp_path / "b.json"
    assert main(["allocate", sample, "--year", "2017", "--batch", "--format", "json",
                 "--out", str(out)]) == 0
    batch = json.loads(out.read_text())
    assert batch["facilities"] == exact["facilities"] and batch["totals"] == exact["totals"]
    assert [u["unit_id"] for u in batch["units"]] == [u["unit_id"] for u in exact["units"]]
    for mine, theirs in zip(batch["units"], exact["units"], strict=True):
        assert float(mine["allocation"]) == pytest.approx(float(theirs["allocation"]),
                                                          rel=1e-12)
    parquet = tmp_path / "b.parquet"
    assert main(["allocate", sample, "--year", "2017", "--batch", "--format", "parquet",
                 "--out", str(parquet)]) == 0
    import pyarrow.parquet as pq

    table = pq.read_table(parquet).to_pydict()
    assert dict(zip(table["facility_id"], table["allocation"], strict=True)) == {
        f["facility_id"]: f["allocation"] for f in exact["facilities"]}
    provenance = json.loads(pq.read_schema(parquet).metadata[b"peie.provenance"])
    assert provenance["data sha256"] == exact["data_sha256"]
    assert provenance["rules cement sha256"] == exact["rules"]["cement"]["sha256"]


SAMPLE_ROWS = read_table(ROOT / "samples" / "units_2017.csv")
BAD_CELLS = ["", " ", "abc", "-1", "1.5", "0", "2999.99", "1e5", "1,000", "inf", "NaN",
             "wter", "air", "cfb_300_plus", "gas_f_plus", "powr", "cement", "U-000002",
             "F-HB-00003", " 12 ", "0.75", "1.0000000000000001"]


@st.composite
def damaged(draw: st.DrawFn) -> Any:
    rows = list(SAMPLE_ROWS.rows[:12])
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(rows) - 1))
        column = draw(st.sampled_from(SAMPLE_ROWS.columns))
        cells = dict(rows[index].cells)
        cells[column] = draw(st.sampled_from(BAD_CELLS)).strip() or None \
            if draw(st.booleans()) else draw(st.sampled_from(BAD_CELLS))
        rows[index] = type(rows[index])(rows[index].number, cells)
    return type(SAMPLE_ROWS)(SAMPLE_ROWS.path, SAMPLE_ROWS.sha256, SAMPLE_ROWS.columns,
                             tuple(rows))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_column_validation_reports_exactly_the_record_errors(table: Any) -> None:
    rules = RULES.for_year(2017)

    def problems(check: Any) -> list[Any] | None:
        try:
            check()
        except DataError as error:
            return error.problems
        return None

    expected = problems(lambda: validate_table(table, rules))
    got = problems(lambda: validate_columns(columns_from_table(table), rules))
    assert got == expected


def test_batch_json_is_the_same_in_any_chunking_and_escapes_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from peie.api import BatchRun
    from peie.report import batch as batch_output
    from peie.report.formats import deliver

    rows = generate_units(40, seed=3)
    rows[5]["unit_id"] = 'U-"quoted"\\and\ttab'  # text that JSON must escape
    data = tmp_path / "units.csv"
    write_csv(data, rows)
    columns = read_columns(data)
    result = batch_allocate(columns, RULES.for_year(2017), NO_LOCAL_FACTORS)

    def written(chunk_rows: int) -> bytes:
        monkeypatch.setattr(batch_output, "CHUNK_ROWS", chunk_rows)
        out = tmp_path / f"out{chunk_rows}.json"
        deliver("batch allocation", "json", BatchRun(result, columns), str(out), sys.stdout)
        return out.read_bytes()

    whole = written(1 << 16)
    assert written(7) == written(40) == whole
    document = json.loads(whole)
    assert [u["unit_id"] for u in document["units"]] == [r["unit_id"] for r in rows]
    assert len(document["facilities"]) == len(result.facility_ids)


def test_cells_with_white_space_are_read_as_the_exact_reader_reads_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """' F-1' and 'F-1 ' are one facility, ' air ' is air, and a blank cell is empty, on
    both paths alike."""
    data = tmp_path / "padded.csv"
    data.write_text(
        "facility_id,unit_id,sector,province,category,cooling,electricity_supplied_mwh,"
        "heat_supplied_gj,heat_ratio,calorific_value_kcal_per_kg,clinker_t,"
        "coprocessed_waste_t,molten_aluminium_t\n"
        " F-1,U-1,power,hebei,sc_600, air ,1000,0,0,,,,\n"
        "F-1 ,U-2 ,power, hebei,sc_300,water,2000,5,0,,,,\n"
        "F-2,U-3,cement,hebei,,,,,,, 5000 ,  ,\n", encoding="utf-8")
    results = []
    for batch in ([], ["--batch"]):
        assert main(["allocate", str(data), "--year", "2017", "--format", "json", *batch]) == 0
        results.append(json.loads(capsys.readouterr().out))
    exact, batch_result = results
    assert batch_result["facilities"] == exact["facilities"]
    assert [f["facility_id"] for f in exact["facilities"]] == ["F-1", "F-2"]


# ---- the compiled evaluation (peie.batch.vector) against the exact path ----------------------

def a_rule(body: str) -> Any:
    return rules_from_text(HEAD + body, "test.rule").rules[0]


def exact_or_none(rule: Any, cells: dict[str, str | None]) -> Decimal | None:
    """One row's exact allocation (defaults filled in), or None where it fails."""
    values: dict[str, Decimal | str | None] = {}
    for name, item in rule.inputs.items():
        cell = cells.get(name)
        value = cell if cell is None or isinstance(item.type, EnumType) else Decimal(cell)
        values[name] = item.default if value is None else value
    try:
        return unit_allocation(rule, values)
    except EvaluationError:
        return None


def assert_like_exact(rule: Any, rows: list[dict[str, str | None]]) -> None:
    """unit_allocations: the exact value in float, and NaN where the exact path fails."""
    columns = columns_from_table(read_data(rows))
    floats = unit_allocations(columns, rule, np.ones(len(rows)))
    for row, got in zip(rows, floats.tolist(), strict=True):
        want = exact_or_none(rule, row)
        assert (math.isnan(got), got) == (want is None, pytest.approx(
            float(want if want is not None else "nan"), rel=1e-12, nan_ok=True)), row


def bracket_rule(rows: int) -> Any:
    """Rows [0, 1] (1, 2) [2, 3] (3, 4) ... and (rows - 1, inf): closed and open edges
    by turns; more than FEW_EDGES rows are looked up by np.searchsorted."""
    lines = [f"    {'[' if k % 2 == 0 else '('}{k} t, {k + 1} t{']' if k % 2 == 0 else ')'}"
             f"  -> {k + 1}" for k in range(rows - 1)]
    last = "[" if (rows - 1) % 2 == 0 else "("
    lines.append(f"    {last}{rows - 1} t, inf)  -> {rows}")
    return a_rule("input x: t in [0, inf) \"x\"\ninput y: tCO2 in [0, inf) \"y\"\n"
                  "bracket rate \"r\" over x {\n" + "\n".join(lines) + "\n}\n"
                  "allocation = y * rate\n")


@pytest.mark.parametrize("rows", [4, FEW_EDGES + 8])
def test_brackets_take_the_row_closed_at_an_edge(rows: int) -> None:
    xs = [str(k / 2) for k in range(2 * rows + 2)]
    xs += ["1.000000001", "0.999999999", "1e3", "-1", "-0.5", "0"]  # '1e3': not plain
    assert_like_exact(bracket_rule(rows), [{"x": x, "y": "7.25"} for x in xs])


CODES = """enum kind "种类" {
    a  "A"
    b  "B"
    c  "C"
}
enum grade "等级" {
    hi  "高"
    lo  "低"
}
input kind: kind "种类" optional
input grade: grade "等级"
input y: tCO2 in [0, inf) "y"
input extra: tCO2 in [0, inf) "e" default 3 tCO2
table kind_factor "kf" by kind in 1 {
    a  1.5
    b  2
    c  0.37
}
table grade_factor "gf" by grade in 1 {
    hi  1.1
    lo  0.9
}
table grade_of_kind "gk" by kind -> grade {
    a  hi
    b  lo
    c  hi
}
param scale "s" = 1.3
let boost = if grade_of_kind[kind] == hi and grade != lo then 2 else 1
allocation = y * kind_factor[kind] * scale * grade_factor[grade] * boost + extra
"""


def test_lookups_folded_over_code_combinations_and_empty_codes() -> None:
    rows = [{"kind": kind, "grade": grade, "y": "1000.5"}
            for kind in ("a", "b", "c", None) for grade in ("hi", "lo")]
    assert_like_exact(a_rule(CODES), rows)  # 'extra' is in no column: its default


def unit_rows(cells: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"facility_id": f"F-{i}", "unit_id": f"U-{i}", "sector": "test",
             "province": "hebei", **c} for i, c in enumerate(cells)]


def both_paths(rules: Any, rows: list[dict[str, str]]) -> tuple[Any, Any]:
    """(facility id -> tonnes or the DataError's messages) on the batch and exact paths."""
    table = read_data(rows)
    out = []
    for run in (lambda: facilities_of(batch_allocate(columns_from_table(table),
                                                     rules.for_year(2017), NO_LOCAL_FACTORS)),
                lambda: {f.facility_id: f.allocation for f in peie.allocate(
                    table, 2017, rules=rules).by_facility}):
        try:
            out.append(run())
        except DataError as error:
            out.append([p.message for p in error.problems])
    return out[0], out[1]


def test_an_ensure_open_at_an_edge_is_broken_on_it() -> None:
    rules = rules_from_text(HEAD + 'input r: 1 in [0, 1] "r"\ninput y: tCO2 in [0, inf) "y"\n'
                            "let f = 1 - r\nallocation = y * f\nensure f in (0, 1]\n")
    rows = unit_rows([{"r": "0.5", "y": "10"}, {"r": "1", "y": "10"}])
    batch, exact = both_paths(rules, rows)
    assert batch == exact and "breaks" in batch[0]
    batch, exact = both_paths(rules, rows[:1])
    assert batch == exact == {"F-0": 5}


TINY = """input x: t in [0, inf) "x"
input y: tCO2 in [0, inf) "y"
bracket tiny "t" over x {
    [0 t, 1.00000000000000001 t]                    -> 1
    (1.00000000000000001 t, 1.00000000000000002 t)  -> 2
    [1.00000000000000002 t, inf)                    -> 3
}
allocation = y * tiny
"""


def test_a_rule_that_does_not_vectorise_is_computed_exactly() -> None:
    rule = a_rule(TINY)  # a row narrower than floats can tell apart
    rows = unit_rows([{"x": x, "y": "10.6"} for x in ("1", "1.00000000000000001", "2")])
    with pytest.raises(NotVectorisable):
        unit_allocations(columns_from_table(read_data(rows)), rule, np.ones(len(rows)))
    rules = RuleSet([rule])
    batch = batch_allocate(columns_from_table(read_data(rows)), rules.for_year(2017),
                           NO_LOCAL_FACTORS)
    assert facilities_of(batch) == {"F-0": 11, "F-1": 11, "F-2": 32}
    assert batch.recomputed == 3 and batch.unit_allocation.tolist() == [10.6, 10.6, 31.8]
    assert both_paths(rules, rows)[0] == both_paths(rules, rows)[1]


def test_impact_steps_fall_back_to_the_exact_path_where_a_rule_does_not_vectorise() -> None:
    old = a_rule(TINY.replace("2 t)  -> 2", "2 t)  -> 2.5"))
    new = rules_from_text(HEAD.replace("v1", "v2") + TINY, "new.rule").rules[0]
    rows = unit_rows([{"x": x, "y": "10.6"} for x in ("1", "1.000000000000000015", "2")])
    batch, exact = (impact(old, new, read_data(rows), NO_LOCAL_FACTORS, exact=flag)
                    for flag in (False, True))
    assert [(f.parts, f.change) for f in batch.facilities] == [
        (f.parts, f.change) for f in exact.facilities]
    assert [f.change != 0 for f in exact.facilities] == [False, True, False]


@pytest.mark.parametrize("year", [2017, 2019, 2021, 2022])
def test_batch_equals_exact_under_every_power_version(tmp_path: Path, year: int) -> None:
    data = tmp_path / "units.csv"
    units = generate_units(3000, seed=year, year=year)
    write_csv(data, units if year < 2019 else only_sectors(iter(units), {"power"}))
    factors = read_local_factors(FACTORS, RULES.sectors)
    batch = batch_allocate(read_columns(data), RULES.for_year(year), factors)
    exact = peie.allocate(data, year, local_factors=FACTORS)
    assert facilities_of(batch) == {f.facility_id: f.allocation for f in exact.by_facility}
    units_exact = [float(u.allocation) for u in exact.units]
    assert batch.unit_allocation.tolist() == pytest.approx(units_exact, rel=1e-12)


def test_sectors_rounding_each_their_own_way_round_as_on_the_exact_path(tmp_path: Path
                                                                         ) -> None:
    modes = {"power": "half_even to 1", "cement": "down to 10", "aluminium": "up to 100"}
    rules = RuleSet([rules_from_text(rule.file.text.replace(
        "half_up to 1", modes[rule.sector]), f"{rule.sector}.rule").rules[0]
        for rule in RULES.in_force(2017).values()])
    assert {r.sector: r.rounding.mode for r in rules.rules} == {
        "power": "half_even", "cement": "down", "aluminium": "up"}
    data = tmp_path / "units.csv"
    write_csv(data, generate_units(2000, seed=13))
    batch = batch_allocate(read_columns(data), rules.for_year(2017), NO_LOCAL_FACTORS)
    exact = peie.allocate(data, 2017, rules=rules)
    assert facilities_of(batch) == {f.facility_id: f.allocation for f in exact.by_facility}
    assert batch.totals() == exact.totals()


CONDITIONS = """enum kind "种类" {
    a  "A"
    b  "B"
}
input kind: kind "种类" optional
input x: t in [0, inf) "x" optional
input y: tCO2 in [0, inf) "y"
param five "5" = 5 t
param two "2" = 2
param one "1" = 1
allocation = y * (if kind == a and x > five then two else one)
    * (if kind != b or x < five then one else two)
"""
ENSURED = CONDITIONS + "ensure x in [0 t, 100 t] when kind == b\n"


def test_conditions_undefined_where_the_exact_path_stops() -> None:
    """An empty optional value read by a condition stops the exact path; the batch path
    gives NaN there, and only there: `and`/`or` read their right side only where the
    exact path's short-circuit does."""
    rule = a_rule(CONDITIONS)
    rows: list[dict[str, str | None]] = [
        {"kind": kind, "x": x, "y": "10"}
        for kind in ("a", "b", None) for x in ("1", "7", "500", None)]
    assert_like_exact(rule, rows)
    stops = [row for row in rows if exact_or_none(rule, row) is None]
    assert {"kind": "a", "x": None, "y": "10"} in stops  # x > five read: stops
    assert {"kind": None, "x": "1", "y": "10"} in stops  # kind == a read: stops


def test_batch_reports_what_the_exact_path_reports(tmp_path: Path) -> None:
    """Data the exact path refuses while evaluating (an empty optional value that a
    condition reads; an ensure that reads an empty value) is refused by the batch path
    with the same problems, not allocated."""
    rules = RuleSet([a_rule(ENSURED)])
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,kind,x,y\n"
                    "F-1,U-1,test,hebei,a,7,10\n"
                    "F-1,U-2,test,hebei,a,,10\n"
                    "F-2,U-3,test,hebei,b,500,10\n"
                    "F-3,U-4,test,hebei,b,3,10\n", encoding="utf-8")

    def problems(run: Any) -> Any:
        with pytest.raises(DataError) as raised:
            run()
        return raised.value.problems

    exact = problems(lambda: peie.allocate(data, 2017, rules=rules))
    batch = problems(lambda: batch_allocate(read_columns(data), rules.for_year(2017),
                                            NO_LOCAL_FACTORS))
    assert batch == exact and [p.unit_id for p in exact] == ["U-2", "U-3"]


def test_a_let_the_exact_path_cannot_compute_is_not_allocated_by_the_batch_path(
        tmp_path: Path) -> None:
    """The exact path computes every let for every unit (language.md §18): a let over an
    empty optional value stops the unit even where the allocation does not use it."""
    rules = RuleSet([a_rule("""enum kind "种类" {
    a  "A"
    b  "B"
}
input kind: kind "种类"
input x: 1 in [0, inf) "x" optional
input y: tCO2 in [0, inf) "y"
let doubled = 2 * x
allocation = y * (if kind == a then doubled else 1)
""")])
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,kind,x,y\n"
                    "F-1,U-1,test,hebei,a,7,10\n"
                    "F-2,U-2,test,hebei,b,,10\n", encoding="utf-8")
    with pytest.raises(DataError) as exact:
        peie.allocate(data, 2017, rules=rules)
    with pytest.raises(DataError) as batch:
        batch_allocate(read_columns(data), rules.for_year(2017), NO_LOCAL_FACTORS)
    assert batch.value.problems == exact.value.problems
    assert [p.unit_id for p in exact.value.problems] == ["U-2"]


def test_a_number_a_double_cannot_hold_is_decided_on_the_exact_path(tmp_path: Path) -> None:
    """2999.99999999999999999 kcal/kg is below 3000 (fuel factor 1.03), but its double is
    3000.0 (factor 1): units with a cell of over 15 characters go to the exact path."""
    data = tmp_path / "units.csv"
    data.write_text(
        "facility_id,unit_id,sector,province,category,cooling,electricity_supplied_mwh,"
        "heat_supplied_gj,heat_ratio,calorific_value_kcal_per_kg\n"
        "F-1,U-1,power,hebei,cfb_300_plus,water,1000000,0,0,2999.99999999999999999\n"
        "F-2,U-2,power,hebei,cfb_300_plus,water,1000000,0,0,3000\n", encoding="utf-8")
    batch = batch_allocate(read_columns(data), RULES.for_year(2017), NO_LOCAL_FACTORS)
    exact = peie.allocate(data, 2017)
    assert facilities_of(batch) == {f.facility_id: f.allocation for f in exact.by_facility}
    assert facilities_of(batch)["F-1"] == round(1000000 * 0.9565 * 1.03)
    assert batch.recomputed == 1


def test_an_empty_value_to_the_power_zero_stops_both_paths(tmp_path: Path) -> None:
    rules = RuleSet([a_rule('input x: 1 in [0, inf) "x" optional\n'
                            'input y: tCO2 in [0, inf) "y"\nallocation = y * x ^ 0\n')])
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,x,y\nF-1,U-1,test,hebei,,10\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as exact:
        peie.allocate(data, 2017, rules=rules)
    with pytest.raises(DataError) as batch:
        batch_allocate(read_columns(data), rules.for_year(2017), NO_LOCAL_FACTORS)
    assert batch.value.problems == exact.value.problems


def test_a_what_if_run_on_the_same_columns_checks_the_new_rule(tmp_path: Path) -> None:
    """Columns keep the checks of the data alone between runs, not those of a rule: a draft
    that narrows an input's range rejects a cell the first draft accepted."""
    def drafted(high: str) -> RuleSet:
        return RuleSet([a_rule(f"""input y: tCO2 in [0, {high}] "y"
allocation = y
""")])
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,y\n"
                    "F-1,U-1,test,hebei,7\n"
                    "F-2,U-2,test,hebei,12\n", encoding="utf-8")
    columns = read_columns(data)
    first = batch_allocate(columns, drafted("100").for_year(2017), NO_LOCAL_FACTORS)
    assert first.facility_allocation.tolist() == [7, 12]
    with pytest.raises(DataError) as narrower:
        batch_allocate(columns, drafted("10").for_year(2017), NO_LOCAL_FACTORS)
    assert [(p.unit_id, p.field) for p in narrower.value.problems] == [("U-2", "y")]
    again = batch_allocate(columns, drafted("100").for_year(2017), NO_LOCAL_FACTORS)
    assert again.facility_allocation.tolist() == [7, 12]


def test_data_the_evaluation_trips_on_is_reported_by_the_check(tmp_path: Path) -> None:
    """The check runs beside the evaluation; where bad data makes the evaluation fail
    (a sector without rules, a unit settled exactly), the check's DataError is raised,
    the same as the exact path's."""
    rows = [dict(r.cells) for r in SAMPLE_ROWS.rows[:12]]
    rows[3]["sector"] = "powr"
    rows[5]["unit_id"] = rows[4]["unit_id"]
    data = tmp_path / "units.csv"
    with open(data, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(SAMPLE_ROWS.columns))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError) as exact:
        peie.allocate(data, 2017)
    with pytest.raises(DataError) as batch:
        batch_allocate(read_columns(data), RULES.for_year(2017), NO_LOCAL_FACTORS)
    assert batch.value.problems == exact.value.problems
    assert [p.field for p in exact.value.problems] == ["sector", "unit_id"]


def test_an_input_required_when_its_condition_holds_is_checked_by_columns(
        tmp_path: Path) -> None:
    """A circulating-fluidised-bed unit needs its calorific value; other power units
    leave it empty. On the column check as on the record check."""
    rows = [dict(r.cells) for r in SAMPLE_ROWS.rows]
    cfb = next(r for r in rows if (r.get("category") or "").startswith("cfb"))
    others = [r for r in rows if r["sector"] == "power" and r is not cfb]
    assert cfb.get("calorific_value_kcal_per_kg") and not all(
        r.get("calorific_value_kcal_per_kg") for r in others)
    data = tmp_path / "units.csv"
    write_csv(data, rows)
    allowed = batch_allocate(read_columns(data), RULES.for_year(2017), NO_LOCAL_FACTORS)
    assert facilities_of(allowed) == {f.facility_id: f.allocation
                                      for f in peie.allocate(data, 2017).facilities}
    cfb["calorific_value_kcal_per_kg"] = ""
    write_csv(data, rows)
    with pytest.raises(DataError) as exact:
        peie.allocate(data, 2017)
    with pytest.raises(DataError) as batch:
        batch_allocate(read_columns(data), RULES.for_year(2017), NO_LOCAL_FACTORS)
    with pytest.raises(DataError) as records:  # the exact path's records of a large file
        unit_records(read_columns(data), RULES.for_year(2017))
    assert batch.value.problems == exact.value.problems == records.value.problems
    assert [(p.unit_id, p.field) for p in exact.value.problems] == [
        (cfb["unit_id"], "calorific_value_kcal_per_kg")]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registry_csv())
def test_cells_as_registries_write_them_give_the_exact_paths_result(
        tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    """Numbers, spellings of nothing, codes and labels: the batch path allocates what the
    exact path allocates, or refuses with its problems (the odd cells it re-reads are read
    by the same reader)."""
    path = tmp_path_factory.mktemp("data") / "units.csv"
    path.write_bytes(raw)

    def outcome(run: Any) -> Any:
        try:
            return run()
        except DataError as error:
            return error.problems

    exact = outcome(lambda: {f.facility_id: f.allocation
                             for f in peie.allocate(path, 2017).by_facility})
    batch = outcome(lambda: facilities_of(batch_allocate(
        read_columns(path), RULES.for_year(2017), NO_LOCAL_FACTORS)))
    assert batch == exact


def test_a_row_of_empty_cells_is_passed_by_on_the_batch_path(tmp_path: Path) -> None:
    """As the exact reader passes it by (it stopped the batch path with a traceback)."""
    lines = (ROOT / "samples" / "units_2017.csv").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "units.csv"
    width = lines[0].count(",")
    data.write_text("\n".join([*lines[:3], "," * width, ",".join(["N/A"] * (width + 1)),
                               *lines[3:8]]) + "\n", encoding="utf-8")
    batch = batch_allocate(read_columns(data), RULES.for_year(2017), NO_LOCAL_FACTORS)
    exact = peie.allocate(data, 2017)
    assert facilities_of(batch) == {f.facility_id: f.allocation for f in exact.by_facility}
    assert [u.record.row for u in exact.units][2:4] == [6, 7]
