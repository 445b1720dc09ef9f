"""Two-stage issuance (预分配 + 多退少补): pre-allocation on base-year output, then the
final allocation on verified output and the signed true-up, so that for every facility
pre-allocation + true-up = final exactly (domain.md §2, contract 6 and 7)."""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from peie.dsl.i18n import _
from peie.dsl.model import Rule
from peie.errors import DataError, DataProblem
from peie.exact.allocation import Allocation
from peie.exact.compiler import CONTEXT
from peie.exact.facilities import round_amount

from .ledger import Issuance


@dataclass(frozen=True)
class Preallocation:
    facility_id: str
    sector: str
    base_allocation: decimal.Decimal  # exact allocation on base-year output
    share: decimal.Decimal
    preallocation: int


@dataclass(frozen=True)
class TrueUp:
    facility_id: str
    sector: str
    final: int
    preallocation: int
    trueup: int  # final - preallocation: positive is topped up, negative taken back
    new_entrant: bool


def preallocations(base: Allocation) -> list[Preallocation]:
    """round(share x exact base-year allocation) per facility, as each sector's rule says.

    `base` is the allocation of the base-year data under the rules of the allocation
    year (contract 7): the caller computes it with that year's rules and local factors.
    """
    out = []
    with decimal.localcontext(CONTEXT):
        for facility in base.facilities:
            rule = base.rules[facility.sector]
            if not preallocates(rule, base.year):
                continue  # the sector's plan issues the whole allocation at the true-up
            share = rule.preallocation_share
            out.append(Preallocation(facility.facility_id, facility.sector, facility.exact,
                                     share, round_amount(share * facility.exact,
                                                         rule.rounding)))
    return out


def trueups(final: Allocation, preallocated: Mapping[tuple[str, str], int],
            data_path: str) -> list[TrueUp]:
    """Final whole-tonne allocation against what was pre-allocated, per facility and
    sector (contract 8).

    A facility pre-allocated in a sector but with no unit of that sector in the verified
    data is an error: a closed unit is reported with zero output, so that its
    pre-allocation is taken back knowingly.
    """
    present = {(f.facility_id, f.sector) for f in final.facilities}
    facilities = {f.facility_id for f in final.facilities}
    missing = sorted(set(preallocated) - present)
    if missing:
        raise DataError([DataProblem(
            data_path, None, "facility_id",
            _("facility '{facility}' was pre-allocated {tonnes:,} tCO2 for {year} but has no "
              "unit of sector {sector} in this data (give a closed unit with zero output)",
              facility=f, tonnes=preallocated[f, s], year=final.year, sector=s)
            if f in facilities else
            _("facility '{facility}' was pre-allocated {tonnes:,} tCO2 for {year} but has no "
              "unit in this data (give a closed unit with zero output)",
              facility=f, tonnes=preallocated[f, s], year=final.year)) for f, s in missing])
    out = []
    for part in final.facilities:
        key = (part.facility_id, part.sector)
        before = preallocated.get(key, 0)
        out.append(TrueUp(part.facility_id, part.sector, part.allocation, before,
                          part.allocation - before,
                          key not in preallocated
                          and preallocates(final.rules[part.sector], final.year)))
    return out


def preallocates(rule: Rule, year: int) -> bool:
    """Whether the rule pre-allocates `year` at all (`preallocation none`: it does not,
    and the true-up settles the whole allocation with no new entrants)."""
    return rule.base_year_for(year) is not None


def preallocation_issuances(items: Sequence[Preallocation]) -> list[Issuance]:
    return [Issuance(p.facility_id, p.sector, p.preallocation) for p in items]


def trueup_issuances(items: Sequence[TrueUp]) -> list[Issuance]:
    return [Issuance(t.facility_id, t.sector, t.trueup, t.final, t.preallocation)
            for t in items]
