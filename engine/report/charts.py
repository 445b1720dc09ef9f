"""Charts for the HTML reports, drawn as inline SVG (the page needs no network and no
script): bars of a breakdown, a histogram of balances, a waterfall of an impact's steps.

A chart draws aggregates only (a bar per group, a column per bin), so a report of 100,000
units draws as fast as one of ten. Lengths are floats, for drawing; the numbers written
on a chart are the exact values' texts the caller gives. All text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import NamedTuple

WIDTH = 760
ROW = 22  # height of a bar
LABEL = 190  # width of the labels' column
TEXT = 110  # room for a value written beside its bar
GAIN, LOSS, NEUTRAL = "#2f7d4f", "#b8433a", "#3d6fa8"


class Bar(NamedTuple):
    label: str
    value: float  # its length
    text: str  # what is written beside it


def _svg(height: float, title: str, body: list[str]) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", css: str = "") -> str:
    style = f' class="{css}"' if css else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{style}>'
            f"{escape(text)}</text>")


def _rect(x: float, y: float, width: float, height: float, colour: str, tip: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0.5):.1f}" '
            f'height="{height:.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>')


def _short(label: str, length: int = 28) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def bars(title: str, items: Sequence[Bar], signed_colours: bool = False) -> str:
    """Horizontal bars from a zero line (negative values to its left), one per item."""
    low = min([0.0, *(b.value for b in items)])
    high = max([0.0, *(b.value for b in items)])
    span = (high - low) or 1.0
    room = TEXT if low < 0 else 0.0  # for the texts of negative bars, left of them
    plot = WIDTH - LABEL - TEXT - room
    zero = LABEL + room + plot * (-low / span)
    body = []
    for index, bar in enumerate(items):
        y = 8 + index * ROW
        length = plot * abs(bar.value) / span
        x = zero - length if bar.value < 0 else zero
        colour = (GAIN if bar.value >= 0 else LOSS) if signed_colours else NEUTRAL
        body += [_text(LABEL - 8, y + ROW * 0.65, _short(bar.label), "end"),
                 _rect(x, y + 3, length, ROW - 6, colour, f"{bar.label}: {bar.text}"),
                 _text(x + length + 6 if bar.value >= 0 else x - 6, y + ROW * 0.65, bar.text,
                       "start" if bar.value >= 0 else "end", "value")]
    height = 16 + len(items) * ROW
    body.append(f'<line x1="{zero:.1f}" y1="4" x2="{zero:.1f}" y2="{height - 4:.1f}" '
                'class="axis"/>')
    return _svg(height, title, body)


def bins(values: Sequence[float], count: int = 20) -> list[tuple[float, float, int]]:
    """(low, high, how many values) for `count` equal bins over the values' range, a bin
    edge at zero when the range spans it, so that no bin mixes surplus and shortfall."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [(low, high, len(values))]
    width = (high - low) / count
    if low < 0 < high:  # edges on multiples of the width: zero is one of them
        low = math.floor(low / width) * width
    counts = [0] * max(1, math.ceil((high - low) / width))
    for value in values:
        counts[min(int((value - low) / width), len(counts) - 1)] += 1
    return [(low + i * width, low + (i + 1) * width, n) for i, n in enumerate(counts)]


def histogram(title: str, histogram_bins: Sequence[tuple[float, float, int]],
              ends: tuple[str, str], count_label: str) -> str:
    """Columns of counts, shortfall red and surplus green, a line at zero; `ends` are
    written under the first and the last edge."""
    bottom, left, right = 200.0, 60.0, WIDTH - 20.0
    top = max((n for _, _, n in histogram_bins), default=1) or 1
    width = (right - left) / max(len(histogram_bins), 1)
    body = [_text(left - 8, 24, f"{top:,}", "end", "value"),
            _text(left - 8, bottom, "0", "end", "value"),
            _text(left - 8, 40, count_label, "end", "value")]
    for index, (low, high, n) in enumerate(histogram_bins):
        tall = (bottom - 20) * n / top
        body.append(_rect(left + index * width + 1, bottom - tall, width - 2, tall,
                          LOSS if high <= 0 else GAIN, f"{low:,.0f} … {high:,.0f}: {n:,}"))
    body.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>')
    if histogram_bins and histogram_bins[0][0] < 0 < histogram_bins[-1][1]:
        first, last = histogram_bins[0][0], histogram_bins[-1][1]
        zero = left + (right - left) * -first / (last - first)
        body += [f'<line x1="{zero:.1f}" y1="16" x2="{zero:.1f}" y2="{bottom + 6}" '
                 'class="axis"/>', _text(zero, bottom + 20, "0", "middle", "value")]
    body += [_text(left, bottom + 20, ends[0], "start", "value"),
             _text(right, bottom + 20, ends[1], "end", "value")]
    return _svg(bottom + 30, title, body)


def waterfall(title: str, start: Bar, steps: Sequence[Bar], end: Bar) -> str:
    """The old total, each step's change floating from where the last one ended, and the
    new total: the steps add up to the difference of the totals."""
    levels, level = [], start.value
    for step in steps:
        levels.append((level, level + step.value))
        level += step.value
    ends = [v for pair in levels for v in pair] + [start.value, end.value]
    low, high = min(ends), max(ends)
    # The totals dwarf the steps: the axis starts below the lowest level, not at zero.
    low = max(0.0, low - ((high - low) or abs(high) or 1.0) * 0.5) if low >= 0 else low
    span = (high - low) or 1.0
    plot_top, plot_bottom = 24.0, 220.0
    column = (WIDTH - 40) / (len(steps) + 2)

    def y(value: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * (value - low) / span

    body = []
    columns = [(start, low, start.value, NEUTRAL)]
    columns += [(s, a, b, GAIN if b >= a else LOSS) for s, (a, b) in zip(steps, levels,
                                                                          strict=True)]
    columns.append((end, low, end.value, NEUTRAL))
    for index, (bar, a, b, colour) in enumerate(columns):
        x = 20 + index * column
        top, bottom = y(max(a, b)), y(min(a, b))
        body += [_rect(x + 6, top, column - 12, bottom - top, colour,
                       f"{bar.label}: {bar.text}"),
                 _text(x + column / 2, top - 5, bar.text, "middle", "value"),
                 _text(x + column / 2, plot_bottom + 18, _short(bar.label, 18), "middle")]
    body.append(f'<line x1="20" y1="{plot_bottom}" x2="{WIDTH - 20}" y2="{plot_bottom}" '
                'class="axis"/>')
    return _svg(plot_bottom + 34, title, body)
