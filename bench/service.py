"""python -m bench.service: the HTTP service's speed (docs/service.md, "Limits").

    python -m bench.service [--units 10000] [--requests 50] [--repeat 5]

Starts `peie serve` on a free port of 127.0.0.1 (bench.server) and measures, after a
first request has warmed it:

- POST /v1/allocate of the bundled sample (samples/units_2017.csv, 300 units), one
  request after another over one connection: the median and the slowest of --requests;
- POST /v1/allocate of --units synthetic units (bench.synth, seed 2017) against
  peie.api.allocate of the same records in this process (rules loaded once, as the
  service loads them): the best of --repeat each, taking turns. The request body is made
  before the clock starts; the service's time includes reading and validating the JSON,
  and writing the answer, which the in-process call does not do.

Every answer is checked to be the document peie.report writes for the in-process result
before anything is reported. Nothing is written but the table on standard output.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import httpx

from peie import api
from peie.report.allocation import allocation_json
from peie.report.encoding import json_text

from .measure import ROOT, BenchError, Measure, best_of_each
from .server import running_service
from .suite import table
from .synth import generate_units

YEAR = 2017
SAMPLE_TARGET_S = 0.050  # per request, after start-up
RATIO_TARGET = 1.5  # the service against api.allocate in process, on --units units


def sample_records() -> list[dict[str, str]]:
    with open(ROOT / "samples" / "units_2017.csv", newline="", encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]


def _allocated(client: httpx.Client, body: bytes) -> str:
    answer = client.post("/v1/allocate", content=body,
                         headers={"Content-Type": "application/json"})
    if answer.status_code != 200:
        raise BenchError(f"the service answered {answer.status_code}: {answer.text[:500]}")
    return answer.text


def _expected(units: list[dict[str, Any]], rules: Any) -> str:
    return json_text(allocation_json(api.allocate(units, YEAR, rules=rules)))


def measure_sample(client: httpx.Client, requests: int, rules: Any) -> list[Measure]:
    units = sample_records()
    body = json.dumps({"year": YEAR, "units": units}).encode()
    if _allocated(client, body) != _expected(units, rules):  # also the warm-up
        raise BenchError("the service's answer for the sample is not peie.report's document")
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        _allocated(client, body)
        times.append(time.perf_counter() - start)
    return [Measure("sample_median_s", f"POST /v1/allocate, the sample's {len(units)} units, "
                    f"median of {requests}", statistics.median(times), "s",
                    ("<", SAMPLE_TARGET_S)),
            Measure("sample_slowest_s", "the same, the slowest", max(times), "s")]


def measure_large(client: httpx.Client, count: int, repeat: int, rules: Any) -> list[Measure]:
    units: list[dict[str, Any]] = [{k: v for k, v in u.items() if v}
                                   for u in generate_units(count, seed=2017)]
    body = json.dumps({"year": YEAR, "units": units}).encode()
    (local, run), (served, text) = best_of_each(repeat, [
        lambda: api.allocate(units, YEAR, rules=rules),
        lambda: _allocated(client, body)])
    if text != json_text(allocation_json(run)):
        raise BenchError(f"the service's answer for {count:,} units is not peie.report's "
                         "document")
    return [Measure("large_in_process_s", f"peie.api.allocate, {count:,} units, in process",
                    local, "s"),
            Measure("large_service_s", f"POST /v1/allocate, {count:,} units", served, "s"),
            Measure("large_ratio", "service / in process, time", served / local, "x",
                    ("<=", RATIO_TARGET))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.service",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rules = api.load_rules()
    try:
        with running_service() as url, httpx.Client(base_url=url, timeout=600) as client:
            measures = measure_sample(client, args.requests, rules)
            measures += measure_large(client, args.units, args.repeat, rules)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print("\n".join([*table(measures),
                     "- every answer was checked equal to peie.report's document for the "
                     "in-process result"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
