"""peie (配额): a rules-as-data engine for free carbon-allowance allocation.

The public API (see docs/api.md). Names are imported on first use, so that `peie check`
and `import peie.dsl` do not pay for the data and evaluation modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exports import lazy_exports

_EXPORTS = {
    "Allocation": ".exact.allocation", "FacilityAllocation": ".exact.facilities",
    "UnitAllocation": ".exact.allocation", "round_amount": ".exact.facilities",
    "AllocationRun": ".api", "allocate": ".api", "load_rules": ".api", "read_data": ".api",
    "read_local_factors": ".api", "DataError": ".errors", "DataProblem": ".errors",
    "PeieError": ".errors", "RuleError": ".errors", "UsageError": ".errors",
    "Node": ".exact.explain", "RuleSet": ".ruleset",
}

__all__ = [
    "Allocation", "AllocationRun", "DataError", "DataProblem", "FacilityAllocation", "Node",
    "PeieError", "RuleError", "RuleSet", "UnitAllocation", "UsageError", "allocate",
    "load_rules", "read_data", "read_local_factors", "round_amount",
]

if TYPE_CHECKING:
    from .api import AllocationRun, allocate, load_rules, read_data, read_local_factors
    from .errors import DataError, DataProblem, PeieError, RuleError, UsageError
    from .exact.allocation import Allocation, UnitAllocation
    from .exact.explain import Node
    from .exact.facilities import FacilityAllocation, round_amount
    from .ruleset import RuleSet

__getattr__ = lazy_exports(__name__, _EXPORTS)
