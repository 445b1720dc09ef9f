"""The Python API for embedding peie; the command line is a thin layer over it.

    import peie
    rules = peie.load_rules()                       # the bundled 2017 rules
    result = peie.allocate("units.csv", year=2017, rules=rules)
    result.totals()                                 # {'aluminium': ..., 'all': ...}
    print("\\n".join(result.explain("U-000001").render()))

Every user error is raised as a peie.PeieError subclass: RuleError (with .diagnostics,
each with file, line and column), DataError (with .problems, each with file, row, unit
and field), UsageError.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from peie.data.local_factors import NO_LOCAL_FACTORS, LocalFactors, parse_factors
from peie.data.readers import Table, read_table, table_from_records
from peie.data.records import UnitRecord, validate_table
from peie.dsl.model import Rule
from peie.exact.allocation import Allocation, collector_paused, evaluate_units, facility_totals
from peie.exact.compiler import CompiledRule
from peie.exact.explain import Node, explain_unit

from .errors import UsageError
from .ruleset import RuleSet, rules_from_text
from .ruleset import load_rules as _load_rule_files

if TYPE_CHECKING:
    from peie.data.columns import Columns

    DataFile = Table | Columns  # where the records came from: .path and .sha256

COLUMNAR_BYTES = 1 << 20  # ~10 000 rows

RulesLike = RuleSet | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
DataLike = object  # a Table, a path, an iterable of dicts, or a DataFrame-like
FactorsLike = LocalFactors | str | os.PathLike[str] | Mapping[tuple[str, str], Any] | None


def load_rules(rules: RulesLike = None, *, text: str | None = None,
               name: str = "<text>") -> RuleSet:
    """Rules from the bundled set (None), a directory, a file, a list of them, or text."""
    if text is not None:
        return rules_from_text(text, name)
    if isinstance(rules, RuleSet):
        return rules
    if rules is None:
        return _load_rule_files(None)
    if isinstance(rules, str | os.PathLike):
        return _load_rule_files([rules])
    return _load_rule_files(list(rules))


def read_data(data: DataLike, name: str = "<records>") -> Table:
    """A file path, a Table, an iterable of dicts, or a DataFrame-like (has to_dict)."""
    if isinstance(data, Table):
        return data
    if isinstance(data, str | os.PathLike):
        return read_table(data)
    if hasattr(data, "to_dict"):
        return table_from_records(data.to_dict(orient="records"), name)
    if isinstance(data, Iterable):
        return table_from_records(data, name)
    raise UsageError(f"cannot read data from a {type(data).__name__}")


def read_local_factors(factors: FactorsLike, sectors: Iterable[str]) -> LocalFactors:
    """A LocalFactors, a CSV/YAML path, or a mapping {(province, sector): factor}."""
    if factors is None:
        return NO_LOCAL_FACTORS
    if isinstance(factors, LocalFactors):
        return factors
    if isinstance(factors, str | os.PathLike):
        return parse_factors(read_table(factors), sectors)
    rows = [{"province": p, "sector": s, "factor": f} for (p, s), f in factors.items()]
    return parse_factors(table_from_records(rows, "<local factors>"), sectors)


@dataclass(frozen=True)
class AllocationRun(Allocation):
    """An Allocation that also knows how to explain its units."""

    data_path: str = ""
    compiled: Mapping[str, CompiledRule] | None = None

    def explain(self, unit_id: str) -> Node:
        unit = self.unit(unit_id)
        if unit is None:
            raise UsageError(f"no unit '{unit_id}' in {self.data_path}")
        assert self.compiled is not None
        return explain_unit(unit, self.compiled[unit.record.sector], self.data_path)


def prepare(data: DataLike, year: int, rules: RulesLike = None,
            local_factors: FactorsLike = None) -> tuple[RuleSet, dict[str, Rule], DataFile,
                                                        list[UnitRecord], LocalFactors]:
    """Load and validate everything an allocation needs; nothing is evaluated yet.

    A CSV file of COLUMNAR_BYTES or more is read by columns (peie.data.columns), which pays
    for importing pyarrow and numpy (~0.15 s) and saves ~20 us a row; the records and
    any errors are the same either way."""
    ruleset = load_rules(rules)
    in_force = ruleset.require_year(year)
    factors = read_local_factors(local_factors, ruleset.sectors)
    with collector_paused():
        data_file = read_data_file(data)
        if isinstance(data_file, Table):
            records = validate_table(data_file, in_force, year, ruleset.rules)
        else:
            from peie.data.columns import unit_records

            records = unit_records(data_file, in_force, year, ruleset.rules)
        return ruleset, in_force, data_file, records, factors


def read_data_file(data: DataLike) -> DataFile:
    """Like read_data, but a CSV file of COLUMNAR_BYTES or more by columns."""
    if _large_csv(data):
        from peie.data.columns import read_columns

        return read_columns(data)  # type: ignore[arg-type]
    return read_data(data)


def _large_csv(data: DataLike) -> bool:
    if not isinstance(data, str | os.PathLike) or not os.fspath(data).lower().endswith(".csv"):
        return False
    try:
        return os.path.getsize(data) >= COLUMNAR_BYTES
    except OSError:
        return False  # the reader says what is wrong with the path


def allocate(data: DataLike, year: int, *, rules: RulesLike = None,
             local_factors: FactorsLike = None,
             preallocation_basis: bool = False) -> AllocationRun:
    """Exact allocation of every unit in `data` for `year`, with facility and sector totals.

    With `preallocation_basis`, each unit is evaluated with its rule's `preallocation
    basis` formula where it declares one: what the pre-allocation share multiplies.
    """
    ruleset, in_force, table, records, factors = prepare(data, year, rules, local_factors)
    compiled = {sector: ruleset.compiled(rule) for sector, rule in in_force.items()}
    units = evaluate_units(records, compiled, factors, table.path, preallocation_basis)
    return AllocationRun(
        year=year,
        rules=in_force,
        data_sha256=table.sha256,
        local_factors_sha256=factors.sha256,
        units=units,
        facilities=facility_totals(units),
        data_path=table.path,
        compiled=compiled,
    )


def unit_allocation(rule: Rule, values: Mapping[str, Decimal | str | None],
                    local_factor: Decimal = Decimal(1)) -> Decimal:
    """One unit's exact allocation from already-typed values (for what-if tools)."""
    return RuleSet([rule]).compiled(rule).allocate(values, local_factor)


__all__ = [
    "AllocationRun", "allocate", "load_rules", "prepare", "read_data", "read_data_file",
    "read_local_factors", "unit_allocation",
]
