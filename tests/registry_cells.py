"""Data files as registries write them, for the properties that hold every path to one
reading (on the path through pytest's `pythonpath`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import strategies as st

from peie.data.nothing import NOTHING

ROOT = Path(__file__).resolve().parent.parent
with open(ROOT / "samples" / "units_2017.csv", newline="", encoding="utf-8") as _handle:
    SAMPLE = list(csv.reader(_handle))

NUMBERS = ["0", "1.5", "0.3", "1e3", "+.5", "1,5", "1,000", "1.000,5", "1,2,3", "１２",
           "－０．５", "٣", "1²", "-", "—", "inf", "1_000"]
CODES = ["water", "air", "sc_600", "gas_f_plus", "power", "cement", "hebei", "U-000002",
         "wter", "powr"]
LABELS = ["水冷", "空冷", "超临界 600MW 机组", "超临界600MW机组", "电力", "水泥", "电解铝",
          "河北", "江苏省", "32", "Inner Mongolia", "江酥"]
SPACES = ["", " ", "\t", "\u3000"]


def cells() -> st.SearchStrategy[str]:
    """A cell: a number, a spelling of nothing, a code or a label, white space around."""
    return st.builds(lambda before, text, after: before + text + after,
                     st.sampled_from(SPACES),
                     st.sampled_from([*NUMBERS, *NOTHING, *CODES, *LABELS]),
                     st.sampled_from(SPACES))


@st.composite
def registry_csv(draw: st.DrawFn, rows: int = 12) -> bytes:
    """The first `rows` units of samples/units_2017.csv with a few cells written as a
    registry might write them, and rows given whole in spellings of nothing."""
    lines = [list(line) for line in SAMPLE[:rows + 1]]
    for _ in range(draw(st.integers(0, 4))):
        line = draw(st.integers(1, rows))
        lines[line][draw(st.integers(0, len(SAMPLE[0]) - 1))] = draw(cells())
    if draw(st.booleans()):
        lines.insert(draw(st.integers(1, rows)), [draw(st.sampled_from(NOTHING))
                                                  for _ in SAMPLE[0]])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    return out.getvalue().encode("utf-8")
