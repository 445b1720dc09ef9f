"""The facility (重点排放单位): its units grouped, and its amounts rounded as its sectors'
rules say. The exact path, the batch path (its float rounding keys on the same modes)
and the impact diff group and round here.

A facility's amount for a sector is the exact sum of its units of that sector, rounded
once (contract 6) as that sector's rule says: whole tonnes, or a multiple of them, by the
rule's mode. A facility may span sectors (an aluminium smelter with a captive power
plant, contract 8): each sector's plan allocates to it separately, and its total is the
sum of those whole amounts.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from peie.collector import collector_paused
from peie.dsl import ast

from .compiler import CONTEXT

if TYPE_CHECKING:
    from .allocation import UnitAllocation

_ZERO, _ONE = Decimal(0), Decimal(1)
K = TypeVar("K")
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


def members(keys: Iterable[K]) -> dict[K, list[int]]:
    """The indices of each facility's (or each facility and sector's) units, in order of
    first appearance."""
    grouped: dict[K, list[int]] = {}
    for index, key in enumerate(keys):
        grouped.setdefault(key, []).append(index)
    return grouped


@dataclass(frozen=True)
class FacilityAllocation:
    """A facility's allocation under one sector's rule: what that sector's plan issues
    to it. A facility of one sector has one; one spanning sectors has one per sector."""

    facility_id: str
    sector: str
    exact: Decimal  # the sum of its units' exact allocations in this sector
    allocation: int  # rounded as the sector's rule says
    unit_ids: tuple[str, ...]


@dataclass(frozen=True)
class Facility:
    """A facility across its sectors (in order of first appearance)."""

    facility_id: str
    parts: tuple[FacilityAllocation, ...]

    @property
    def allocation(self) -> int:
        """The sum of its sectors' whole amounts."""
        return sum(p.allocation for p in self.parts)

    @property
    def exact(self) -> Decimal:
        return sum((p.exact for p in self.parts), _ZERO)

    @property
    def sectors(self) -> dict[str, int]:
        return {p.sector: p.allocation for p in self.parts}

    @property
    def sector(self) -> str:
        """Its sector, or its sectors joined by '+' when it spans several."""
        return "+".join(p.sector for p in self.parts)

    @property
    def unit_ids(self) -> tuple[str, ...]:
        return tuple(u for p in self.parts for u in p.unit_ids)


def facility_totals(units: Sequence[UnitAllocation]) -> list[FacilityAllocation]:
    """Sum units per facility and sector (in order of first appearance), then round each
    sum once."""
    grouped = members((u.record.facility_id, u.record.sector) for u in units)
    with decimal.localcontext(CONTEXT), collector_paused():
        return [_facility(facility_id, [units[i] for i in indices])
                for (facility_id, _), indices in grouped.items()]


def group_by_facility(parts: Iterable[FacilityAllocation]) -> list[Facility]:
    """The facilities of per-sector amounts, in order of first appearance."""
    grouped: dict[str, list[FacilityAllocation]] = {}
    for part in parts:
        grouped.setdefault(part.facility_id, []).append(part)
    return [Facility(facility_id, tuple(found)) for facility_id, found in grouped.items()]


def _facility(facility_id: str, units: list[UnitAllocation]) -> FacilityAllocation:
    rule = units[0].rule
    exact = sum([u.allocation for u in units], _ZERO)
    return FacilityAllocation(facility_id, rule.sector, exact,
                              round_amount(exact, rule.rounding),
                              tuple([u.record.unit_id for u in units]))
