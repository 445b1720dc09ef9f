"""Everything an allocation reads, loaded and validated: rules, data and local factors."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from peie.collector import collector_paused
from peie.data.local_factors import NO_LOCAL_FACTORS, LocalFactors, parse_factors
from peie.data.readers import Table, frame_records, read_table, table_from_records
from peie.data.records import UnitRecord, validate_table
from peie.dsl.i18n import _
from peie.errors import DataError, DataProblem, UsageError
from peie.ruleset import RuleSet, RulesInForce, RuleSource, RuleText, rules_from_text
from peie.ruleset import load_rules as _load_rule_files

if TYPE_CHECKING:
    from peie.data.columns import Columns

    DataFile = Table | Columns  # where the records came from: .path and .sha256

COLUMNAR_BYTES = 1 << 20  # ~10 000 rows

RulesLike = RuleSet | RuleSource | Sequence[RuleSource] | None
DataLike = object  # a Table, a path, an iterable of dicts, a DataFrame-like, an Arrow table
FactorsLike = (LocalFactors | Table | str | os.PathLike[str] | Mapping[tuple[str, str], Any]
               | None)


def load_rules(rules: RulesLike = None, *, text: str | None = None,
               name: str = "<text>") -> RuleSet:
    """Rules from the bundled set (None), a directory, a file, a RuleText, a list of them
    (checked together), or text."""
    if text is not None:
        return rules_from_text(text, name)
    if isinstance(rules, RuleSet):
        return rules
    if rules is None:
        return _load_rule_files(None)
    if isinstance(rules, str | os.PathLike | RuleText):
        return _load_rule_files([rules])
    return _load_rule_files(list(rules))


def read_data(data: DataLike, name: str = "<records>") -> Table:
    """A file path (or DataPath), a Table, an iterable of dicts, a DataFrame-like (has
    to_dict), or an Arrow table or record batch (has to_pylist and schema)."""
    if isinstance(data, Table):
        return data
    if isinstance(data, str | os.PathLike):
        return read_table(data)
    if _is_arrow(data):
        return read_data_columns(data, name).exact_rows()
    if hasattr(data, "to_dict"):
        return table_from_records(frame_records(data, name), name)
    if isinstance(data, Iterable):
        return table_from_records(data, name)
    raise UsageError(_("cannot read data from a {type}", type=type(data).__name__))


def read_data_columns(data: DataLike, name: str = "<records>") -> Columns:
    """The data as columns, for the batch path: a file by peie.data.columns.read_columns,
    an Arrow table by columns too, anything else read_data reads through its records."""
    from peie.data.columns import columns_from_arrow, columns_from_table, read_columns

    if isinstance(data, str | os.PathLike):
        return read_columns(data)
    if _is_arrow(data):
        return columns_from_arrow(data, name)  # type: ignore[arg-type]
    return columns_from_table(read_data(data, name))


def _is_arrow(data: DataLike) -> bool:
    return hasattr(data, "to_pylist") and hasattr(data, "schema")


def read_local_factors(factors: FactorsLike, sectors: Iterable[str],
                       labels: Iterable[tuple[str, str]] = ()) -> LocalFactors:
    """A LocalFactors, a CSV/YAML path, a Table of province, sector and factor (read_data
    of records), or a mapping {(province, sector): factor}. A sector is one of `sectors`,
    or a label of `labels` ((label, sector) pairs, `RuleSet.sector_labels`)."""
    if factors is None:
        return NO_LOCAL_FACTORS
    if isinstance(factors, LocalFactors):
        return factors
    if isinstance(factors, Table):
        return parse_factors(factors, sectors, labels)
    if isinstance(factors, str | os.PathLike):
        return parse_factors(read_table(factors), sectors, labels)
    rows = [{"province": p, "sector": s, "factor": f} for (p, s), f in factors.items()]
    return parse_factors(table_from_records(rows, "<local factors>"), sectors, labels)


def factor_warnings(factors: LocalFactors, present: Collection[tuple[str, str]],
                    strict: bool) -> tuple[DataProblem, ...]:
    """The local factors that apply to no unit of the data (`present`: the data's
    (province, sector) pairs), as warnings; with `strict`, raised as a DataError."""
    unmatched = factors.unmatched(present)
    if strict and unmatched:
        raise DataError(unmatched)
    return tuple(unmatched)


def prepare(data: DataLike, year: int, rules: RulesLike = None,
            local_factors: FactorsLike = None) -> tuple[RulesInForce, DataFile,
                                                        list[UnitRecord], LocalFactors]:
    """Load and validate everything an allocation needs; nothing is evaluated yet.

    A CSV file of COLUMNAR_BYTES or more is read by columns (peie.data.columns), which pays
    for importing pyarrow and numpy (~0.15 s) and saves ~20 us a row; the records and
    any errors are the same either way."""
    ruleset = load_rules(rules)
    in_force = ruleset.for_year(year)
    factors = read_local_factors(local_factors, ruleset.sectors, ruleset.sector_labels)
    with collector_paused():
        data_file = read_data_file(data)
        if isinstance(data_file, Table):
            records = validate_table(data_file, in_force)
        else:
            from peie.data.columns import unit_records

            records = unit_records(data_file, in_force)
        return in_force, data_file, records, factors


def read_data_file(data: DataLike) -> DataFile:
    """Like read_data, but a CSV file of COLUMNAR_BYTES or more, and an Arrow table, by
    columns."""
    if _large_csv(data) or _is_arrow(data):
        return read_data_columns(data)
    return read_data(data)


def _large_csv(data: DataLike) -> bool:
    if not isinstance(data, str | os.PathLike) or not os.fspath(data).lower().endswith(".csv"):
        return False
    try:
        return os.path.getsize(data) >= COLUMNAR_BYTES
    except OSError:
        return False  # the reader says what is wrong with the path
