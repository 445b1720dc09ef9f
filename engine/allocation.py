"""Exact allocation of validated unit records: per unit, per facility, per sector."""

from __future__ import annotations

import decimal
import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from peie.dsl import ast
from peie.dsl.model import Rule

from .compiler import CONTEXT, CompiledRule, EvaluationError
from .errors import DataError, DataProblem
from .local_factors import FactorSource, LocalFactors
from .progress import Progress
from .records import UnitRecord

_ZERO, _ONE = Decimal(0), Decimal(1)
_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
}


def round_amount(exact: Decimal, rounding: ast.RoundingDecl) -> int:
    """Whole tonnes as the rule's rounding says (a step of 1 tCO2, or a multiple of it)."""
    step = rounding.quantum.scaled
    mode = _MODES[rounding.mode]
    if step == 1:
        return int(exact.quantize(_ONE, rounding=mode, context=CONTEXT))
    with decimal.localcontext(CONTEXT):
        return int((exact / step).quantize(_ONE, rounding=mode) * step)


def decimal_text(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros: 1278.76016125."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class UnitAllocation:
    record: UnitRecord
    rule: Rule
    local_factor: FactorSource
    allocation: Decimal  # exact, tCO2

    @property
    def unit_id(self) -> str:
        return self.record.unit_id


@dataclass(frozen=True)
class FacilityAllocation:
    facility_id: str
    sector: str
    exact: Decimal  # the sum of its units' exact allocations
    allocation: int  # rounded as the sector's rule says
    unit_ids: tuple[str, ...]


@dataclass(frozen=True)
class Allocation:
    """The outcome of one allocation run, with what it was computed from."""

    year: int
    rules: Mapping[str, Rule]  # sector -> the version in force
    data_sha256: str
    local_factors_sha256: str | None
    units: Sequence[UnitAllocation]
    facilities: Sequence[FacilityAllocation]

    def totals(self) -> dict[str, int]:
        totals = {sector: 0 for sector in sorted(self.rules)}
        for facility in self.facilities:
            totals[facility.sector] += facility.allocation
        totals["all"] = sum(totals.values())
        return totals

    def facility(self, facility_id: str) -> FacilityAllocation | None:
        return next((f for f in self.facilities if f.facility_id == facility_id), None)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while records and results are made by the
    hundred thousand. They form no reference cycles, so nothing is left uncollected, but
    a full collector pass among them costs as much as the arithmetic (bench/RESULTS.md).
    Re-entrant: an inner pause leaves the collector as the outer one found it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def evaluate_units(records: Sequence[UnitRecord], compiled: Mapping[str, CompiledRule],
                   factors: LocalFactors, data_path: str,
                   preallocation_basis: bool = False) -> list[UnitAllocation]:
    """Exact allocation of every unit (or, for a pre-allocation, the basis the share
    multiplies); every unit that cannot be evaluated is reported."""
    results: list[UnitAllocation] = []
    problems: list[DataProblem] = []
    with decimal.localcontext(CONTEXT), collector_paused(), \
            Progress("allocating units", len(records)) as progress:
        for record in progress.each(records):
            rule = compiled[record.sector]
            source = factors.lookup(record.province, record.sector)
            try:
                formula = rule.preallocation_basis if preallocation_basis else rule.allocation
                amount = formula(record.values, source.factor)
            except EvaluationError as error:
                problems.append(DataProblem(data_path, record.row, None, str(error),
                                            record.unit_id))
                continue
            except decimal.DecimalException as error:
                problems.append(DataProblem(data_path, record.row, None,
                                            f"arithmetic failed: {type(error).__name__}",
                                            record.unit_id))
                continue
            results.append(UnitAllocation(record, rule.rule, source, amount))
    if problems:
        raise DataError(problems)
    return results


def facility_totals(units: Sequence[UnitAllocation]) -> list[FacilityAllocation]:
    """Sum units per facility (in order of first appearance), then round once."""
    grouped: dict[str, list[UnitAllocation]] = {}
    for unit in units:
        grouped.setdefault(unit.record.facility_id, []).append(unit)
    with decimal.localcontext(CONTEXT), collector_paused():
        return [_facility(facility_id, members) for facility_id, members in grouped.items()]


def _facility(facility_id: str, members: list[UnitAllocation]) -> FacilityAllocation:
    rule = members[0].rule
    exact = sum([u.allocation for u in members], _ZERO)
    return FacilityAllocation(facility_id, rule.sector, exact,
                              round_amount(exact, rule.rounding),
                              tuple([u.record.unit_id for u in members]))
