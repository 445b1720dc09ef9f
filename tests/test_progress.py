"""The progress bar: on a terminal after DELAY seconds, never when piped, results unchanged."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import peie
from peie import progress
from peie.batch.evaluate import batch_allocate
from peie.data.columns import read_columns
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.progress import Progress

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "units_2017.csv"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_appears_only_after_the_delay_and_ends_its_line() -> None:
    stream, clock = Terminal(), Clock()
    with Progress("allocating units", 1000, stream, clock) as bar:
        clock.now += progress.DELAY - 0.1
        bar.update(100)
        assert stream.getvalue() == ""
        clock.now += 0.2
        bar.update(400)
        assert stream.getvalue().startswith("\rallocating units [")
        assert "40%" in stream.getvalue() and "400/1,000" in stream.getvalue()
        bar.update(1000)
    assert stream.getvalue().endswith("100%  1,000/1,000\n")


def test_redraws_at_most_every_interval() -> None:
    stream, clock = Terminal(), Clock()
    bar = Progress("x", 10, stream, clock)
    clock.now += progress.DELAY
    bar.update(1)
    drawn = stream.getvalue()
    clock.now += progress.INTERVAL / 2
    bar.update(2)
    assert stream.getvalue() == drawn
    clock.now += progress.INTERVAL
    bar.update(3)
    assert stream.getvalue().endswith("3/10")


def test_nothing_is_written_when_the_stream_is_not_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    with Progress("x", 10, stream, clock) as bar:
        clock.now += 60
        bar.update(5)
    assert stream.getvalue() == ""


def test_a_short_job_leaves_no_trace() -> None:
    stream = Terminal()
    with Progress("x", 10, stream, Clock()) as bar:
        bar.update(10)
    assert stream.getvalue() == ""


def test_each_yields_every_item_in_order() -> None:
    items = list(range(10_000))
    bar = Progress("x", len(items), io.StringIO())
    assert list(bar.each(items)) == items and bar.done == len(items)


def test_results_are_the_same_with_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    def run() -> tuple[list[object], dict[str, int], dict[str, int]]:
        exact = peie.allocate(SAMPLE, 2017)
        batch = batch_allocate(read_columns(SAMPLE), peie.load_rules().for_year(2017),
                               NO_LOCAL_FACTORS)
        return [u.allocation for u in exact.units], exact.totals(), batch.totals()

    plain = run()
    terminal = Terminal()  # set here: pytest puts its own stderr back after fixtures
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(progress, "DELAY", 0.0)  # a bar drawn at every update
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    monkeypatch.setattr(progress, "STEP", 7)
    assert run() == plain
    shown = terminal.getvalue()
    assert "allocating units [" in shown and "allocating units (batch) [" in shown
    assert shown.endswith("\n")
