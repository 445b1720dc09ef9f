"""The keywords in their two forms (peie.dsl.keywords): the grammar spells each as the
table does, a file in either form (or both) is the same rule, `peie fmt --keywords`
converts there and back without losing a byte, and a character an input method typed in
place of an ASCII one is named. The diagnostics and formatter cases are under
tests/cases/ (chinese-*, full-width-*, byte-order-mark*, crlf-*, keywords-*)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lark import Lark
from test_formatter import DECLS, NOISE, SPACES, relaid

from peie.dsl.diff import diff_files
from peie.dsl.errors import RuleError
from peie.dsl.formatter import convert_keywords, format_text
from peie.dsl.keywords import CHINESE, ENGLISH, spelled
from peie.dsl.parser import ASCII_TWINS, BOM, parse
from peie.ruleset import bundled_rule_paths

GRAMMAR = Lark.open_from_package("peie.dsl", "grammar.lark", parser="lalr", lexer="basic")
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in bundled_rule_paths()}
NAME = re.compile(GRAMMAR.get_terminal("NAME").pattern.value)
PEIE = str(Path(sys.executable).with_name("peie"))


def lexed(text: str) -> list[tuple[str, str]]:
    return [(t.type, str(t)) for t in GRAMMAR.lex(text)]


def _keyword_rules() -> dict[str, set[str]]:
    """The rules `_word: "word" | "中文" ...` of the grammar: each word by its rule."""
    found: dict[str, set[str]] = {}
    for rule in GRAMMAR.rules:
        (first, *more) = rule.expansion or [None]
        if not rule.origin.name.startswith("_") or more or first is None or not first.is_term:
            continue
        pattern = GRAMMAR.get_terminal(first.name).pattern
        if pattern.type == "str" and NAME.fullmatch(pattern.value):
            found.setdefault(rule.origin.name.removeprefix("_"), set()).add(pattern.value)
    return found


def test_the_grammar_spells_each_keyword_as_the_table_does() -> None:
    assert _keyword_rules() == {en: {en, *zh} for en, zh in CHINESE.items()}


def test_a_word_is_a_keyword_only_through_its_keyword_rule() -> None:
    """No rule writes a keyword as a bare string, which would have no Chinese form."""
    for rule in GRAMMAR.rules:
        if rule.origin.name.removeprefix("_") in CHINESE:
            continue
        for symbol in rule.expansion:
            if symbol.is_term:
                pattern = GRAMMAR.get_terminal(symbol.name).pattern
                assert not (pattern.type == "str" and NAME.fullmatch(pattern.value)), rule


def test_the_forms_are_distinct_and_each_reads_as_its_keyword() -> None:
    words = [w for en, zh in CHINESE.items() for w in (en, *zh)]
    assert len(words) == len(set(words)) == len(ENGLISH)
    for word in words:
        ((kind, text),) = lexed(word)
        assert kind != "NAME" and text == word


@given(word=st.sampled_from(sorted(ENGLISH)),
       rest=st.text(st.sampled_from("量值额率x_1数表甲者"), min_size=1, max_size=4))
def test_a_keyword_is_never_the_start_of_a_name(word: str, rest: str) -> None:
    """输入量 is a name, as inputs is: the lexer takes the longest name."""
    assume(word + rest not in ENGLISH)  # 或 + 者 is 或者
    assert lexed(word + rest) == [("NAME", word + rest)]
    assert parse(f"令 {word}{rest} = 1").decls[0] == parse(f"let {word}{rest} = 1").decls[0]


# ---- the bundled files in Chinese --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_bundled_file_in_chinese_is_the_same_rule(name: str) -> None:
    text = SOURCES[name]
    chinese = convert_keywords(text, "zh")
    assert not re.search(r"^(sector|let|input|table|allocation) ", chinese, re.M)
    assert convert_keywords(chinese, "en") == text
    assert parse(chinese).decls == parse(text).decls
    assert diff_files(parse(text, "en"), parse(chinese, "zh")).edits == ()
    laid_out = format_text(text, keywords="zh")
    assert format_text(chinese) == laid_out
    assert format_text(laid_out, keywords="en") == text


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_peie_diff_between_the_two_forms_is_empty(name: str, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    english = bundled_rule_paths()[sorted(SOURCES).index(name)]
    chinese = tmp_path / name
    chinese.write_text(SOURCES[name], encoding="utf-8")
    assert cli("fmt", "--keywords", "zh", str(chinese))[0] == 0
    assert chinese.read_text(encoding="utf-8") != SOURCES[name]
    status, out, err = cli("diff", str(english), str(chinese), "--format", "json")
    assert (status, err) == (0, "")
    assert json.loads(out)["edits"] == []


def test_the_chinese_twins_allocate_as_the_english_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name, text in SOURCES.items():
        (tmp_path / name).write_text(convert_keywords(text, "zh"), encoding="utf-8")
    samples = Path(__file__).resolve().parent.parent / "samples"
    runs = [cli("allocate", str(samples / "units_2017.csv"), "--year", "2017", "--rules", rules,
                "--format", "csv") for rules in (str(bundled_rule_paths()[0].parent),
                                                 str(tmp_path))]
    assert runs[0][0] == runs[1][0] == 0
    assert runs[0][1] == runs[1][1] and runs[0][1].count("\n") > 3


# ---- names in Chinese ----------------------------------------------------------------------

ENGLISH_RULE = """sector cement "水泥"
version "v1"
status draft
effective 2017 to 2018
published 2017-01-01
source "tests"
input clinker_t: t in [0, inf) "熟料产量"
param benchmark = 0.8534 tCO2/t
allocation = clinker_t * benchmark * local_factor
preallocation 50 % of base year 2015
rounding facility half_up to 1 tCO2
"""
CHINESE_RULE = (convert_keywords(ENGLISH_RULE, "zh")
                .replace("clinker_t", "熟料产量").replace("benchmark", "基准值"))


def test_a_rule_with_chinese_names_allocates_from_chinese_columns(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outputs = []
    for rule, column in ((ENGLISH_RULE, "clinker_t"), (CHINESE_RULE, "熟料产量")):
        (tmp_path / "r.rule").write_text(rule, encoding="utf-8")
        (tmp_path / "u.csv").write_text(f"facility_id,unit_id,sector,province,{column}\n"
                                        "F1,U1,cement,guangdong,12345.6\n", encoding="utf-8")
        status, out, err = cli("allocate", str(tmp_path / "u.csv"), "--year", "2017",
                               "--rules", str(tmp_path / "r.rule"), "--format", "csv")
        assert (status, err) == (0, "")
        outputs.append(out)
    assert outputs[0] == outputs[1] and "10536" in outputs[0]  # 12345.6 * 0.8534, rounded


# ---- properties over generated rule texts ------------------------------------------------


def _respelled_at_random(text: str, rnd: random.Random) -> str:
    """Each keyword in a form chosen at random (synonyms included)."""
    pieces, done = [], 0
    for token in GRAMMAR.lex(text):
        if token in ENGLISH:
            english = ENGLISH[token]
            pieces += [text[done:token.start_pos], rnd.choice([english, *CHINESE[english]])]
            done = token.end_pos
    return "".join(pieces) + text[done:]


TEXTS = dict(decls=st.lists(DECLS, min_size=1, max_size=12),
             rnd=st.randoms(use_true_random=False))
SLOW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(**TEXTS)
def test_there_and_back_gives_the_same_bytes(decls: list[str], rnd: random.Random) -> None:
    text = relaid("\n".join(decls), rnd, NOISE)
    if rnd.random() < 0.5:
        text = (BOM if rnd.random() < 0.5 else "") + text.replace("\n", "\r\n")
    chinese = convert_keywords(text, "zh")
    assert convert_keywords(chinese, "en") == text
    assert parse(chinese).decls == parse(text).decls
    once = format_text(text)
    assert convert_keywords(convert_keywords(once, "zh"), "en") == once


@SLOW
@given(**TEXTS)
def test_a_file_in_mixed_forms_is_the_same_rule(decls: list[str], rnd: random.Random) -> None:
    text = relaid("\n".join(decls), rnd, SPACES)
    mixed = _respelled_at_random(text, rnd)
    assert parse(mixed).decls == parse(text).decls
    assert format_text(mixed, keywords="en") == format_text(text)
    assert convert_keywords(mixed, "en") == text


def test_a_synonym_stays_in_chinese_and_turns_english() -> None:
    text = "let a = 如果 b == c 并且 非 d == e 或者 f == g 则 1 否则 0\n"
    assert convert_keywords(text, "zh") == \
        "令 a = 如果 b == c 并且 非 d == e 或者 f == g 则 1 否则 0\n"
    assert convert_keywords(text, "en") == \
        "let a = if b == c and not d == e or f == g then 1 else 0\n"
    assert spelled("如果", "zh") == "如果" and spelled("if", "zh") == "若"


# ---- characters an input method types --------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(SOURCES)), char=st.sampled_from(sorted(ASCII_TWINS)),
       where=st.integers(min_value=0))
def test_a_full_width_character_between_tokens_is_named_where_it_is(name: str, char: str,
                                                                    where: int) -> None:
    text = SOURCES[name]
    tokens = list(GRAMMAR.lex(text))
    token = tokens[where % len(tokens)]
    broken = text[: token.start_pos] + char + text[token.start_pos:]
    with pytest.raises(RuleError) as raised:
        parse(broken, "f.rule")
    first = raised.value.diagnostics[0]
    assert (first.span.line, first.span.column) == (token.line, token.column)
    assert f"(U+{ord(char):04X})" in first.message and "write" in first.message
    assert ASCII_TWINS[char] in first.message or char == "\u3000"


def test_a_byte_order_mark_is_passed_over_and_kept_in_the_digest() -> None:
    text = SOURCES["cement.rule"]
    plain, marked = parse(text), parse(BOM + text)
    assert marked.decls == plain.decls and marked.text == text
    assert marked.sha256 != plain.sha256
    assert [d.span for d in marked.decls] == [d.span for d in plain.decls]


# ---- the command ---------------------------------------------------------------------------


def test_keep_layout_needs_a_form(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.rule"
    path.write_text("let   a = 1\n", encoding="utf-8")
    status, out, err = cli("fmt", "--keep-layout", str(path))
    assert status == 1 and "--keywords en or --keywords zh" in err and "Traceback" not in err
    assert path.read_text(encoding="utf-8") == "let   a = 1\n"


def test_check_with_a_form_asks_for_that_form(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.rule"
    path.write_text("let a = 1\n", encoding="utf-8")
    assert cli("fmt", "--check", str(path))[0] == 0
    assert cli("fmt", "--check", "--keywords", "zh", str(path))[0] == 1
    assert cli("fmt", "--keywords", "zh", "--keep-layout", str(path))[0] == 0
    assert path.read_text(encoding="utf-8") == "令 a = 1\n"
    assert cli("fmt", "--check", "--keywords", "zh", str(path))[0] == 0
    assert cli("fmt", "--check", str(path))[0] == 0  # kept as written


def test_standard_input_keeps_crlf_and_the_mark_through_keep_layout() -> None:
    text = (BOM + SOURCES["cement.rule"]).replace("\n", "\r\n").encode("utf-8")
    def run(form: str, data: bytes) -> bytes:
        return subprocess.run([PEIE, "fmt", "--keywords", form, "--keep-layout", "-"],
                              input=data, capture_output=True, check=True).stdout
    chinese = run("zh", text)
    assert chinese != text and chinese.startswith(BOM.encode()) and b"\r\n" in chinese
    assert run("en", chinese) == text
