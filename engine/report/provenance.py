"""A result's provenance, rendered one way per format: the head of a JSON document, the
lines under a table's title, and (item, value) rows for files without a head of their
own (the XLSX `provenance` sheet, Parquet metadata)."""

from __future__ import annotations

from typing import Any

from peie.dsl.i18n import _, localized
from peie.provenance import Provenance


def head(provenance: Provenance) -> dict[str, Any]:
    """The head of every JSON document of a result: year, rule versions and hashes, the
    data's hash, the local factors' hash where factors were given, and the settings
    file where the command ran with one."""
    out: dict[str, Any] = {
        "year": provenance.year,
        "rules": {s: {"version": r.version, "sha256": r.sha256}
                  for s, r in sorted(provenance.rules.items())},
        "data_sha256": provenance.data_sha256,
    }
    if provenance.local_factors_sha256:
        out["local_factors_sha256"] = provenance.local_factors_sha256
    if provenance.config:
        out["config"] = {"path": provenance.config.path, "sha256": provenance.config.sha256}
    return out


def rows(provenance: Provenance) -> list[tuple[str, str]]:
    out = [("year", str(provenance.year))]
    for sector, rule in sorted(provenance.rules.items()):
        out += [(f"rules {sector} version", rule.version),
                (f"rules {sector} sha256", rule.sha256)]
    out.append(("data sha256", provenance.data_sha256))
    if provenance.local_factors_sha256:
        out.append(("local factors sha256", provenance.local_factors_sha256))
    if provenance.config:
        out += [("config", provenance.config.path), ("config sha256", provenance.config.sha256)]
    return out


def lines(provenance: Provenance, paths: bool = True) -> list[str]:
    """Each rule version and the hashes a result comes from, indented under a title."""
    out = [localized(_("  rules {sector}: {version} ({status}), {path}sha256 {sha256}",
                       sector=sector, version=rule.version, status=rule.status,
                       path=rule.path + ", " if paths else "", sha256=rule.sha256[:16]))
           for sector, rule in sorted(provenance.rules.items())]
    out.append(localized(_("  data sha256 {sha256}", sha256=provenance.data_sha256[:16])))
    if provenance.local_factors_sha256:
        out.append(localized(_("  local factors sha256 {sha256}",
                               sha256=provenance.local_factors_sha256[:16])))
    if provenance.config:
        out.append(localized(_("  config {path}, sha256 {sha256}", path=provenance.config.path,
                               sha256=provenance.config.sha256[:16])))
    return out
