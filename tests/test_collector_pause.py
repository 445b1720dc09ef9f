"""The garbage collector pause: nested and overlapping pauses (threads) end with the
collector as the first pause found it."""

from __future__ import annotations

import gc
import threading

from peie.collector import collector_paused


def test_nested_pauses_restore_the_collector() -> None:
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_of_two_threads_restore_the_collector() -> None:
    """A enters, B enters, A leaves (B still running: still paused), B leaves."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def b() -> None:
        a_in.wait()
        with collector_paused():
            b_in.set()
            a_out.wait()
            seen.append(gc.isenabled())

    other = threading.Thread(target=b)
    other.start()
    with collector_paused():
        a_in.set()
        b_in.wait()
    a_out.set()
    other.join()
    assert seen == [False] and gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
