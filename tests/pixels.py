"""A PNG reader for the browser tests' screenshots: 8-bit RGB or RGBA, not interlaced (what
Chromium writes), decoded with zlib and numpy, so the tests need no imaging library."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel


def read_png(path: Path) -> np.ndarray:
    """The image as an array of (height, width, 3) RGB bytes."""
    data = path.read_bytes()
    if data[:8] != SIGNATURE:
        raise ValueError(f"{path}: not a PNG file")
    position, compressed, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed.append(body)
        position += 12 + length
    if header is None:
        raise ValueError(f"{path}: no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"{path}: depth {depth}, colour type {colour}, interlace "
                         f"{interlace} not read here")
    size = CHANNELS[colour]
    raw = np.frombuffer(zlib.decompress(b"".join(compressed)), dtype=np.uint8)
    rows = raw.reshape(height, width * size + 1)
    image = np.zeros((height, width * size), dtype=np.uint8)
    previous = np.zeros(width * size, dtype=np.uint8)
    for y in range(height):
        image[y] = previous = _unfiltered(int(rows[y, 0]), rows[y, 1:], previous, size)
    return image.reshape(height, width, size)[:, :, :3]


def _unfiltered(kind: int, line: np.ndarray, above: np.ndarray, size: int) -> np.ndarray:
    """One scanline with its filter (PNG spec, section 9) undone."""
    if kind == 0:
        return line.copy()
    if kind == 2:
        return line + above  # uint8 arithmetic wraps modulo 256, as the filters do
    if kind == 1:
        return np.cumsum(line.reshape(-1, size), axis=0, dtype=np.uint64).astype(
            np.uint8).reshape(-1)
    out = bytearray(line.tobytes())
    up = above.tobytes()
    for i in range(len(out)):
        left = out[i - size] if i >= size else 0
        if kind == 3:
            out[i] = (out[i] + (left + up[i]) // 2) & 0xFF
            continue
        corner = up[i - size] if i >= size else 0
        estimate = left + up[i] - corner
        a, b, c = abs(estimate - left), abs(estimate - up[i]), abs(estimate - corner)
        nearest = left if a <= b and a <= c else up[i] if b <= c else corner
        out[i] = (out[i] + nearest) & 0xFF
    return np.frombuffer(bytes(out), dtype=np.uint8)
