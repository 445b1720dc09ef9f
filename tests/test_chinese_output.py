"""Output for Chinese users (issue 14, items 4 and 5): tables aligned by display width,
labels beside codes, XLSX headers in the run's language and ids kept as text, CSV for
Excel, and data written wholly in Chinese allocated as the coded data."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from peie.dsl.errors import display_width
from peie.report.encoding import aligned, text_table

# Cells of ASCII letters and digits, CJK ideographs and full-width forms (two columns
# each), without spaces, so that a line splits back into its cells.
CELL = st.text(st.sampled_from("abcXYZ019-_" "电力水泥铝机组" "超临界１２ＡＢ"), min_size=1,
               max_size=8)


def _starts(line: str) -> list[tuple[int, int]]:
    """(first column, column after the last) of each space-free cell of a line, in
    display columns."""
    spans, column, start = [], 0, None
    for char in line + " ":
        if char == " " and start is not None:
            spans.append((start, column))
            start = None
        elif char != " " and start is None:
            start = column
        column += display_width(char)
    return spans


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.integers(1, 4).flatmap(
    lambda n: st.tuples(st.lists(st.lists(CELL, min_size=n, max_size=n), min_size=1,
                                 max_size=6),
                        st.sets(st.integers(0, n - 1)))))
def test_columns_line_up_by_display_width(table: tuple[list[list[str]], set[int]]) -> None:
    rows, right = table
    spans = [_starts(line) for line in aligned(rows, right)]
    assert all(len(s) == len(rows[0]) for s in spans)
    for i in range(len(rows[0])):
        edges = {s[i][1] if i in right else s[i][0] for s in spans}
        assert len(edges) == 1, (i, rows)  # every row's cell i starts (or ends) alike
        widest = max(display_width(r[i]) for r in rows)
        if i + 1 < len(rows[0]):  # two columns between the widest cell and the next
            assert all(s[i + 1][0] - s[i][0] >= widest + 2 for s in spans
                       if i not in right)


def test_a_table_of_chinese_cells_pads_each_to_its_display_width() -> None:
    lines = text_table(("设施", "sector", "tCO2"),
                       [("F-1", "电力", "1"), ("重点排放单位甲", "cement", "22")],
                       (False, False, True))
    # 重点排放单位甲 is 7 characters, 14 columns: the column is 14 wide, so "F-1" gets
    # 11 spaces and 设施 (4 columns) 10 before the next column's gap of two.
    assert lines == ["设施" + " " * 10 + "  sector  tCO2",
                     "-" * 14 + "  ------  ----",
                     "F-1" + " " * 11 + "  电力" + " " * 2 + "     1",
                     "重点排放单位甲  cement    22"]
