"""Lets are computed in dependency order whatever their order in the file: the checker
allows a let to use one declared below it, so the compiled code must not follow the text."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from peie.dsl.checker import check
from peie.dsl.parser import parse
from peie.exact.compiler import CompiledRule, compile_rule

HEAD = """sector cement "水泥"
version "x"
status draft
effective 2017 to 2018
published 2017-05-09
source "test"
input clinker_t: t in [0, inf)
param k = 1 tCO2/t
param one = 1 tCO2
preallocation 50 % of base year 2015
rounding facility half_up to 1 tCO2
allocation = total
"""
# total = 2 * (clinker_t * k + 1 tCO2) + direct: each let uses the ones before it here.
LETS = [
    "let direct = clinker_t * k",
    "let plus_one = direct + one",
    "let doubled = plus_one * 2",
    "let total = doubled + direct",
]


def _compiled(lets: list[str]) -> CompiledRule:
    [rule] = check([parse(HEAD + "\n".join(lets) + "\n", "order.rule")])
    return compile_rule(rule)


def test_lets_written_in_reverse_are_computed_first_to_last() -> None:
    compiled = _compiled(list(reversed(LETS)))
    row = {"clinker_t": Decimal(10)}
    # By hand: direct = 10, plus_one = 11, doubled = 22, total = 22 + 10 = 32.
    assert compiled.allocate(row, Decimal(1)) == Decimal(32)
    assert [d.name for d in compiled.rule.lets] == ["direct", "plus_one", "doubled", "total"]
    trace = compiled.trace(row, Decimal(1))
    assert (trace["direct"], trace["plus_one"], trace["doubled"]) == (10, 11, 22)


@given(st.permutations(LETS), st.integers(min_value=0, max_value=10**9))
def test_the_order_of_lets_in_the_file_does_not_change_the_allocation(
        lets: list[str], clinker: int) -> None:
    row = {"clinker_t": Decimal(clinker)}
    assert _compiled(lets).allocate(row, Decimal(1)) == 3 * clinker + 2
