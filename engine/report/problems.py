"""A user's mistake as it is reported: the summary line that closes a report of rule or
data errors (the command line prints it, the service answers with it), data problems as
CSV for fixing a dataset, and rule and data errors as JSON for systems."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peie.dsl.errors import Diagnostic
from peie.dsl.i18n import localized, ngettext
from peie.errors import DataError, DataProblem, RuleError

from .encoding import csv_text

ISSUING = {"preallocate", "trueup"}


def rule_errors_line(error: RuleError) -> str:
    """In the run's language: the service answers in English, the command line in its
    reader's."""
    return localized(ngettext("{count} error in rule files", "{count} errors in rule files",
                              len(error.diagnostics)))


def data_problems_line(error: DataError, command: str | None) -> str:
    """How many problems, and what `command` did not do because of them."""
    count = len(error.problems)
    if command in ISSUING:
        line = ngettext("{count} problem in the data; nothing was issued",
                        "{count} problems in the data; nothing was issued", count)
    elif command == "check":
        line = ngettext("{count} problem in the data", "{count} problems in the data", count)
    else:
        line = ngettext("{count} problem in the data; nothing was written",
                        "{count} problems in the data; nothing was written", count)
    return localized(line)


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
