"""The error boundary: a PeieError as the command line prints it, on standard error.

It takes plain values, so that a program embedding peie can print an error exactly as
`peie` would: `report_error(error)`, or `report_error(error, "trueup")`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterable

from peie.dsl.errors import printable
from peie.dsl.i18n import _, localized, ngettext
from peie.errors import CaseError, DataError, DataProblem, PeieError, RuleError
from peie.files import atomic_write
from peie.report.encoding import json_text
from peie.report.problems import (
    data_problems_line,
    error_document,
    problems_csv,
    rule_errors_line,
)

SHOWN_PROBLEMS = 100  # data problems printed on standard error; --problems FILE has all
ISSUING = {"preallocate", "trueup"}
EXIT_REPORT_NOT_WRITTEN = 3


class ReportNotWritten(PeieError):
    """An issuing command's report failed after the ledger committed the run: the run IS
    issued, and the user is told where it is recorded, not that the command failed."""

    exit_status = EXIT_REPORT_NOT_WRITTEN

    def __init__(self, failure: str, stage: str, year: int, ledger: os.PathLike[str],
                 run_id: int):
        self.ledger, self.run_id = os.fspath(ledger), run_id
        super().__init__(_(
            "{failure}. The {stage} of {year} is recorded all the same, in the ledger "
            "{ledger} as run {run} (peie ledger show --ledger {ledger} --year {year} shows "
            "it); only its report is missing. The same command again writes the report and "
            "issues nothing new.", failure=failure, stage=stage, year=year, ledger=ledger,
            run=run_id))


def report_error(error: PeieError, command: str | None = None,
                 problems_file: str | None = None, can_list: bool = False,
                 as_json: bool = False) -> None:
    """The error on stderr; after data problems, what `command` did not do. `can_list`:
    the command takes --problems FILE (the hint to use it is given only then). `as_json`
    (--format json): one JSON document instead, for systems (peie.report.problems)."""
    if as_json:
        _report_json(error, command, problems_file)
    elif isinstance(error, RuleError):
        print(error.render(), file=sys.stderr)
        print(rule_errors_line(error), file=sys.stderr)
    elif isinstance(error, CaseError):
        print(error.render(), file=sys.stderr)
        print(localized(ngettext("{count} error in case files; no case was run",
                                 "{count} errors in case files; no case was run",
                                 len(error.diagnostics))), file=sys.stderr)
    elif isinstance(error, DataError):
        _report_problems(error, problems_file, can_list)
        print(data_problems_line(error, command), file=sys.stderr)
    else:
        print(localized(_("peie: error: {error}", error=printable(error.localized()))),
              file=sys.stderr)


def _report_json(error: PeieError, command: str | None, problems_file: str | None) -> None:
    """Every problem, as the service answers it; a run recorded whose report failed names
    its run and ledger too. The --problems file is written all the same."""
    document = error_document(error, command)
    if isinstance(error, ReportNotWritten):
        document |= {"error": "report", "run_id": error.run_id, "ledger": error.ledger}
    if isinstance(error, DataError) and problems_file:
        with contextlib.suppress(PeieError):  # checked writable before the run
            _write_problems(error, problems_file)
    sys.stderr.write(json_text(document))


def report_warnings(warnings: Iterable[DataProblem]) -> None:
    """What a run went on with despite a doubt, on standard error (--strict stops)."""
    for warning in warnings:
        print(warning.render("warning"), file=sys.stderr)


def _report_problems(error: DataError, problems_file: str | None, can_list: bool) -> None:
    """The first SHOWN_PROBLEMS problems, then a count per field of the rest; every one
    in the --problems file, where it was given."""
    for problem in error.problems[:SHOWN_PROBLEMS]:
        print(problem.render("error"), file=sys.stderr)
    hidden = error.problems[SHOWN_PROBLEMS:]
    if hidden:
        fields = Counter(p.field or localized(_("(the row)")) for p in hidden).most_common()
        hint = (localized(_("; --problems FILE writes every one"))
                if can_list and not problems_file else "")
        counts = ", ".join(f"{field}: {n:,}" for field, n in fields)
        more = f"{len(hidden):,}"
        print(localized(_("... and {count} more ({counts})", count=more, counts=counts)) + hint,
              file=sys.stderr)
    if problems_file:
        try:
            _write_problems(error, problems_file)
            print(localized(_("every problem: {file}", file=problems_file)), file=sys.stderr)
        except PeieError as failed:
            print(localized(_("peie: error: {error}", error=printable(failed.localized()))),
                  file=sys.stderr)


def _write_problems(error: DataError, problems_file: str) -> None:
    atomic_write(problems_file, lambda handle: handle.write(problems_csv(error.problems)))
