"""Exact allocation of validated unit records: per unit, per facility, per sector."""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from peie.collector import collector_paused
from peie.data.local_factors import FactorSource, LocalFactors
from peie.data.records import UnitRecord
from peie.dsl.i18n import _, localized
from peie.dsl.model import Rule
from peie.errors import DataError, DataProblem
from peie.progress import Progress
from peie.provenance import Provenance

from .compiler import CONTEXT, CompiledRule, EvaluationError
from .facilities import Facility, FacilityAllocation, group_by_facility

_ZERO = Decimal(0)


def decimal_text(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros: 1278.76016125."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class UnitAllocation(NamedTuple):
    """One unit's exact allocation (a NamedTuple: immutable, and made by the hundred
    thousand at a fifth of a frozen dataclass's cost)."""

    record: UnitRecord
    rule: Rule
    local_factor: FactorSource
    allocation: Decimal  # exact, tCO2

    @property
    def unit_id(self) -> str:
        return self.record.unit_id


@dataclass(frozen=True)
class Allocation:
    """The outcome of one allocation run, with what it was computed from."""

    year: int
    rules: Mapping[str, Rule]  # sector -> the version in force
    data_sha256: str
    local_factors_sha256: str | None
    units: Sequence[UnitAllocation]
    facilities: Sequence[FacilityAllocation]  # per facility and sector (contract 8)

    @property
    def provenance(self) -> Provenance:
        return Provenance.of(self.year, self.rules, self.data_sha256,
                             self.local_factors_sha256)

    def totals(self) -> dict[str, int]:
        totals = {sector: 0 for sector in sorted(self.rules)}
        for facility in self.facilities:
            totals[facility.sector] += facility.allocation
        totals["all"] = sum(totals.values())
        return totals

    @cached_property
    def by_facility(self) -> list[Facility]:
        """The facilities, each with its amount per sector (`facilities` holds those)."""
        return group_by_facility(self.facilities)

    def facility(self, facility_id: str) -> Facility | None:
        return next((f for f in self.by_facility if f.facility_id == facility_id), None)

    def unit(self, unit_id: str) -> UnitAllocation | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)




def evaluate_units(records: Sequence[UnitRecord], compiled: Mapping[str, CompiledRule],
                   factors: LocalFactors, data_path: str,
                   preallocation_basis: bool = False) -> list[UnitAllocation]:
    """Exact allocation of every unit (or, for a pre-allocation, the basis the share
    multiplies); every unit that cannot be evaluated is reported.

    Units go through their rule's column function a sector's block at a time; a block in
    which any unit fails is done again unit by unit, to report every unit that fails."""
    sources = _factor_sources(records, factors)
    amounts: list[Decimal] = [_ZERO] * len(records)
    problems: list[DataProblem] = []
    blocks = _sector_blocks(records)
    with decimal.localcontext(CONTEXT), collector_paused(), \
            Progress(localized(_("allocating units")), len(records)) as progress:
        for sector, rows in blocks:
            rule = compiled[sector]
            formula = rule.preallocation_basis_columns if preallocation_basis \
                else rule.allocation_columns
            values = [[records[i].values[n] for i in rows] for n in rule.rule.inputs]
            try:
                found = formula(*values, [sources[i].factor for i in rows])
            except (EvaluationError, decimal.DecimalException):
                found = _unit_by_unit(records, rows, rule, sources, data_path,
                                      preallocation_basis, problems)
            for i, amount in zip(rows, found, strict=True):
                amounts[i] = amount
                if abs(amount) > MAX_UNIT_TONNES:
                    problems.append(_beyond_bound(records[i], amount, data_path))
            progress.update(progress.done + len(rows))
    if problems:
        raise DataError(problems)
    rules = {sector: rule.rule for sector, rule in compiled.items()}
    return [UnitAllocation(record, rules[record.sector], source, amount)
            for record, source, amount in zip(records, sources, amounts, strict=True)]


# Far beyond any real unit's allocation: an amount past it comes from a mistyped cell.
# Below it, rounding (60 digits), facility sums and the batch path's int64 totals stay
# exact and in range; past it they would not (quantize fails, int64 wraps).
MAX_UNIT_TONNES = Decimal("1e15")


def _beyond_bound(record: UnitRecord, amount: Decimal, data_path: str) -> DataProblem:
    shown = f"{amount:.3e}" if amount.is_finite() else str(amount)
    return DataProblem(data_path, record.row, None,
                       _("allocation comes out at {shown} tCO2, beyond the ±1e15 tCO2 no unit "
                         "can reach: check this unit's inputs", shown=shown), record.unit_id)


BLOCK_UNITS = 16384  # units per call of a column function (the progress bar's step)


def _sector_blocks(records: Sequence[UnitRecord]) -> list[tuple[str, list[int]]]:
    """Indices of the records, by sector, in blocks of at most BLOCK_UNITS."""
    by_sector: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        by_sector.setdefault(record.sector, []).append(index)
    return [(sector, rows[start:start + BLOCK_UNITS]) for sector, rows in by_sector.items()
            for start in range(0, len(rows), BLOCK_UNITS)]


def _factor_sources(records: Sequence[UnitRecord], factors: LocalFactors
                    ) -> list[FactorSource]:
    found: dict[tuple[str, str], FactorSource] = {}
    for key in {(r.province, r.sector) for r in records}:
        found[key] = factors.lookup(*key)
    return [found[(r.province, r.sector)] for r in records]


def _unit_by_unit(records: Sequence[UnitRecord], rows: list[int], rule: CompiledRule,
                  sources: list[FactorSource], data_path: str, preallocation_basis: bool,
                  problems: list[DataProblem]) -> list[Decimal]:
    """The block's amounts (zero where a unit fails), each failing unit reported."""
    formula = rule.preallocation_basis if preallocation_basis else rule.allocation
    amounts = []
    for i in rows:
        record = records[i]
        try:
            amounts.append(formula(record.values, sources[i].factor))
            continue
        except EvaluationError as error:  # arithmetic that fails too, naming where
            message = error.args[0]  # the message itself, to be shown in the reader's language
        problems.append(DataProblem(data_path, record.row, None, message, record.unit_id))
        amounts.append(_ZERO)
    return amounts
