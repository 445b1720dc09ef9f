"""The reports of `peie preallocate`, `peie trueup`, `peie position` and `peie ledger`:
JSON for systems, CSV with plain values for programs, tables for people."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from peie.api import LedgerView, PositionReport, PreallocationRun, Recorded, TrueUpRun
from peie.dsl.i18n import _, localized, localized_each
from peie.exact.allocation import decimal_text
from peie.exact.facilities import members
from peie.issuance.ledger import LedgerEntry
from peie.issuance.position import FacilityPosition
from peie.issuance.stages import Preallocation, TrueUp

from . import provenance
from .encoding import csv_text, json_text, text_table
from .labels import labelled, sector_labels

Layout = tuple[tuple[str, ...], list[tuple[Any, ...]]]  # a header and its rows


def recorded_line(recorded: Recorded) -> str:
    """What the ledger did with the run, for standard error (a Message: English in JSON)."""
    outcome, path = recorded.outcome, recorded.ledger
    if outcome.status == "unchanged":
        return _("ledger {path}: identical to run {run} recorded before; nothing new was "
                 "issued", path=path, run=outcome.run_id)
    if outcome.status == "superseded":
        return _("ledger {path}: recorded as run {run}, superseding run {replaced}", path=path,
                 run=outcome.run_id, replaced=outcome.replaced_run_id)
    return _("ledger {path}: recorded as run {run}", path=path, run=outcome.run_id)


def _totals(items: Sequence[Any], field: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for item in items:
        totals[item.sector] = totals.get(item.sector, 0) + getattr(item, field)
    totals = dict(sorted(totals.items()))
    totals["all"] = sum(totals.values())
    return totals


def _stage_table(title: str, document: dict[str, Any], layout: Layout,
                 labels: dict[str, str]) -> str:
    header, rows = layout
    lines = [title, *text_table(localized_each(header), rows,
                                [False, False] + [True] * (len(header) - 2)), ""]
    for key in (k for k in document if k.startswith("totals")):
        lines += [localized(_TOTALS[key]) + ":"] + [
            f"  {localized(_('all')) if s == 'all' else labelled(s, labels)}: {v:,}"
            for s, v in document[key].items()]
    return "\n".join(lines) + "\n"


# How each document's totals are headed in a table (the JSON keys stay as they are).
_TOTALS = {"totals": _("totals"), "totals_final": _("totals final"),
           "totals_preallocation": _("totals preallocation"),
           "totals_trueup": _("totals trueup")}


# ---- pre-allocation ----------------------------------------------------------------


def preallocation_document(run: PreallocationRun) -> dict[str, Any]:
    document = provenance.head(run.provenance)
    document["stage"] = "preallocation"
    document["base_year"] = {s: r.base_year_for(run.base.year)
                             for s, r in sorted(run.base.rules.items())}
    document["facilities"] = _facility_entries(run.items, ("preallocation",))
    document["totals"] = _totals(run.items, "preallocation")
    return document


def _facility_entries(items: Sequence[Preallocation | TrueUp], stages: tuple[str, ...]
                      ) -> list[dict[str, Any]]:
    """One entry per facility with its amounts summed over its sectors; a facility that
    spans sectors adds each sector's amounts (contract 8)."""
    grouped: dict[str, list[Preallocation | TrueUp]] = {}
    for item in items:
        grouped.setdefault(item.facility_id, []).append(item)
    entries = []
    for facility_id, parts in grouped.items():
        entry: dict[str, Any] = {"facility_id": facility_id}
        entry.update({stage: sum(getattr(p, stage) for p in parts) for stage in stages})
        if len(parts) > 1:
            entry["sectors"] = {p.sector: (getattr(p, stages[0]) if len(stages) == 1 else
                                           {stage: getattr(p, stage) for stage in stages})
                                for p in parts}
        entries.append(entry)
    return entries


def preallocation_json(run: PreallocationRun) -> str:
    return json_text({**preallocation_document(run), "ledger": recorded_line(run.recorded)})


def preallocation_csv(run: PreallocationRun) -> str:
    return csv_text(("facility_id", "sector", "base_year_allocation", "share", "preallocation"),
                    [(p.facility_id, p.sector, decimal_text(p.base_allocation),
                      decimal_text(p.share), p.preallocation) for p in run.items])


def preallocation_table(run: PreallocationRun) -> str:
    labels = sector_labels(run.provenance)
    rows = [(p.facility_id, labelled(p.sector, labels), decimal_text(p.base_allocation),
             f"{p.share:%}", p.preallocation) for p in run.items]
    return _stage_table(localized(_("Pre-allocation {year}", year=run.base.year)),
                        preallocation_document(run),
                        ((_("facility"), _("sector"), _("base-year allocation"), _("share"),
                          _("preallocation")), rows), labels)


# ---- true-up -----------------------------------------------------------------------


def trueup_document(run: TrueUpRun) -> dict[str, Any]:
    document = provenance.head(run.provenance)
    document["stage"] = "trueup"
    document["facilities"] = _facility_entries(run.items, ("preallocation", "final", "trueup"))
    document["new_entrants"] = list(dict.fromkeys(t.facility_id for t in run.items
                                                  if t.new_entrant))
    document["totals_final"] = _totals(run.items, "final")
    document["totals_preallocation"] = _totals(run.items, "preallocation")
    document["totals_trueup"] = _totals(run.items, "trueup")
    return document


def trueup_json(run: TrueUpRun) -> str:
    return json_text({**trueup_document(run), "ledger": recorded_line(run.recorded)})


def trueup_csv(run: TrueUpRun) -> str:
    return csv_text(("facility_id", "sector", "preallocation", "final", "trueup", "new_entrant"),
                    [(t.facility_id, t.sector, t.preallocation, t.final, t.trueup,
                      "true" if t.new_entrant else "false") for t in run.items])


def trueup_table(run: TrueUpRun) -> str:
    labels = sector_labels(run.provenance)
    rows = [(t.facility_id, labelled(t.sector, labels), t.preallocation, t.final,
             f"{t.trueup:+,}", localized(_("new entrant")) if t.new_entrant else "")
            for t in run.items]
    return _stage_table(localized(_("Final allocation and true-up {year} (多退少补)",
                                    year=run.final.year)),
                        trueup_document(run),
                        ((_("facility"), _("sector"), _("preallocation"), _("final"),
                          _("trueup"), ""), rows), labels)


# ---- position ----------------------------------------------------------------------


def position_json(report: PositionReport) -> str:
    document = provenance.head(report.provenance)
    grouped = members(f.facility_id for f in report.facilities)
    document["facilities"] = [_facility_position([report.facilities[i] for i in indices])
                              for indices in grouped.values()]
    document["sectors"] = [
        {"sector": s.sector, "facilities": s.facilities, "short": s.short,
         "short_share": decimal_text(round(s.short_share, 4)),
         "allocation": s.allocation, "emissions": decimal_text(s.emissions),
         "obligation": s.obligation, "shortfall": s.shortfall, "surplus": s.surplus,
         "gap_percent": decimal_text(round(s.gap_percent, 3))} for s in report.sectors]
    return json_text(document)


def _facility_position(parts: Sequence[FacilityPosition]) -> dict[str, Any]:
    """A facility's entry: its sums over its sectors, and for one that spans sectors each
    sector's own (contract 8)."""
    def amounts(of: Sequence[FacilityPosition]) -> dict[str, Any]:
        return {"allocation": sum(p.allocation for p in of),
                "emissions": decimal_text(sum((p.emissions for p in of), Decimal(0))),
                "obligation": sum(p.obligation for p in of),
                "balance": sum(p.balance for p in of)}

    out = {"facility_id": parts[0].facility_id, **amounts(parts),
           "emissions_computed": any(p.computed for p in parts)}
    if len(parts) > 1:
        out["sectors"] = {p.sector: amounts([p]) for p in parts}
    return out


def position_table(report: PositionReport) -> str:
    labels = sector_labels(report.provenance)
    rows = [(f.facility_id, labelled(f.sector, labels), f"{f.allocation:,}",
             _tonnes(f.emissions), f"{f.obligation:,}", f"{f.balance:+,}")
            for f in report.facilities]
    lines = [localized(_("Position {year}: final allocation against the compliance "
                         "obligation (清缴)", year=report.result.year)),
             *text_table(localized_each((_("facility"), _("sector"), _("allocation"),
                                         _("emissions"), _("obligation"),
                                         _("surplus(+)/shortfall(-)"))), rows,
                         (False, False, True, True, True, True)), ""]
    lines += text_table(
        localized_each((_("sector"), _("facilities"), _("short"), _("short %"), _("allocation"),
                        _("emissions"), _("obligation"), _("shortfall"), _("surplus"),
                        _("gap %"))),
        [(labelled(s.sector, labels), s.facilities, s.short, f"{s.short_share * 100:.1f}",
          f"{s.allocation:,}", _tonnes(s.emissions), f"{s.obligation:,}", f"{s.shortfall:,}",
          f"{s.surplus:,}", f"{s.gap_percent:.2f}") for s in report.sectors],
        (False, True, True, True, True, True, True, True, True, True))
    return "\n".join(lines) + "\n"


def _tonnes(value: Decimal) -> str:
    return f"{value:,.3f}"


# ---- the ledger --------------------------------------------------------------------


def ledger_table(view: LedgerView) -> str:
    rows = [(e.run_id, e.year, e.stage, e.facility_id, e.sector, f"{e.amount:,}",
             "" if e.final is None else f"{e.final:,}",
             localized(_("superseded")) if e.superseded else "")
            for e in view.entries]
    lines = text_table(localized_each((_("run"), _("year"), _("stage"), _("facility"),
                                       _("sector"), _("amount"), _("final"), "")),
                       rows, (True, True, False, False, False, True, True, False))
    lines.append("")
    for run in view.runs:
        rules = ", ".join(f"{s} {v['version']} ({v['sha256'][:12]})"
                          for s, v in run.rules.items())
        state = (_("superseded by run {run}: {reason}", run=run.superseded_by,
                   reason=run.supersede_reason) if run.superseded_by else _("current"))
        factors = (_("; local factors {sha256}", sha256=run.local_factors_sha256[:12])
                   if run.local_factors_sha256 else "")
        lines.append(localized(_("run {run}: {year} {stage}, {at}, {state}; rules {rules}; data "
                                 "{sha256}{factors}; `{command}`", run=run.id, year=run.year,
                                 stage=run.stage, at=run.recorded_at, state=state,
                                 rules=rules, sha256=run.data_sha256[:12], factors=factors,
                                 command=run.command)))
    return "\n".join(lines) + "\n"


EXPORT_COLUMNS = tuple(LedgerEntry.__dataclass_fields__)


def ledger_json(view: LedgerView) -> str:
    return json.dumps([{**asdict(e), "rules": json.loads(e.rules)} for e in view.entries],
                      ensure_ascii=False, indent=2) + "\n"


def ledger_runs_json(view: LedgerView) -> str:
    """The runs that recorded the issuances read, superseded ones too."""
    return json.dumps([asdict(r) for r in view.runs], ensure_ascii=False, indent=2) + "\n"


def ledger_csv(view: LedgerView) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([getattr(e, c) for c in EXPORT_COLUMNS] for e in view.entries)
    return buffer.getvalue()
