"""Parentheses nest at most 100 deep: `check` refuses deeper with the place, and `fmt`
(which walks a formula by recursion) lays out anything `check` accepts. Found by
tests/fuzzing.py: 3,000 nested parentheses passed `check` and made `fmt` raise."""

from __future__ import annotations

from pathlib import Path

from rule_texts import HEAD


def _rule(depth: int) -> str:
    return HEAD + ('input clinker_t: t in [0, inf) "熟料产量"\n'
                   'param b "基准值" = 0.5 tCO2/t source "tests"\n'
                   f"allocation = {'(' * depth}clinker_t * b{')' * depth}\n")


def test_a_hundred_levels_check_and_format(cli, tmp_path: Path) -> None:
    path = tmp_path / "deep.rule"
    path.write_text(_rule(100), encoding="utf-8")
    assert cli("check", "-q", str(path))[0] == 0
    status, out, err = cli("fmt", str(path))
    assert status == 0 and "Traceback" not in err


def test_deeper_is_refused_at_the_parenthesis(cli, tmp_path: Path) -> None:
    path = tmp_path / "deep.rule"
    path.write_text(_rule(3000), encoding="utf-8")
    line = _rule(3000).splitlines().index(next(
        x for x in _rule(3000).splitlines() if x.startswith("allocation"))) + 1
    for command in (("check", str(path)), ("fmt", str(path))):
        status, out, err = cli(*command)
        assert status == 1 and "Traceback" not in err
        assert f"{path}:{line}:{len('allocation = ') + 101}: error: parentheses nested deeper " \
               f"than 100 levels" in err
