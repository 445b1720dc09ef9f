"""peie (配额): a rules-as-data engine for free carbon-allowance allocation.

The public API (see docs/api.md). Names are imported on first use, so that `peie check`
and `import peie.dsl` do not pay for the data and evaluation modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Allocation": "allocation", "FacilityAllocation": "allocation",
    "UnitAllocation": "allocation", "round_amount": "allocation",
    "AllocationRun": "api", "allocate": "api", "load_rules": "api", "read_data": "api",
    "read_local_factors": "api", "DataError": "errors", "DataProblem": "errors",
    "PeieError": "errors", "RuleError": "errors", "UsageError": "errors", "Node": "explain",
    "RuleSet": "ruleset",
}

__all__ = [
    "Allocation", "AllocationRun", "DataError", "DataProblem", "FacilityAllocation", "Node",
    "PeieError", "RuleError", "RuleSet", "UnitAllocation", "UsageError", "allocate",
    "load_rules", "read_data", "read_local_factors", "round_amount",
]

if TYPE_CHECKING:
    from .allocation import Allocation, FacilityAllocation, UnitAllocation, round_amount
    from .api import AllocationRun, allocate, load_rules, read_data, read_local_factors
    from .errors import DataError, DataProblem, PeieError, RuleError, UsageError
    from .explain import Node
    from .ruleset import RuleSet


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'peie' has no attribute '{name}'")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
