"""Two-stage issuance (预分配 + 多退少补), the ledger that records it, and positions
against verified emissions.
"""

from __future__ import annotations

from peie._exports import lazy_exports

_EXPORTS = {
    "APPLICATION_ID": ".ledger",
    "DEFAULT_LEDGER_ENV": ".ledger",
    "DEFAULT_LEDGER_NAME": ".ledger",
    "FacilityPosition": ".position",
    "Issuance": ".ledger",
    "Ledger": ".ledger",
    "LedgerConflict": ".ledger",
    "LedgerEntry": ".ledger",
    "LedgerError": ".ledger",
    "MIGRATIONS": ".ledger",
    "Preallocation": ".stages",
    "Provenance": ".ledger",
    "RecordOutcome": ".ledger",
    "RunInfo": ".ledger",
    "SCHEMA_VERSION": ".ledger",
    "STAGES": ".ledger",
    "SectorPosition": ".position",
    "TrueUp": ".stages",
    "default_ledger_path": ".ledger",
    "positions": ".position",
    "preallocation_issuances": ".stages",
    "preallocations": ".stages",
    "provenance": ".stages",
    "trueup_issuances": ".stages",
    "trueups": ".stages",
    "unit_emissions": ".position",
}
__all__ = [
    "APPLICATION_ID",
    "DEFAULT_LEDGER_ENV",
    "DEFAULT_LEDGER_NAME",
    "FacilityPosition",
    "Issuance",
    "Ledger",
    "LedgerConflict",
    "LedgerEntry",
    "LedgerError",
    "MIGRATIONS",
    "Preallocation",
    "Provenance",
    "RecordOutcome",
    "RunInfo",
    "SCHEMA_VERSION",
    "STAGES",
    "SectorPosition",
    "TrueUp",
    "default_ledger_path",
    "positions",
    "preallocation_issuances",
    "preallocations",
    "provenance",
    "trueup_issuances",
    "trueups",
    "unit_emissions",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
