"""The batch path: float64 evaluation of checked rules over numpy columns.

For what-if runs and impact work on whole-country datasets. Each rule is compiled once
into numpy closures (peie.batch.vector), which evaluate a sector's rows a chunk at a time, so
the cost is numpy's, in cache. Whole tonnes issued must not depend on float error: a
facility whose float total lies within EDGE_TOLERANCE of a rounding edge, and any unit
whose float result is not finite or breaks an `ensure` (every unit of a rule that does
not vectorise), is computed again on the exact path, so facility results equal the exact
path's; the units' allocations are then the exact path's too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from peie.data.columns import (
    SPANS_SECTORS,
    Columns,
    facility_sector_codes,
    spelled_columns,
    validate_columns,
)
from peie.data.kinds import Number, field_kinds
from peie.data.local_factors import LocalFactors
from peie.data.records import validate_table
from peie.dsl.i18n import _, localized
from peie.dsl.model import Rule
from peie.exact.allocation import MAX_UNIT_TONNES, evaluate_units
from peie.exact.facilities import facility_totals, rounding_policy
from peie.progress import Progress
from peie.provenance import Provenance

from .vector import NotVectorisable, Units, vectorise

if TYPE_CHECKING:
    from peie.ruleset import RulesInForce

EDGE_TOLERANCE = 1e-6  # tCO2
CHUNK_ROWS = 1 << 15  # rows evaluated at once: their temporaries fit in a core's cache
Rows = np.ndarray | slice  # indices of rows, or a run of them


def _chunks(rows: np.ndarray | None, size: int) -> Iterator[Rows]:
    """The rows (every row of `size` when None) in pieces of CHUNK_ROWS."""
    count = size if rows is None else len(rows)
    for start in range(0, count, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, count)
        yield slice(start, stop) if rows is None else rows[start:stop]


def _take(values: np.ndarray, rows: Rows) -> np.ndarray:
    """The values of the rows: a view for a run, a copy for indices."""
    return values[rows] if isinstance(rows, slice) else np.take(values, rows)


class _Reader:
    """The columns of the inputs that a rule reads, ready to be cut into units."""

    def __init__(self, columns: Columns, rule: Rule, names: Iterable[str]):
        self.columns = columns
        self.constants: dict[str, float] = {}  # inputs with a default that no column has
        self.numbers: dict[str, tuple[np.ndarray, float | None]] = {}
        self.codes: dict[str, np.ndarray] = {}
        kinds = field_kinds(rule)
        for name in names:
            item, kind = rule.inputs[name], kinds[name]
            default = None if item.default is None else float(item.default)
            if name not in columns.columns:  # every cell empty
                if default is not None:
                    self.constants[name] = default
            elif kind.coded:
                self.codes[name] = kind.vector(columns, name)
            else:
                self.numbers[name] = kind.vector(columns, name), default

    @cached_property
    def lengthy(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(short, filled) of the number columns with a cell of over 15 characters."""
        return [(short, self.columns.filled(name)) for name in self.numbers
                if not (short := self.columns.short(name)).all()]

    def long_cells(self, rows: Rows) -> np.ndarray | bool:
        """Rows with a number of more than 15 characters, which a double may not hold:
        beside a bracket edge, a comparison or an ensure bound, its float can fall on the
        other side from its exact value, so the exact path decides those units."""
        long: np.ndarray | bool = False
        for short, filled in self.lengthy:
            long = long | (~_take(short, rows) & _take(filled, rows))
        return long

    def units(self, rows: Rows, local_factor: np.ndarray | float = 1.0) -> Units:
        numbers: dict[str, np.ndarray | float] = dict(self.constants)
        for name, (floats, default) in self.numbers.items():
            numbers[name] = self._numbers(name, floats, default, rows)
        codes = {name: _take(values, rows) for name, values in self.codes.items()}
        size = len(range(self.columns.size)[rows]) if isinstance(rows, slice) else len(rows)
        return Units(size, numbers, codes, local_factor)

    def _numbers(self, name: str, floats: np.ndarray, default: float | None, rows: Rows
                 ) -> np.ndarray:
        """NaN where empty, unless the rule gives a default. The column's own cached
        array is never changed."""
        values = _take(floats, rows)
        empty = np.isnan(values)
        if not empty.any():
            return values
        values = values.copy() if isinstance(rows, slice) else values
        filled = _take(self.columns.filled(name), rows)
        odd = np.flatnonzero(empty & filled)  # '1,000' and such: few, if any
        if len(odd):
            where = odd + rows.start if isinstance(rows, slice) else rows[odd]
            texts = self.columns.table[name].take(pa.array(where)).to_pylist()
            values[odd] = [Number.float_of(t) for t in texts]
        if default is not None:
            values[empty & ~filled] = default
        return values


def unit_allocations(columns: Columns, rule: Rule, local_factor: np.ndarray) -> np.ndarray:
    """Every row's allocation under `rule`, float64, NaN where it cannot be evaluated
    (ensures not applied): for what-if steps that are never issued. Raises
    NotVectorisable for a rule the batch path cannot evaluate."""
    vector = vectorise(rule)
    reader = _Reader(columns, rule, vector.inputs)
    out = np.empty(columns.size)
    for rows in _chunks(None, columns.size):
        out[rows] = vector.allocation(reader.units(rows, local_factor[rows]))
    return out


@dataclass(frozen=True)
class _Parts:
    """The facility-and-sector groups of the rows (contract 8): one per facility when no
    facility spans sectors, else one per facility and sector (empty ones included)."""

    of_row: np.ndarray  # the group of each row
    facility: np.ndarray  # the facility (index into facility ids) of each group
    sector: np.ndarray  # the sector (index into sector names) of each group
    present: np.ndarray | None  # groups with a row; None: every group

    @classmethod
    def of(cls, columns: Columns) -> _Parts:
        index, facility_ids = columns.encoded("facility_id")
        sector_codes, sector_names = columns.encoded("sector")
        per_facility = facility_sector_codes(columns)
        if not (per_facility == SPANS_SECTORS).any():
            return cls(index, np.arange(len(facility_ids)), per_facility, None)
        count = len(sector_names)
        groups = index * count + sector_codes
        present = np.bincount(groups, minlength=len(facility_ids) * count) > 0
        every = np.arange(len(facility_ids) * count)
        return cls(groups, every // count, every % count, present)

    @property
    def size(self) -> int:
        return len(self.facility)

    def facility_sum(self, amounts: np.ndarray, facilities: int) -> np.ndarray:
        """Each facility's sum of its groups' amounts."""
        if self.present is None:
            return amounts
        return amounts.reshape(facilities, -1).sum(axis=1)


@dataclass
class BatchAllocation:
    year: int
    rules: Mapping[str, Rule]
    data_sha256: str
    local_factors_sha256: str | None
    facility_ids: list[str]
    facility_allocation: np.ndarray  # int64, whole tonnes, equal to the exact path's
    unit_allocation: np.ndarray  # float64 tCO2, in the rows' order; not issued
    recomputed: int  # facilities computed again on the exact path
    sector_names: list[str] = field(repr=False)
    parts: _Parts = field(repr=False)
    part_allocation: np.ndarray = field(repr=False)  # int64, per group of `parts`

    @property
    def provenance(self) -> Provenance:
        return Provenance.of(self.year, self.rules, self.data_sha256,
                             self.local_factors_sha256)

    @cached_property
    def facility_sector(self) -> np.ndarray:
        """Each facility's sector, or its sectors joined by '+' when it spans several
        (an object array), made when first asked for."""
        names = np.array([*self.sector_names, ""], dtype=object)
        if self.parts.present is None:
            return names[self.parts.sector]
        shown = np.full(len(self.facility_ids), "", dtype=object)
        for group in np.flatnonzero(self.parts.present).tolist():
            facility = self.parts.facility[group]
            name = names[self.parts.sector[group]]
            shown[facility] = f"{shown[facility]}+{name}" if shown[facility] else name
        return shown

    def spanning(self) -> dict[str, dict[str, int]]:
        """The facilities that span sectors: facility id -> sector -> whole amount."""
        if self.parts.present is None:
            return {}
        out: dict[str, dict[str, int]] = {}
        for group in np.flatnonzero(self.parts.present).tolist():
            facility_id = self.facility_ids[self.parts.facility[group]]
            sector = self.sector_names[self.parts.sector[group]]
            out.setdefault(facility_id, {})[sector] = int(self.part_allocation[group])
        return {f: sectors for f, sectors in out.items() if len(sectors) > 1}

    def totals(self) -> dict[str, int]:
        sectors = np.array([*self.sector_names, ""], dtype=object)[self.parts.sector]
        totals = {s: int(self.part_allocation[sectors == s].sum()) for s in sorted(self.rules)}
        totals["all"] = sum(totals.values())
        return totals

    def facility_counts(self) -> dict[str, int]:
        """How many facilities have units in each sector (one spanning sectors counts in
        each), and in all."""
        present = self.parts.present
        sectors = np.array([*self.sector_names, ""], dtype=object)[
            self.parts.sector if present is None else self.parts.sector[present]]
        counts = {s: int((sectors == s).sum()) for s in sorted(self.rules)}
        counts["all"] = len(self.facility_ids)
        return counts


def _local_factors(columns: Columns, sector: str, factors: LocalFactors) -> np.ndarray | None:
    """The sector's factor for each province of the data (and 1 for none), or None when
    every one is 1."""
    _, provinces = columns.encoded("province")
    per_province = np.array([float(factors.lookup(p, sector).factor) for p in provinces]
                            + [1.0])
    return None if (per_province == 1.0).all() else per_province


# Whole steps of a magnitude |x| by rounding mode; the sign is put back after.
_WHOLE_STEPS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "half_up": lambda m: np.floor(np.add(m, 0.5)),
    "half_even": np.rint,
    "down": np.floor,
    "up": np.ceil,
}


def batch_allocate(columns: Columns, rules: RulesInForce,
                   factors: LocalFactors) -> BatchAllocation:
    """Facility amounts for `year` equal to the exact path's; bad data raises the exact
    path's DataError. Names and codes may be spelled as peie.data.spellings reads them
    (columns already spelled, as peie.data.columns.spelled_columns makes them, are used
    as they are)."""
    columns = spelled_columns(columns, rules)
    # The data are checked on a thread beside the evaluation (numpy lets go of the GIL
    # in both: on 1 M units the ~3 ms of a what-if run's check hide behind the ~40 ms of
    # evaluation). The result is returned only once the check has passed; if the
    # evaluation fails on data the check rejects (a sector without rules, the exact
    # settlement of a bad row), the check's report of every problem wins.
    with ThreadPoolExecutor(max_workers=1) as pool:
        checked = pool.submit(validate_columns, columns, rules)
        try:
            result = evaluate_columns(columns, rules, factors)
        except Exception:
            checked.result()
            raise
        checked.result()
    return result


def evaluate_columns(columns: Columns, rules: RulesInForce,
                     factors: LocalFactors) -> BatchAllocation:
    """batch_allocate without the validation, for columns that validate_columns has
    passed (the benchmark times this part against hand-written numpy)."""
    _, sector_names = columns.encoded("sector")
    allocation, redo = _allocations_by_sector(columns, rules, factors)
    _, facility_ids = columns.encoded("facility_id")
    parts = _Parts.of(columns)
    redone = np.flatnonzero(redo)
    weights = allocation
    if len(redone):  # left out of the totals: their facilities are computed exactly
        weights = allocation.copy()
        weights[redone] = 0.0
    totals = np.bincount(parts.of_row, weights=weights, minlength=parts.size)
    result, exact_needed = _round(totals, parts.sector, sector_names, rules.by_sector)
    if parts.present is not None:  # an empty group is no facility's amount
        exact_needed &= parts.present
    exact_needed[parts.of_row[redone]] = True
    # A unit beyond the bound (or not finite) is the exact path's to refuse, by name.
    exact_needed[parts.of_row[~(np.abs(allocation) <= float(MAX_UNIT_TONNES))]] = True
    needed = np.zeros(len(facility_ids), dtype=bool)
    needed[parts.facility[exact_needed]] = True
    if needed.any():
        _recompute(columns, rules, factors, needed, parts, result, allocation)
    return BatchAllocation(rules.year, rules.by_sector, columns.sha256, factors.sha256,
                           facility_ids, parts.facility_sum(result, len(facility_ids)),
                           allocation, int(needed.sum()), sector_names, parts, result)


def _round(totals: np.ndarray, sector_codes: np.ndarray, sector_names: list[str],
           rules: Mapping[str, Rule]) -> tuple[np.ndarray, np.ndarray]:
    """Each group's total rounded as its sector's rule says (sectors that round alike, as
    a rule, together), and a mask of those too near a rounding edge for floats to settle."""
    alike: dict[tuple[str, float], list[int]] = {}
    for code, sector in enumerate(sector_names):
        policy, quantum = rounding_policy(rules[sector].rounding)
        alike.setdefault((policy, float(quantum)), []).append(code)
    if len(alike) == 1:  # no sector codes needed
        ((mode, step),) = alike
        return _rounded(totals, mode, step)
    result = np.zeros(len(totals), dtype=np.int64)
    near = np.zeros(len(totals), dtype=bool)
    for (mode, step), codes in alike.items():
        mine = np.isin(sector_codes, codes)
        result[mine], near[mine] = _rounded(totals[mine], mode, step)
    return result, near


def _rounded(totals: np.ndarray, mode: str, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Totals rounded to whole steps, and a mask of those within EDGE_TOLERANCE of a
    rounding edge (half steps for the half modes, whole steps for the others)."""
    steps = totals / step
    magnitude = np.abs(steps)
    whole = _WHOLE_STEPS[mode](magnitude)
    rounded = np.multiply(np.copysign(whole, steps, out=whole), step, out=whole)
    fraction = np.subtract(magnitude, np.floor(magnitude), out=magnitude)
    if mode.startswith("half"):
        near = np.abs(np.subtract(fraction, 0.5, out=fraction), out=fraction) < EDGE_TOLERANCE
    else:
        near = np.minimum(fraction, np.subtract(1, fraction)) < EDGE_TOLERANCE
    with np.errstate(invalid="ignore"):  # beyond int64: such units go to the exact path
        return rounded.astype(np.int64), near


def _allocations_by_sector(columns: Columns, rules: RulesInForce, factors: LocalFactors
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Every unit's float allocation, and a mask of the units the exact path must redo
    (all of a sector whose rule does not vectorise)."""
    sector_codes, sector_names = columns.encoded("sector")
    allocation = np.zeros(columns.size)
    redo = np.zeros(columns.size, dtype=bool)
    one_sector = len(sector_names) == 1  # its rows need no index
    with Progress(localized(_("allocating units (batch)")), columns.size) as progress:
        for code, sector in enumerate(sector_names):
            rows = None if one_sector else np.flatnonzero(sector_codes == code)
            try:
                _sector_allocations(columns, rules, sector, rows, factors, allocation, redo,
                                    progress)
            except NotVectorisable:
                redo[slice(None) if rows is None else rows] = True
    return allocation, redo


def _sector_allocations(columns: Columns, rules: RulesInForce, sector: str,
                        rows: np.ndarray | None, factors: LocalFactors, allocation: np.ndarray,
                        redo: np.ndarray, progress: Progress) -> None:
    vector = rules.vector(sector)
    reader = _Reader(columns, rules.by_sector[sector], vector.inputs)
    per_province = _local_factors(columns, sector, factors)
    province_codes, _ = columns.encoded("province")
    for chunk in _chunks(rows, columns.size):
        local_factor = 1.0 if per_province is None else per_province[
            _take(province_codes, chunk)]
        units = reader.units(chunk, local_factor)
        allocation[chunk], redo_units = vector.evaluate(units)
        redo_units |= reader.long_cells(chunk)
        if redo_units.any():
            redo[chunk] = redo_units
        progress.update(progress.done + units.size)


def _recompute(columns: Columns, rules: RulesInForce, factors: LocalFactors,
               needed: np.ndarray, parts: _Parts, result: np.ndarray,
               allocation: np.ndarray) -> None:
    """The exact path for the facilities the floats cannot settle (errors raised there):
    their groups' results, and their units' allocations."""
    index, _ = columns.encoded("facility_id")
    rows = np.flatnonzero(needed[index])
    table = columns.rows(rows)
    sectors = {row.cells.get("sector") for row in table.rows}
    needed_rules = rules.only(s for s in sectors if s)  # validators only for these
    records = validate_table(table, needed_rules)
    units = evaluate_units(records, needed_rules.compiled, factors, columns.path)
    allocation[rows] = [float(u.allocation) for u in units]
    group = {(r.facility_id, r.sector): parts.of_row[row]
             for r, row in zip(records, rows, strict=True)}
    for part in facility_totals(units):
        result[group[part.facility_id, part.sector]] = part.allocation
