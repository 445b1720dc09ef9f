"""An `effective` year is four digits: a 5,001-digit one (found by tests/fuzzing.py) is
a diagnostic, not Python's 4,300-digit int() limit as a traceback. Past 100 digits it is
the diagnostic of any number that long (dsl/parser.py MAX_DIGITS)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rule_texts import HEAD


@pytest.mark.parametrize(("zeros", "diagnostic"), [
    (5000, "4:19: error: a number of more than 100 digits"),
    (99, "4:1: error: effective years must be whole years, first <= last "
         f"(got 2017 to 2{'0' * 11}"),
])
def test_a_year_of_many_digits_is_a_diagnostic(cli, tmp_path: Path, zeros: int,
                                               diagnostic: str) -> None:
    path = tmp_path / "years.rule"
    path.write_text(HEAD.replace("effective 2017 to 2018", f"effective 2017 to 2{'0' * zeros}"),
                    encoding="utf-8")
    status, out, err = cli("check", str(path))
    assert status == 1 and "Traceback" not in err
    assert f"{path}:{diagnostic}" in err
