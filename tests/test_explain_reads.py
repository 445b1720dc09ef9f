"""What the explanation of a unit read (peie.exact.explain.Reads): the table rows, bracket
rows and branches of its computation, which test coverage counts; and the explanation of
a lookup whose key is itself a lookup."""

from __future__ import annotations

from decimal import Decimal

from rule_texts import HEAD

import peie
from peie.exact.explain import explain_reads

RULE = HEAD + """
enum kind "k" { a "a"  b "b" }
enum fuel "f" { coal "c"  gas "g" }
input kind: kind "k"
input output_t: t in [0, inf) "o"
table fuel_of "f" by kind -> fuel { a coal  b gas }
table benchmark "b" by fuel in tCO2/t { coal 2  gas 1 }
bracket uplift "u" over output_t {
    [0 t, 10 t)    -> 0 %
    [10 t, inf)    -> 10 %
}
let factor = if fuel_of[kind] == gas then 1 + uplift else 1
allocation = output_t * benchmark[fuel_of[kind]] * factor * local_factor
preallocation basis = output_t * benchmark[fuel_of[kind]]
"""


def _explained(kind: str, output: str, basis: bool = False):  # type: ignore[no-untyped-def]
    rules = peie.load_rules(text=RULE, name="t.rule")
    row = {"facility_id": "F", "unit_id": "U", "sector": "test", "province": "hebei",
           "kind": kind, "output_t": output}
    run = peie.allocate([row], 2017, rules=rules, preallocation_basis=basis)
    assert run.compiled is not None
    unit = run.units[0]
    return explain_reads(unit, run.compiled["test"], run.data_path, basis)


def test_a_lookup_keyed_by_a_lookup_is_explained_with_its_key() -> None:
    tree, reads = _explained("b", "10")
    assert Decimal(tree.value) == Decimal("11.0")
    benchmark = next(c for c in tree.children if c.name.startswith("benchmark["))
    assert benchmark.name == "benchmark[gas]" and benchmark.value == "1"
    assert [c.name for c in benchmark.children] == ["fuel_of[b]"]
    assert reads.table_rows == {("fuel_of", "b"), ("benchmark", "gas")}


def test_reads_follow_only_the_branch_taken() -> None:
    _, gas = _explained("b", "10")
    assert {held for _, held in gas.branches} == {True}
    assert gas.bracket_rows == {("uplift", 1, Decimal("10"))}
    _, coal = _explained("a", "9.5")
    assert {held for _, held in coal.branches} == {False}
    assert coal.bracket_rows == set()  # the uplift is in the branch not taken


def test_the_preallocation_basis_is_explained_by_its_own_formula() -> None:
    tree, reads = _explained("b", "10", basis=True)
    assert tree.name == "preallocation basis" and Decimal(tree.value) == 10
    assert tree.formula == "output_t * benchmark[fuel_of[kind]]"
    assert reads.branches == set() and reads.bracket_rows == set()
