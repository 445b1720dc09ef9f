"""The table of declaration kinds (peie.dsl.declarations) agrees with grammar.lark, with
the nodes the parser builds, and with what the allocation formula reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark, Tree

from peie.dsl import ast
from peie.dsl.declarations import (
    BY_RULE,
    DECLARATIONS,
    KEYWORDS,
    SECTIONS,
    DeclarationKind,
    kind_of,
)
from peie.dsl.parser import parse_file

GRAMMAR = Lark.open_from_package("peie.dsl", "grammar.lark", parser="lalr", lexer="basic",
                                 keep_all_tokens=True)
RULE_FILES = sorted((Path(__file__).parent.parent / "rules").glob("*.rule"))


def _expansions() -> dict[str, list[list[str]]]:
    """Every declaration rule of the grammar (a metadata line by its alias), in the
    grammar's order, with the symbols of each of its expansions."""
    items = [r.expansion[0].name for r in GRAMMAR.rules if r.origin.name == "_item"]
    found: dict[str, list[list[str]]] = {}
    for item in items:
        for rule in (r for r in GRAMMAR.rules if r.origin.name == item):
            found.setdefault(rule.alias or item, []).append([s.name for s in rule.expansion])
    return found


def _word(symbol: str) -> str | None:
    """The keyword a symbol stands for (a keyword rule `_word: "word" | "中文"` by its
    English form), None for a name, number or text."""
    keyword = [r.expansion[0].name for r in GRAMMAR.rules if r.origin.name == symbol]
    symbol = keyword[0] if keyword else symbol
    try:
        pattern = GRAMMAR.get_terminal(symbol).pattern
    except KeyError:
        return None
    return pattern.value if pattern.type == "str" else None


def _shape(expansions: list[list[str]]) -> str:
    longest = max(expansions, key=len)
    if "LBRACE" in longest:
        return "rows"
    if longest[-2:] == ["EQUAL", "expr"]:
        return "formula"
    if longest[-1] == "requirement":
        return "requirement"
    return "when" if "_when" in longest else "line"


def test_one_kind_per_declaration_rule_in_the_grammars_order() -> None:
    assert [kind.rule for kind in DECLARATIONS] == list(_expansions())


@pytest.mark.parametrize("kind", DECLARATIONS, ids=lambda kind: kind.rule)
def test_a_kind_starts_with_its_words(kind: DeclarationKind) -> None:
    words = kind.name.split()
    for expansion in _expansions()[kind.rule]:
        assert [_word(symbol) for symbol in expansion[: len(words)]] == words


@pytest.mark.parametrize("kind", DECLARATIONS, ids=lambda kind: kind.rule)
def test_a_kind_has_the_shape_of_its_rule(kind: DeclarationKind) -> None:
    assert kind.shape == _shape(_expansions()[kind.rule])


def test_every_word_a_declaration_starts_with_is_a_keyword() -> None:
    first = {_word(e[0]) for expansions in _expansions().values() for e in expansions}
    assert set(KEYWORDS) == first


def test_sections_in_the_diffs_order() -> None:
    assert SECTIONS == ("metadata", "enum", "input", "table", "bracket", "param", "let",
                        "formula", "ensure", "preallocation", "rounding")


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_the_parser_builds_each_kinds_node(path: Path) -> None:
    tree = GRAMMAR.parse(path.read_text(encoding="utf-8"))
    rules = [str(child.data) for child in tree.children if isinstance(child, Tree)]
    decls = parse_file(path).decls
    assert [BY_RULE[rule].node for rule in rules] == [type(decl) for decl in decls]
    assert [kind_of(decl).rule for decl in decls] == rules


def test_the_rule_files_hold_every_kind() -> None:
    """So that the test above covers the whole table."""
    kinds = {kind_of(decl).rule for path in RULE_FILES for decl in parse_file(path).decls}
    assert kinds == set(BY_RULE)


def _read_by_allocation(file: ast.RuleFile) -> list[ast.Decl]:
    """The allocation formula and every declaration it reads, through lets, brackets'
    subjects and the enums that key tables or type inputs."""
    by_name: dict[str, ast.Decl] = {}
    for decl in file.decls:
        if isinstance(decl, ast.EnumDecl | ast.InputDecl | ast.TableDecl | ast.BracketDecl
                      | ast.ParamDecl | ast.LetDecl):
            by_name[decl.name] = decl
    start = next(d for d in file.decls if kind_of(d).name == "allocation")
    read, todo = [start], [start]
    while todo:
        for name in _names_read(todo.pop()):
            decl = by_name.get(name)
            if decl is not None and decl not in read:
                read.append(decl)
                todo.append(decl)
    return read


def _names_read(decl: ast.Decl) -> list[str]:
    match decl:
        case ast.LetDecl() | ast.FormulaDecl():
            return [n.id if isinstance(n, ast.Name) else n.table for n in decl.expr.walk()
                    if isinstance(n, ast.Name | ast.Lookup)]
        case ast.BracketDecl():
            return [decl.subject]
        case ast.TableDecl():
            return [decl.key_enum, *([decl.value_enum] if decl.value_enum else [])]
        case ast.InputDecl():
            return [name for name, _ in decl.type.factors]
        case _:
            return []


def test_what_feeds_the_allocation() -> None:
    """Every kind the allocation formula reads feeds it, in some rule file; no other does."""
    read = {kind_of(decl).rule for path in RULE_FILES
            for decl in _read_by_allocation(parse_file(path))}
    assert read == {kind.rule for kind in DECLARATIONS if kind.feeds_allocation}
