"""A ledger file that is locked by another process, on a full disk, read-only, damaged or
not a ledger at all (random bytes, a FIFO, a device): a clear message naming it, exit 1,
no traceback, and the ledger as it was. And a report
that fails after the ledger committed: the run is said to be recorded (exit 3)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from test_issuance import dump

import peie.issuance.ledger as ledger_module
from peie.cli.main import main
from peie.issuance.ledger import (
    BUSY,
    CANNOT_OPEN,
    FULL,
    LEDGER_TIMEOUT_ENV,
    READ_ONLY,
    READ_ONLY_DIRECTORY,
    Issuance,
    Ledger,
)
from peie.provenance import Provenance, RuleRef

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "samples" / "units_2015.csv"
VERIFIED = ROOT / "samples" / "units_2017.csv"
PREALLOCATE = ["preallocate", str(BASE), "--year", "2017"]
TRUEUP = ["trueup", str(VERIFIED), "--year", "2017"]
NOBODY = 65534
FULL_DEVICE = Path("/dev/full")  # Linux: every write fails with ENOSPC
T = TypeVar("T")


def run(*argv: str) -> tuple[int, str, str]:
    """`peie ARGV` in this process: (exit status, standard output, standard error)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def error_line(template: str, **values: object) -> str:
    return "peie: error: " + template.format(env=LEDGER_TIMEOUT_ENV, **values) + "\n"


@pytest.fixture
def folder() -> Iterator[Path]:
    """A directory that any user may enter (pytest's own are root's alone)."""
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)
        yield Path(name)
        for path in (Path(name), *Path(name).rglob("*")):
            path.chmod(0o777)  # so that the directory can be removed


def where_permissions_apply(call: Callable[[], T]) -> T:
    """`call()` as a user whom file permissions stop: this one, or, when the tests run as
    root (whom they do not stop), the user nobody in a forked process."""
    if os.geteuid() != 0:
        return call()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: nothing but `call`, then out without pytest's clean-up
        os.close(read)
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = pickle.dumps((True, call()))
        except BaseException as error:
            payload = pickle.dumps((False, repr(error)))
        with os.fdopen(write, "wb") as handle:
            handle.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        done, value = pickle.loads(handle.read())
    os.waitpid(pid, 0)
    assert done, value
    return value  # type: ignore[no-any-return]


# ---- locked ------------------------------------------------------------------------------

def test_a_lock_held_by_another_process_is_reported_once_the_wait_is_over(
        tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    assert run(*PREALLOCATE, "--ledger", str(ledger))[0] == 0
    before = dump(ledger)
    holder = sqlite3.connect(ledger, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as another peie would hold it
    try:
        result = subprocess.run(
            [sys.executable, "-m", "peie.cli", *TRUEUP, "--ledger", str(ledger)],
            capture_output=True, text=True, env={**os.environ, LEDGER_TIMEOUT_ENV: "0.2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == error_line(BUSY, path=ledger, timeout=0.2)
    assert dump(ledger) == before


def test_a_lock_released_within_the_timeout_is_waited_for(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    Ledger(ledger).close()
    holder = sqlite3.connect(ledger, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, holder.execute, ("ROLLBACK",))
    release.start()
    try:
        with Ledger(ledger, timeout=60) as book:
            outcome = book.record(year=2017, stage="preallocation", command="c",
                                  provenance=Provenance({"power": RuleRef("v", "h")}, "d"),
                                  issuances=[Issuance("F-1", "power", 10)])
    finally:
        release.join()
        holder.close()
    assert outcome.status == "recorded" and len(dump(ledger)) == 2


def test_the_timeout_must_be_a_number_of_seconds(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LEDGER_TIMEOUT_ENV, "soon")
    ledger = tmp_path / "ledger.sqlite"
    assert run(*PREALLOCATE, "--ledger", str(ledger)) == (
        1, "", f"peie: error: {LEDGER_TIMEOUT_ENV}=soon: give the seconds to wait for "
               "another process that holds the ledger, a number of 0 or more\n")
    assert not ledger.exists()


# ---- full, read-only ---------------------------------------------------------------------

def test_a_full_disk_is_reported_and_the_ledger_is_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = tmp_path / "ledger.sqlite"
    assert run(*PREALLOCATE, "--ledger", str(ledger))[0] == 0
    before = dump(ledger)
    connect = sqlite3.connect

    def no_room(*args: object, **kwargs: object) -> sqlite3.Connection:
        """SQLite's own size limit at the file's size now: a new page is a full disk."""
        db = connect(*args, **kwargs)  # type: ignore[arg-type]
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    with monkeypatch.context() as patch:
        patch.setattr(ledger_module.sqlite3, "connect", no_room)
        result = run(*TRUEUP, "--ledger", str(ledger))
    assert result == (1, "", error_line(FULL, path=ledger))
    assert dump(ledger) == before


def test_a_read_only_ledger_is_read_but_not_written(folder: Path) -> None:
    ledger = folder / "ledger.sqlite"
    assert run(*PREALLOCATE, "--ledger", str(ledger))[0] == 0
    before = ledger.read_bytes()
    ledger.chmod(0o444)
    refused = where_permissions_apply(lambda: run(*TRUEUP, "--ledger", str(ledger)))
    assert refused == (1, "", error_line(READ_ONLY, path=ledger))
    shown = where_permissions_apply(lambda: run("ledger", "show", "--ledger", str(ledger)))
    assert shown[0] == 0 and "F-HE-00001" in shown[1]
    assert ledger.read_bytes() == before


def test_a_ledger_in_a_read_only_directory(folder: Path) -> None:
    ledger = folder / "ledger.sqlite"
    assert run(*PREALLOCATE, "--ledger", str(ledger))[0] == 0
    before = ledger.read_bytes()
    ledger.chmod(0o666)
    folder.chmod(0o555)
    refused = where_permissions_apply(lambda: run(*TRUEUP, "--ledger", str(ledger)))
    assert refused == (1, "", error_line(READ_ONLY_DIRECTORY, path=ledger))
    new = folder / "new.sqlite"
    refused = where_permissions_apply(lambda: run(*TRUEUP, "--ledger", str(new)))
    assert refused == (1, "", error_line(CANNOT_OPEN, path=new,
                                         detail="unable to open database file"))
    assert ledger.read_bytes() == before and not new.exists()


# ---- damaged -----------------------------------------------------------------------------

def damaged(ledger: Path) -> str:
    return f"peie: error: {ledger}: the ledger file is damaged ("


def test_a_truncated_ledger_is_refused(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    assert run(*PREALLOCATE, "--ledger", str(ledger))[0] == 0
    os.truncate(ledger, ledger.stat().st_size // 2)
    before = ledger.read_bytes()
    for argv in (TRUEUP, ["ledger", "show"]):
        status, out, err = run(*argv, "--ledger", str(ledger))
        assert (status, out) == (1, "") and err.startswith(damaged(ledger)), err
        assert err.endswith("; nothing was recorded. Restore it from a backup: peie does not "
                            "repair a ledger.\n")
    assert ledger.read_bytes() == before


def overwrite_in_table(ledger: Path, old: bytes, new: bytes) -> None:
    """`old` replaced by `new` where a table's leaf page holds it, not an index's: damage
    that SQLite does not notice as it reads rows (a row is not checked against its index)."""
    data = bytearray(ledger.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for start in range(0, len(data), page_size):
        is_table_leaf = data[start + (100 if start == 0 else 0)] == 0x0D
        at = data.find(old, start, start + page_size)
        if is_table_leaf and at >= 0:
            data[at:at + len(old)] = new
            ledger.write_bytes(bytes(data))
            return
    raise AssertionError(f"no table page holds {old!r}")


def test_a_ledger_damaged_inside_a_page_is_refused_before_anything_is_issued(
        tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    assert run(*PREALLOCATE, "--ledger", str(ledger))[0] == 0
    overwrite_in_table(ledger, b"F-HE-00001", b"F-GD-00002")
    before = ledger.read_bytes()
    status, out, err = run(*TRUEUP, "--ledger", str(ledger))
    assert (status, out) == (1, "") and err.startswith(damaged(ledger)), err
    assert ledger.read_bytes() == before


# ---- the report, after the ledger committed ----------------------------------------------

def run_ids(ledger: Path) -> list[int]:
    db = sqlite3.connect(ledger)
    try:
        return [row[0] for row in db.execute("SELECT id FROM runs ORDER BY id")]
    finally:
        db.close()


def recorded_all_the_same(failure: str, stage: str, ledger: Path, run_id: int) -> str:
    return (f"peie: error: {failure}. The {stage} of 2017 is recorded all the same, in the "
            f"ledger {ledger} as run {run_id} (peie ledger show --ledger {ledger} --year 2017 "
            "shows it); only its report is missing. The same command again writes the "
            "report and issues nothing new.\n")


@pytest.mark.skipif(not FULL_DEVICE.exists(), reason="no /dev/full here")
def test_a_report_that_fails_after_the_commit_says_the_run_is_recorded(
        tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with open(FULL_DEVICE, "w") as full:  # standard output on a full disk
        result = subprocess.run(
            [sys.executable, "-m", "peie.cli", *PREALLOCATE, "--ledger", str(ledger)],
            stdout=full, stderr=subprocess.PIPE, text=True)
    assert (result.returncode, result.stderr) == (3, recorded_all_the_same(
        "standard output: cannot be written: No space left on device", "preallocation",
        ledger, 1))
    assert run_ids(ledger) == [1]
    again = run(*PREALLOCATE, "--ledger", str(ledger))
    assert again[0] == 0 and again[1].startswith("Pre-allocation 2017")
    assert again[2] == f"ledger {ledger}: identical to run 1 recorded before; nothing new " \
                       "was issued\n"


@pytest.mark.skipif(not FULL_DEVICE.exists(), reason="no /dev/full here")
def test_an_out_file_that_fails_after_the_commit_says_the_run_is_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, report = tmp_path / "ledger.sqlite", tmp_path / "trueup.csv"
    assert run(*PREALLOCATE, "--ledger", str(ledger))[0] == 0
    made = tempfile.mkstemp

    def on_a_full_disk(*args: object, **kwargs: object) -> tuple[int, str]:
        """The temporary file, its writes going where the disk is full."""
        fd, name = made(*args, **kwargs)  # type: ignore[call-overload]
        full = os.open(FULL_DEVICE, os.O_WRONLY)
        os.dup2(full, fd)
        os.close(full)
        return fd, name

    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "mkstemp", on_a_full_disk)
        result = run(*TRUEUP, "--ledger", str(ledger), "--format", "csv", "--out", str(report))
    assert result == (3, "", recorded_all_the_same(
        f"{report}: cannot be written: No space left on device", "trueup", ledger, 2))
    assert run_ids(ledger) == [1, 2] and list(tmp_path.iterdir()) == [ledger]


def test_an_out_folder_where_no_file_can_be_made_is_refused_before_any_work(
        folder: Path) -> None:
    ledger, reports = folder / "ledger.sqlite", folder / "reports"
    reports.mkdir()
    reports.chmod(0o555)
    refused = where_permissions_apply(lambda: run(
        *PREALLOCATE, "--ledger", str(ledger), "--out", str(reports / "pre.csv")))
    assert refused == (1, "", f"peie: error: {reports / 'pre.csv'}: cannot write here: "
                              "Permission denied\n")
    assert not ledger.exists()


# ---- not a ledger at all -----------------------------------------------------------------

def test_a_file_of_random_bytes_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    ledger.write_bytes(random.Random(12).randbytes(8192))
    before = ledger.read_bytes()
    for argv in (PREALLOCATE, ["ledger", "show"]):
        status, out, err = run(*argv, "--ledger", str(ledger))
        assert (status, out) == (1, "")
        assert err == f"peie: error: {ledger}: not a peie ledger (file is not a database)\n"
    assert ledger.read_bytes() == before and list(tmp_path.iterdir()) == [ledger]


@pytest.mark.parametrize(("make", "kind"), [
    (os.mkfifo, "a FIFO (named pipe)"),
    (lambda place: place.symlink_to("/dev/zero"), "a device")])
def test_a_ledger_path_that_is_a_fifo_or_a_device_is_refused_by_name(
        tmp_path: Path, make: Callable[[Path], None], kind: str) -> None:
    ledger = tmp_path / "ledger.sqlite"
    make(ledger)
    for argv in (PREALLOCATE, ["ledger", "show"]):
        status, out, err = run(*argv, "--ledger", str(ledger))
        assert (status, out, err) == (1, "", f"peie: error: {ledger}: is {kind}, not a "
                                             "regular file; a ledger is an SQLite file\n")


def test_a_busy_ledger_with_format_json_is_one_document(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = tmp_path / "ledger.sqlite"
    assert run(*PREALLOCATE, "--ledger", str(ledger))[0] == 0
    before = dump(ledger)
    monkeypatch.setenv(LEDGER_TIMEOUT_ENV, "0")
    holder = sqlite3.connect(ledger, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        status, out, err = run(*TRUEUP, "--ledger", str(ledger), "--format", "json")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (status, out) == (1, "")
    assert json.loads(err) == {"error": "usage",
                               "message": BUSY.format(path=ledger, timeout=0,
                                                      env=LEDGER_TIMEOUT_ENV)}
    assert dump(ledger) == before
