"""A rule's column function (many units in one loop) gives exactly what its per-unit
function gives, and a block with failing units reports every one of them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import peie
from peie.errors import DataError
from peie.ruleset import load_rules

RULES = load_rules()
IN_FORCE = RULES.require_year(2017)

WEIGHED = """
sector widgets "部件"
version "test"
status draft
effective 2017 to 2018
published 2017-01-01
source "a test rule"

input output_t: t in [0, inf) "产量"
input extra_t: t in [0, inf) "附加" optional

bracket weight "权重" over output_t {
    [0 t, 10 t)   -> 1    source "test"
    [10 t, inf)   -> 2    source "test"
}

param benchmark "基准" = 1 tCO2/t  source "test"
param threshold "门槛" = 15 t  source "test"
param heavy "重" = 12 t  source "test"
param nothing "无" = 0 t  source "test"

allocation = (output_t * weight + (if output_t > threshold then extra_t else nothing))
    * benchmark * local_factor

ensure weight in [1, 1.5] when output_t > heavy and output_t < threshold

preallocation 50 % of base year 2015  source "test"

rounding facility half_up to 1 tCO2
"""


def line(start: str) -> int:
    """The line of WEIGHED that starts with `start`."""
    return next(n for n, text in enumerate(WEIGHED.splitlines(), 1) if text.startswith(start))


def numbers(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(low, high, places=3, allow_nan=False, allow_infinity=False)


power_rows = st.fixed_dictionaries({
    "category": st.sampled_from([m.code for m in IN_FORCE["power"].enums["category"].members]),
    "cooling": st.sampled_from(["water", "air"]),
    "electricity_supplied_mwh": numbers(0, 10**7),
    "heat_supplied_gj": numbers(0, 10**7),
    "heat_ratio": numbers(0, 1),
    "calorific_value_kcal_per_kg": numbers(1, 8000),
})
cement_rows = st.fixed_dictionaries({"clinker_t": numbers(0, 10**7),
                                     "coprocessed_waste_t": numbers(0, 2 * 10**5)})


@settings(max_examples=50, deadline=None)
@given(st.lists(power_rows, max_size=30), st.lists(cement_rows, max_size=30),
       st.lists(st.sampled_from([Decimal(1), Decimal("0.95"), Decimal("0.875")]),
                min_size=30, max_size=30))
def test_the_column_function_equals_the_unit_function(power: list[dict[str, Any]],
                                                      cement: list[dict[str, Any]],
                                                      factors: list[Decimal]) -> None:
    for sector, rows in (("power", power), ("cement", cement)):
        compiled = RULES.compiled(IN_FORCE[sector])
        names = list(compiled.rule.inputs)
        lfs = factors[:len(rows)]
        columns = [[row[n] for row in rows] for n in names]
        by_unit = [compiled.allocate(row, lf) for row, lf in zip(rows, lfs, strict=True)]
        with peie.exact.allocation.decimal.localcontext(peie.exact.compiler.CONTEXT):
            assert compiled.allocation_columns(*columns, lfs) == by_unit


def test_every_failing_unit_of_a_block_is_reported() -> None:
    rules = peie.load_rules(text=WEIGHED, name="widgets.rule")
    units = [("U-1", "5", None), ("U-2", "11", None), ("U-3", "13", None), ("U-4", "8", None),
             ("U-5", "16", "3"), ("U-6", "17", None)]
    data = [{"facility_id": "F-1", "unit_id": u, "sector": "widgets", "province": "hebei",
             "output_t": t, "extra_t": e} for u, t, e in units]
    with pytest.raises(DataError) as raised:
        peie.allocate(data, 2017, rules=rules)
    problems = [(p.row, p.unit_id, p.message) for p in raised.value.problems]
    broken = f"'weight' = 2 breaks 'ensure weight in [1, 1.5]' (widgets.rule:{line('ensure')})"
    missing = f"'extra_t' is empty but needed by the rule (widgets.rule:{line('input extra_t')})"
    # rows of records given in memory are numbered from 1
    assert problems == [(3, "U-3", broken), (6, "U-6", missing)]


def test_an_empty_optional_input_is_reported_only_where_it_is_needed() -> None:
    rules = peie.load_rules(text=WEIGHED, name="widgets.rule")
    data = [{"facility_id": "F-1", "unit_id": "U-1", "sector": "widgets", "province": "hebei",
             "output_t": "19", "extra_t": "1"},
            {"facility_id": "F-1", "unit_id": "U-2", "sector": "widgets", "province": "hebei",
             "output_t": "9"},
            {"facility_id": "F-1", "unit_id": "U-3", "sector": "widgets", "province": "hebei",
             "output_t": "19"}]
    with pytest.raises(DataError) as raised:
        peie.allocate(data, 2017, rules=rules)
    assert [(p.row, p.unit_id) for p in raised.value.problems] == [(3, "U-3")]
    assert "'extra_t' is empty but needed" in raised.value.problems[0].message
