"""The grammar cache is unpickled by lark: a file another user could have planted there
must never be loaded (and so never run)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners")


class _Payload:
    """Unpickling this creates the file `marker`: the sign that planted code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def _plant(cache_home: Path, marker: Path, directory_mode: int, file_mode: int) -> None:
    directory = cache_home / "peie"
    directory.mkdir(parents=True)
    planted = directory / "grammar.lark.cache"
    planted.write_bytes(b"0" * 64 + b"\n" + pickle.dumps(_Payload(marker)))
    planted.chmod(file_mode)
    directory.chmod(directory_mode)


def _check(cache_home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "peie.cli", "check", "-q"], timeout=120,
                          capture_output=True, text=True,
                          env={**os.environ, "XDG_CACHE_HOME": str(cache_home)})


@pytest.mark.parametrize(("directory_mode", "file_mode"), [
    (0o777, 0o644),  # anyone may put a file in the directory
    (0o700, 0o666),  # anyone may rewrite the file
])
def test_a_cache_others_could_write_is_not_loaded(tmp_path: Path, directory_mode: int,
                                                  file_mode: int) -> None:
    marker = tmp_path / "ran"
    _plant(tmp_path / "cache", marker, directory_mode, file_mode)
    done = _check(tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()


def test_a_cache_only_we_can_write_is_used(tmp_path: Path) -> None:
    """The same file in a private directory is loaded: the planted file above was one
    lark would have run, and the refusal is what kept it from running."""
    marker = tmp_path / "ran"
    _plant(tmp_path / "cache", marker, 0o700, 0o644)
    _check(tmp_path / "cache")
    assert marker.exists()


def test_the_cache_directory_is_made_private(tmp_path: Path) -> None:
    done = _check(tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    directory = tmp_path / "cache" / "peie"
    assert directory.stat().st_mode & 0o777 == 0o700
    assert (directory / "grammar.lark.cache").is_file()


def test_a_fifo_in_place_of_the_cache_is_passed_over(tmp_path: Path) -> None:
    """lark would wait on it for ever, reading the table (or writing it)."""
    directory = tmp_path / "cache" / "peie"
    directory.mkdir(parents=True, mode=0o700)
    os.mkfifo(directory / "grammar.lark.cache", 0o600)
    done = _check(tmp_path / "cache")  # within _check's time limit
    assert done.returncode == 0, done.stderr
