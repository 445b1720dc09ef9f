"""Expected-output files: compare a result with its file, or rewrite the file.

`pytest --update-cases` (tests/conftest.py) turns comparing into rewriting, for a change
of output made on purpose; the files rewritten are listed at the end of the run, to be
read in `git diff` before they are committed.
"""

from __future__ import annotations

from pathlib import Path


class ExpectedFiles:
    def __init__(self, update: bool):
        self.update = update
        self.rewritten: list[Path] = []

    def check(self, path: Path, actual: str) -> None:
        """`actual` must be the file's text; with --update-cases it becomes the file's text."""
        # Bytes as they are: a formatter case may keep CRLF line ends on purpose.
        expected = path.read_bytes().decode("utf-8") if path.exists() else None
        if actual == expected:
            return
        if self.update:
            path.write_bytes(actual.encode("utf-8"))
            self.rewritten.append(path)
            return
        assert actual == expected, (
            f"{path} differs from the actual output; if the change is meant, "
            "run `pytest --update-cases` and read the diff")
