"""Python's cyclic garbage collector paused while objects are made by the hundred
thousand (records, unit allocations, facility totals)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _CollectorPause:
    """Python's cyclic garbage collector paused while records and results are made by
    the hundred thousand. They form no reference cycles, so nothing is left uncollected,
    but a full collector pass among them costs as much as the arithmetic
    (bench/RESULTS.md). Re-entrant and shared by threads (batch_allocate checks on one):
    the last pause to end leaves the collector as the first one found it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pauses = 0
        self._was_enabled = True

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._pauses == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._pauses += 1
        try:
            yield
        finally:
            with self._lock:
                self._pauses -= 1
                if self._pauses == 0 and self._was_enabled:
                    gc.enable()


collector_paused = _CollectorPause()
