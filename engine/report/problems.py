"""Data problems as CSV, for fixing a dataset with a spreadsheet or a script."""

from __future__ import annotations

from collections.abc import Sequence

from peie.errors import DataProblem

from .encoding import csv_text


def problems_csv(problems: Sequence[DataProblem]) -> str:
    """Data problems for fixing a dataset with a spreadsheet or a script."""
    return csv_text(("file", "row", "unit_id", "field", "message"),
                    [(p.file, "" if p.row is None else p.row, p.unit_id or "", p.field or "",
                      p.message) for p in problems])
