"""A user's mistake as it is reported: the summary line that closes a report of rule or
data errors (the command line prints it, the service answers with it), data problems as
CSV for fixing a dataset, and every user error as JSON for systems (the service's 422
answers and the command line's --format json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peie.dsl.errors import Diagnostic
from peie.dsl.i18n import localized, ngettext
from peie.errors import DataError, DataProblem, PeieError, RuleError

from .encoding import csv_text

ISSUING = {"preallocate", "trueup"}


def rule_errors_line(error: RuleError, language: str | None = None) -> str:
    """In `language`, else the run's: the service answers in English, the command line in
    its reader's."""
    return localized(ngettext("{count} error in rule files", "{count} errors in rule files",
                              len(error.diagnostics)), language)


def data_problems_line(error: DataError, command: str | None,
                       language: str | None = None) -> str:
    """How many problems, and what `command` did not do because of them (in `language`,
    else the run's)."""
    count = len(error.problems)
    if command in ISSUING:
        line = ngettext("{count} problem in the data; nothing was issued",
                        "{count} problems in the data; nothing was issued", count)
    elif command == "check":
        line = ngettext("{count} problem in the data", "{count} problems in the data", count)
    else:
        line = ngettext("{count} problem in the data; nothing was written",
                        "{count} problems in the data; nothing was written", count)
    return localized(line, language)


def problems_csv(problems: Sequence[DataProblem]) -> str:
    """Data problems for fixing a dataset with a spreadsheet or a script: the columns
    named in English, the messages in the run's language."""
    return csv_text(("file", "row", "unit_id", "field", "message"),
                    [(p.file, "" if p.row is None else p.row, p.unit_id or "", p.field or "",
                      localized(p.message)) for p in problems])


def diagnostic_json(diagnostic: Diagnostic, source: str | None) -> dict[str, Any]:
    """One diagnostic: where (lines and columns from 1), what, and the text a terminal
    shows (the line and a caret under the place)."""
    span = diagnostic.span
    return {"file": span.file, "line": span.line, "column": span.column,
            "end_line": span.end_line, "end_column": span.end_column,
            "severity": diagnostic.severity, "message": diagnostic.message,
            "text": diagnostic.render(source)}


def rule_errors_json(error: RuleError) -> list[dict[str, Any]]:
    return [diagnostic_json(d, error.sources.get(d.span.file)) for d in error.diagnostics]


def data_problems_json(error: DataError) -> list[dict[str, Any]]:
    return [{"file": p.file, "row": p.row, "unit_id": p.unit_id, "field": p.field,
             "message": p.message} for p in error.problems]


def error_document(error: PeieError, command: str | None) -> dict[str, Any]:
    """A user's mistake as one JSON document for systems, in English: `error` says which
    kind (rules, data, usage), `message` sums it up, and `diagnostics` (rules: file, line,
    column) or `problems` (data: file, row, unit_id, field) hold every one. The service
    answers it (422); the command line writes it on standard error with --format json."""
    if isinstance(error, RuleError):
        return {"error": "rules", "message": rule_errors_line(error, "en"),
                "diagnostics": rule_errors_json(error)}
    if isinstance(error, DataError):
        return {"error": "data", "message": data_problems_line(error, command, "en"),
                "problems": data_problems_json(error)}
    return {"error": "usage", "message": str(error)}
