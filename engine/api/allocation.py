"""Allocation: the exact path, the batch path, and the explanation of one unit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from peie.dsl.i18n import _
from peie.dsl.model import Rule
from peie.errors import DataProblem, UsageError
from peie.exact.allocation import Allocation, UnitAllocation, evaluate_units
from peie.exact.compiler import CompiledRule
from peie.exact.explain import Node, explain_unit
from peie.exact.facilities import Facility, facility_totals
from peie.provenance import Provenance
from peie.ruleset import RulesInForce

from .inputs import (
    DataLike,
    FactorsLike,
    RulesLike,
    factor_warnings,
    load_rules,
    prepare,
    read_data_columns,
    read_local_factors,
)

if TYPE_CHECKING:
    from peie.batch.evaluate import BatchAllocation
    from peie.data.columns import Columns


@dataclass(frozen=True)
class AllocationRun(Allocation):
    """An Allocation that also knows how to explain its units."""

    data_path: str = ""
    compiled: Mapping[str, CompiledRule] | None = None
    # What the run found doubtful but went on with (a local factor that applies to no
    # unit); the command line prints them on standard error.
    warnings: tuple[DataProblem, ...] = ()

    def explain(self, unit_id: str) -> Node:
        unit = self.unit(unit_id)
        if unit is None:
            raise UsageError(_("no unit '{unit_id}' in {path}", unit_id=unit_id,
                               path=self.data_path))
        assert self.compiled is not None
        return explain_unit(unit, self.compiled[unit.record.sector], self.data_path)


def allocate(data: DataLike, year: int, *, rules: RulesLike = None,
             local_factors: FactorsLike = None,
             preallocation_basis: bool = False, strict: bool = False) -> AllocationRun:
    """Exact allocation of every unit in `data` for `year`, with facility and sector totals.

    With `preallocation_basis`, each unit is evaluated with its rule's `preallocation
    basis` formula where it declares one: what the pre-allocation share multiplies.
    With `strict`, a warning (a local factor that applies to no unit) is an error.
    """
    in_force, table, records, factors = prepare(data, year, rules, local_factors)
    warnings = factor_warnings(factors, {(r.province, r.sector) for r in records}, strict)
    compiled = in_force.compiled
    units = evaluate_units(records, compiled, factors, table.path, preallocation_basis)
    return AllocationRun(
        year=year,
        rules=in_force.by_sector,
        data_sha256=table.sha256,
        local_factors_sha256=factors.sha256,
        units=units,
        facilities=facility_totals(units),
        data_path=table.path,
        compiled=compiled,
        warnings=warnings,
    )


@dataclass(frozen=True)
class BatchRun:
    """A batch allocation with the columns it was computed from (its reports read both)."""

    result: BatchAllocation
    columns: Columns
    warnings: tuple[DataProblem, ...] = ()  # as AllocationRun.warnings

    @property
    def provenance(self) -> Provenance:
        return self.result.provenance


def allocate_batch(data: DataLike, year: int, *, rules: RulesLike = None,
                   local_factors: FactorsLike = None, strict: bool = False) -> BatchRun:
    """The float64 batch path over a data file or data in memory (read_data_columns);
    facility amounts equal the exact path's. `strict` as for allocate."""
    from peie.batch.evaluate import batch_allocate
    from peie.data.columns import spelled_columns

    ruleset = load_rules(rules)
    in_force = ruleset.for_year(year)
    factors = read_local_factors(local_factors, ruleset.sectors, ruleset.sector_labels)
    columns = spelled_columns(read_data_columns(data), in_force)  # the reports show the codes
    result = batch_allocate(columns, in_force, factors)  # the data are valid from here on
    present = columns.pairs("province", "sector") if factors.factors else set()
    return BatchRun(result, columns, factor_warnings(factors, present, strict))


@dataclass(frozen=True)
class Explanation:
    """How one unit's allocation is computed: the tree, and what it was computed from."""

    year: int
    unit: UnitAllocation
    tree: Node
    provenance: Provenance
    warnings: tuple[DataProblem, ...] = ()  # as AllocationRun.warnings


def explain(data: DataLike, year: int, unit_id: str, *, rules: RulesLike = None,
            local_factors: FactorsLike = None, strict: bool = False) -> Explanation:
    in_force, table, records, factors = prepare(data, year, rules, local_factors)
    warnings = factor_warnings(factors, {(r.province, r.sector) for r in records}, strict)
    record = next((r for r in records if r.unit_id == unit_id), None)
    if record is None:
        raise UsageError(_("no unit '{unit_id}' in {path}", unit_id=unit_id, path=table.path))
    compiled = {record.sector: in_force.exact(record.sector)}
    unit = evaluate_units([record], compiled, factors, table.path)[0]
    tree = explain_unit(unit, compiled[record.sector], table.path)
    provenance = Provenance.of(year, {record.sector: unit.rule}, table.sha256, factors.sha256,
                               table.path)
    return Explanation(year, unit, tree, provenance, warnings)


@dataclass(frozen=True)
class FacilityExplanation:
    """How one facility's allocation comes about: each sector's units, their exact sum
    and its rounding (contract 8), under the rules in force."""

    run: AllocationRun
    facility: Facility

    @property
    def units(self) -> dict[str, list[UnitAllocation]]:
        """sector -> the facility's units of that sector, in the data's order."""
        wanted = {u for part in self.facility.parts for u in part.unit_ids}
        found: dict[str, list[UnitAllocation]] = {}
        for unit in self.run.units:
            if unit.unit_id in wanted:
                found.setdefault(unit.record.sector, []).append(unit)
        return found

    @property
    def provenance(self) -> Provenance:
        sectors = {part.sector for part in self.facility.parts}
        return Provenance.of(self.run.year,
                             {s: r for s, r in self.run.rules.items() if s in sectors},
                             self.run.data_sha256, self.run.local_factors_sha256,
                             self.run.data_path)

    @property
    def warnings(self) -> tuple[DataProblem, ...]:
        return self.run.warnings


def explain_facility(data: DataLike, year: int, facility_id: str, *, rules: RulesLike = None,
                     local_factors: FactorsLike = None,
                     strict: bool = False) -> FacilityExplanation:
    """The facility view of `peie explain --facility`: the whole data is allocated, as a
    facility's amount is the sum of its units."""
    run = allocate(data, year, rules=rules, local_factors=local_factors, strict=strict)
    facility = run.facility(facility_id)
    if facility is None:
        raise UsageError(_("no facility '{facility}' in {path}", facility=facility_id,
                           path=run.data_path))
    return FacilityExplanation(run, facility)


def unit_allocation(rule: Rule, values: Mapping[str, Decimal | str | None],
                    local_factor: Decimal = Decimal(1)) -> Decimal:
    """One unit's exact allocation from already-typed values (for what-if tools)."""
    return RulesInForce.of(rule).exact(rule.sector).allocate(values, local_factor)

