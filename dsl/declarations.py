"""The kinds of declaration, in one table: the words each starts with, the node the
parser builds for it, the section the semantic diff lists it in, and its shape.

Where a declaration starts (the parser's error recovery), how each is laid out (the
formatter) and the order of the diff's sections are all read from this table, so a new
kind is added here and in grammar.lark; tests/test_dsl_declarations.py checks that the
two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never

from . import ast

# How a declaration is laid out: on one line; with rows in braces; a formula after its
# '='; ending in an input's requirement; ending in an optional `when` condition.
Shape = Literal["line", "rows", "formula", "requirement", "when"]


@dataclass(frozen=True)
class DeclarationKind:
    rule: str  # the rule in grammar.lark that parses it (a metadata line: its alias)
    name: str  # the words it starts with; a Header's key, a FormulaDecl's kind
    node: type[ast.Decl]
    section: str  # where the semantic diff lists it
    shape: Shape
    # Whether it can change the allocation before the pre-allocation share and rounding
    # apply: the allocation formula and what the formula can read.
    feeds_allocation: bool

    @property
    def keyword(self) -> str:
        return self.name.split()[0]


def _metadata(key: str) -> DeclarationKind:
    return DeclarationKind(key, key, ast.Header, "metadata", "line", feeds_allocation=False)


def _declarations(*rows: tuple[str, type[ast.Decl], Shape],
                  feeds_allocation: bool) -> tuple[DeclarationKind, ...]:
    """Declarations of (name, node, shape), each parsed by the rule `<name>_decl` and
    listed in the section of its name (the formulas share one)."""
    return tuple(
        DeclarationKind(name.replace(" ", "_") + "_decl", name, node,
                        "formula" if node is ast.FormulaDecl else name, shape, feeds_allocation)
        for name, node, shape in rows
    )


DECLARATIONS = (  # in the grammar's order
    *(_metadata(key) for key in ("sector", "version", "status", "effective", "published",
                                 "source")),
    *_declarations(
        ("enum", ast.EnumDecl, "rows"), ("input", ast.InputDecl, "requirement"),
        ("table", ast.TableDecl, "rows"), ("bracket", ast.BracketDecl, "rows"),
        ("param", ast.ParamDecl, "line"), ("let", ast.LetDecl, "formula"),
        ("allocation", ast.FormulaDecl, "formula"), feeds_allocation=True),
    *_declarations(
        ("emissions", ast.FormulaDecl, "formula"), ("ensure", ast.EnsureDecl, "when"),
        ("preallocation", ast.PreallocationDecl, "line"),
        ("preallocation basis", ast.FormulaDecl, "formula"),
        ("rounding", ast.RoundingDecl, "line"), ("obligation", ast.FormulaDecl, "formula"),
        ("obligation facility", ast.FormulaDecl, "formula"), feeds_allocation=False),
)

KEYWORDS = tuple(dict.fromkeys(kind.keyword for kind in DECLARATIONS))
SECTIONS = tuple(dict.fromkeys(kind.section for kind in DECLARATIONS))  # in the diff's order
BY_RULE = {kind.rule: kind for kind in DECLARATIONS}
_BY_NAME = {kind.name: kind for kind in DECLARATIONS}
_BY_NODE = {kind.node: kind for kind in DECLARATIONS}  # for the classes with one kind


def kind_of(decl: ast.Decl) -> DeclarationKind:
    """The kind of a declaration: a metadata line's by its key, a formula's by its kind,
    the others' by their class, which each has one kind."""
    match decl:
        case ast.Header():
            return _BY_NAME[decl.key]
        case ast.FormulaDecl():
            return _BY_NAME[decl.kind]
        case (ast.EnumDecl() | ast.InputDecl() | ast.TableDecl() | ast.BracketDecl()
              | ast.ParamDecl() | ast.LetDecl() | ast.EnsureDecl() | ast.PreallocationDecl()
              | ast.RoundingDecl()):
            return _BY_NODE[type(decl)]
        case _:
            assert_never(decl)
