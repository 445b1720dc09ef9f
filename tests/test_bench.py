"""The benchmark's baselines agree with the engine, and `python -m bench` writes its record.

No timings are asserted: they depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

import peie
from bench import baseline, numpy_baseline
from bench.synth import generate_units, write_csv
from peie.batch.evaluate import batch_allocate
from peie.data.columns import read_columns
from peie.data.local_factors import NO_LOCAL_FACTORS

ROOT = Path(__file__).resolve().parent.parent
UNITS = 2000

MEASURES = {
    "decimal_units_per_s", "exact_units_per_s", "exact_vs_decimal",
    "numpy_units_per_s", "batch_units_per_s", "batch_evaluation_units_per_s",
    "batch_vs_numpy", "batch_evaluation_vs_numpy", "batch_first_call_s", "batch_recomputed",
    "parse_check_s", "cold_check_s",
    "end_to_end_batch_json_s", "end_to_end_batch_csv_s", "end_to_end_batch_parquet_s",
    "peak_batch_json_mib", "peak_batch_csv_mib", "peak_batch_parquet_mib",
    "end_to_end_exact_json_s", "end_to_end_decimal_script_s",
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "units.csv"
    write_csv(path, generate_units(UNITS, seed=11))
    return path


def test_numpy_baseline_agrees_with_the_batch_path(data: Path) -> None:
    columns = read_columns(data)
    batch = batch_allocate(columns, peie.load_rules().for_year(2017), NO_LOCAL_FACTORS)
    facilities = numpy_baseline.facility_allocations(columns)
    assert facilities == dict(zip(batch.facility_ids, batch.facility_allocation.tolist(),
                                  strict=True))
    assert len(facilities) > UNITS // 4


def test_decimal_baseline_agrees_with_the_exact_path(data: Path) -> None:
    with open(data, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    units = baseline.unit_allocations(rows, {})
    exact = peie.allocate(data, 2017)
    assert {u.unit_id: u.allocation for u in exact.units} == units
    assert {f.facility_id: f.allocation for f in exact.facilities} == \
        baseline.facility_allocations(rows, units)


def test_python_m_bench_writes_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "bench", "--units", str(UNITS), "--repeat",
                          "1", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    record = json.loads(out.read_text())
    assert {"command", "timestamp", "machine", "units", "exact_units", "seed", "year",
            "repeat", "notes", "measures"} <= set(record)
    assert {"python", "numpy", "pyarrow", "cpu_count"} <= set(record["machine"])
    assert record["units"] == record["exact_units"] == UNITS
    assert set(record["measures"]) == MEASURES
    for key, measure in record["measures"].items():
        assert measure["value"] >= 0, key
        assert (measure["target"] is None) == (measure["met"] is None), key
    assert "exact / Decimal, time per unit" in run.stdout


def test_python_m_bench_service_measures_against_the_in_process_call() -> None:
    """The service's benchmark runs (small here) and checks each answer against
    peie.report's document before it reports a number."""
    run = subprocess.run([sys.executable, "-m", "bench.service", "--units", "300",
                          "--requests", "3", "--repeat", "1"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    labels = [line.split("  ")[0] for line in run.stdout.splitlines()[2:]]
    assert labels[:5] == ["POST /v1/allocate, the sample's 300 units, median of 3",
                          "the same, the slowest", "peie.api.allocate, 300 units, in process",
                          "POST /v1/allocate, 300 units", "service / in process, time"]
    assert "every answer was checked equal to peie.report's document" in run.stdout
