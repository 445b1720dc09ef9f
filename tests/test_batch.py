"""The batch path: facility amounts equal to the exact path's, and the same errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peie
from bench.synth import generate_units, write_csv
from peie.batch import batch_allocate
from peie.cli import main
from peie.columns import columns_from_table, read_columns, validate_columns
from peie.errors import DataError
from peie.local_factors import load_local_factors
from peie.readers import read_table
from peie.records import validate_table
from peie.ruleset import load_rules

ROOT = Path(__file__).resolve().parent.parent
FACTORS = ROOT / "samples" / "local_factors.csv"
RULES = load_rules()


def facilities_of(result: Any) -> dict[str, int]:
    return dict(zip(result.facility_ids, result.facility_allocation.tolist(), strict=True))


def test_batch_equals_exact_on_a_synthetic_country(tmp_path: Path) -> None:
    data = tmp_path / "units.csv"
    write_csv(data, generate_units(5000, seed=7))
    factors = load_local_factors(FACTORS, RULES.sectors)
    batch = batch_allocate(read_columns(data), 2017, RULES, factors)
    exact = peie.allocate(data, 2017, local_factors=FACTORS)
    assert facilities_of(batch) == {f.facility_id: f.allocation for f in exact.facilities}
    assert batch.totals() == exact.totals()


def test_a_total_on_a_half_tonne_is_settled_on_the_exact_path(tmp_path: Path) -> None:
    # 1 000 MWh x 0.3795 tCO2/MWh = 379.5 tCO2 exactly: half up gives 380. A float total
    # this close to a rounding edge could fall either side, so the facility is recomputed.
    row = {"facility_id": "F-1", "unit_id": "U-1", "sector": "power", "province": "x",
           "category": "gas_f_plus", "cooling": "water", "electricity_supplied_mwh": "1000",
           "heat_supplied_gj": "0", "heat_ratio": "0"}
    data = tmp_path / "half.csv"
    with open(data, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    batch = batch_allocate(read_columns(data), 2017, RULES, load_local_factors(None, []))
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
    rules = RULES.require_year(2017)

    def problems(check: Any) -> list[Any] | None:
        try:
            check()
        except DataError as error:
            return error.problems
        return None

    expected = problems(lambda: validate_table(table, rules, 2017, RULES.rules))
    got = problems(lambda: validate_columns(columns_from_table(table), rules, 2017,
                                            RULES.rules))
    assert got == expected


def test_batch_json_is_the_same_in_any_chunking_and_escapes_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from peie import batch_output

    rows = generate_units(40, seed=3)
    rows[5]["unit_id"] = 'U-"quoted"\\and\ttab'  # text that JSON must escape
    data = tmp_path / "units.csv"
    write_csv(data, rows)
    columns = read_columns(data)
    result = batch_allocate(columns, 2017, RULES, load_local_factors(None, []))

    def written(chunk_rows: int) -> bytes:
        monkeypatch.setattr(batch_output, "CHUNK_ROWS", chunk_rows)
        out = tmp_path / f"out{chunk_rows}.json"
        batch_output.write_batch(result, columns, "json", str(out))
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
