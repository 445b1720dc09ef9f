"""The conversion between the parser's places (line, column by code point, from 1) and
LSP positions (from 0, in the agreed code units): each character's place comes back from
its position, and a position counts the code units of the text before it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from peie.lsp.positions import Lines

# ASCII, BMP Chinese (one UTF-16 unit, three UTF-8 bytes), beyond the BMP (two units), and
# U+FEFF, a byte-order mark at the start and a character elsewhere.
CHARACTERS = st.sampled_from(["a", " ", "\n", "表", "基", "𠀀", "𪚥", "\ufeff"])
ENCODINGS = st.sampled_from([types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16,
                             types.PositionEncodingKind.Utf32])
UNITS = {"utf-8": lambda t: len(t.encode("utf-8")),
         "utf-16": lambda t: len(t.encode("utf-16-le")) // 2, "utf-32": len}


@settings(max_examples=200, derandomize=True)
@given(st.text(CHARACTERS, max_size=40), ENCODINGS, st.booleans())
def test_every_place_comes_back_from_its_position(body: str, encoding: str, bom: bool) -> None:
    text = ("\ufeff" if bom else "") + body
    bom = text.startswith("\ufeff")  # the body may start with one
    lines = Lines(text, encoding)
    read = text.removeprefix("\ufeff").split("\n")
    for number, line in enumerate(read, 1):
        for column in range(1, len(line) + 2):
            position = lines.position(number, column)
            before = ("\ufeff" if bom and number == 1 else "") + line[: column - 1]
            assert position == types.Position(number - 1, UNITS[encoding](before))
            assert lines.place(position) == (number, column)


def test_the_whole_text_ends_after_its_last_character() -> None:
    assert Lines("表 x\n𠀀").whole() == types.Range(types.Position(0, 0), types.Position(1, 2))
