"""The error boundary: a PeieError as the command line prints it, on standard error.

It takes plain values, so that a program embedding peie can print an error exactly as
`peie` would: `report_error(error)`, or `report_error(error, "trueup")`.
"""

from __future__ import annotations

import sys
from collections import Counter

from peie.errors import DataError, PeieError, RuleError
from peie.files import atomic_write
from peie.report.problems import data_problems_line, problems_csv, rule_errors_line

SHOWN_PROBLEMS = 100  # data problems printed on standard error; --problems FILE has all


def report_error(error: PeieError, command: str | None = None,
                 problems_file: str | None = None, can_list: bool = False) -> None:
    """The error on stderr; after data problems, what `command` did not do. `can_list`:
    the command takes --problems FILE (the hint to use it is given only then)."""
    if isinstance(error, RuleError):
        print(error.render(), file=sys.stderr)
        print(rule_errors_line(error), file=sys.stderr)
    elif isinstance(error, DataError):
        _report_problems(error, problems_file, can_list)
        print(data_problems_line(error, command), file=sys.stderr)
    else:
        print(f"peie: error: {error}", file=sys.stderr)


def _report_problems(error: DataError, problems_file: str | None, can_list: bool) -> None:
    """The first SHOWN_PROBLEMS problems, then a count per field of the rest; every one
    in the --problems file, where it was given."""
    for problem in error.problems[:SHOWN_PROBLEMS]:
        print(problem, file=sys.stderr)
    hidden = error.problems[SHOWN_PROBLEMS:]
    if hidden:
        fields = Counter(p.field or "(the row)" for p in hidden).most_common()
        hint = "; --problems FILE writes every one" if can_list and not problems_file else ""
        print(f"... and {len(hidden):,} more (" + ", ".join(
            f"{field}: {n:,}" for field, n in fields) + ")" + hint, file=sys.stderr)
    if problems_file:
        try:
            atomic_write(problems_file, lambda handle: handle.write(
                problems_csv(error.problems)))
            print(f"every problem: {problems_file}", file=sys.stderr)
        except PeieError as failed:
            print(f"peie: error: {failed}", file=sys.stderr)
