"""Processes of their own that use one ledger at the same moment, for
tests/test_ledger_concurrency.py (a module of its own, so that a spawned process can
import what it runs).

Each worker goes through a list of ledgers; on each it waits at a barrier shared with the
other workers just before the ledger is opened, so that the commands reach the ledger
together instead of one after the other by chance, and it keeps its transaction open a
moment before committing (as a slow disk or a large run would), which leaves the other
command time to read what it should not have read yet.
"""

from __future__ import annotations

import contextlib
import functools
import io
import time
from collections.abc import Sequence
from typing import Any

BARRIER_TIMEOUT = 120.0  # seconds: a worker that never arrives fails the test, not hangs it
SLOW_COMMIT = 0.1  # seconds a transaction stays open before its commit


def _slow_commit(point: str) -> None:
    if point == "before_commit":
        time.sleep(SLOW_COMMIT)


def run_commands(argv: Sequence[str], ledgers: Sequence[str], barrier: Any,
                 results: Any) -> None:
    """`peie ARGV --ledger L` for each ledger L in turn, as the command line runs it; puts
    (ledger, exit status, standard error) on `results`."""
    import peie.api.issuance as issuance
    from peie.cli.main import main

    opened = issuance.open_ledger

    def open_together(*args: Any, **kwargs: Any) -> Any:
        barrier.wait(BARRIER_TIMEOUT)
        return opened(*args, **kwargs)

    issuance.open_ledger = open_together  # type: ignore[assignment]
    issuance.Ledger = functools.partial(issuance.Ledger, _fault=_slow_commit)  # type: ignore[misc]
    for ledger in ledgers:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                status = main([*argv, "--ledger", ledger])
            except BaseException as error:  # a traceback is what the test looks for
                import traceback

                status = -1
                err.write("".join(traceback.format_exception(error)))
        results.put((ledger, status, err.getvalue()))


def open_ledgers(ledgers: Sequence[str], barrier: Any, results: Any) -> None:
    """Open each (new) ledger at the same moment as the other workers; puts (ledger,
    schema version or the error's text) on `results`."""
    from peie.issuance.ledger import Ledger, LedgerError

    for ledger in ledgers:
        barrier.wait(BARRIER_TIMEOUT)
        try:
            with Ledger(ledger) as book:
                outcome: object = book.db.execute("PRAGMA user_version").fetchone()[0]
        except LedgerError as error:
            outcome = str(error)
        results.put((ledger, outcome))
