"""peie (配额): a rules-as-data engine for free carbon-allowance allocation.

The public API; see docs/api.md.
"""

from .allocation import Allocation, FacilityAllocation, UnitAllocation, round_amount
from .api import AllocationRun, allocate, load_rules, read_data, read_local_factors
from .errors import DataError, DataProblem, PeieError, RuleError, UsageError
from .explain import Node
from .ruleset import RuleSet

__all__ = [
    "Allocation", "AllocationRun", "DataError", "DataProblem", "FacilityAllocation", "Node",
    "PeieError", "RuleError", "RuleSet", "UnitAllocation", "UsageError", "allocate",
    "load_rules", "read_data", "read_local_factors", "round_amount",
]
