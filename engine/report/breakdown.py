"""Breakdowns: a report's amounts grouped by sector, province and category, exactly.

What is grouped is each facility's part per sector (what that sector's plan issues to
it, contract 8), with the amounts the report issues or compares: so a breakdown's groups
add up to the report's total to the tonne, and Decimal amounts (emissions, balances) are
summed without rounding. A part's province and category are its units': a part whose
units differ (a plant with units of two categories) is grouped under MIXED, one whose
units have none (a cement line has no category) under NONE. Neither can be a real key:
sectors and categories are identifiers, provinces names from peie.data.provinces.

Every format renders these groups: JSON and CSV through `breakdown_json` and
`breakdown_rows`, the table, the workbook's sheets and the HTML page's charts.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from peie.api import PositionReport, TrueUpRun
from peie.data.records import UnitRecord
from peie.dsl.i18n import _, localized
from peie.exact.allocation import Allocation, decimal_text

from .encoding import csv_text, text_table

if TYPE_CHECKING:  # the impact module brings numpy
    from peie.impact import Impact

DIMENSIONS = ("sector", "province", "category")
MIXED, NONE = "(mixed)", "(none)"
TOTAL = "all"

Amount = int | Decimal
# Sums of Decimal amounts are exact: these carry at most ~60 significant digits.
_EXACT = decimal.Context(prec=400)


@dataclass(frozen=True)
class Part:
    """A facility's part in one sector: its keys by dimension, its units, its amounts."""

    facility_id: str
    keys: Mapping[str, str]
    units: int
    amounts: Mapping[str, Amount]


@dataclass(frozen=True)
class Group:
    key: str
    facilities: int  # distinct facilities with a part in the group
    units: int
    amounts: Mapping[str, Amount]


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    measures: tuple[str, ...]
    groups: tuple[Group, ...]  # by key; MIXED and NONE last
    total: Group


def key_of(values: Iterable[object]) -> str:
    """The group of a part whose units have these values."""
    found = set(values)
    found.discard(None)
    if not found:
        return NONE
    return str(found.pop()) if len(found) == 1 else MIXED


def unit_keys(records: Sequence[UnitRecord]) -> dict[str, str]:
    """A part's keys, from its units' records (all of one sector)."""
    return {"sector": records[0].sector, "province": key_of([r.province for r in records]),
            "category": key_of([r.values.get("category") for r in records])}


def group(parts: Sequence[Part], dimension: str, measures: tuple[str, ...]) -> Breakdown:
    """The parts grouped by `dimension`, each measure summed exactly."""
    members: dict[str, list[Part]] = {}
    for part in parts:
        members.setdefault(part.keys[dimension], []).append(part)
    order = sorted(members, key=lambda k: (k in (MIXED, NONE), k))
    return Breakdown(dimension, measures,
                     tuple(_summed(key, members[key], measures) for key in order),
                     _summed(TOTAL, parts, measures))


def _summed(key: str, parts: Sequence[Part], measures: tuple[str, ...]) -> Group:
    with decimal.localcontext(_EXACT):
        amounts = {m: sum([p.amounts[m] for p in parts], 0) for m in measures}
    return Group(key, len({p.facility_id for p in parts}), sum([p.units for p in parts]),
                 amounts)


def breakdowns(parts: Sequence[Part], measures: tuple[str, ...]) -> list[Breakdown]:
    return [group(parts, dimension, measures) for dimension in DIMENSIONS]


# ---- the parts of each report ------------------------------------------------------


def _records_of(result: Allocation) -> Callable[[Sequence[str]], list[UnitRecord]]:
    by_id = {u.unit_id: u.record for u in result.units}
    return lambda unit_ids: [by_id[u] for u in unit_ids]


ALLOCATION = ("allocation",)


def allocation_parts(result: Allocation) -> list[Part]:
    records = _records_of(result)
    return [Part(f.facility_id, unit_keys(records(f.unit_ids)), len(f.unit_ids),
                 {"allocation": f.allocation}) for f in result.facilities]


POSITION = ("allocation", "emissions", "balance", "short")


def position_parts(report: PositionReport) -> list[Part]:
    """`short` counts the parts whose obligation exceeds their allocation (a balance
    below zero)."""
    records = _records_of(report.result)
    # peie.issuance.position makes one position per part, in the allocation's order.
    return [Part(p.facility_id, unit_keys(records(f.unit_ids)), len(f.unit_ids),
                 {"allocation": p.allocation, "emissions": p.emissions,
                  "balance": p.balance, "short": int(p.balance < 0)})
            for p, f in zip(report.facilities, report.result.facilities, strict=True)]


IMPACT = ("old", "new", "change")


def impact_parts(result: Impact) -> list[Part]:
    return [Part(f.facility_id, {"sector": f.sector, "province": key_of(f.provinces),
                                 "category": key_of(f.categories)}, f.units,
                 {"old": f.old, "new": f.new, "change": f.change})
            for f in result.facilities]


TRUEUP = ("preallocation", "final", "trueup")
SIGNED = {"balance", "change", "trueup"}  # the measures that are differences, shown signed


def trueup_parts(run: TrueUpRun) -> list[Part]:
    records = _records_of(run.final)
    units = {(f.facility_id, f.sector): f.unit_ids for f in run.final.facilities}
    return [Part(t.facility_id, unit_keys(records(units[t.facility_id, t.sector])),
                 len(units[t.facility_id, t.sector]),
                 {"preallocation": t.preallocation, "final": t.final, "trueup": t.trueup})
            for t in run.items]


# ---- renderings --------------------------------------------------------------------


def key_label(key: str) -> str:
    """A group's key as a person reads it (MIXED and NONE in words)."""
    if key == MIXED:
        return localized(_("several"))
    if key == NONE:
        return localized(_("none"))
    return key


def total_label() -> str:
    return localized(_("total"))


def json_amount(value: Amount) -> int | str:
    """Whole tonnes as JSON numbers, exact decimals as text (as the reports write them)."""
    return value if isinstance(value, int) else decimal_text(value)


def breakdown_json(breakdown: Breakdown) -> dict[str, Any]:
    def entry(g: Group) -> dict[str, Any]:
        return {breakdown.dimension: g.key, "facilities": g.facilities, "units": g.units,
                **{m: json_amount(g.amounts[m]) for m in breakdown.measures}}

    return {"by": breakdown.dimension, "groups": [entry(g) for g in breakdown.groups],
            "total": entry(breakdown.total)}


def breakdown_rows(breakdown: Breakdown) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """A header and a row per group, the total last, with the values as they are."""
    header = (breakdown.dimension, "facilities", "units", *breakdown.measures)
    rows = [(g.key, g.facilities, g.units, *(g.amounts[m] for m in breakdown.measures))
            for g in (*breakdown.groups, breakdown.total)]
    return header, rows


def breakdown_csv(breakdown: Breakdown) -> str:
    header, rows = breakdown_rows(breakdown)
    return csv_text(header, [(r[0], *r[1:3], *(json_amount(v) for v in r[3:])) for r in rows])


def shown(value: Amount, sign: bool = False) -> str:
    """An amount for people: whole tonnes, or three decimals."""
    spec = ("+" if sign else "") + ("," if isinstance(value, int) else ",.3f")
    return format(value, spec)


def breakdown_table(breakdown: Breakdown) -> str:
    header, rows = breakdown_rows(breakdown)
    labels = [*(key_label(g.key) for g in breakdown.groups), total_label()]
    cells = [(label, r[1], r[2], *(shown(v) for v in r[3:]))
             for label, r in zip(labels, rows, strict=True)]
    lines = text_table(header, cells, (False, *([True] * (len(header) - 1))))
    return "\n".join(lines) + "\n"
