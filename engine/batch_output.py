"""Batch results written by pyarrow, without a Python loop over rows where it can be helped.

JSON keeps the allocate contract's shape; unit allocations are the float64 results as
text (marked by "unit_precision": "float64"): only facility amounts are issued, and those
equal the exact path's.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import report
from .batch import BatchAllocation
from .columns import Columns
from .errors import UsageError

FORMATS = ("table", "json", "csv", "parquet")


def facilities_table(result: BatchAllocation) -> pa.Table:
    return pa.table({
        "facility_id": pa.array(result.facility_ids, pa.string()),
        "sector": pa.array(result.facility_sector.tolist(), pa.string()),
        "allocation": pa.array(result.facility_allocation, pa.int64()),
    })


def _json_objects(fields: list[tuple[str, pa.Array, bool]], separator: str) -> pa.Buffer:
    """JSON objects, one per row, built column-wise — (key, values, quoted) — and joined,
    as one UTF-8 buffer: no Python string per row."""
    parts: list[Any] = []
    for position, (key, values, quoted) in enumerate(fields):
        text = pc.cast(values, pa.string())
        if quoted:
            if pc.any(pc.match_substring_regex(text, r'["\\]')).as_py():
                text = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"),
                                            '"', '\\"')
            text = pc.binary_join_element_wise('"', text, '"', "")
        prefix = ("{" if position == 0 else ", ") + json.dumps(key) + ": "
        parts.extend([prefix, text])
    parts.append("}")
    rows = pc.cast(pc.binary_join_element_wise(*parts, ""), pa.large_string())
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    one_list = pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows)
    joined = pc.binary_join(one_list, pa.scalar(separator, pa.large_string()))
    return joined[0].as_buffer()


def batch_json(result: BatchAllocation, columns: Columns) -> list[bytes | pa.Buffer]:
    """The JSON document in pieces, to be written one after the other."""
    head = report.provenance_of(result.year, result.rules, result.data_sha256)
    if result.local_factors_sha256:
        head["local_factors_sha256"] = result.local_factors_sha256
    head["unit_precision"] = "float64"
    table = columns.table
    units = _json_objects([("unit_id", table["unit_id"], True),
                           ("facility_id", table["facility_id"], True),
                           ("sector", table["sector"], True),
                           ("allocation", pa.array(result.unit_allocation), True)],
                          ",\n    ")
    facilities = _json_objects([("facility_id", pa.array(result.facility_ids, pa.string()), True),
                                ("allocation", pa.array(result.facility_allocation), False)],
                               ",\n    ")
    body = json.dumps(head, ensure_ascii=False, indent=2)[:-2]
    return [(body + ',\n  "units": [\n    ').encode(), units,
            b'\n  ],\n  "facilities": [\n    ', facilities,
            ('\n  ],\n  "totals": ' + json.dumps(result.totals()) + "\n}\n").encode()]


def write_batch(result: BatchAllocation, columns: Columns, fmt: str, out: str | None) -> None:
    """Write `fmt` to `out` atomically, or to standard output."""
    pieces: list[bytes | pa.Buffer]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if not out:
            raise UsageError("--format parquet writes a file: give it with --out FILE")
        report.atomic_write(out, lambda handle: pq.write_table(facilities_table(result),
                                                               handle), binary=True)
        return
    if fmt == "csv":
        buffer = io.BytesIO()
        pacsv.write_csv(facilities_table(result), buffer,
                        pacsv.WriteOptions(quoting_style="needed"))
        pieces = [buffer.getvalue()]
    elif fmt == "json":
        pieces = batch_json(result, columns)
    else:
        pieces = [batch_table(result).encode()]

    def write(handle: BinaryIO) -> None:
        for piece in pieces:
            handle.write(memoryview(piece))

    if out:
        report.atomic_write(out, write, binary=True)
    else:
        sys.stdout.flush()
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()


def batch_table(result: BatchAllocation) -> str:
    lines = [f"Free allocation {result.year} (batch: float64, {result.recomputed} facilities "
             "settled on the exact path)"]
    for sector, rule in sorted(result.rules.items()):
        lines.append(f"  rules {sector}: {rule.version} ({rule.status}), sha256 "
                     f"{rule.sha256[:16]}")
    lines.append(f"  data sha256 {result.data_sha256[:16]}\n")
    totals = result.totals()
    counts = {s: int((result.facility_sector == s).sum()) for s in totals}
    counts["all"] = len(result.facility_ids)
    lines += report.text_table(("sector", "facilities", "allocation tCO2"),
                               [(s, counts[s], f"{t:,}") for s, t in totals.items()],
                               (False, True, True))
    return "\n".join(lines) + "\n"
