"""A changed number in a bundled rule file fails at least one of that file's own cases.

Each number a regulator may revise — a table row's value, a param, a bracket row's value
and the edges where two rows meet, the pre-allocation share, a number in a formula — is
moved by one unit of its last written digit (0.8066 -> 0.8067, 3000 -> 3001, 70 % ->
71 %), in a copy of the rules; the copy must still check, and `peie test` on the file's
cases must then fail. Where the value is a bracket edge or is compared with in an if, it
is moved down as well, since a move either way must show (both sides of each edge).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from lark import Lark, Token, Tree

from peie import api
from peie.dsl.ast import RuleFile
from peie.dsl.checker import check
from peie.dsl.parser import parse
from peie.ruleset import RuleSet

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
RULE_FILES = sorted(p.name for p in RULES.glob("*.rule"))
FORMULAS = {"let_decl", "allocation_decl", "preallocation_basis_decl", "emissions_decl"}


@dataclass(frozen=True)
class Mutant:
    """The file with the numbers at `tokens` (all one value) moved by `step`."""

    tokens: tuple[Token, ...]
    step: Decimal

    def text(self, source: str) -> str:
        for token in sorted(self.tokens, key=lambda t: t.start_pos, reverse=True):
            moved = format(Decimal(str(token)) + self.step, "f")
            assert token.start_pos is not None and token.end_pos is not None
            source = source[: token.start_pos] + moved + source[token.end_pos:]
        return source

    def __str__(self) -> str:
        first = self.tokens[0]
        moved = format(Decimal(str(first)) + self.step, "f")
        return f"line {first.line}: {first} -> {moved}"


@cache
def _parser() -> Lark:
    return Lark.open_from_package("peie.dsl", "grammar.lark", parser="lalr", lexer="basic",
                                  propagate_positions=True)


def _numbers(tree: Tree[Token]) -> list[Token]:
    return [t for t in tree.scan_values(lambda v: isinstance(v, Token) and v.type == "NUMBER")]


def _compared(tree: Tree[Token]) -> set[int]:
    """The positions of numbers a formula compares with (`if load_factor >= 0.85`)."""
    return {t.start_pos for c in tree.find_data("compare") for t in _numbers(c)
            if t.start_pos is not None}


def _unit_of_last_digit(token: Token) -> Decimal:
    exponent = Decimal(str(token)).as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(exponent)


def _bracket_mutants(bracket: Tree[Token]) -> Iterator[Mutant]:
    """Each row's value, and each edge two rows share (both rows' bound moved together);
    the outer edges are the input's range, which a bracket must cover."""
    edges: dict[Decimal, list[Token]] = {}
    for row in bracket.find_data("bracket_row"):
        interval, value = row.children[0], row.children[1]
        assert isinstance(interval, Tree) and isinstance(value, Tree)
        for token in _numbers(value):
            yield Mutant((token,), _unit_of_last_digit(token))
        for token in _numbers(interval):
            edges.setdefault(Decimal(str(token)), []).append(token)
    for tokens in edges.values():
        if len(tokens) == 2:
            step = _unit_of_last_digit(tokens[0])
            yield Mutant(tuple(tokens), step)
            yield Mutant(tuple(tokens), -step)


def mutants(text: str) -> list[Mutant]:
    found: list[Mutant] = []
    for declaration in _parser().parse(text).children:
        assert isinstance(declaration, Tree)
        kind = str(declaration.data)
        if kind == "bracket_decl":
            found += _bracket_mutants(declaration)
            continue
        if kind in ("table_decl", "param_decl", "preallocation_decl") or kind in FORMULAS:
            numbers = _numbers(declaration)
            if kind == "preallocation_decl":
                numbers = numbers[:1]  # the share, not the base year
            if kind == "table_decl":
                numbers = [t for row in declaration.find_data("table_row")
                           for t in _numbers(row)]
            compared = _compared(declaration) if kind in FORMULAS else set()
            for token in numbers:
                step = _unit_of_last_digit(token)
                found.append(Mutant((token,), step))
                if token.start_pos in compared:
                    found.append(Mutant((token,), -step))
    return found


def _parsed_others(name: str) -> list[RuleFile]:
    """The other bundled files, parsed once: every mutant is checked together with them."""
    return [parse((RULES / other).read_text(encoding="utf-8"), str(RULES / other))
            for other in RULE_FILES if other != name]


@pytest.mark.parametrize("name", RULE_FILES)
def test_every_number_of_a_bundled_rule_file_is_pinned_by_its_cases(name: str) -> None:
    path = RULES / name
    text = path.read_text(encoding="utf-8")
    cases = RULES / name.replace(".rule", ".cases.yaml")
    others = _parsed_others(name)
    assert api.run_cases([cases]).passed  # the cases pass on the rules as they are
    found = mutants(text)
    assert found, f"{name}: no number found to move"
    survived = []
    for mutant in found:
        changed = mutant.text(text)
        assert changed != text
        rules = RuleSet(check([*others, parse(changed, str(path))]))  # still checks
        if api.run_cases([cases], rules=rules).passed:
            survived.append(str(mutant))
    assert not survived, f"{name}: no case fails when a number changes:\n" + "\n".join(survived)


def test_the_mutants_are_the_numbers_a_regulator_revises() -> None:
    """The mutants of cement.rule, listed: the benchmark, each row's uplift, each inner
    edge up and down, the 1 of (1 + uplift), the share; not the input ranges, the ensure,
    the years or the rounding step."""
    text = (RULES / "cement.rule").read_text(encoding="utf-8")
    assert [str(m) for m in mutants(text)] == [
        "line 17: 0.8534 -> 0.8535",
        "line 23: 0 -> 1", "line 24: 1 -> 2", "line 25: 2 -> 3", "line 26: 3 -> 4",
        "line 23: 30000 -> 30001", "line 23: 30000 -> 29999",
        "line 24: 50000 -> 50001", "line 24: 50000 -> 49999",
        "line 25: 100000 -> 100001", "line 25: 100000 -> 99999",
        "line 30: 1 -> 2",
        "line 38: 50 -> 51",
    ]


def test_a_mutant_written_to_a_copy_of_the_rules_fails_peie_test(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same end to end: a copy of the rules directory, one number changed in a file,
    `peie test` on the copy exits 1 (and 0 on the copy as it was)."""
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert cli("test", str(copy))[0] == 0
    path = copy / "power-2021.rule"
    text = path.read_text(encoding="utf-8")
    mutant = next(m for m in mutants(text) if str(m).endswith("0.8773 -> 0.8774"))
    path.write_text(mutant.text(text), encoding="utf-8")
    status, out, _ = cli("test", str(copy))
    assert status == 1
    assert "unit U-coal_300_below: allocation: expected 87730, got 87740" in out
