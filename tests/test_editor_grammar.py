"""The editor files under editors/vscode: the TextMate grammar highlights every keyword
of the rule language (the lark grammar's and the Chinese forms in dsl/keywords.py), and
the extension's JSON files are valid JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lark import Lark

from peie.dsl.keywords import CHINESE, ENGLISH

VSCODE = Path(__file__).resolve().parent.parent / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "peie.tmLanguage.json"


def _lark_keywords() -> set[str]:
    """Every keyword terminal of grammar.lark: the fixed texts that read as a word."""
    lark = Lark.open_from_package("peie.dsl", "grammar.lark", parser="lalr", lexer="basic")
    return {t.pattern.value for t in lark.terminals
            if t.pattern.type == "str" and t.pattern.value.isidentifier()}


def _keyword_patterns() -> list[re.Pattern[str]]:
    """The TextMate grammar's keyword patterns; they use only the subset of Oniguruma
    that Python's re reads the same way (alternation, (?:...), \\b)."""
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    return [re.compile(p["match"]) for p in grammar["repository"]["keyword"]["patterns"]]


def _highlighted(word: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.fullmatch(word) for p in patterns)


KEYWORDS = sorted(_lark_keywords() | set(ENGLISH))


@pytest.mark.parametrize("word", KEYWORDS)
def test_every_keyword_is_highlighted(word: str) -> None:
    assert _highlighted(word, _keyword_patterns()), (
        f"keyword '{word}' of grammar.lark/keywords.py is not matched by a keyword pattern "
        f"of {GRAMMAR.name}")


def test_the_keywords_cover_both_forms() -> None:
    """The list tested above holds the Chinese forms too (a test of the test)."""
    assert set(CHINESE["if"]) <= set(KEYWORDS) and "if" in KEYWORDS


@pytest.mark.parametrize("name", ["inputs", "输入量", "tables", "年份", "ifx"])
def test_a_name_that_starts_with_a_keyword_is_not_a_keyword(name: str) -> None:
    """As the lexer reads the longest name, the grammar highlights whole words only."""
    text = f"let {name} = 1"
    found = [m.group() for p in _keyword_patterns() for m in p.finditer(text)]
    assert found == ["let"]


@pytest.mark.parametrize("path", sorted(VSCODE.rglob("*.json")), ids=lambda p: p.name)
def test_the_extension_files_are_valid_json(path: Path) -> None:
    json.loads(path.read_text(encoding="utf-8"))


def test_the_extension_contributes_the_language_and_grammar() -> None:
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    language = package["contributes"]["languages"][0]
    grammar = package["contributes"]["grammars"][0]
    assert ".rule" in language["extensions"]
    assert grammar["language"] == language["id"]
    assert (VSCODE / grammar["path"]).is_file()
    assert (VSCODE / language["configuration"]).is_file()
    assert json.loads(GRAMMAR.read_text(encoding="utf-8"))["scopeName"] == grammar["scopeName"]
