"""Conditions grouped with parentheses: parsed with the intended precedence, evaluated
alike on both paths, laid out by fmt with the parentheses kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rule_texts import HEAD as RULE_HEAD

from peie.dsl import ast
from peie.dsl.formatter import format_text
from peie.ruleset import rules_from_text

HEAD = RULE_HEAD + """enum kind "种类" {
    a  "A"
    b  "B"
    c  "C"
}
input kind: kind "种类"
input x: t in [0, inf) "x"
input y: tCO2 in [0, inf) "y"
param five "5" = 5 t
param two "2" = 2
param one "1" = 1
"""


def allocation(condition: str) -> tuple[ast.Condition, object]:
    rules = rules_from_text(HEAD + f"allocation = y * (if {condition} then two else one)\n",
                            "test.rule")
    rule = rules.rules[0]
    assert isinstance(rule.allocation.expr, ast.Binary)
    conditional = rule.allocation.expr.right
    assert isinstance(conditional, ast.Conditional)
    return conditional.condition, rules.compiled(rule)


@pytest.mark.parametrize(("grouped", "flat"), [
    ("(kind == a or kind == b) and x > five", "kind == a and x > five or kind == b and x > five"),
    ("kind == c or (kind == a and not (x > five))", "kind == c or kind == a and not x > five"),
    ("((x + five) > five + five)", "x > five"),
    ("(x) > five", "x > five"),
])
def test_grouped_conditions_mean_what_their_parentheses_say(grouped: str, flat: str) -> None:
    tree, compiled = allocation(grouped)
    _, expanded = allocation(flat)
    for kind in ("a", "b", "c"):
        for x in ("0", "4.9", "5", "5.1", "12"):
            values = {"kind": kind, "x": Decimal(x), "y": Decimal(10)}
            assert compiled.allocate(values, Decimal(1)) == expanded.allocate(  # type: ignore[attr-defined]
                values, Decimal(1)), (grouped, kind, x)
    if grouped.startswith("(kind == a or"):
        assert isinstance(tree, ast.Logical) and tree.op == "and"
        assert isinstance(tree.left, ast.Logical) and tree.left.op == "or"


def test_fmt_keeps_the_parentheses_of_conditions() -> None:
    text = HEAD + "allocation = y * (if ( kind==a or kind==b )and not(x>five) then two else one)\n"
    formatted = format_text(text, "test.rule")
    assert formatted.endswith(
        "allocation = y * (if (kind == a or kind == b) and not (x > five) then two else one)\n")
    assert format_text(formatted, "test.rule") == formatted
