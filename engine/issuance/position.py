"""Each facility's final allocation against what it owes at compliance (清缴): surplus or
shortfall.

Emissions come from the data's `verified_emissions_t`; where a unit leaves it empty and
its sector's rule declares `emissions = ...` (aluminium: direct emissions plus electricity
at the national grid factor, seed 002 L201-219), the rule computes them.

What a facility owes (domain contract 13) is written in its sector's rule: `obligation =
...` turns a unit's verified emissions into its obligation (a gas unit owes at most its
allocation), `obligation facility = ...` caps its facility's (per sector; at most the
allocation plus 20 % of the verified emissions). A rule without them owes the verified
emissions. A facility's obligation for a sector is rounded half up to whole tonnes, as
allowances are surrendered whole; its balance is its allocation less its obligation.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from peie.dsl.i18n import _
from peie.dsl.model import FACILITY_OBLIGATION_NAMES
from peie.errors import DataError, DataProblem
from peie.exact.allocation import Allocation, UnitAllocation
from peie.exact.compiler import CONTEXT, CompiledRule, EvaluationError
from peie.exact.facilities import FacilityAllocation

_ZERO = Decimal(0)


@dataclass(frozen=True)
class FacilityPosition:
    """A facility's position under one sector's rule."""

    facility_id: str
    sector: str
    allocation: int
    emissions: Decimal  # the exact sum of its units' verified emissions
    obligation: int  # what it surrenders, whole tonnes
    computed: bool  # some unit's emissions came from the rule's formula
    unit_obligations: Decimal  # the exact sum of its units' obligations

    @property
    def balance(self) -> int:
        """Positive: surplus; negative: shortfall."""
        return self.allocation - self.obligation


@dataclass(frozen=True)
class SectorPosition:
    sector: str
    facilities: int
    short: int
    allocation: int
    emissions: Decimal
    obligation: int
    shortfall: int  # the sum of the shortfalls of the facilities short (a positive number)
    surplus: int  # the sum of the surpluses of the others

    @property
    def short_share(self) -> Decimal:
        return Decimal(self.short) / self.facilities if self.facilities else _ZERO

    @property
    def gap_percent(self) -> Decimal:
        """(emissions - allocation) / emissions x 100: positive when the sector is short."""
        if not self.emissions:
            return _ZERO
        with decimal.localcontext(CONTEXT):
            return (self.emissions - self.allocation) / self.emissions * 100


def unit_emissions(units: Iterable[UnitAllocation], compiled: Mapping[str, CompiledRule],
                   data_path: str) -> dict[str, tuple[Decimal, bool]]:
    """unit_id -> (emissions, computed by the rule)."""
    out: dict[str, tuple[Decimal, bool]] = {}
    problems = []
    with decimal.localcontext(CONTEXT):
        for unit in units:
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


def positions(result: Allocation, compiled: Mapping[str, CompiledRule],
              data_path: str) -> tuple[list[FacilityPosition], list[SectorPosition]]:
    emissions = unit_emissions(result.units, compiled, data_path)
    owed = unit_obligations(result.units, compiled, emissions, data_path)
    facilities = [facility_position(f, compiled[f.sector], emissions, owed)
                  for f in result.facilities]
    sectors = []
    for sector in sorted(result.rules):
        members = [f for f in facilities if f.sector == sector]
        sectors.append(SectorPosition(
            sector, len(members), sum(1 for f in members if f.balance < 0),
            sum(f.allocation for f in members), sum((f.emissions for f in members), _ZERO),
            sum(f.obligation for f in members), sum(-f.balance for f in members if f.balance < 0),
            sum(f.balance for f in members if f.balance > 0)))
    return facilities, sectors


def unit_obligations(units: Iterable[UnitAllocation], compiled: Mapping[str, CompiledRule],
                     emissions: Mapping[str, tuple[Decimal, bool]],
                     data_path: str) -> dict[str, Decimal]:
    """unit_id -> what the unit owes, exactly, by its rule's `obligation = ...` (its
    verified emissions when the rule has none)."""
    out: dict[str, Decimal] = {}
    problems = []
    with decimal.localcontext(CONTEXT):
        for unit in units:
            verified = emissions[unit.unit_id][0]
            formula = compiled[unit.record.sector].obligation
            if formula is None:
                out[unit.unit_id] = verified
                continue
            try:
                out[unit.unit_id] = formula(unit.record.values, unit.local_factor.factor,
                                            verified, unit.allocation)
            except (EvaluationError, decimal.DecimalException) as error:
                problems.append(DataProblem(
                    data_path, unit.record.row, None,
                    _("its obligation cannot be computed: {error}", error=str(error)),
                    unit.unit_id))
    if problems:
        raise DataError(problems)
    return out


def compliance_values(position: FacilityPosition) -> dict[str, Decimal]:
    """The built-in values `obligation facility = ...` read for this facility."""
    return dict(zip(FACILITY_OBLIGATION_NAMES, (position.emissions, position.unit_obligations,
                                                Decimal(position.allocation)), strict=True))


def facility_position(facility: FacilityAllocation, compiled: CompiledRule,
                      emissions: Mapping[str, tuple[Decimal, bool]],
                      owed: Mapping[str, Decimal]) -> FacilityPosition:
    """The facility's position in one sector: its units' sums, then its rule's `obligation
    facility = ...` (the sum of its units' obligations when the rule has none), rounded
    half up to whole tonnes."""
    with decimal.localcontext(CONTEXT):
        verified = sum((emissions[u][0] for u in facility.unit_ids), _ZERO)
        obligations = sum((owed[u] for u in facility.unit_ids), _ZERO)
        formula = compiled.facility_obligation
        exact = obligations if formula is None else formula(
            verified, obligations, Decimal(facility.allocation))
        whole = int(exact.quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP))
    return FacilityPosition(facility.facility_id, facility.sector, facility.allocation,
                            verified, whole, any(emissions[u][1] for u in facility.unit_ids),
                            obligations)
