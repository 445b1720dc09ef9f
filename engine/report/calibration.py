"""A calibration's derivation: the value found, the totals at it, at its neighbours on the
grid and at the value the file has now, against the target."""

from __future__ import annotations

from typing import Any

from peie.api.calibration import Calibration, Point
from peie.dsl.i18n import _, localized
from peie.exact.allocation import decimal_text

from . import provenance
from .encoding import json_text, text_table


def calibration_text(result: Calibration) -> str:
    wanted = f"{result.wanted:,.3f}"
    if result.target.kind == "total":
        goal = _("target: the allocation of the {count} units that read it comes to "
                 "{wanted} tCO2", count=len(result.units), wanted=wanted)
    elif result.target.kind == "balance":
        goal = _("target: balance, the allocation of the {count} units that read it equals "
                 "their verified emissions, {wanted} tCO2", count=len(result.units),
                 wanted=wanted)
    else:
        emissions = f"{result.emissions:,.3f}"
        goal = _("target: the allocation of the {count} units that read it falls short of "
                 "their verified emissions ({emissions} tCO2) by {gap} %, {wanted} tCO2",
                 count=len(result.units), emissions=emissions, gap=result.target.amount,
                 wanted=wanted)
    lines = [localized(_("Calibration of {item} ({path}:{line}) for {year}",
                         item=result.item, path=result.rule.path, line=result.line,
                         year=result.provenance.year)),
             *provenance.lines(result.provenance), localized(goal), ""]
    rows = [(_row(point, result), note) for point, note in _points(result)]
    lines += text_table(
        (localized(_("value ({unit})", unit=result.unit or "1")),
         localized(_("allocation (tCO2)")), localized(_("against the target")),
         localized(_("note"))),
        [(*cells, localized(note)) for cells, note in rows], (True, True, True, False))
    lines += ["", localized(_("found: {value} {unit} (the file has {current})",
                              value=result.found.value, unit=result.unit,
                              current=result.current.value))]
    return "\n".join(lines) + "\n"


def _points(result: Calibration) -> list[tuple[Point, str]]:
    below, above = result.neighbours
    shown = [(p, "") for p in (below,) if p is not None]
    shown += [(result.found, _("<- found")), (above, "")]
    if result.current.value not in {p.value for p, _note in shown}:
        shown.append((result.current, _("the file's value now")))
    return shown


def _row(point: Point, result: Calibration) -> tuple[str, str, str]:
    return (str(point.value), f"{point.total:,.3f}", f"{point.total - result.wanted:+,.3f}")


def calibration_json(result: Calibration) -> str:
    document: dict[str, Any] = provenance.head(result.provenance)
    below, above = result.neighbours
    document.update({
        "item": result.item, "path": result.rule.path, "line": result.line,
        "unit": result.unit, "target": str(result.target),
        "units": list(result.units),
        "emissions": None if result.emissions is None else decimal_text(result.emissions),
        "wanted": decimal_text(result.wanted),
        "value": str(result.found.value),
        "points": [_point(p) for p in (below, result.found, above) if p is not None],
        "current": _point(result.current),
    })
    return json_text(document)


def _point(point: Point) -> dict[str, str]:
    return {"value": str(point.value), "allocation": decimal_text(point.total)}

