"""`peie fmt`: one canonical layout, comments kept, meaning never changed.

Input/output pairs are the cases under tests/cases/fmt/ (tests/test_cases.py)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark

from peie.dsl.diff import diff_files
from peie.dsl.formatter import find_comments, format_text
from peie.dsl.parser import parse
from peie.ruleset import bundled_rule_paths

GRAMMAR = Lark.open_from_package("peie.dsl", "grammar.lark", parser="lalr", lexer="basic")
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in bundled_rule_paths()}
SPACES = [" ", "  ", "\t", "\n", "\n    ", " \n\t  "]
NOISE = [*SPACES, "\n\n", "\n\n\n  ", "  # a note\n", "\n# an own-line note\n",
         "\n\n# after a blank line\n  "]


def tokens(text: str) -> list[str]:
    return [str(t) for t in GRAMMAR.lex(text)]


def relaid(text: str, rnd: random.Random, separators: list[str]) -> str:
    """The same tokens with other white space (and comments) between them."""
    start = rnd.choice(["", "\n", "# top\n"]) if separators is NOISE else ""
    return start + "".join(token + rnd.choice(separators) for token in tokens(text))


def same_meaning(a: str, b: str) -> bool:
    return parse(a, "a").decls == parse(b, "b").decls


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_bundled_rules_are_formatted(name: str) -> None:
    assert format_text(SOURCES[name], name) == SOURCES[name]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_file_and_its_formatted_self_differ_in_nothing(name: str) -> None:
    messy = relaid(SOURCES[name], random.Random(name), NOISE)
    assert diff_files(parse(SOURCES[name], "a"), parse(format_text(messy), "b")).edits == ()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SOURCES)), rnd=st.randoms(use_true_random=False))
def test_the_layout_depends_on_the_tokens_alone(name: str, rnd: random.Random) -> None:
    bare = " ".join(tokens(SOURCES[name]))
    assert format_text(relaid(SOURCES[name], rnd, SPACES)) == format_text(bare)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SOURCES)), rnd=st.randoms(use_true_random=False))
def test_comments_survive_and_formatting_is_idempotent(name: str, rnd: random.Random) -> None:
    messy = relaid(SOURCES[name], rnd, NOISE)
    once = format_text(messy)
    assert same_meaning(messy, once)
    assert format_text(once) == once
    assert Counter(c.text for c in find_comments(once)) == \
        Counter(c.text for c in find_comments(messy))
    assert "\n\n\n" not in once and once.endswith("\n") and not once.startswith("\n")


NAMES = st.sampled_from(["a", "b", "heat_ratio", "electricity_supplied_mwh", "x_1",
                         "supply_benchmark", "local_factor", "category", "coal"])
NUMBERS = st.sampled_from(["0", "1", "0.8066", "1.05", "30000", "100", "12.5"])
UNITS = st.sampled_from(["1", "t", "tCO2/MWh", "tCO2/t", "%", "GJ", "m^3/t"])
TEXTS = st.sampled_from(['"电力"', '"供电量 (MWh)"', '"a # not a comment"', '""'])


def _operand(e: str) -> str:
    return f"({e})" if e.startswith("if ") else e


def _conditions(exprs: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    simple = st.one_of(
        st.builds(lambda a, op, b: f"{_operand(a)} {op} {_operand(b)}", exprs,
                  st.sampled_from(["==", "!=", "<", ">=", "<="]), exprs),
        st.builds(lambda a, ms: f"{_operand(a)} in {{{', '.join(ms)}}}", NAMES,
                  st.lists(NAMES, min_size=1, max_size=12)))
    return st.recursive(simple, lambda c: st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", c, st.sampled_from(["and", "or"]), c),
        c.map(lambda a: f"not {a}"), c.map(lambda a: f"({a})")), max_leaves=6)


EXPRS = st.deferred(lambda: st.recursive(
    st.one_of(NAMES, NUMBERS, NUMBERS.map(lambda n: f"{n} %"),
              st.builds(lambda t, k: f"{t}[{k}]", NAMES, NAMES)),
    lambda e: st.one_of(
        st.builds(lambda a, op, b: f"{_operand(a)} {op} {_operand(b)}", e,
                  st.sampled_from(["+", "-", "*", "/", "×", "^"]), e),
        e.map(lambda a: f"-{_operand(a)}"),
        e.map(lambda a: f"({a})"),
        st.builds(lambda c, a, b: f"if {c} then {a} else {b}", CONDITIONS, e, e)),
    max_leaves=24))
CONDITIONS = st.deferred(lambda: _conditions(EXPRS))
QUANTITIES = st.builds(lambda n, u: f"{n} {u}", NUMBERS, UNITS)
INTERVALS = st.builds(lambda lo, lq, hq, hi: f"{lo}{lq}, {hq}{hi}", st.sampled_from("[("),
                      QUANTITIES, st.one_of(QUANTITIES, st.just("inf")), st.sampled_from("])"))
SOURCE = st.one_of(st.just(""), TEXTS.map(lambda t: f" source {t}"))
LABEL = st.one_of(st.just(""), TEXTS)
DECLS = st.deferred(lambda: st.one_of(
    st.builds(lambda n, t: f"sector {n} {t}", NAMES, TEXTS),
    st.just("effective 2017 to 2018"), st.just("published 2017-05-09"),
    st.builds(lambda n, label, ms: f"enum {n} {label} {{{' '.join(ms)}}}", NAMES, LABEL,
              st.lists(st.builds(lambda c, t: f"{c} {t}", NAMES, TEXTS), max_size=5)),
    st.builds(lambda n, u, r, label, req: f"input {n}: {u} {r} {label} {req}", NAMES, UNITS,
              st.one_of(st.just(""), INTERVALS.map(lambda i: f"in {i}")), LABEL,
              st.one_of(st.just(""), st.just("optional"), QUANTITIES.map("default {}".format),
                        CONDITIONS.map("required when {}".format))),
    st.builds(lambda n, k, u, rows, src: f"table {n} by {k} in {u} {{{' '.join(rows)}}}{src}",
              NAMES, NAMES, UNITS, st.lists(st.builds(
                  lambda k, label, v, src: f"{k} {label} {v}{src}", NAMES, LABEL,
                  NUMBERS, SOURCE), max_size=5), SOURCE),
    st.builds(lambda n, rows: f"bracket {n} over x {{{' '.join(rows)}}}", NAMES, st.lists(
        st.builds(lambda i, q, src: f"{i} -> {q}{src}", INTERVALS, QUANTITIES, SOURCE),
        max_size=4)),
    st.builds(lambda n, label, q, src: f"param {n} {label} = {q}{src}", NAMES, LABEL,
              QUANTITIES, SOURCE),
    st.builds(lambda n, label, e: f"let {n} {label} = {e}", NAMES, LABEL, EXPRS),
    st.builds(lambda k, e: f"{k} = {e}", st.sampled_from(
        ["allocation", "emissions", "preallocation basis"]), EXPRS),
    st.builds(lambda n, i, c: f"ensure {n} in {i}{c}", NAMES, INTERVALS, st.one_of(
        st.just(""), CONDITIONS.map(" when {}".format))),
    st.builds(lambda q, src: f"preallocation {q} of base year 2015{src}", QUANTITIES, SOURCE),
    st.just("rounding facility half_up to 1 tCO2")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decls=st.lists(DECLS, min_size=1, max_size=12), rnd=st.randoms(use_true_random=False))
def test_generated_rule_files_keep_their_meaning(decls: list[str], rnd: random.Random) -> None:
    text = relaid("\n".join(decls), rnd, NOISE)
    once = format_text(text)
    assert same_meaning(text, once)
    assert format_text(once) == once
    assert format_text(relaid(once, rnd, SPACES)) == format_text(" ".join(tokens(once)))


def test_a_broken_file_is_reported_and_nothing_is_written(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good, bad = tmp_path / "good.rule", tmp_path / "bad.rule"
    good.write_text("let   a = 1\n", encoding="utf-8")
    bad.write_text("let a = \n", encoding="utf-8")
    status, _, err = cli("fmt", str(good), str(bad))
    assert status == 1 and f"{bad}:1:" in err and "Traceback" not in err
    assert good.read_text(encoding="utf-8") == "let   a = 1\n"


def test_check_diff_and_write(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.rule"
    path.write_text("let   a = 1\n", encoding="utf-8")
    path.chmod(0o640)
    status, out, err = cli("fmt", "--check", str(path))
    assert status == 1 and f"would reformat {path}" in err and out == ""
    status, out, _ = cli("fmt", "--diff", str(path))
    assert status == 0 and "-let   a = 1\n+let a = 1\n" in out
    assert path.read_text(encoding="utf-8") == "let   a = 1\n"
    status, _, err = cli("fmt", str(tmp_path))
    assert status == 0 and f"reformatted {path}" in err
    assert path.read_text(encoding="utf-8") == "let a = 1\n"
    assert path.stat().st_mode & 0o777 == 0o640
    status, _, err = cli("fmt", "--check", str(path))
    assert status == 0 and "0 files would be reformatted, 1 already formatted" in err
    status, _, err = cli("fmt", str(tmp_path / "missing.rule"))
    assert status == 1 and "no such file" in err


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_windows_line_ends_and_tabs_come_out_canonical(name: str) -> None:
    text = SOURCES[name]
    assert format_text(text.replace("\n", "\r\n")) == text
    assert format_text(text.replace("    ", "\t")) == text
