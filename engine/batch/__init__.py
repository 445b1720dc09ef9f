"""The batch path: rules compiled to numpy closures, float64 evaluation over columns,
facility amounts settled on the exact path near a rounding edge.
"""

from __future__ import annotations

from peie._exports import lazy_exports

_EXPORTS = {
    "BatchAllocation": ".evaluate",
    "EDGE_TOLERANCE": ".evaluate",
    "FEW_EDGES": ".vector",
    "FOLD_LIMIT": ".vector",
    "NotVectorisable": ".vector",
    "RULES_KEPT": ".vector",
    "Units": ".vector",
    "VectorRule": ".vector",
    "batch_allocate": ".evaluate",
    "evaluate_columns": ".evaluate",
    "unit_allocations": ".evaluate",
    "vectorise": ".vector",
}
__all__ = [
    "BatchAllocation",
    "EDGE_TOLERANCE",
    "FEW_EDGES",
    "FOLD_LIMIT",
    "NotVectorisable",
    "RULES_KEPT",
    "Units",
    "VectorRule",
    "batch_allocate",
    "evaluate_columns",
    "unit_allocations",
    "vectorise",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
