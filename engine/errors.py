"""Errors about data and commands, as opposed to rule files (see peie.dsl.errors)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from peie.dsl.errors import SEVERITIES, DiagnosticError, PeieError, RuleError, printable
from peie.dsl.i18n import _, localized

__all__ = ["CaseError", "DataError", "DataProblem", "PeieError", "RuleError", "UsageError"]


@dataclass(frozen=True)
class DataProblem:
    """One thing wrong with one record: where it is and what is wrong."""

    file: str
    row: int | None
    field: str | None
    message: str
    unit_id: str | None = None

    def __str__(self) -> str:
        return self.render("error", "en")

    def render(self, level: str, language: str | None = None) -> str:
        """The problem as the command line prints it, as an "error" or a "warning", in
        `language` (the run's when None)."""
        where = printable(self.file, one_line=True)
        if self.row is not None:
            where += localized(_(", row {row}", row=self.row), language)
        if self.unit_id:
            where += localized(_(" (unit {unit})", unit=printable(self.unit_id, one_line=True)),
                               language)
        if self.field:
            where += localized(_(", field '{field}'", field=printable(self.field, one_line=True)),
                               language)
        severity = localized(SEVERITIES.get(level, level), language)
        return f"{where}: {severity}: {printable(localized(self.message, language))}"


class DataError(PeieError):
    """One or more bad records or data files; nothing is issued when this is raised."""

    def __init__(self, problems: Iterable[DataProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def localized(self) -> str:
        return "\n".join(p.render("error") for p in self.problems)


class UsageError(PeieError):
    """A command that cannot be carried out as asked (missing file, no rule for a year...)."""


class CaseError(DiagnosticError):
    """Problems in files of test cases (`peie test`), each at FILE:LINE:COL as a rule
    file's are; no case is run when this is raised."""
