"""Output files: written whole or not at all, and refused before any work is done when
they cannot be written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peie.dsl.i18n import _
from peie.errors import UsageError


def atomic_write(path: str | os.PathLike[str], write: Callable[[Any], None],
                 binary: bool = False) -> None:
    """Write to a temporary file beside `path`, then rename: no half-written output.
    A file written over keeps its permissions; a new one gets the umask's. A failure to
    write (a full disk) is a UsageError naming `path`, which is then as it was."""
    target = Path(path)
    fd, tmp = _temporary_beside(path)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8",
                       newline=None if binary else "") as handle:
            write(handle)
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(_("{path}: cannot be written: {reason}", path=path,
                           reason=error.strerror or error)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_output_path(path: str | os.PathLike[str]) -> None:
    """Refuse an output path that cannot be written before any work is done: a directory,
    a folder that does not exist, or one where no file can be made (read-only)."""
    fd, tmp = _temporary_beside(path)
    os.close(fd)
    os.unlink(tmp)


def _temporary_beside(path: str | os.PathLike[str]) -> tuple[int, str]:
    """A new temporary file in the folder of `path`, open for writing."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(_("{path}: is a directory; give a file name", path=path))
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(_("{path}: there is no directory {folder}", path=path, folder=folder))
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as error:
        raise UsageError(_("{path}: cannot write here: {reason}", path=path,
                           reason=error.strerror or error)) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
