"""The headings of a report's columns where a person reads them (XLSX), in the run's
language. In English a heading is the column's name, as JSON keys and CSV headers have it;
in Chinese a data column is headed by the Chinese name data files may use for it
(peie.data.kinds.COLUMN_LABELS), any other by the catalogue's translation."""

from __future__ import annotations

from peie.data.kinds import COLUMN_LABELS
from peie.dsl.i18n import _, language, localized

_HEADINGS = {
    "allocation": _("allocation"),
    "allocation_exact": _("allocation_exact"),
    "item": _("item"),
    "value": _("value"),
}


def heading(name: str) -> str:
    """The heading of column `name`."""
    if language() == "zh" and name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    return localized(_HEADINGS.get(name, name))
