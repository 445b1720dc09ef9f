"""The spellings of nothing: the cell texts that mean an empty cell, on every path, for
every size and format of file (the exact reader, the columnar reader, JSON, YAML, XLSX).

What registry systems, spreadsheets and data tools write for a missing value: Excel's
`#N/A`, R's `NA`, pandas' `NaN`, a database's `NULL`, Python's `None`, and the `无` and
`/` of Chinese tables. A dash is not among them: Excel's accounting format shows zero as a
dash and a CSV export writes what is shown, so `-` may be a zero; it is refused as a
number (peie.data.kinds) rather than guessed either way.
"""

from __future__ import annotations

NOTHING = ("", "N/A", "n/a", "NA", "#N/A", "null", "NULL", "Null", "None", "NaN", "nan",
           "无", "/", "／")
_NOTHING = frozenset(NOTHING)


def text_or_none(cell: str) -> str | None:
    """A cell's text as every reader reads it: stripped of white space around it, and
    None where that is one of the spellings of nothing."""
    text = cell.strip()
    return None if text in _NOTHING else text
