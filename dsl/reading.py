"""Input files read whole: regular files only, and only up to a bound.

A path that names a FIFO, a device, a socket or a directory (itself, or through a
symbolic link) is refused before a byte is read: reading a FIFO waits for a writer that
may never come, and /dev/zero never ends. A regular file longer than the bound is refused
after reading one byte past it, so a file that grows while it is read cannot hold peie
either. It lives in the dsl because rule files are read this way too, and the dsl imports
nothing of the engine.
"""

from __future__ import annotations

import errno
import os
import stat

from .i18n import Message, _

CHUNK = 1 << 20  # bytes read at a time past the size a file had when it was opened


class NotRegularFile(OSError):
    """A path peie will not read (not a regular file, or larger than its bound); its
    `strerror` is a catalogue message saying why."""

    strerror: Message  # type: ignore[assignment]


def file_kind(mode: int) -> Message:
    """What a file of `mode` is, in words, for a message that refuses it."""
    if stat.S_ISDIR(mode):
        return _("a directory")
    if stat.S_ISFIFO(mode):
        return _("a FIFO (named pipe)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("a special file")


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; otherwise a
    NotRegularFile (or the OSError of opening it: no such file, permission denied)."""
    # O_NONBLOCK: opening a FIFO to read does not wait for a writer; the kind is then
    # read from the open file, so nothing can be put in the path's place in between.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_BINARY", 0))
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, _("is {kind}, not a regular file",
                                             kind=file_kind(status.st_mode)))
    chunks: list[bytes] = []
    read = 0
    # The size the file has, and one byte more; a file that grew since is read on in
    # chunks, to the bound. (A read of `limit` bytes would allocate them all first.)
    wanted = status.st_size + 1
    with os.fdopen(fd, "rb") as handle:
        while read <= limit:
            chunk = handle.read(min(wanted, limit + 1 - read))
            if not chunk:
                break
            chunks.append(chunk)
            read += len(chunk)
            wanted = CHUNK
    if read > limit:
        raise NotRegularFile(errno.EFBIG, _("is larger than {limit} MiB, the most peie "
                                            "reads from such a file", limit=limit >> 20))
    return b"".join(chunks)


__all__ = ["NotRegularFile", "file_kind", "read_regular"]
