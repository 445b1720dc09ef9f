"""The facility (重点排放单位): its units grouped, and its amounts rounded as its sector's
rule says. The exact path, the batch path (its float rounding keys on the same modes)
and the impact diff group and round here.

A facility's total is the exact sum of its units' allocations, rounded once (contract
6): whole tonnes, or a multiple of them, by the rule's mode.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from peie.collector import collector_paused
from peie.dsl import ast

from .compiler import CONTEXT

if TYPE_CHECKING:
    from .allocation import UnitAllocation

_ZERO, _ONE = Decimal(0), Decimal(1)
ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
}


def round_amount(exact: Decimal, rounding: ast.RoundingDecl) -> int:
    """Whole tonnes as the rule's rounding says (a step of 1 tCO2, or a multiple of it)."""
    step = rounding.quantum.scaled
    mode = ROUNDING_MODES[rounding.mode]
    if step == 1:
        return int(exact.quantize(_ONE, rounding=mode, context=CONTEXT))
    with decimal.localcontext(CONTEXT):
        return int((exact / step).quantize(_ONE, rounding=mode) * step)


def rounding_policy(rounding: ast.RoundingDecl) -> tuple[str, Decimal]:
    """(mode, step): the mode's name (a key of ROUNDING_MODES) and the step in tCO2."""
    return rounding.mode, rounding.quantum.scaled


def members(facility_ids: Iterable[str]) -> dict[str, list[int]]:
    """The indices of each facility's units, facilities in order of first appearance."""
    grouped: dict[str, list[int]] = {}
    for index, facility_id in enumerate(facility_ids):
        grouped.setdefault(facility_id, []).append(index)
    return grouped


@dataclass(frozen=True)
class FacilityAllocation:
    facility_id: str
    sector: str
    exact: Decimal  # the sum of its units' exact allocations
    allocation: int  # rounded as the sector's rule says
    unit_ids: tuple[str, ...]


def facility_totals(units: Sequence[UnitAllocation]) -> list[FacilityAllocation]:
    """Sum units per facility (in order of first appearance), then round once."""
    grouped = members(u.record.facility_id for u in units)
    with decimal.localcontext(CONTEXT), collector_paused():
        return [_facility(facility_id, [units[i] for i in indices])
                for facility_id, indices in grouped.items()]


def _facility(facility_id: str, units: list[UnitAllocation]) -> FacilityAllocation:
    rule = units[0].rule
    exact = sum([u.allocation for u in units], _ZERO)
    return FacilityAllocation(facility_id, rule.sector, exact,
                              round_amount(exact, rule.rounding),
                              tuple([u.record.unit_id for u in units]))
