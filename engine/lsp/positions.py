"""Places in a rule file as the parser counts them and as an LSP client does.

The parser counts lines by LF from 1 and columns by characters (code points) from 1, after
a byte-order mark; LSP counts both from 0, and columns in the code units the client and
server agreed on: UTF-16 unless the client offers another, where a character beyond the
Basic Multilingual Plane (the CJK extensions B to G, which names may use) takes two, and
in UTF-8 a Chinese character three. Every conversion between the two goes through a
`Lines` of the text.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from peie.dsl.errors import Span
from peie.dsl.parser import BOM

_UNITS = {  # an encoding's code units in a text
    types.PositionEncodingKind.Utf8: lambda text: len(text.encode("utf-8")),
    types.PositionEncodingKind.Utf16: lambda text: len(text.encode("utf-16-le")) // 2,
    types.PositionEncodingKind.Utf32: len,
}


class Lines:
    """A text's lines, for converting between parser places and LSP positions in
    `encoding`'s code units."""

    DEFAULT = types.PositionEncodingKind.Utf16  # where the client offers no other

    def __init__(self, text: str, encoding: str = DEFAULT):
        self.units: Callable[[str], int] = _UNITS[types.PositionEncodingKind(encoding)]
        # A byte-order mark: LSP counts it on line 1 and the parser does not.
        self.bom = self.units(BOM) if text.startswith(BOM) else 0
        self.lines = text.removeprefix(BOM).split("\n")

    def _line(self, number: int) -> str:
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def position(self, line: int, column: int) -> types.Position:
        """The LSP position of the parser's line and column (both from 1), kept within
        the text."""
        index = min(max(line - 1, 0), len(self.lines) - 1)
        text = self._line(index)
        units = self.units(text[: max(column - 1, 0)])
        return types.Position(index, units + (self.bom if index == 0 else 0))

    def range(self, span: Span) -> types.Range:
        return types.Range(self.position(span.line, span.column),
                           self.position(span.end_line, span.end_column))

    def place(self, position: types.Position) -> tuple[int, int]:
        """The parser's (line, column) at an LSP position; past a line's end, its end."""
        text = self._line(position.line)
        units = position.character - (self.bom if position.line == 0 else 0)
        column, counted = 0, 0
        for char in text:
            width = self.units(char)
            if counted + width > units:
                break
            counted += width
            column += 1
        return position.line + 1, column + 1

    def whole(self) -> types.Range:
        """The range of the whole text, for an edit that replaces all of it."""
        end = self.position(len(self.lines), len(self.lines[-1]) + 1)
        return types.Range(types.Position(0, 0), end)
