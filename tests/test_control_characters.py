"""Characters from files that would act on a terminal (C0 and C1 controls but tab and line
feed, ANSI escape sequences, bidirectional overrides) are shown as escapes wherever peie
writes for people: diagnostics, data problems, errors, tables. JSON and CSV keep the text
itself."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli import sample_rows, write_csv

from peie.dsl.errors import printable

ROOT = Path(__file__).resolve().parent.parent
CEMENT_RULE = ROOT / "rules" / "cement.rule"
RED = "\x1b[31m"  # an ANSI escape: the terminal would turn the rest red
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: the terminal would show the rest reversed
# What a terminal acts on, written out by hand from the Unicode and ECMA-48 tables.
ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                    "\u202a-\u202e\u2066-\u2069]")


def _data_with(tmp_path: Path, **cells: str) -> Path:
    """The sample's first ten rows, the first with `cells` put in."""
    rows = sample_rows()[:10]
    rows[0].update(cells)
    path = tmp_path / "units.csv"
    write_csv(path, rows)
    return path


def test_a_data_problem_shows_escapes_and_its_csv_the_text_itself(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sector = f"po{RED}wer{RLO}x"
    data = _data_with(tmp_path, sector=sector, unit_id=f"U-{RED}1")
    problems = tmp_path / "problems.csv"
    status, out, err = cli("allocate", str(data), "--year", "2017", "--problems",
                           str(problems))
    assert status == 1 and out == ""
    assert not ACTIVE.search(err)
    assert (f"{data}, row 2 (unit U-\\x1b[31m1), field 'sector': error: no rules in force for "
            "sector 'po\\x1b[31mwer\\u202ex' in 2017") in err
    with open(problems, newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["unit_id"] == f"U-{RED}1" and sector in row["message"]


def test_a_table_shows_escapes_and_json_the_id_itself(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    facility = f"F-{RED}\x07\r{RLO}"  # an escape, a bell, a carriage return, an override
    data = _data_with(tmp_path, facility_id=facility)
    status, table, _ = cli("allocate", str(data), "--year", "2017")
    assert status == 0 and not ACTIVE.search(table)
    assert "\nF-\\x1b[31m\\x07\\r\\u202e  " in table
    status, document, _ = cli("allocate", str(data), "--year", "2017", "--format", "json")
    facilities = [f["facility_id"] for f in json.loads(document)["facilities"]]
    assert status == 0 and facility in facilities


def test_a_rule_diagnostic_shows_escapes_with_the_caret_under_the_name(
        cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rule = tmp_path / f"cement{RED}.rule"
    text = CEMENT_RULE.read_text(encoding="utf-8").replace(
        "allocation = clinker_allowance * local_factor",
        f"allocation = clinker_alowance * local_factor  # {RLO}{RED}", 1)
    rule.write_text(text, encoding="utf-8")
    line = text.splitlines().index(
        f"allocation = clinker_alowance * local_factor  # {RLO}{RED}") + 1
    status, _, err = cli("check", str(rule))
    assert status == 1 and not ACTIVE.search(err)
    shown = str(rule).replace(RED, "\\x1b[31m")
    assert err.startswith(
        f"{shown}:{line}:14: error: unknown name 'clinker_alowance' (did you mean "
        "'clinker_allowance'?)\n"
        "    allocation = clinker_alowance * local_factor  # \\u202e\\x1b[31m\n"
        "                 ^^^^^^^^^^^^^^^^\n"), err


def test_an_error_naming_a_file_shows_escapes(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / f"units{RED}.csv"
    status, _, err = cli("allocate", str(missing), "--year", "2017")
    assert (status, err) == (1, f"peie: error: {tmp_path}/units\\x1b[31m.csv: no such file\n")


TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=200, derandomize=True)
@given(TEXT)
def test_printable_text_holds_nothing_a_terminal_acts_on_and_keeps_the_rest(text: str) -> None:
    shown = printable(text)
    assert not ACTIVE.search(shown)
    one_line = printable(text, one_line=True)
    assert not ACTIVE.search(one_line) and "\n" not in one_line and "\t" not in one_line
    if not ACTIVE.search(text):
        assert shown == text
    # each character acted on is its Python escape; the others are as they were
    assert shown == "".join(c.encode("unicode_escape").decode() if ACTIVE.match(c) else c
                            for c in text)

