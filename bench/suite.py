"""The benchmark of the issue "Speed", every number measured in one run.

    python -m bench --units 1000000 [--seed 2017] [--repeat 5] [--out bench/results.json]

Writes a synthetic national dataset (bench.synth: 2017, power, cement and aluminium) to
a temporary directory, then measures on this machine:

- the exact path (evaluate_units over validated records) against the hand-written
  Decimal formulas (bench.baseline.unit_allocations over the CSV's rows), on at most
  EXACT_UNITS units: both run at some 10^5 units/s;
- the batch path against the hand-written numpy formulas (bench.numpy_baseline), on the
  N units, both starting from the same columns already read and converted;
- parse and check of the bundled rules in this process, and `peie check` cold in a new
  one; the peak memory of `peie allocate --batch` on N units;
- `peie allocate` end to end in a new process: --batch on N units to JSON, CSV and
  Parquet; the exact path to JSON on at most EXACT_UNITS units against
  bench.baseline.run (a plain script: CSV in, Decimal, JSON out) on the same file.

Timings in this process are the best of --repeat; those of new processes the median
(peak memory: the largest). Every engine result is checked against its baseline's
before anything is reported. It prints a table and writes the record, with the machine,
as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shlex
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from peie import api
from peie.batch.evaluate import batch_allocate, evaluate_columns
from peie.data.columns import read_columns
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.exact.allocation import evaluate_units
from peie.exact.facilities import facility_totals
from peie.report.encoding import text_table

from . import baseline, numpy_baseline
from .measure import (
    ROOT,
    BenchError,
    Measure,
    agree,
    best_of,
    best_of_each,
    median_run,
    peie_command,
)
from .synth import iter_units, write_csv

YEAR = 2017
EXACT_UNITS = 100_000  # the exact path and the Decimal baseline run on at most this many
COLD_RUNS = 5
TARGET_UNITS = 1_000_000  # the targets are stated for this many units
FORMATS = ("json", "csv", "parquet")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def measure_exact(data: Path, repeat: int) -> list[Measure]:
    """Evaluation only: the Decimal baseline from the CSV's rows (text), the engine from
    its validated records, each timed over every unit of `data`."""
    rows = _rows(data)
    in_force, table, records, factors = api.prepare(data, YEAR)
    compiled = in_force.compiled
    (decimal_s, units), (exact_s, evaluated) = best_of_each(repeat, [
        lambda: baseline.unit_allocations(rows, {}),
        lambda: evaluate_units(records, compiled, factors, table.path)])
    agree("exact path units vs bench.baseline",
          {u.unit_id: u.allocation for u in evaluated}, units)
    agree("exact path facilities vs bench.baseline",
          {f.facility_id: f.allocation for f in facility_totals(evaluated)},
          baseline.facility_allocations(rows, units))
    n = len(rows)
    return [
        Measure("decimal_units_per_s", f"hand-written Decimal, {n:,} units", n / decimal_s,
                "units/s"),
        Measure("exact_units_per_s", f"exact path (evaluate_units), {n:,} units",
                n / exact_s, "units/s"),
        Measure("exact_vs_decimal", "exact / Decimal, time per unit", exact_s / decimal_s,
                "x", ("<=", 1.5)),
    ]


def measure_batch(data: Path, repeat: int) -> tuple[list[Measure], dict[str, int]]:
    """The batch path and the numpy baseline on the same Columns. The first call converts
    the text columns to numbers and checks what depends on the data alone (unit ids given
    once, identity columns filled), both kept on the Columns; later calls, as a what-if
    run on the same data, check what depends on the rules and evaluate, and they and the
    numpy baseline start from those arrays."""
    in_force = api.load_rules(None).for_year(YEAR)
    columns = read_columns(data)
    first_s, _ = best_of(1, lambda: batch_allocate(columns, in_force, NO_LOCAL_FACTORS))
    inputs = numpy_baseline.inputs(columns)
    (numpy_s, tonnes), (evaluate_s, _), (batch_s, result) = best_of_each(repeat, [
        lambda: numpy_baseline.facility_tonnes(inputs),
        lambda: evaluate_columns(columns, in_force, NO_LOCAL_FACTORS),
        lambda: batch_allocate(columns, in_force, NO_LOCAL_FACTORS)])
    expected = dict(zip(inputs.facility_ids, tonnes.tolist(), strict=True))
    agree("batch path facilities vs bench.numpy_baseline",
          dict(zip(result.facility_ids, result.facility_allocation.tolist(), strict=True)),
          expected)
    n = columns.size
    return [
        Measure("numpy_units_per_s", f"hand-written numpy, {n:,} units", n / numpy_s,
                "units/s"),
        Measure("batch_units_per_s", "batch path (batch_allocate), again on the same data",
                n / batch_s, "units/s", (">=", 1e7)),
        Measure("batch_evaluation_units_per_s", "batch path, evaluation only "
                "(evaluate_columns)", n / evaluate_s, "units/s", (">=", 1e7)),
        Measure("batch_vs_numpy", "batch path / numpy, time", batch_s / numpy_s, "x",
                ("<=", 1.25)),
        Measure("batch_evaluation_vs_numpy", "batch evaluation / numpy, time",
                evaluate_s / numpy_s, "x", ("<=", 1.25)),
        Measure("batch_first_call_s", "batch path, first call (+ text -> numbers, data checks)",
                first_s, "s"),
        Measure("batch_recomputed", "facilities settled on the exact path", result.recomputed,
                ""),
    ], expected


def measure_rules(repeat: int) -> list[Measure]:
    """Parse and check the bundled rules: in this process (the grammar's parser, built
    once per process, is built before timing; each parse and check is fresh), and as
    `peie check` in a new process (median of COLD_RUNS)."""
    api.load_rules(None)
    parse_s, _ = best_of(repeat, lambda: api.load_rules(None))
    cold = median_run([*peie_command(), "check"], COLD_RUNS)
    return [
        Measure("parse_check_s", "parse + check of the bundled rules, in process", parse_s,
                "s"),
        Measure("cold_check_s", f"`peie check`, new process (median of {COLD_RUNS})",
                cold.seconds, "s", ("<", 0.5)),
    ]


def _facilities_in(path: Path) -> dict[str, int]:
    """facility id -> tonnes from an `allocate` output file of any format."""
    if path.suffix == ".json":
        with open(path, encoding="utf-8") as handle:
            facilities = json.load(handle)["facilities"]
        return {f["facility_id"]: f["allocation"] for f in facilities}
    table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types={"facility_id": pa.string()}))
    return dict(zip(table["facility_id"].to_pylist(), table["allocation"].to_pylist(),
                    strict=True))


def measure_batch_end_to_end(data: Path, expected: dict[str, int], out: Path, runs: int
                             ) -> list[Measure]:
    """`peie allocate --batch` from CSV to each format (median of `runs`, and the
    largest peak memory)."""
    measures, peaks = [], []
    for fmt in FORMATS:
        result = out / f"batch.{fmt}"
        child = median_run([*peie_command(), "allocate", str(data), "--year", str(YEAR),
                            "--batch", "--format", fmt, "--out", str(result)], runs)
        agree(f"allocate --batch --format {fmt} vs bench.numpy_baseline",
              _facilities_in(result), expected)
        measures.append(Measure(f"end_to_end_batch_{fmt}_s", f"allocate --batch, CSV -> {fmt}",
                                child.seconds, "s", ("<=", 3.0)))
        peaks.append(Measure(f"peak_batch_{fmt}_mib", f"peak memory, allocate --batch -> {fmt}",
                             child.peak_mib, "MiB", ("<", 1024)))
    return measures + peaks


def measure_exact_end_to_end(data: Path, out: Path, runs: int) -> list[Measure]:
    """`peie allocate DATA --format json` against bench.baseline.run, same file, each in
    a new process (median of `runs`); their unit and facility amounts must be the same."""
    engine_out, script_out = out / "exact.json", out / "baseline.json"
    engine = median_run([*peie_command(), "allocate", str(data), "--year", str(YEAR),
                         "--format", "json", "--out", str(engine_out)], runs)
    script = median_run([sys.executable, "-c", "from bench.baseline import run; "
                         f"run({str(data)!r}, {str(script_out)!r})"], runs)
    mine = json.loads(engine_out.read_text(encoding="utf-8"))
    theirs = json.loads(script_out.read_text(encoding="utf-8"))
    agree("allocate --format json units vs bench.baseline.run",
          {u["unit_id"]: Decimal(u["allocation"]) for u in mine["units"]},
          {u: Decimal(v) for u, v in theirs["units"].items()})
    agree("allocate --format json facilities vs bench.baseline.run",
          {f["facility_id"]: f["allocation"] for f in mine["facilities"]},
          theirs["facilities"])
    return [
        Measure("end_to_end_exact_json_s", "allocate (exact), CSV -> json", engine.seconds,
                "s", ("<", script.seconds)),
        Measure("end_to_end_decimal_script_s", "bench.baseline.run, CSV -> json",
                script.seconds, "s"),
    ]


def machine() -> dict[str, Any]:
    model = ""
    if Path("/proc/cpuinfo").exists():
        names = [line.split(":", 1)[1].strip() for line in
                 Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        model = names[0] if names else ""
    return {"python": platform.python_version(), "numpy": np.__version__,
            "pyarrow": pa.__version__, "cpu_count": os.cpu_count(), "cpu": model,
            "platform": platform.platform(), "load_average": list(os.getloadavg())}


def run_all(units: int, seed: int, repeat: int, log: Any) -> list[Measure]:
    with tempfile.TemporaryDirectory(prefix="peie-bench-") as tmp:
        work = Path(tmp)
        data = work / "units.csv"
        print(f"writing {units:,} synthetic units (seed {seed})", file=log)
        write_csv(data, iter_units(units, seed, YEAR))
        exact_data = data
        if units > EXACT_UNITS:
            exact_data = work / "units_exact.csv"
            write_csv(exact_data, iter_units(EXACT_UNITS, seed, YEAR))
        print("exact path and Decimal baseline", file=log)
        measures = measure_exact(exact_data, repeat)
        print("batch path and numpy baseline", file=log)
        batch, expected = measure_batch(data, repeat)
        print("rules: parse, check, cold start", file=log)
        measures += batch + measure_rules(repeat)
        print("end to end (new processes)", file=log)
        measures += measure_batch_end_to_end(data, expected, work, repeat)
        measures += measure_exact_end_to_end(exact_data, work, repeat)
    return measures


def _show(value: float, unit: str) -> str:
    if unit == "units/s":
        return f"{value:,.0f} units/s"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.0f} {unit}".rstrip()


def table(measures: Sequence[Measure]) -> list[str]:
    rows = []
    for m in measures:
        target = "" if m.target is None else f"{m.target[0]} {_show(m.target[1], m.unit)}"
        met = {None: "", True: "yes", False: "NO"}[m.met]
        rows.append((m.label, _show(m.value, m.unit), target, met))
    return text_table(("measure", "value", "target", "met"), rows, (False, True, True, False))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=_positive, default=TARGET_UNITS)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--repeat", type=_positive, default=5,
                        help="in-process timings are the best of these, others the median")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
    before = machine()
    try:
        measures = run_all(args.units, args.seed, args.repeat, sys.stderr)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    notes = [f"exact path and Decimal baseline on {min(args.units, EXACT_UNITS):,} units "
             "(a file of that many, same seed)",
             f"in process: best of {args.repeat}, the sides of a ratio taking turns; batch "
             "path on columns already read, converted to numbers and checked for what "
             "depends on the data alone (the first call, which does that, is shown apart)",
             f"new processes: median of {args.repeat} ({COLD_RUNS} for `peie check`); peak "
             "memory: the largest",
             "every engine result above was checked equal to its baseline's"]
    if args.units != TARGET_UNITS:
        notes.append(f"the issue's targets are stated for {TARGET_UNITS:,} units")
    record = {
        "command": command, "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": before | {"load_average_after": list(os.getloadavg())},
        "units": args.units, "exact_units": min(args.units, EXACT_UNITS), "seed": args.seed,
        "year": YEAR, "repeat": args.repeat, "notes": notes,
        "measures": {m.key: m.as_json() for m in measures},
    }
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print("\n".join([f"$ {command}", *table(measures), *(f"- {n}" for n in notes)]))
    return 0
