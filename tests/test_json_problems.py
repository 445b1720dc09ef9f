"""With --format json, a user's mistake goes to standard error as one JSON document, in
English, with every problem in it: the same document the service answers with (422)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import sample_rows, write_csv

from peie import api
from peie.errors import PeieError
from peie.service.answers import user_error

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "units_2017.csv"
BASE = ROOT / "samples" / "units_2015.csv"
CEMENT_RULE = ROOT / "rules" / "cement.rule"
FULL_DEVICE = Path("/dev/full")


def _power_rows(count: int) -> list[dict[str, str]]:
    """`count` copies of the sample's first power unit, heat ratio 1.5 (out of [0, 1])."""
    power = next(r for r in sample_rows() if r["sector"] == "power")
    return [dict(power, unit_id=f"U{n:03}", heat_ratio="1.5") for n in range(count)]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    write_csv(path, rows)
    return path


def test_every_data_problem_is_in_one_document(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _write(tmp_path / "bad.csv", _power_rows(130))  # past the 100 text shows
    listed = tmp_path / "problems.csv"
    status, out, err = cli("allocate", str(data), "--year", "2017", "--format", "json",
                           "--problems", str(listed))
    assert (status, out) == (1, "")
    document = json.loads(err)  # the whole of standard error
    assert list(document) == ["error", "message", "problems"]
    assert document["error"] == "data"
    assert document["message"] == "130 problems in the data; nothing was written"
    assert [(p["file"], p["row"], p["unit_id"], p["field"]) for p in document["problems"]] == [
        (str(data), n + 2, f"U{n:03}", "heat_ratio") for n in range(130)]  # header is row 1
    assert all(p["message"].startswith("1.5 is out of range: must be in [0, 1]")
               for p in document["problems"])
    with open(listed, newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 130  # --problems is written all the same


def test_rule_diagnostics_give_line_and_column(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rule = tmp_path / "cement.rule"
    text = CEMENT_RULE.read_text(encoding="utf-8").replace(
        "allocation = clinker_allowance", "allocation = clinker_alowance", 1)
    rule.write_text(text, encoding="utf-8")
    line = text.splitlines().index("allocation = clinker_alowance * local_factor") + 1
    status, out, err = cli("allocate", str(SAMPLE), "--year", "2017", "--rules", str(rule),
                           "--format", "json")
    assert (status, out) == (1, "")
    document = json.loads(err)
    assert (document["error"], document["message"]) == ("rules", "1 error in rule files")
    (diagnostic,) = document["diagnostics"]
    # "allocation = " is 13 characters: the name runs from column 14 for 16 characters
    assert {k: diagnostic[k] for k in ("file", "line", "column", "end_line", "end_column",
                                       "severity")} == {
        "file": str(rule), "line": line, "column": 14, "end_line": line, "end_column": 30,
        "severity": "error"}
    assert diagnostic["message"] == ("unknown name 'clinker_alowance' (did you mean "
                                     "'clinker_allowance'?)")


def test_a_usage_error_is_a_document_too(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "missing.csv"
    status, out, err = cli("preallocate", str(missing), "--year", "2017", "--format", "json",
                           "--ledger", str(tmp_path / "l.sqlite"))
    assert (status, out) == (1, "")
    assert json.loads(err) == {"error": "usage", "message": f"{missing}: no such file"}


def test_a_malformed_command_line_is_a_document_and_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    status, out, err = cli("allocate", str(SAMPLE), "--year", "soon", "--format=json")
    assert (status, out) == (2, "")
    assert json.loads(err) == {"error": "usage",
                               "message": "argument --year: invalid int value: 'soon'"}


def test_without_json_a_malformed_command_line_is_argparse_s_usage(capsys) -> None:  # type: ignore[no-untyped-def]
    from peie.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["allocate", str(SAMPLE), "--year", "soon"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: peie allocate ")
    assert err.endswith("peie allocate: error: argument --year: invalid int value: 'soon'\n")


def test_the_document_is_english_in_any_language(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _write(tmp_path / "bad.csv", _power_rows(1))
    status, _, err = cli("--lang", "zh", "allocate", str(data), "--year", "2017",
                         "--format", "json")
    document = json.loads(err)
    assert status == 1 and document["message"] == "1 problem in the data; nothing was written"
    assert document["problems"][0]["message"].startswith("1.5 is out of range")


def test_the_command_line_and_the_service_answer_with_one_document(
        cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _write(tmp_path / "bad.csv", _power_rows(3))
    status, _, err = cli("allocate", str(data), "--year", "2017", "--format", "json")
    with pytest.raises(PeieError) as raised:
        api.allocate(str(data), 2017)
    answer = user_error(raised.value, "allocate")
    assert status == 1 and answer.status_code == 422
    assert json.loads(bytes(answer.body)) == json.loads(err)


@pytest.mark.skipif(not FULL_DEVICE.exists(), reason="no /dev/full here")
def test_a_run_recorded_whose_report_failed_names_its_run(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with open(FULL_DEVICE, "w") as full:  # standard output on a full disk
        done = subprocess.run(
            [sys.executable, "-m", "peie.cli", "preallocate", str(BASE), "--year", "2017",
             "--ledger", str(ledger), "--format", "json"],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    document = json.loads(done.stderr)
    assert done.returncode == 3
    assert (document["error"], document["run_id"], document["ledger"]) == (
        "report", 1, str(ledger))
    assert document["message"].startswith(
        "standard output: cannot be written: No space left on device. The preallocation "
        "of 2017 is recorded all the same")


@pytest.mark.parametrize(("argv", "json_asked"), [
    (["allocate", "x", "--format", "json"], True),
    (["allocate", "x", "--format=json"], True),
    (["allocate", "x", "--form", "json"], True),  # argparse takes the abbreviation
    (["allocate", "x", "--format", "csv"], False),
    (["allocate", "x", "--format"], False),  # the value missing: argparse's own words
    (["allocate", "json", "--out", "json"], False),
])
def test_json_is_read_from_a_command_line_the_parser_refuses(argv: list[str],
                                                             json_asked: bool) -> None:
    from peie.cli.help import asks_json

    assert asks_json(argv) is json_asked
