"""The syntax tree's generic children() and walk(), and the passes' dispatch over node
kinds: every kind is handled, and a node no pass knows fails loudly."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
from rule_texts import HEAD

from peie.dsl import ast, diff
from peie.dsl.checker import check_file
from peie.dsl.declarations import kind_of
from peie.dsl.errors import Span
from peie.dsl.parser import parse, parse_file
from peie.dsl.typecheck import TypeChecker

RULE_FILES = sorted((Path(__file__).parent.parent / "rules").glob("*.rule"))
NODE_CLASSES = [c for _, c in inspect.getmembers(ast, inspect.isclass)
                if issubclass(c, ast.Node) and c is not ast.Node]

# What the rule files leave out: `or`, a default, an ensure's condition.
EXTRA = HEAD + """
enum fuel { coal "煤" gas "气" }
input kind: fuel
input output: MWh in [0, inf) default 0 MWh
input heat: GJ required when kind == coal or not kind in {gas}
param factor = 0.5 tCO2/MWh
table rate by fuel in tCO2/MWh { coal 0.9 gas 0.4 }
let half = -(2 ^ 1) * factor
allocation = output * (if kind == gas then rate[kind] else factor)
ensure output in [0, 100] when kind != gas and not kind == coal
"""


def _files() -> list[ast.RuleFile]:
    return [parse(EXTRA, "extra.rule"), *(parse_file(path) for path in RULE_FILES)]


def _node_fields(cls: type[ast.Node]) -> list[str]:
    """The fields whose declared type can hold a node, read from the annotations (not as
    children() finds them, from the values)."""
    hints = typing.get_type_hints(cls, vars(ast))
    return [f.name for f in fields(cls) if _holds_node(hints[f.name])]


def _holds_node(hint: object) -> bool:
    if isinstance(hint, type) and issubclass(hint, ast.Node):
        return True
    return any(_holds_node(arg) for arg in typing.get_args(hint))


def _nodes_in(value: object) -> list[ast.Node]:
    items = value if isinstance(value, tuple) else (value,)
    return [item for item in items if isinstance(item, ast.Node)]


def test_children_are_the_nodes_of_every_field_that_can_hold_one() -> None:
    seen: set[tuple[type, str]] = set()
    for file in _files():
        for node in file.walk():
            expected: list[ast.Node] = []
            for name in _node_fields(type(node)):
                found = _nodes_in(getattr(node, name))
                expected += found
                if found:
                    seen.add((type(node), name))
            assert node.children() == tuple(expected), type(node).__name__
    every = {(cls, name) for cls in NODE_CLASSES for name in _node_fields(cls)}
    assert every - seen == set()  # the files hold a node in every such field


def test_walk_is_pre_order() -> None:
    let = parse(HEAD + "let x = a + b * -c[d]").decls[-1]
    assert isinstance(let, ast.LetDecl)
    kinds = [type(node).__name__ + getattr(node, "op", getattr(node, "id", ""))
             for node in let.walk()]
    assert kinds == ["LetDecl", "Binary+", "Namea", "Binary*", "Nameb", "Negate", "Lookup",
                     "Named"]


def test_walk_reaches_every_node_class() -> None:
    assert {type(node) for file in _files() for node in file.walk()} == set(NODE_CLASSES)


def test_the_unions_hold_every_node_class() -> None:
    """The passes match exhaustively on Expr, Condition and Decl: a node class in none of
    them must be one of the parts of a declaration."""
    parts = {ast.UnitRef, ast.Quantity, ast.Bound, ast.Interval, ast.EnumMember,
             ast.Requirement, ast.TableRow, ast.BracketRow, ast.RuleFile}
    unions = [typing.get_args(u) for u in (ast.Expr, ast.Condition, ast.Decl)]
    assert sorted(map(len, unions)) == sorted(len(set(u)) for u in unions)
    in_unions = {cls for union in unions for cls in union}
    assert in_unions.isdisjoint(parts)
    assert in_unions | parts == set(NODE_CLASSES)


def test_every_expression_and_condition_kind_is_typed() -> None:
    file = parse(EXTRA, "extra.rule")
    rule, problems = check_file(file)
    assert problems == [] and rule is not None
    kinds = {type(node) for node in file.walk()}
    assert set(typing.get_args(ast.Expr)) | set(typing.get_args(ast.Condition)) <= kinds


# ---- a node no pass knows ------------------------------------------------------------


@dataclass(frozen=True)
class Stranger(ast.Node):
    """A node of a kind the passes were not written for."""

    span: Span = ast.NOWHERE


class _Scope:
    def __init__(self) -> None:
        self.enums: dict[str, ast.EnumDecl] = {}
        self.declared: dict[str, ast.Decl] = {}
        self.types: dict[str, typing.Any] = {}
        self.tables: dict[str, typing.Any] = {}
        self.lets: dict[str, ast.LetDecl] = {}

    def error(self, span: Span, message: str) -> None:
        raise AssertionError(message)

    def check_bracket(self, decl: ast.BracketDecl) -> None:
        pass


@pytest.mark.parametrize("dispatch", [
    lambda node: TypeChecker(_Scope()).expr_type(node),
    lambda node: TypeChecker(_Scope()).condition_type(node),
    lambda node: TypeChecker(_Scope()).expr_type(ast.Conditional(node, node, node)),
    kind_of,
    lambda node: diff._key(node, ""),
], ids=["expression", "condition", "branch", "kind_of", "diff key"])
def test_an_unknown_node_fails_loudly(dispatch: Callable[[typing.Any], object]) -> None:
    with pytest.raises(AssertionError, match="Stranger"):
        dispatch(Stranger())
