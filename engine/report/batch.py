"""Batch results written by pyarrow, without a Python loop over rows where it can be helped.

JSON keeps the allocate contract's shape; unit allocations are the float64 results as
text (marked by "unit_precision": "float64"): only facility amounts are issued, and those
equal the exact path's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from peie.api import BatchRun
from peie.batch.evaluate import BatchAllocation
from peie.data.columns import Columns
from peie.dsl.i18n import _, localized, localized_each

from . import provenance
from .allocation import facility_entry
from .encoding import text_table
from .labels import labelled, sector_labels

CHUNK_ROWS = 1 << 16  # rows of JSON built at a time


def facilities_table(result: BatchAllocation) -> pa.Table:
    """Facility allocations; what they were computed from rides along as the schema's
    metadata (`peie.provenance`), which parquet keeps in the file."""
    table = pa.table({
        "facility_id": pa.array(result.facility_ids, pa.string()),
        "sector": pa.array(result.facility_sector.tolist(), pa.string()),
        "allocation": pa.array(result.facility_allocation, pa.int64()),
    })
    rows = provenance.rows(result.provenance)
    return table.replace_schema_metadata({"peie.provenance": json.dumps(dict(rows))})


def _json_text(values: pa.Array | pa.ChunkedArray, quoted: bool) -> pa.Array | pa.ChunkedArray:
    """Values as the text of JSON values; a quoted value's text goes between quotes that
    the caller writes, so only what a string needs escaped is escaped here."""
    text = pc.cast(values, pa.string())
    if quoted and _needs_escapes(text):
        # rare: hand these to json for the escapes (control characters, quotes, \)
        text = pa.array([json.dumps(v, ensure_ascii=False)[1:-1] for v in text.to_pylist()],
                        pa.string())
    return text


# The bytes JSON escapes in a string: control characters, '"' and '\'. No byte of a UTF-8
# multi-byte character is below 0x80, so the check can run over the raw bytes.
_ESCAPED = np.zeros(256, dtype=bool)
_ESCAPED[[*range(0x20), ord('"'), ord("\\")]] = True


def _needs_escapes(text: pa.Array | pa.ChunkedArray) -> bool:
    return any(_ESCAPED[np.frombuffer(data, np.uint8)].any() for data in _buffers(text))


def _buffers(strings: pa.Array | pa.ChunkedArray) -> Iterator[pa.Buffer]:
    """The UTF-8 bytes of the strings, one after the other, without copying them."""
    for chunk in strings.chunks if isinstance(strings, pa.ChunkedArray) else [strings]:
        if len(chunk):
            offsets = np.frombuffer(chunk.buffers()[1], np.int32)
            first, last = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
            yield chunk.buffers()[2].slice(int(first), int(last - first))


def _json_objects(fields: list[tuple[str, pa.Array | pa.ChunkedArray, bool]],
                  separator: str) -> Iterator[pa.Buffer]:
    """JSON objects, one per row, with `separator` between them, built column-wise from
    (key, values, quoted) and yielded CHUNK_ROWS rows at a time: no Python string per row,
    and memory bounded by a chunk rather than by the file."""
    constants = []  # what goes before each field's value (and `closing` after the last)
    closing = ""
    for position, (key, _values, quoted) in enumerate(fields):
        quote = '"' if quoted else ""
        constants.append(f"{closing}{', ' if position else '{'}{json.dumps(key)}: {quote}")
        closing = quote
    size = len(fields[0][1])
    for start in range(0, size, CHUNK_ROWS):
        parts: list[Any] = []
        for constant, (_key, values, quoted) in zip(constants, fields, strict=True):
            parts += [constant, _json_text(values.slice(start, CHUNK_ROWS), quoted)]
        parts.append(closing + "}" + separator)
        pieces = list(_buffers(pc.binary_join_element_wise(*parts, "")))
        if start + CHUNK_ROWS >= size:  # no separator after the last object
            pieces[-1] = pieces[-1].slice(0, pieces[-1].size - len(separator.encode()))
        yield from pieces


def batch_json(result: BatchAllocation, columns: Columns) -> Iterator[bytes | pa.Buffer]:
    """The JSON document in pieces, to be written one after the other."""
    head = provenance.head(result.provenance)
    head["unit_precision"] = "float64"
    table = columns.table
    body = json.dumps(head, ensure_ascii=False, indent=2)[:-2]
    yield (body + ',\n  "units": [\n    ').encode()
    yield from _json_objects([("unit_id", table["unit_id"], True),
                              ("facility_id", table["facility_id"], True),
                              ("sector", table["sector"], True),
                              ("allocation", pa.array(result.unit_allocation), True)],
                             ",\n    ")
    yield b'\n  ],\n  "facilities": [\n    '
    spanning = result.spanning()
    if spanning:  # rare: these entries carry their sectors' amounts (contract 8)
        yield ",\n    ".join(json.dumps(facility_entry(f, int(a), spanning.get(f, {})),
                                         ensure_ascii=False)
                              for f, a in zip(result.facility_ids,
                                              result.facility_allocation.tolist(),
                                              strict=True)).encode()
    else:
        yield from _json_objects(
            [("facility_id", pa.array(result.facility_ids, pa.string()), True),
             ("allocation", pa.array(result.facility_allocation), False)], ",\n    ")
    yield ('\n  ],\n  "totals": ' + json.dumps(result.totals()) + "\n}\n").encode()


def write_json(run: BatchRun, handle: BinaryIO) -> None:
    for piece in batch_json(run.result, run.columns):
        handle.write(memoryview(piece))


def write_csv(run: BatchRun, handle: BinaryIO) -> None:
    pacsv.write_csv(facilities_table(run.result), handle,
                    pacsv.WriteOptions(quoting_style="needed"))


def write_table(run: BatchRun, handle: BinaryIO) -> None:
    handle.write(batch_table(run).encode())


def write_parquet(run: BatchRun, handle: BinaryIO) -> None:
    import pyarrow.parquet as pq

    pq.write_table(facilities_table(run.result), handle)


def batch_table(run: BatchRun) -> str:
    result = run.result
    lines = [localized(_("Free allocation {year} (batch: float64, {recomputed} facilities "
                         "settled on the exact path)", year=result.year,
                         recomputed=result.recomputed)),
             *provenance.lines(result.provenance, paths=False), ""]
    totals = result.totals()
    counts = result.facility_counts()
    labels = sector_labels(result.provenance)
    lines += text_table(localized_each((_("sector"), _("facilities"), _("allocation tCO2"))),
                        [(localized(_("all")) if s == "all" else labelled(s, labels), counts[s],
                          f"{t:,}") for s, t in totals.items()],
                        (False, True, True))
    return "\n".join(lines) + "\n"
