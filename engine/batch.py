"""The batch path: float64 evaluation of checked rules over numpy columns.

For what-if runs and impact work on whole-country datasets. The AST is interpreted once
per column batch (not per unit), so the cost is numpy's. Whole tonnes issued must not
depend on float error: a facility whose float total lies within EDGE_TOLERANCE of a
rounding edge, and any unit whose float result is not finite or breaks an `ensure`, is
computed again on the exact path, so facility results equal the exact path's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from peie.dsl import ast
from peie.dsl.model import LOCAL_FACTOR, EnumType, Rule, Type

from .allocation import evaluate_units, facility_totals
from .columns import Columns, decimal_or_nan, validate_columns
from .local_factors import LocalFactors
from .progress import Progress
from .records import validate_table
from .ruleset import RuleSet

EDGE_TOLERANCE = 1e-6  # tCO2


class _Vector:
    """Evaluates one rule's expressions over arrays (numbers as float64, codes as int64
    indices into their enum's members, -1 where empty)."""

    def __init__(self, rule: Rule, numbers: Mapping[str, np.ndarray],
                 codes: Mapping[str, np.ndarray], local_factor: np.ndarray | float, size: int):
        self.rule = rule
        self.env: dict[str, np.ndarray] = {**numbers, **codes}
        self.local_factor = local_factor
        self.size = size

    def members(self, enum: str) -> list[str]:
        return [m.code for m in self.rule.enums[enum].members]

    def type_of(self, e: ast.Expr) -> Type | None:
        if isinstance(e, ast.Name):
            return self.rule.types.get(e.id)
        if isinstance(e, ast.Lookup):
            return self.rule.tables[e.table].type
        if isinstance(e, ast.Conditional):
            return self.type_of(e.then)
        return None

    def name(self, name: str) -> np.ndarray:
        rule = self.rule
        if name == LOCAL_FACTOR:
            return np.broadcast_to(np.asarray(self.local_factor, dtype=float), (self.size,))
        if name in self.env:
            return self.env[name]
        if name in rule.params:
            return np.full(self.size, float(rule.params[name].value.scaled))
        if name in rule.brackets:
            bracket = rule.brackets[name]
            subject = self.name(bracket.decl.subject)
            out = np.full(self.size, np.nan)
            for rng, value in zip(bracket.ranges, bracket.values, strict=True):
                inside = ~np.isnan(subject)
                if rng.low is not None:
                    inside &= (subject >= float(rng.low)) if rng.low_closed else (
                        subject > float(rng.low))
                if rng.high is not None:
                    inside &= (subject <= float(rng.high)) if rng.high_closed else (
                        subject < float(rng.high))
                out[inside] = float(value)
            self.env[name] = out  # an ensure or a second formula may read it again
            return out
        # An input absent from the data: every cell empty.
        typ = rule.types.get(name)
        return np.full(self.size, -1) if isinstance(typ, EnumType) else np.full(self.size,
                                                                                np.nan)

    def expr(self, e: ast.Expr | ast.Condition) -> np.ndarray:
        if isinstance(e, ast.Number):
            return np.full(self.size, float(e.value))
        if isinstance(e, ast.Name):
            return self.name(e.id)
        if isinstance(e, ast.Lookup):
            table = self.rule.tables[e.table]
            key = self.expr(e.key).astype(np.int64)
            keys = self.members(table.decl.key_enum)
            if isinstance(table.type, EnumType):
                targets = self.members(table.type.enum)
                mapped = np.array([targets.index(str(table.values[k])) for k in keys] + [-1])
            else:
                mapped = np.array([float(table.values[k]) for k in keys] + [np.nan])
            return mapped[np.where(key < 0, len(keys), key)]
        if isinstance(e, ast.Binary):
            left, right = self.expr(e.left), self.expr(e.right)
            if e.op == "+":
                return left + right
            if e.op == "-":
                return left - right
            if e.op == "*":
                return left * right
            if e.op == "/":
                return left / right
            return np.power(left, right)
        if isinstance(e, ast.Negate):
            return -self.expr(e.operand)
        if isinstance(e, ast.Conditional):
            return np.where(self.expr(e.condition), self.expr(e.then), self.expr(e.otherwise))
        if isinstance(e, ast.Compare):
            left, right = self.side(e.left, e.right), self.side(e.right, e.left)
            return {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
                    ">": np.greater, ">=": np.greater_equal}[e.op](left, right)
        if isinstance(e, ast.InSet):
            typ = self.type_of(e.subject)
            assert isinstance(typ, EnumType)
            codes = self.members(typ.enum)
            return np.isin(self.expr(e.subject), [codes.index(m.id) for m in e.members])
        if isinstance(e, ast.Logical):
            both = (self.expr(e.left), self.expr(e.right))
            return np.logical_and(*both) if e.op == "and" else np.logical_or(*both)
        return np.logical_not(self.expr(e.operand))

    def side(self, e: ast.Expr, other: ast.Expr) -> np.ndarray:
        if isinstance(e, ast.Name) and e.id not in self.rule.types:  # a bare code
            typ = self.type_of(other)
            assert isinstance(typ, EnumType)
            return np.full(self.size, self.members(typ.enum).index(e.id))
        return self.expr(e)

    def allocation(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit allocations and a mask of units the exact path must redo."""
        with np.errstate(all="ignore"):
            for let in self.rule.lets:
                self.env[let.name] = self.expr(let.expr)
            result = self.expr(self.rule.allocation.expr).astype(float)
            redo = ~np.isfinite(result)
            for ensure in self.rule.ensures:
                value = self.name(ensure.decl.name)
                rng = ensure.range
                outside = np.zeros(self.size, dtype=bool)
                if rng.low is not None:
                    outside |= value < float(rng.low)
                if rng.high is not None:
                    outside |= value > float(rng.high)
                if ensure.decl.when is not None:
                    outside &= self.expr(ensure.decl.when)
                redo |= outside
        return result, redo


def _inputs(columns: Columns, rule: Rule, rows: np.ndarray
            ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The rule's inputs for the selected rows: numbers as floats, codes as indices."""
    numbers, codes = {}, {}
    for name, item in rule.inputs.items():
        if name not in columns.columns:
            continue
        if isinstance(item.type, EnumType):
            members = tuple(m.code for m in rule.enums[item.type.enum].members)
            codes[name] = columns.codes(name, members)[rows]
            continue
        values = columns.floats(name)[rows]
        filled = columns.filled(name)[rows]
        odd = np.flatnonzero(filled & np.isnan(values))  # '1,000' and such: few, if any
        if len(odd):
            texts = columns.table[name].take(pa.array(rows[odd])).to_pylist()
            values[odd] = [decimal_or_nan(t) for t in texts]
        if item.default is not None:
            values[~filled] = float(item.default)
        numbers[name] = values
    return numbers, codes


def unit_allocations(columns: Columns, rule: Rule, local_factor: np.ndarray) -> np.ndarray:
    """Every row's allocation under `rule`, float64, NaN where it cannot be evaluated
    (ensures not applied): for what-if steps that are never issued."""
    numbers, codes = _inputs(columns, rule, np.arange(columns.size))
    return _Vector(rule, numbers, codes, local_factor, columns.size).allocation()[0]


def condition_mask(columns: Columns, rule: Rule, condition: ast.Condition,
                   rows: np.ndarray) -> np.ndarray:
    """A condition over code inputs, for the selected rows."""
    _, codes = _inputs(columns, rule, rows)
    return np.asarray(_Vector(rule, {}, codes, 1.0, len(rows)).expr(condition))


@dataclass
class BatchAllocation:
    year: int
    rules: Mapping[str, Rule]
    data_sha256: str
    local_factors_sha256: str | None
    facility_ids: list[str]
    facility_sector: np.ndarray
    facility_allocation: np.ndarray  # int64, whole tonnes, equal to the exact path's
    unit_allocation: np.ndarray  # float64 tCO2, in the rows' order; not issued
    recomputed: int  # facilities computed again on the exact path

    def totals(self) -> dict[str, int]:
        totals = {s: int(self.facility_allocation[self.facility_sector == s].sum())
                  for s in sorted(self.rules)}
        totals["all"] = sum(totals.values())
        return totals


def _local_factors(columns: Columns, rows: np.ndarray, sector: str,
                   factors: LocalFactors) -> np.ndarray | float:
    codes, provinces = columns.encoded("province")
    per_province = np.array([float(factors.lookup(p, sector).factor) for p in provinces]
                            + [1.0])
    if (per_province == 1.0).all():
        return 1.0  # no province of the data has a factor for this sector
    return per_province[codes[rows]]


_ROUNDING: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "half_up": lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5),
    "half_even": np.round,
    "down": np.trunc,
    "up": lambda x: np.sign(x) * np.ceil(np.abs(x)),
}


def _near_edge(steps: np.ndarray, mode: str) -> np.ndarray:
    fraction = np.abs(steps) - np.floor(np.abs(steps))
    if mode.startswith("half"):
        return np.abs(fraction - 0.5) < EDGE_TOLERANCE
    return np.minimum(fraction, 1 - fraction) < EDGE_TOLERANCE


def batch_allocate(columns: Columns, year: int, ruleset: RuleSet,
                   factors: LocalFactors) -> BatchAllocation:
    """Facility amounts for `year` equal to the exact path's; bad data raises the exact
    path's DataError."""
    validate_columns(columns, ruleset.require_year(year), year, ruleset.rules)
    return evaluate_columns(columns, year, ruleset, factors)


def evaluate_columns(columns: Columns, year: int, ruleset: RuleSet,
                     factors: LocalFactors) -> BatchAllocation:
    """batch_allocate after the validation, for columns that validate_columns has passed
    (the benchmark times this part against hand-written numpy)."""
    rules = ruleset.require_year(year)
    sector_codes, sector_names = columns.encoded("sector")
    allocation, redo = _allocations_by_sector(columns, rules, factors)
    index, facility_ids = columns.encoded("facility_id")
    count = len(facility_ids)
    totals = np.bincount(index, weights=np.where(redo, 0.0, allocation), minlength=count)
    facility_sector_code = np.zeros(count, dtype=np.int64)
    facility_sector_code[index] = sector_codes
    result, exact_needed = _round(totals, facility_sector_code, sector_names, rules)
    exact_needed[index[redo]] = True
    if exact_needed.any():
        _recompute(columns, ruleset, rules, year, factors, index, exact_needed, result)
    names = np.array(sector_names + [""], dtype=object)
    return BatchAllocation(
        year, rules, columns.sha256, factors.sha256, facility_ids,
        names[facility_sector_code] if count else np.array([], dtype=object), result,
        allocation, int(exact_needed.sum()))


def _round(totals: np.ndarray, sector_codes: np.ndarray, sector_names: list[str],
           rules: Mapping[str, Rule]) -> tuple[np.ndarray, np.ndarray]:
    """Facility totals rounded as their sectors' rules say (sectors that round alike, as
    a rule, together), and a mask of those too near a rounding edge for floats to settle."""
    alike: dict[tuple[str, float], list[int]] = {}
    for code, sector in enumerate(sector_names):
        rounding = rules[sector].rounding
        alike.setdefault((rounding.mode, float(rounding.quantum.scaled)), []).append(code)
    result = np.zeros(len(totals), dtype=np.int64)
    near = np.zeros(len(totals), dtype=bool)
    for (mode, step), codes in alike.items():
        mine = slice(None) if len(alike) == 1 else np.isin(sector_codes, codes)
        steps = totals[mine] / step
        result[mine] = (_ROUNDING[mode](steps) * step).astype(np.int64)
        near[mine] = _near_edge(steps, mode)
    return result, near


def _allocations_by_sector(columns: Columns, rules: Mapping[str, Rule], factors: LocalFactors
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Every unit's float allocation, and a mask of the units the exact path must redo."""
    sector_codes, sector_names = columns.encoded("sector")
    allocation = np.zeros(columns.size)
    redo = np.zeros(columns.size, dtype=bool)
    with Progress("allocating units (batch)", columns.size) as progress:
        for code, sector in enumerate(sector_names):
            rows = np.flatnonzero(sector_codes == code)
            rule = rules[sector]
            numbers, codes = _inputs(columns, rule, rows)
            vector = _Vector(rule, numbers, codes,
                             _local_factors(columns, rows, sector, factors), len(rows))
            allocation[rows], redo[rows] = vector.allocation()
            progress.update(progress.done + len(rows))
    return allocation, redo


def _recompute(columns: Columns, ruleset: RuleSet, rules: Mapping[str, Rule], year: int,
               factors: LocalFactors, index: np.ndarray, needed: np.ndarray,
               result: np.ndarray) -> None:
    """The exact path for the facilities the floats cannot settle (errors raised there)."""
    rows = np.flatnonzero(needed[index])
    table = columns.rows(rows)
    sectors = {row.cells.get("sector") for row in table.rows}
    rules = {s: r for s, r in rules.items() if s in sectors}  # validators only for these
    records = validate_table(table, rules, year, ruleset.rules)
    compiled = {s: ruleset.compiled(r) for s, r in rules.items()}
    position = {r.facility_id: index[row] for r, row in zip(records, rows, strict=True)}
    for facility in facility_totals(evaluate_units(records, compiled, factors, columns.path)):
        result[position[facility.facility_id]] = facility.allocation
