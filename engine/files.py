"""Output files: written whole or not at all, only as regular files, and refused before
any work is done when they cannot be written."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peie.dsl.i18n import _
from peie.dsl.reading import file_kind
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
        raise UsageError(_("{path}: cannot be written: {reason}", path=os.fspath(path),
                           reason=error.strerror or str(error))) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_output_path(path: str | os.PathLike[str]) -> None:
    """Refuse an output path that cannot be written before any work is done: a directory,
    a symbolic link, a FIFO or a device, a folder that does not exist, or one where no
    file can be made (read-only)."""
    fd, tmp = _temporary_beside(path)
    os.close(fd)
    os.unlink(tmp)


def _temporary_beside(path: str | os.PathLike[str]) -> tuple[int, str]:
    """A new temporary file in the folder of `path`, open for writing."""
    target = Path(path)
    _refuse_special(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(_("{path}: there is no directory {folder}", path=os.fspath(path),
                           folder=str(folder)))
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as error:
        raise _cannot_write_here(path, error) from None


def _refuse_special(path: str | os.PathLike[str]) -> None:
    """An output replaces a regular file or nothing. Renaming over a symbolic link would
    replace the link (not write where it points), over a FIFO or a device (/dev/null, a
    terminal) would put a file in its place: each is refused by name."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise _cannot_write_here(path, error) from None
    if stat.S_ISDIR(mode):
        raise UsageError(_("{path}: is a directory; give a file name", path=os.fspath(path)))
    if stat.S_ISLNK(mode):
        raise UsageError(_("{path}: is a symbolic link; peie writes only regular files, so "
                           "give the path of the file itself", path=os.fspath(path)))
    if not stat.S_ISREG(mode):
        raise UsageError(_("{path}: is {kind}, not a regular file; peie writes only regular "
                           "files", path=os.fspath(path), kind=file_kind(mode)))


def _cannot_write_here(path: str | os.PathLike[str], error: OSError) -> UsageError:
    return UsageError(_("{path}: cannot write here: {reason}", path=os.fspath(path),
                        reason=error.strerror or str(error)))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
