"""The one registry of output formats: for each document a command produces, the formats
it can be written in and how. A new format, or a new document, is an entry here; the
command line takes its `--format` choices from it.

A format writes a result to an open handle (text, or bytes where `binary`); `deliver`
sends it to a file, written whole or not at all, or to the stream the caller gives.
Formats marked `file_only` (a workbook, Parquet) are not written to a terminal.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from peie.dsl.errors import printable
from peie.dsl.i18n import _
from peie.errors import UsageError
from peie.files import atomic_write

from . import allocation, calibration, checks, diff, explain, html, issuance, testing, workbook
from . import breakdown as bd
from . import provenance as prov
from .encoding import excel_csv, json_text

Write = Callable[..., None]  # (result, handle, **options) -> None


@dataclass(frozen=True)
class Format:
    write: Write
    binary: bool = False
    file_only: bool = False


def text(render: Callable[..., str]) -> Format:
    """A format whose rendering is a string."""
    return Format(lambda result, handle, **options: handle.write(render(result, **options)))


def for_people(render: Callable[..., str]) -> Format:
    """A rendering read on a terminal: what came from files (ids, names, rule text) keeps
    no character that would act on the terminal (an ANSI escape, a bidi override); they
    show as escapes. Formats for programs (JSON, CSV) keep the text itself."""
    return text(lambda result, **options: printable(render(result, **options)))


def _diff(render: Callable[..., str], wrap: Callable[[Callable[..., str]], Format] = text
          ) -> Format:
    """A semantic-diff rendering, which takes the diff and both versions."""
    return wrap(lambda v: render(v.diff, v.old, v.new))


def _batch(name: str, file_only: bool = False) -> Format:
    """A format of the batch report, which brings numpy and pyarrow: imported when
    written, so that the other commands do not pay for it."""
    def write(result: Any, handle: IO[bytes]) -> None:
        from . import batch

        getattr(batch, name)(result, handle)

    return Format(write, binary=True, file_only=file_only)


def page(render: Callable[..., None]) -> Format:
    """An HTML report (peie.report.html)."""
    return Format(render)


def _breakdown(parts: Callable[[Any], list[bd.Part]], measures: tuple[str, ...],
               head: Callable[[Any], dict[str, Any]], table: str = "table"
               ) -> dict[str, Format]:
    """The formats of a report's breakdown by one dimension (`--by`); `table` names the
    text table as the report's own table is named."""
    def chosen(result: Any, by: str) -> bd.Breakdown:
        return bd.group(parts(result), by, measures)

    return {table: for_people(lambda r, by: bd.breakdown_table(chosen(r, by))),
            "json": text(lambda r, by: json_text({**head(r), **bd.breakdown_json(chosen(r, by))})),
            "csv": text(lambda r, by: bd.breakdown_csv(chosen(r, by)))}


def _impact_head(result: Any) -> dict[str, Any]:
    return {"old": diff.rule_version(result.old_rule), "new": diff.rule_version(result.new_rule),
            "data": {"path": result.data_path, "sha256": result.data_sha256},
            "local_factors_sha256": result.local_factors_sha256}


DOCUMENTS: dict[str, dict[str, Format]] = {
    "check": {"text": for_people(checks.check_text)},
    "allocation": {
        "table": for_people(allocation.allocation_table),
        "json": text(lambda r: json_text(allocation.allocation_json(r))),
        "csv": text(allocation.allocation_csv),
        "xlsx": Format(allocation.allocation_xlsx, binary=True, file_only=True),
        "html": page(html.allocation_html),
    },
    "allocation breakdown": _breakdown(bd.allocation_parts, bd.ALLOCATION,
                                       lambda r: prov.head(r.provenance)),
    "batch allocation": {
        "table": _batch("write_table"),
        "json": _batch("write_json"),
        "csv": _batch("write_csv"),
        "parquet": _batch("write_parquet", file_only=True),
    },
    "explanation": {"text": for_people(explain.explanation_text),
                    "json": text(explain.explanation_json)},
    "facility explanation": {"text": for_people(explain.facility_text),
                             "json": text(explain.facility_json)},
    "preallocation": {"table": for_people(issuance.preallocation_table),
                      "json": text(issuance.preallocation_json),
                      "csv": text(issuance.preallocation_csv)},
    "trueup": {"table": for_people(issuance.trueup_table), "json": text(issuance.trueup_json),
               "csv": text(issuance.trueup_csv), "html": page(html.trueup_html),
               "xlsx": Format(workbook.trueup_xlsx, binary=True, file_only=True)},
    "position": {"table": for_people(issuance.position_table),
                 "json": text(issuance.position_json), "html": page(html.position_html),
                 "xlsx": Format(workbook.position_xlsx, binary=True, file_only=True)},
    "position breakdown": _breakdown(bd.position_parts, bd.POSITION,
                                     lambda r: prov.head(r.provenance)),
    "ledger": {"table": for_people(issuance.ledger_table)},
    "ledger export": {"csv": text(issuance.ledger_csv), "json": text(issuance.ledger_json)},
    "diff": {"text": _diff(diff.diff_text, for_people), "json": _diff(diff.diff_json),
             "markdown": _diff(diff.diff_markdown, for_people)},
    "impact": {"text": for_people(diff.impact_text), "json": text(diff.impact_json),
               "markdown": for_people(lambda r, top: diff.impact_text(r, top, markdown=True)),
               "csv": text(lambda r, top: diff.impact_csv(r)),
               "html": page(html.impact_html),
               "xlsx": Format(lambda r, handle, top: workbook.impact_xlsx(r, handle),
                              binary=True, file_only=True)},
    "impact breakdown": _breakdown(bd.impact_parts, bd.IMPACT, _impact_head, table="text"),
    "test": {"text": for_people(testing.test_text), "junit": text(testing.junit_xml)},
    "calibration": {"table": for_people(calibration.calibration_text),
                    "json": text(calibration.calibration_json)},
}


def formats(document: str) -> tuple[str, ...]:
    """The format names of a document, in the order `--help` lists them."""
    return tuple(DOCUMENTS[document])


def check_excel(fmt: str) -> None:
    """Refuse `--excel` with a format other than CSV."""
    if fmt != "csv":
        raise UsageError(_("--excel goes with --format csv"))


def for_excel(chosen: Format) -> Format:
    """A CSV format written as Excel opens it (encoding.excel_csv)."""
    def write(result: Any, handle: IO[bytes], **options: Any) -> None:
        buffer: io.BytesIO | io.StringIO = io.BytesIO() if chosen.binary else io.StringIO()
        chosen.write(result, buffer, **options)
        data = buffer.getvalue()
        handle.write(excel_csv(data if isinstance(data, bytes) else data.encode("utf-8")))

    return Format(write, binary=True, file_only=chosen.file_only)


def deliver(document: str, fmt: str, result: Any, out: str | os.PathLike[str] | None,
            stream: IO[str], excel: bool = False, **options: Any) -> None:
    """Write `result` as `fmt` to the file `out`, or else to `stream` (the caller's
    standard output, flushed); with `excel`, a CSV as Excel opens it. A failure to write
    (a full disk) is a UsageError."""
    chosen = DOCUMENTS[document][fmt]
    if excel:
        check_excel(fmt)
        chosen = for_excel(chosen)
    if out:
        atomic_write(out, lambda handle: chosen.write(result, handle, **options),
                     binary=chosen.binary)
        return
    if chosen.file_only:
        raise UsageError(_("--format {fmt} writes a file: give it with --out FILE", fmt=fmt))
    try:
        if chosen.binary:
            stream.flush()
            chosen.write(result, stream.buffer, **options)  # type: ignore[attr-defined]
            stream.buffer.flush()  # type: ignore[attr-defined]
        else:
            chosen.write(result, stream, **options)
            stream.flush()
    except BrokenPipeError:
        raise  # a reader that stopped early (`| head`): the caller decides
    except OSError as error:
        raise UsageError(_("standard output: cannot be written: {reason}",
                           reason=error.strerror or error)
                         ) from None
