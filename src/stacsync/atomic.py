"""Atomic file replacement: a reader sees the old file or the new one, never a mix.

Data goes to a temporary file in the destination's folder and is moved into place with
:func:`os.replace`. The temporary name is derived from the final one (hidden, with a
``.stacsync-tmp`` suffix), so a crash leaves at most one stale temporary per file, which
the next write of that file replaces; STAC readers never follow it.
"""

from __future__ import annotations

import os
from pathlib import Path

TEMP_SUFFIX = ".stacsync-tmp"

StrPath = str | os.PathLike[str]


def temp_path(path: StrPath) -> str:
    """The temporary sibling used while writing ``path``."""
    folder, name = os.path.split(os.fspath(path))
    return os.path.join(folder, f".{name}{TEMP_SUFFIX}")


def write_atomic(path: StrPath, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, creating parent folders as needed.

    With ``durable`` the data (and the rename) are flushed to disk before returning, so the
    new content also survives a power loss.
    """
    target = os.fspath(path)
    tmp = temp_path(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, 0o644)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd = os.open(tmp, flags, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        sync_directory(os.path.dirname(target))


def read_if_exists(path: StrPath) -> bytes | None:
    """The bytes of ``path``, or None if there is no such file."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def sync_directory(folder: StrPath) -> None:
    """Flush a folder's entries (renames, new files) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
