"""The Python API for embedding peie: the one application layer, which the command line
(and any service) calls. Every command's result is built here as a typed value that
carries its provenance; peie.report renders it.

    import peie
    rules = peie.load_rules()                       # the bundled 2017 rules
    result = peie.allocate("units.csv", year=2017, rules=rules)
    result.totals()                                 # {'aluminium': ..., 'all': ...}
    print("\\n".join(result.explain("U-000001").render()))

Every user error is raised as a peie.PeieError subclass: RuleError (with .diagnostics,
each with file, line and column), DataError (with .problems, each with file, row, unit
and field), UsageError.
"""

from peie.data.readers import DataPath
from peie.provenance import ConfigRef, program_version, settings_file

from .allocation import (
    AllocationRun,
    BatchRun,
    Explanation,
    FacilityExplanation,
    allocate,
    allocate_batch,
    explain,
    explain_facility,
    unit_allocation,
)
from .calibration import Calibration, calibrate
from .checking import CheckResult, check
from .inputs import (
    COLUMNAR_BYTES,
    RuleText,
    load_rules,
    prepare,
    read_data,
    read_data_file,
    read_local_factors,
)
from .issuance import (
    LedgerView,
    PositionReport,
    PreallocationRun,
    Recorded,
    TrueUpRun,
    ledger_entries,
    open_ledger,
    position,
    preallocate,
    trueup,
)
from .testing import CaseResult, CaseRun, Check, run_cases
from .versions import Layout, VersionDiff, diff, impact, laid_out, layout, load_version

__all__ = [
    "COLUMNAR_BYTES", "AllocationRun", "BatchRun", "Calibration", "CaseResult", "CaseRun", "Check",
    "CheckResult", "Explanation", "FacilityExplanation", "Layout",
    "LedgerView", "PositionReport", "PreallocationRun", "Recorded", "RuleText", "TrueUpRun",
    "VersionDiff", "allocate", "allocate_batch", "calibrate", "check", "diff", "explain",
    "explain_facility", "impact",
    "laid_out", "layout", "ledger_entries", "load_rules", "load_version", "open_ledger", "position",
    "preallocate", "prepare", "program_version", "read_data", "read_data_file",
    "read_local_factors", "run_cases",
    "trueup", "unit_allocation",
    "ConfigRef", "DataPath", "settings_file",  # how the data are read; the settings file
]
