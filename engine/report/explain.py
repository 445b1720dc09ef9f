"""The report of `peie explain`: a unit's computation tree as text or JSON."""

from __future__ import annotations

from peie.api import Explanation

from .encoding import json_text
from .provenance import head


def explanation_json(explanation: Explanation) -> str:
    unit, provenance = explanation.unit, explanation.provenance
    document = {"year": explanation.year, "unit_id": unit.unit_id,
                "facility_id": unit.record.facility_id, "sector": unit.record.sector,
                "rules": {"version": unit.rule.version, "sha256": unit.rule.sha256,
                          "path": unit.rule.path},
                "data_sha256": provenance.data_sha256}
    if provenance.local_factors_sha256:
        document["local_factors_sha256"] = provenance.local_factors_sha256
    if provenance.config:
        document["config"] = head(provenance)["config"]
    document["tree"] = explanation.tree.to_dict()
    return json_text(document)


def explanation_text(explanation: Explanation) -> str:
    return "\n".join(explanation.tree.render()) + "\n"
