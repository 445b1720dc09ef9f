"""The report of `peie explain`: a unit's computation tree, or a facility's sectors and
their rounding (`--facility`), as text or JSON."""

from __future__ import annotations

from peie.api import Explanation, FacilityExplanation
from peie.dsl.ast import span_text
from peie.dsl.i18n import _, localized, ngettext
from peie.exact.allocation import decimal_text

from . import provenance
from .encoding import aligned, json_text


def explanation_json(explanation: Explanation) -> str:
    unit, stamp = explanation.unit, explanation.provenance
    document = {"year": explanation.year, "unit_id": unit.unit_id,
                "facility_id": unit.record.facility_id, "sector": unit.record.sector,
                "rules": {"version": unit.rule.version, "sha256": unit.rule.sha256,
                          "path": unit.rule.path},
                "data_sha256": stamp.data_sha256}
    if stamp.local_factors_sha256:
        document["local_factors_sha256"] = stamp.local_factors_sha256
    if stamp.config:
        document["config"] = provenance.head(stamp)["config"]
    document["tree"] = explanation.tree.to_dict()
    return json_text(document)


def explanation_text(explanation: Explanation) -> str:
    return "\n".join(explanation.tree.render()) + "\n"


def facility_text(explanation: FacilityExplanation) -> str:
    """Each sector of the facility: its units' exact allocations, their sum, the rounding
    its rule applies (with the rule line) and the whole amount; then the facility's total."""
    facility = explanation.facility
    lines = [localized(_("facility {facility}, {year}", facility=facility.facility_id,
                         year=explanation.run.year)),
             *provenance.lines(explanation.provenance), ""]
    units = explanation.units
    for part in facility.parts:
        rule = explanation.run.rules[part.sector]
        lines.append(localized(ngettext("{sector} ({path}, {version}): {count} unit",
                                        "{sector} ({path}, {version}): {count} units",
                                        len(part.unit_ids), sector=part.sector,
                                        path=rule.path, version=rule.version,
                                        count=len(part.unit_ids))))
        rows = [(u.unit_id, f"{decimal_text(u.allocation)} tCO2") for u in units[part.sector]]
        lines += ["  " + line for line in aligned(rows, {1})]
        step = span_text(rule.file.text, rule.rounding.quantum.span)
        lines.append("  " + localized(_(
            "exact sum {exact} tCO2, rounded {mode} to {step} ({path}:{line}): {whole} tCO2",
            exact=decimal_text(part.exact), mode=rule.rounding.mode, step=step, path=rule.path,
            line=rule.rounding.span.line, whole=format(part.allocation, ","))))
    total = format(facility.allocation, ",")
    lines += ["", localized(_("total {total} tCO2 (the sum of its sectors' whole amounts)",
                              total=total))
              if len(facility.parts) > 1 else localized(_("total {total} tCO2", total=total))]
    return "\n".join(lines) + "\n"


def facility_json(explanation: FacilityExplanation) -> str:
    facility, units = explanation.facility, explanation.units
    document = provenance.head(explanation.provenance)
    document["facility_id"] = facility.facility_id
    document["allocation"] = facility.allocation
    sectors = []
    for part in facility.parts:
        rule = explanation.run.rules[part.sector]
        sectors.append({
            "sector": part.sector, "path": rule.path,
            "units": [{"unit_id": u.unit_id, "allocation": decimal_text(u.allocation)}
                      for u in units[part.sector]],
            "exact": decimal_text(part.exact),
            "rounding": {"mode": rule.rounding.mode,
                         "step": decimal_text(rule.rounding.quantum.scaled),
                         "rule": f"{rule.path}:{rule.rounding.span.line}"},
            "allocation": part.allocation})
    document["sectors"] = sectors
    return json_text(document)
