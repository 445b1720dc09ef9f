"""The report of `peie allocate` (exact path): JSON (the contract for systems), CSV per
facility, a table for people, and an XLSX workbook."""

from __future__ import annotations

from typing import Any, BinaryIO

from peie.dsl.i18n import _, localized, localized_each
from peie.exact.allocation import Allocation, decimal_text

from . import breakdown, provenance
from .encoding import csv_text, text_table
from .labels import labelled, sector_labels
from .workbook import breakdown_sheets, write_xlsx


def allocation_json(result: Allocation) -> dict[str, Any]:
    """The JSON contract of `peie allocate --format json`."""
    out = provenance.head(result.provenance)
    out["units"] = [
        {"unit_id": u.unit_id, "facility_id": u.record.facility_id, "sector": u.record.sector,
         "allocation": decimal_text(u.allocation)}
        for u in result.units
    ]
    out["facilities"] = [facility_entry(f.facility_id, f.allocation, f.sectors)
                         for f in result.by_facility]
    out["totals"] = result.totals()
    return out


def facility_entry(facility_id: str, allocation: int, sectors: dict[str, int]
                   ) -> dict[str, Any]:
    """A facility's JSON entry: its total, and for one that spans sectors each sector's
    whole amount (contract 8)."""
    out: dict[str, Any] = {"facility_id": facility_id, "allocation": allocation}
    if len(sectors) > 1:
        out["sectors"] = sectors
    return out


def allocation_csv(result: Allocation) -> str:
    """One row per facility and sector: what each sector's plan issues."""
    rows = [(f.facility_id, f.sector, len(f.unit_ids), f.allocation, decimal_text(f.exact))
            for f in result.facilities]
    return csv_text(("facility_id", "sector", "units", "allocation", "exact_allocation"), rows)


def allocation_table(result: Allocation) -> str:
    lines = [localized(_("Free allocation {year}", year=result.year)),
             *provenance.lines(result.provenance),
             ""]
    labels = sector_labels(result.provenance)
    rows = [(f.facility_id, labelled(f.sector, labels), len(f.unit_ids), f"{f.allocation:,}")
            for f in result.facilities]
    lines += text_table(localized_each((_("facility"), _("sector"), _("units"),
                                        _("allocation tCO2"))), rows, (False, False, True, True))
    lines.append("")
    totals = result.totals()
    counts = {s: sum(1 for f in result.facilities if f.sector == s) for s in totals}
    counts["all"] = len(result.by_facility)
    units = {s: sum(1 for u in result.units if u.record.sector == s) for s in totals}
    units["all"] = len(result.units)
    lines += text_table(localized_each((_("sector"), _("facilities"), _("units"),
                                        _("allocation tCO2"))),
                        [(localized(_("all")) if s == "all" else labelled(s, labels), counts[s],
                          units[s], f"{t:,}")
                         for s, t in totals.items()],
                        (False, True, True, True))
    return "\n".join(lines) + "\n"


def allocation_xlsx(result: Allocation, handle: BinaryIO) -> None:
    write_xlsx(handle, {
        # A spreadsheet number holds ~15 digits: the exact value beside it, as text.
        _("units"): (("unit_id", "facility_id", "sector", "province", "allocation",
                   "allocation_exact"),
                  [(u.unit_id, u.record.facility_id, u.record.sector, u.record.province,
                    float(u.allocation), decimal_text(u.allocation)) for u in result.units]),
        _("facilities"): (("facility_id", "sector", "allocation"),
                       [(f.facility_id, f.sector, f.allocation) for f in result.facilities]),
        _("totals"): (("sector", "allocation"), list(result.totals().items())),
        **breakdown_sheets(breakdown.allocation_parts(result), breakdown.ALLOCATION),
        _("provenance"): (("item", "value"), provenance.rows(result.provenance)),
    })
