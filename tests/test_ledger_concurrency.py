"""Issuing commands on one ledger at the same moment, in processes of their own: the ledger
serialises them, so that nothing is issued twice and pre-allocation + true-up = final
holds whatever the order (tests/concurrent_issuers.py holds what the processes run)."""

from __future__ import annotations

import multiprocessing
import queue
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import peie
from peie.issuance.ledger import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "samples" / "units_2015.csv"
VERIFIED = ROOT / "samples" / "units_2017.csv"
ROUNDS = 12
PREALLOCATE = ["preallocate", str(BASE), "--year", "2017"]
TRUEUP = ["trueup", str(VERIFIED), "--year", "2017"]


def run_together(target: Callable[..., None], jobs: Sequence[tuple[Any, ...]],
                 rounds: int) -> list[tuple[Any, ...]]:
    """Each job's arguments (without the barrier and the queue) run by `target` in a
    process of its own, all at once; what they put on the queue."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(jobs))
    results = context.Queue()
    workers = [context.Process(target=target, args=(*job, barrier, results)) for job in jobs]
    for worker in workers:
        worker.start()
    got = []
    try:
        for _ in range(len(jobs) * rounds):
            got.append(results.get(timeout=300))
    except queue.Empty:
        pytest.fail(f"the workers gave {len(got)} of {len(jobs) * rounds} results")
    finally:
        for worker in workers:
            worker.join(60)
            if worker.is_alive():
                worker.kill()
    assert [w.exitcode for w in workers] == [0] * len(workers)
    return got


def current_issuances(ledger: str) -> dict[str, dict[str, int]]:
    """stage -> facility -> amount of the current run, read with sqlite3 directly."""
    db = sqlite3.connect(ledger)
    try:
        out: dict[str, dict[str, int]] = {"preallocation": {}, "trueup": {}}
        for stage, facility, amount in db.execute(
                "SELECT r.stage, i.facility_id, i.amount FROM issuances i JOIN runs r"
                " ON r.id = i.run_id WHERE r.superseded_by IS NULL"):
            out[stage][facility] = amount
        return out
    finally:
        db.close()


def run_count(ledger: str) -> int:
    db = sqlite3.connect(ledger)
    try:
        return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
    finally:
        db.close()


def test_preallocation_and_trueup_at_once_issue_the_final_allocation_exactly(
        tmp_path: Path) -> None:
    final = {f.facility_id: f.allocation for f in peie.allocate(str(VERIFIED), 2017).facilities}
    ledgers = [str(tmp_path / f"ledger-{n}.sqlite") for n in range(ROUNDS)]
    from concurrent_issuers import run_commands

    results = run_together(run_commands, [(PREALLOCATE, ledgers), (TRUEUP, ledgers)], ROUNDS)
    by_ledger: dict[str, list[tuple[int, str]]] = {}
    for ledger, status, err in results:
        assert "Traceback" not in err, err
        by_ledger.setdefault(ledger, []).append((status, err))
    for ledger in ledgers:
        issued = current_issuances(ledger)
        assert issued["trueup"].keys() == final.keys()
        for facility, amount in final.items():
            assert issued["preallocation"].get(facility, 0) + issued["trueup"][facility] \
                == amount, (ledger, facility)
        refused = [err for status, err in by_ledger[ledger] if status == 1]
        # the pre-allocation comes first, or it is refused after the true-up
        if refused:
            assert len(refused) == 1 and "the true-up of 2017 is recorded" in refused[0]
        assert sorted(s for s, _ in by_ledger[ledger]) == ([0, 1] if refused else [0, 0])
        assert run_count(ledger) == 2 - len(refused)


def test_the_same_command_twice_at_once_records_once(tmp_path: Path) -> None:
    ledgers = [str(tmp_path / f"ledger-{n}.sqlite") for n in range(ROUNDS // 2)]
    from concurrent_issuers import run_commands

    results = run_together(run_commands, [(PREALLOCATE, ledgers), (PREALLOCATE, ledgers)],
                           ROUNDS // 2)
    for ledger in ledgers:
        lines = sorted(err for path, status, err in results if path == ledger and status == 0)
        assert lines == [
            f"ledger {ledger}: identical to run 1 recorded before; nothing new was issued\n",
            f"ledger {ledger}: recorded as run 1\n"]
        assert run_count(ledger) == 1


def test_a_new_ledger_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    ledgers = [str(tmp_path / f"ledger-{n}.sqlite") for n in range(3 * ROUNDS)]
    from concurrent_issuers import open_ledgers

    results = run_together(open_ledgers, [(ledgers,)] * 3, 3 * ROUNDS)
    assert {outcome for _, outcome in results} == {SCHEMA_VERSION}
