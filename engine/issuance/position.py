"""Each facility's final allocation against its verified emissions: surplus or shortfall.

Emissions come from the data's `verified_emissions_t`; where a unit leaves it empty and
its sector's rule declares `emissions = ...` (aluminium: direct emissions plus electricity
at the national grid factor, seed 002 L201-219), the rule computes them.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

from peie.dsl.i18n import _
from peie.errors import DataError, DataProblem
from peie.exact.allocation import Allocation
from peie.exact.compiler import CONTEXT, CompiledRule, EvaluationError


@dataclass(frozen=True)
class FacilityPosition:
    facility_id: str
    sector: str
    allocation: int
    emissions: Decimal
    computed: bool  # some unit's emissions came from the rule's formula

    @property
    def balance(self) -> Decimal:
        """Positive: surplus; negative: shortfall."""
        return self.allocation - self.emissions


@dataclass(frozen=True)
class SectorPosition:
    sector: str
    facilities: int
    short: int
    allocation: int
    emissions: Decimal

    @property
    def short_share(self) -> Decimal:
        return Decimal(self.short) / self.facilities if self.facilities else Decimal(0)

    @property
    def gap_percent(self) -> Decimal:
        """(emissions - allocation) / emissions x 100: positive when the sector is short."""
        if not self.emissions:
            return Decimal(0)
        with decimal.localcontext(CONTEXT):
            return (self.emissions - self.allocation) / self.emissions * 100


def unit_emissions(result: Allocation, compiled: dict[str, CompiledRule],
                   data_path: str) -> dict[str, tuple[Decimal, bool]]:
    """unit_id -> (emissions, computed by the rule)."""
    out: dict[str, tuple[Decimal, bool]] = {}
    problems = []
    with decimal.localcontext(CONTEXT):
        for unit in result.units:
            record = unit.record
            given = record.accounting.get("verified_emissions_t")
            if given is not None:
                out[unit.unit_id] = (given, False)
                continue
            formula = compiled[record.sector].emissions
            reason = _("is empty and the rule has no 'emissions' formula")
            if formula is not None:
                try:
                    out[unit.unit_id] = (formula(record.values, unit.local_factor.factor), True)
                    continue
                except EvaluationError as error:
                    reason = _("is empty and the rule's emissions formula cannot be used: "
                               "{error}", error=error.args[0])
            problems.append(DataProblem(data_path, record.row, "verified_emissions_t", reason,
                                        unit.unit_id))
    if problems:
        raise DataError(problems)
    return out


def positions(result: Allocation, compiled: dict[str, CompiledRule],
              data_path: str) -> tuple[list[FacilityPosition], list[SectorPosition]]:
    emissions = unit_emissions(result, compiled, data_path)
    facilities = []
    for facility in result.facilities:
        values = [emissions[u] for u in facility.unit_ids]
        facilities.append(FacilityPosition(
            facility.facility_id, facility.sector, facility.allocation,
            sum((v for v, _ in values), Decimal(0)), any(c for _, c in values)))
    sectors = []
    for sector in sorted(result.rules):
        members = [f for f in facilities if f.sector == sector]
        sectors.append(SectorPosition(
            sector, len(members), sum(1 for f in members if f.balance < 0),
            sum(f.allocation for f in members), sum((f.emissions for f in members), Decimal(0))))
    return facilities, sectors
