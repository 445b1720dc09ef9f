"""A progress bar on standard error for long jobs, and nothing at all for short ones.

It appears only when standard error is a terminal and the job has run DELAY seconds, and
is redrawn in place at most every INTERVAL seconds: piped or redirected output, and logs,
stay clean. Each update() reads the clock once, so loops call it every few thousand
items (each() does), not for each one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import TextIO, TypeVar

DELAY = 2.0  # seconds before a bar appears
INTERVAL = 0.25  # seconds between redraws
WIDTH = 30  # characters of the bar itself
STEP = 4096  # items between updates in each(): one clock read per step, not per item

T = TypeVar("T")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """`label [#########.........]  31%  310,000/1,000,000` for `total` items.

    Use as a context manager: leaving it redraws the last count and ends the bar's line,
    so that what is printed next (a result, an error) starts on a line of its own.
    """

    def __init__(self, label: str, total: int, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.label = label
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.active = total > 0 and _is_terminal(self.stream)
        self.due = clock() + DELAY
        self.done = 0
        self.shown = False

    def update(self, done: int) -> None:
        """`done` items of the total are finished."""
        self.done = done
        if not self.active:
            return
        now = self.clock()
        if now >= self.due:
            self._draw()
            self.due = now + INTERVAL

    def each(self, items: Sequence[T]) -> Iterator[T]:
        """The items, one by one, with an update every STEP of them."""
        for start in range(0, len(items), STEP):
            yield from items[start:start + STEP]
            self.update(min(start + STEP, len(items)))

    def _draw(self) -> None:
        fraction = min(1.0, self.done / self.total)
        filled = round(WIDTH * fraction)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] "
                          f"{fraction:4.0%}  {self.done:,}/{self.total:,}")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """End the bar's line, if one was drawn; later updates draw nothing."""
        if self.shown:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
        self.active = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.finish()
