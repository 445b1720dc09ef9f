"""The semantic diff and the impact diff as text for people, JSON and Markdown for systems
and reports, CSV (impact only) for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from peie.dsl.diff import Change, RuleDiff
from peie.dsl.i18n import _, localized, localized_each, ngettext
from peie.dsl.model import Rule
from peie.exact.allocation import decimal_text

from .encoding import aligned

if TYPE_CHECKING:  # the impact module brings numpy; `peie check` need not load it
    from peie.impact import FacilityImpact, Impact

_SYMBOL = {"added": "+", "removed": "-", "changed": "~"}
_WIDTH = 100


def _short(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def rule_version(rule: Rule) -> dict[str, Any]:
    """A rule version as JSON documents name it."""
    return {"path": rule.path, "sector": rule.sector, "version": rule.version,
            "status": rule.status, "effective": list(rule.effective), "sha256": rule.sha256}


def _title(old: Rule, new: Rule) -> str:
    return (f"{old.sector} {old.version} ({old.path}) → {new.sector} {new.version} "
            f"({new.path})")


# ---- the semantic diff ---------------------------------------------------------------


def _change_line(c: Change) -> str:
    where = f"{localized(c.item)}: " if c.item else ""
    if c.action == "changed":
        body = f"{_short(c.old)} → {_short(c.new)}"
    else:
        body = _short(c.new if c.action == "added" else c.old)
    note = f"  ({localized(c.note)})" if c.note else ""
    return f"  {_SYMBOL[c.action]} {where}{body}{note}"


def diff_text(diff: RuleDiff, old: Rule, new: Rule) -> str:
    lines = [_title(old, new)]
    if not diff.edits:
        return lines[0] + "\n" + localized(_("no differences in meaning")) + "\n"
    lines.append(localized(ngettext("{count} declaration differs", "{count} declarations differ",
                                    len(diff.edits))) + "\n")
    for edit in diff.edits:
        lines.append(localized(edit.title))
        lines += [_change_line(c) for c in edit.changes]
    return "\n".join(lines) + "\n"


def diff_json(diff: RuleDiff, old: Rule, new: Rule) -> str:
    document = {"old": rule_version(old), "new": rule_version(new),
                "edits": [{"section": e.section, "name": e.name, "title": e.title,
                           "changes": [c.as_json() for c in e.changes]} for e in diff.edits]}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _cell(text: str | None) -> str:
    return _short(localized(text)).replace("|", "\\|") if text else ""


# A change's action as a table cell says it (the JSON keeps the English word).
_ACTIONS = {"added": _("added"), "removed": _("removed"), "changed": _("changed")}


def diff_markdown(diff: RuleDiff, old: Rule, new: Rule) -> str:
    lines = [f"## {old.sector}: {old.version} → {new.version}", "",
             localized(_("Old: `{old}` ({old_status}, sha256 `{old_sha256}`); new: `{new}` "
                         "({new_status}, sha256 `{new_sha256}`).", old=old.path,
                         old_status=old.status, old_sha256=old.sha256[:12], new=new.path,
                         new_status=new.status, new_sha256=new.sha256[:12])), ""]
    if not diff.edits:
        return "\n".join(lines + [localized(_("No differences in meaning.")), ""])
    head = localized_each((_("declaration"), _("change"), _("part"), _("old"), _("new"),
                           _("note")))
    lines += ["| " + " | ".join(head) + " |", "|---|---|---|---|---|---|"]
    for edit in diff.edits:
        for c in edit.changes:
            lines.append(f"| {edit.section} `{edit.name}` | {localized(_ACTIONS[c.action])} | "
                         f"{_cell(c.item)} | {_cell(c.old)} | {_cell(c.new)} | "
                         f"{_cell(c.note)} |")
    return "\n".join(lines) + "\n"


# ---- the impact ----------------------------------------------------------------------


def _tonnes(value: Decimal | int, sign: bool = False) -> str:
    return f"{round(value):{'+' if sign else ''},}"


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value:+.1f} %"


def impact_json(result: Impact, top: int) -> str:
    gains, losses = result.largest(top)
    document = {
        "old": rule_version(result.old_rule), "new": rule_version(result.new_rule),
        "data": {"path": result.data_path, "sha256": result.data_sha256},
        "local_factors_sha256": result.local_factors_sha256,
        "method": "sequential substitution in the order of the semantic diff (docs/versions.md); "
                  "both versions exact, steps " + ("exact" if result.exact else "on the batch "
                  "path") + "; the parts and the rounding part add up to the whole-tonne change",
        "units_of_other_sectors": result.other_units,
        "totals": result.totals(),
        "steps": [{"title": s.title, "edits": [e.title for e in s.edits],
                   "total": decimal_text(t)}
                  for s, t in zip(result.steps, result.step_totals(), strict=True)],
        "rounding_total": decimal_text(result.rounding_total()),
        "edits_without_effect": [e.title for e in result.without_effect],
        "largest_gains": [f.facility_id for f in gains],
        "largest_losses": [f.facility_id for f in losses],
        "facilities": [_facility_json(f) for f in result.facilities],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _facility_json(f: FacilityImpact) -> dict[str, Any]:
    return {"facility_id": f.facility_id, "sector": f.sector, "units": f.units,
            "old": f.old, "new": f.new, "change": f.change,
            "percent": None if f.percent is None else decimal_text(round(f.percent, 4)),
            "parts": [decimal_text(p) for p in f.parts], "rounding": decimal_text(f.rounding)}


def impact_csv(result: Impact) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["facility_id", "sector", "units", "old", "new", "change", "percent",
                     *(s.title for s in result.steps), "rounding"])
    for f in result.facilities:
        writer.writerow([f.facility_id, f.sector, f.units, f.old, f.new, f.change,
                         "" if f.percent is None else decimal_text(round(f.percent, 4)),
                         *(decimal_text(p) for p in f.parts), decimal_text(f.rounding)])
    return out.getvalue()


def _summary(result: Impact) -> tuple[list[tuple[str, str]], list[str]]:
    """(step total, title) for the steps that moved anything, and the rest's titles."""
    moved, still = [], []
    for index, (step, total) in enumerate(zip(result.steps, result.step_totals(),
                                              strict=True)):
        title = localized(step.title) if len(step.edits) < 4 else localized(_(
            "{title} + {others} edits that only work together", title=step.edits[0].title,
            others=len(step.edits) - 1))
        if all(f.parts[index] == 0 for f in result.facilities):
            still.append(localized(step.title))
        else:
            moved.append((_tonnes(total, sign=True), title))
    still += [localized(e.title) for e in result.without_effect]
    return moved, still


def impact_text(result: Impact, top: int, markdown: bool = False) -> str:
    totals = result.totals()
    old, new = result.old_rule, result.new_rule
    units = sum(f.units for f in result.facilities)
    pct = None if not totals["old"] else Decimal(totals["change"]) / Decimal(totals["old"]) * 100
    moved, still = _summary(result)
    moved.append((_tonnes(result.rounding_total(), sign=True),
                  localized(_("rounding to whole tonnes"))))
    gains, losses = result.largest(top)
    left_out = (_(" ({count} units of other sectors left out)", count=result.other_units)
                if result.other_units else "")
    head = localized(_("Impact of {sector} {old} → {new} on {path}: {units} units in "
                       "{facilities} facilities{left_out}", sector=old.sector, old=old.version,
                       new=new.version, path=result.data_path, units=units,
                       facilities=len(result.facilities), left_out=left_out))
    total_row = (localized(_("total")), _tonnes(totals["old"]), _tonnes(totals["new"]),
                 _tonnes(totals["change"], sign=True), _percent(pct))
    rows = [(f.facility_id, _tonnes(f.old), _tonnes(f.new), _tonnes(f.change, sign=True),
             _percent(f.percent)) for f in gains + losses]
    header = ("", *localized_each((_("old tCO2"), _("new tCO2"), _("change"))), "%")
    if markdown:
        return _impact_markdown(head, header, total_row, moved, still, rows, len(gains))
    numbers = {1, 2, 3, 4}
    lines = [head, "", *aligned([header, total_row], numbers), "",
             localized(_("Where the change comes from (sequential substitution, see "
                         "docs/versions.md):"))]
    lines += aligned([*moved, (_tonnes(totals["change"], sign=True), localized(_("total")))],
                     {0})
    lines.append("")
    if still:
        lines += [localized(_("Edits with no effect on this data: {edits}",
                              edits="; ".join(still))), ""]
    lines += [localized(_("Largest gains and losses (up to {top} each):", top=top)),
              *aligned([header, *rows], numbers)]
    return "\n".join(lines) + "\n"


def _impact_markdown(head: str, header: tuple[str, ...], total: tuple[str, ...],
                     moved: list[tuple[str, str]], still: list[str],
                     rows: Sequence[tuple[str, ...]], gains: int) -> str:
    def table(cells: Sequence[tuple[str, ...]], head_row: tuple[str, ...]) -> list[str]:
        return ["| " + " | ".join(head_row) + " |", "|" + "---|" * len(head_row),
                *("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in cells)]

    facility = localized(_("facility"))
    lines = [f"## {head}", "", *table([total], ("", *header[1:])), "",
             "### " + localized(_("Where the change comes from")), "",
             *table([(title, t) for t, title in moved], (localized(_("step")), "tCO2")), ""]
    if still:
        lines += [localized(_("Edits with no effect on this data: {edits}",
                              edits="; ".join(still))), ""]
    lines += ["### " + localized(_("Largest gains")), "",
              *table(rows[:gains], (facility, *header[1:])), "",
              "### " + localized(_("Largest losses")), "",
              *table(rows[gains:], (facility, *header[1:])), ""]
    return "\n".join(lines)
