"""What the checker gives to a program, beyond the messages: the checked Rule's parts and
the RuleError's diagnostics. The messages themselves, with their positions and carets, are
the cases under tests/cases/diagnostics/ (tests/test_cases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from peie.dsl.checker import check
from peie.dsl.errors import RuleError
from peie.dsl.parser import parse

DIAGNOSTICS = Path(__file__).parent / "cases" / "diagnostics"


def case_text(name: str) -> str:
    return (DIAGNOSTICS / name).read_text(encoding="utf-8")


def test_the_clean_case_checks_into_a_rule() -> None:
    (rule,) = check([parse(case_text("clean.rule"), "t.rule")])
    assert rule.sector == "cement" and [d.name for d in rule.lets] == ["line"]


def test_a_bracket_may_be_declared_after_the_let_that_uses_it() -> None:
    (rule,) = check([parse(case_text("bracket-after-let.rule"), "t.rule")])
    assert [d.name for d in rule.lets] == ["line"] and "uplift" in rule.brackets


def test_diagnostics_carry_their_file_and_position_sorted() -> None:
    files = [parse(case_text(f"versions-overlap/{n}.rule"), f"{n}.rule") for n in "ab"]
    files.append(parse(case_text("all-errors-at-once.rule"), "c.rule"))
    with pytest.raises(RuleError) as caught:
        check(files)
    spans = [d.span for d in caught.value.diagnostics]
    assert [(s.file, s.line, s.column) for s in spans] == [  # the overlap of a and b first
        ("b.rule", 4, 1), ("c.rule", 3, 1), ("c.rule", 20, 24), ("c.rule", 23, 1)]
    assert set(caught.value.sources) == {"a.rule", "b.rule", "c.rule"}
