"""What a person reads in place of a bare name or code, in the run's language: a column's
heading where a person reads the file (XLSX), and a code with its label beside it in a
table. JSON and CSV keep the names and codes alone.

In English a heading is the column's name, as JSON keys and CSV headers have it; in
Chinese a data column is headed by the Chinese name data files may use for it
(peie.data.kinds.COLUMN_LABELS), any other by the catalogue's translation.
"""

from __future__ import annotations

from collections.abc import Mapping

from peie.data.kinds import COLUMN_LABELS
from peie.dsl.i18n import _, beside, language, localized
from peie.provenance import Provenance

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


def sector_labels(provenance: Provenance) -> dict[str, str]:
    """sector -> its label, as the rules a result comes from declare it."""
    return {sector: rule.sector_label for sector, rule in provenance.rules.items()}


def labelled(code: str, labels: Mapping[str, str]) -> str:
    """`code` with its label of `labels` beside it (peie.dsl.i18n.beside)."""
    return beside(code, labels.get(code))
