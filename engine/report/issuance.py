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
from peie.exact.allocation import decimal_text
from peie.issuance.ledger import LedgerEntry
from peie.issuance.stages import Preallocation, TrueUp

from . import provenance
from .encoding import csv_text, json_text, text_table
from .labels import labelled, sector_labels

Layout = tuple[tuple[str, ...], list[tuple[Any, ...]]]  # a header and its rows


def recorded_line(recorded: Recorded) -> str:
    """What the ledger did with the run, for standard error."""
    outcome, path = recorded.outcome, recorded.ledger
    if outcome.status == "unchanged":
        return (f"ledger {path}: identical to run {outcome.run_id} recorded before; "
                "nothing new was issued")
    if outcome.status == "superseded":
        return (f"ledger {path}: recorded as run {outcome.run_id}, superseding run "
                f"{outcome.replaced_run_id}")
    return f"ledger {path}: recorded as run {outcome.run_id}"


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
    lines = [title, *text_table(header, rows, [False, False] + [True] * (len(header) - 2)), ""]
    for key in (k for k in document if k.startswith("totals")):
        lines += [f"{key.replace('_', ' ')}:"] + [f"  {labelled(s, labels)}: {v:,}"
                                                   for s, v in document[key].items()]
    return "\n".join(lines) + "\n"


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
    return _stage_table(f"Pre-allocation {run.base.year}", preallocation_document(run),
                        (("facility", "sector", "base-year allocation", "share",
                          "preallocation"), rows), labels)


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
             f"{t.trueup:+,}", "new entrant" if t.new_entrant else "") for t in run.items]
    return _stage_table(f"Final allocation and true-up {run.final.year} (多退少补)",
                        trueup_document(run),
                        (("facility", "sector", "preallocation", "final", "trueup", ""), rows),
                        labels)


# ---- position ----------------------------------------------------------------------


def position_json(report: PositionReport) -> str:
    document = provenance.head(report.provenance)
    document["facilities"] = [
        {"facility_id": f.facility_id, "sector": f.sector, "allocation": f.allocation,
         "emissions": decimal_text(f.emissions), "balance": decimal_text(f.balance),
         "emissions_computed": f.computed} for f in report.facilities]
    document["sectors"] = [
        {"sector": s.sector, "facilities": s.facilities, "short": s.short,
         "short_share": decimal_text(round(s.short_share, 4)),
         "allocation": s.allocation, "emissions": decimal_text(s.emissions),
         "gap_percent": decimal_text(round(s.gap_percent, 3))} for s in report.sectors]
    return json_text(document)


def position_table(report: PositionReport) -> str:
    labels = sector_labels(report.provenance)
    rows = [(f.facility_id, labelled(f.sector, labels), f"{f.allocation:,}",
             _tonnes(f.emissions), _tonnes(f.balance, sign=True)) for f in report.facilities]
    lines = [f"Position {report.result.year}: final allocation against verified emissions",
             *text_table(("facility", "sector", "allocation", "emissions",
                          "surplus(+)/shortfall(-)"), rows,
                         (False, False, True, True, True)), ""]
    lines += text_table(
        ("sector", "facilities", "short", "short %", "allocation", "emissions", "gap %"),
        [(labelled(s.sector, labels), s.facilities, s.short, f"{s.short_share * 100:.1f}",
          f"{s.allocation:,}",
          _tonnes(s.emissions), f"{s.gap_percent:.2f}") for s in report.sectors],
        (False, True, True, True, True, True, True))
    return "\n".join(lines) + "\n"


def _tonnes(value: Decimal, sign: bool = False) -> str:
    return f"{value:{'+' if sign else ''},.3f}"


# ---- the ledger --------------------------------------------------------------------


def ledger_table(view: LedgerView) -> str:
    rows = [(e.run_id, e.year, e.stage, e.facility_id, e.sector, f"{e.amount:,}",
             "" if e.final is None else f"{e.final:,}", "superseded" if e.superseded else "")
            for e in view.entries]
    lines = text_table(("run", "year", "stage", "facility", "sector", "amount", "final", ""),
                       rows, (True, True, False, False, False, True, True, False))
    lines.append("")
    for run in view.runs:
        rules = ", ".join(f"{s} {v['version']} ({v['sha256'][:12]})"
                          for s, v in run.rules.items())
        state = (f"superseded by run {run.superseded_by}: {run.supersede_reason}"
                 if run.superseded_by else "current")
        factors = (f"; local factors {run.local_factors_sha256[:12]}"
                   if run.local_factors_sha256 else "")
        lines.append(f"run {run.id}: {run.year} {run.stage}, {run.recorded_at}, {state}; "
                     f"rules {rules}; data {run.data_sha256[:12]}{factors}; `{run.command}`")
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
