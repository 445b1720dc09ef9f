"""The exact path: rules compiled to Python over Decimal, allocations per unit and
facility, and the explanation of a unit's allocation.
"""

from __future__ import annotations

from peie._exports import lazy_exports

_EXPORTS = {
    "Allocation": ".allocation",
    "BLOCK_UNITS": ".allocation",
    "CONTEXT": ".compiler",
    "CompiledRule": ".compiler",
    "EvaluationError": ".compiler",
    "FacilityAllocation": ".facilities",
    "Node": ".explain",
    "Reads": ".explain",
    "UnitAllocation": ".allocation",
    "compile_rule": ".compiler",
    "condition_function": ".compiler",
    "decimal_text": ".allocation",
    "evaluate_units": ".allocation",
    "explain_reads": ".explain",
    "explain_unit": ".explain",
    "facility_totals": ".facilities",
    "round_amount": ".facilities",
    "members": ".facilities",
    "rounding_policy": ".facilities",
    "ROUNDING_MODES": ".facilities",
}
__all__ = [
    "Allocation",
    "BLOCK_UNITS",
    "CONTEXT",
    "CompiledRule",
    "EvaluationError",
    "FacilityAllocation",
    "Node",
    "Reads",
    "UnitAllocation",
    "compile_rule",
    "condition_function",
    "decimal_text",
    "evaluate_units",
    "explain_reads",
    "explain_unit",
    "facility_totals",
    "round_amount",
    "members",
    "rounding_policy",
    "ROUNDING_MODES",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
