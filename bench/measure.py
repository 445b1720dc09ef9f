"""What the benchmark measures with: timings, child processes, results and agreement."""

from __future__ import annotations

import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


def peie_command() -> list[str]:
    """`peie` as a user runs it: the console script beside this Python, else the module."""
    script = Path(sys.executable).with_name("peie")
    return [str(script)] if script.exists() else [sys.executable, "-m", "peie.cli"]


class BenchError(Exception):
    """A command failed, or an engine result differs from its baseline's."""


@dataclass(frozen=True)
class Measure:
    key: str  # its name in results.json
    label: str
    value: float
    unit: str  # "units/s", "s", "x" (a ratio), "MiB" or "" (a count)
    target: tuple[str, float] | None = None  # ("<", 0.5): what the issue asks

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        op, bound = self.target
        return {"<": self.value < bound, "<=": self.value <= bound,
                ">=": self.value >= bound}[op]

    def as_json(self) -> dict[str, object]:
        target = None if self.target is None else f"{self.target[0]} {self.target[1]:g}"
        return {"label": self.label, "value": self.value, "unit": self.unit,
                "target": target, "met": self.met}


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The shortest of `repeat` timings of run(), and its result."""
    return best_of_each(repeat, [run])[0]


def best_of_each(repeat: int, runs: Sequence[Callable[[], T]]) -> list[tuple[float, T]]:
    """For each run, the shortest of `repeat` timings and its result. The runs take turns
    (a, b, a, b, ...), so that a spell of load on this shared machine slows both sides
    of a ratio, not one. Each run starts after a full garbage collection, with its
    previous result freed, so that one run's garbage is not collected on another's time."""
    best = [math.inf] * len(runs)
    results: list[T | None] = [None] * len(runs)
    for _ in range(max(1, repeat)):
        for index, run in enumerate(runs):
            results[index] = None
            gc.collect()
            start = time.perf_counter()
            results[index] = run()
            best[index] = min(best[index], time.perf_counter() - start)
    timed = []
    for seconds, result in zip(best, results, strict=True):
        assert result is not None
        timed.append((seconds, result))
    return timed


@dataclass(frozen=True)
class Child:
    seconds: float  # wall time, start to exit
    peak_mib: float  # the child's own peak resident set size


def run_child(argv: list[str]) -> Child:
    """Run a command in a new process, from the repository root, and wait for it.

    It is started by a small launcher process (this module run as a script), not by this
    one: Linux counts in a child's peak memory what it shared with its parent when it was
    forked, and this process holds a million units' columns. Standard error is a pipe,
    so no progress bar is drawn.
    """
    launcher = subprocess.run([sys.executable, "-m", "bench.measure", *argv], cwd=ROOT,
                              capture_output=True, text=True)
    if launcher.returncode:
        raise BenchError(f"{' '.join(argv)} exited with {launcher.returncode}:\n"
                         f"{launcher.stderr}")
    seconds, peak_kib = json.loads(launcher.stdout)
    return Child(seconds, peak_kib / 1024)


def median_run(argv: list[str], runs: int) -> Child:
    """run_child `runs` times: the median wall time, and the largest peak memory."""
    children = [run_child(argv) for _ in range(max(1, runs))]
    return Child(statistics.median(c.seconds for c in children),
                 max(c.peak_mib for c in children))


def _launch(argv: list[str]) -> int:
    """In the launcher: run argv, print [wall seconds, peak RSS in KiB] (wait4 gives the
    child's own; Linux reports ru_maxrss in KiB), exit with the child's status."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    print(json.dumps([seconds, usage.ru_maxrss]))
    return child.returncode


def agree(what: str, got: Mapping[str, object], expected: Mapping[str, object]) -> None:
    """Stop the run when an engine's results differ from a baseline's: a fast but wrong
    path is never reported."""
    if got == expected:
        return
    differ = sorted(k for k in got.keys() | expected.keys() if got.get(k) != expected.get(k))
    examples = ", ".join(f"{k}: {got.get(k)} != {expected.get(k)}" for k in differ[:3])
    raise BenchError(f"{what}: {len(differ)} of {len(expected)} differ ({examples})")


if __name__ == "__main__":
    sys.exit(_launch(sys.argv[1:]))
