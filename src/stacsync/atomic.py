"""Atomic file writes: a reader sees the old file or the new one, never a mix or a half.

Two ways to get there:

* :func:`write_atomic` (any file): the data goes to a temporary sibling and is moved into
  place with :func:`os.replace`. The temporary name is derived from the final one (hidden,
  with a ``.stacsync-tmp`` suffix), so a crash leaves at most one stale temporary per file,
  which the next :func:`write_atomic` of that file replaces; STAC readers never follow it.
* :func:`write_new` (a file in a folder that was just created): on Linux the data goes to
  an unnamed file (``O_TMPFILE``) that is linked under its final name once complete. That is
  one metadata operation fewer, and a crash leaves nothing behind, not even a temporary.
  Where unnamed files are not available (other systems, file systems without support, no
  ``/proc``), or the name is taken after all, it falls back to :func:`write_atomic`.

:func:`sync_file` picks between them and leaves a file that already holds the right bytes
untouched (same inode, same mtime).
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from pathlib import Path

TEMP_SUFFIX = ".stacsync-tmp"
READ_CHUNK = 1 << 16

StrPath = str | os.PathLike[str]

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _CLOEXEC
_LINK_TAKES_FOLDER_FD = os.link in os.supports_dir_fd
_NO_UNNAMED_FILES = frozenset({errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL})
"""How ``open(folder, O_TMPFILE)`` says "not here": file system without support
(EOPNOTSUPP), kernel older than 3.11 (EISDIR), or a flag the system does not know (EINVAL)."""
_NO_LINKING = frozenset({errno.EPERM, errno.EXDEV, errno.EOPNOTSUPP})
"""How linking ``/proc/self/fd/N`` fails when the system forbids it: stop trying."""


def temp_path(path: StrPath) -> str:
    """The temporary sibling used while writing ``path``."""
    folder, name = os.path.split(os.fspath(path))
    return os.path.join(folder, f".{name}{TEMP_SUFFIX}")


def write_atomic(path: StrPath, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, creating parent folders as needed.

    With ``durable`` the data (and the rename, and any folder created) are flushed to disk
    before returning, so the new content also survives a power loss.
    """
    target = os.fspath(path)
    tmp = temp_path(target)
    try:
        fd = os.open(tmp, _CREATE_FLAGS, 0o644)
    except FileNotFoundError:
        make_folders(os.path.dirname(target), durable=durable)
        fd = os.open(tmp, _CREATE_FLAGS, 0o644)
    try:
        try:
            _write_all(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        sync_directory(os.path.dirname(target) or ".")


def write_new(path: StrPath, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` atomically to ``path``, whose folder was just created and is empty.

    The file appears complete under its name or not at all. Same outcome as
    :func:`write_atomic`, one file system operation cheaper where unnamed files exist; if
    ``path`` exists after all, it is replaced.
    """
    target = os.fspath(path)
    folder = os.path.dirname(target) or "."
    fd_folder = _usable_fd_folder()
    fd = None if fd_folder is None else _unnamed_file(folder)
    if fd_folder is None or fd is None:
        write_atomic(target, data, durable=durable)
        return
    try:
        _write_all(fd, data)
        if durable:
            os.fsync(fd)
        linked = _link(fd, target, fd_folder)
    finally:
        os.close(fd)
    if not linked:
        write_atomic(target, data, durable=durable)
    elif durable:
        sync_directory(folder)


def sync_file(
    path: str, data: bytes, *, make_folder: bool = False, durable: bool = False
) -> tuple[bool, bytes | None]:
    """Make ``path`` hold ``data``, atomically, unless it already does.

    Returns whether the file was written, and the bytes it held before if it was replaced.
    With ``make_folder`` the file's own folder is created first: if that succeeds the folder
    is new, so there is nothing to read or compare and the file is written with
    :func:`write_new`. Otherwise the file is read, and written only if its bytes differ.
    With ``durable`` the file and its folder's entries are flushed; flushing the new
    folder's own entry is left to the caller, who can do it once for many files.
    """
    if make_folder:
        try:
            os.mkdir(os.path.dirname(path))
        except (FileExistsError, FileNotFoundError):
            pass  # an existing folder (compared below), or a missing parent (created below)
        else:
            write_new(path, data, durable=durable)
            return True, None
    old = read_if_exists(path)
    if old == data:
        return False, None
    write_atomic(path, data, durable=durable)
    return True, old


def read_if_exists(path: StrPath) -> bytes | None:
    """The bytes of ``path``, or None if there is no such file."""
    try:
        fd = os.open(path, os.O_RDONLY | _CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        wanted = os.fstat(fd).st_size + 1  # one read for the whole file, as it is now
        first = os.read(fd, wanted)
        if len(first) < wanted:  # a short read of a regular file: that was all of it
            return first
        chunks = [first]  # it grew since: read on to the end
        while chunk := os.read(fd, READ_CHUNK):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def make_folders(folder: StrPath, *, durable: bool = False) -> None:
    """Create ``folder`` and missing parents; with ``durable``, flush each new entry."""
    path = os.path.abspath(folder)
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent != path:
        make_folders(parent, durable=durable)
    try:
        os.mkdir(path)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
        return
    if durable:
        sync_directory(parent)


def sync_directory(folder: StrPath) -> None:
    """Flush a folder's entries (renames, new files) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# -- unnamed files (Linux O_TMPFILE) --------------------------------------------------------


class _FdFolder:
    """This process's ``/proc/self/fd`` folder, opened on first use; None where there is none.

    An unnamed file gets its name from ``linkat`` on its ``/proc/self/fd/<n>`` entry with
    ``AT_SYMLINK_FOLLOW``, which :func:`os.link` passes only when given a folder descriptor,
    hence this one. A forked child drops the inherited one (it names the parent's folder).
    """

    def __init__(self, path: str = "/proc/self/fd") -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._opened = False
        self.refused = False
        """Set when the system refused a link: unnamed files are not tried again."""

    def get(self) -> int | None:
        """The descriptor, or None if unnamed files cannot be linked here."""
        if not self._opened:
            with self._lock:
                if not self._opened:
                    try:
                        self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
                    except OSError:
                        self._fd = None
                    self._opened = True
        return None if self.refused else self._fd

    def after_fork(self) -> None:
        """In a forked child: close the parent's descriptor and start afresh."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._lock = threading.Lock()
        self._fd, self._opened, self.refused = None, False, False


_fd_folder = _FdFolder()
if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_fd_folder.after_fork)


def unnamed_files_available() -> bool:
    """Whether :func:`write_new` can use unnamed files on this system at all."""
    return _usable_fd_folder() is not None


def _usable_fd_folder() -> int | None:
    if not hasattr(os, "O_TMPFILE") or not _LINK_TAKES_FOLDER_FD:
        return None
    return _fd_folder.get()


def _unnamed_file(folder: str) -> int | None:
    """An unnamed, writable file in ``folder``, or None where that is not possible."""
    try:
        return os.open(folder, os.O_TMPFILE | os.O_WRONLY | _CLOEXEC, 0o644)
    except FileNotFoundError:
        return None  # no such folder: write_atomic creates it
    except OSError as exc:
        if exc.errno in _NO_UNNAMED_FILES:
            return None
        raise


def _link(fd: int, target: str, fd_folder: int) -> bool:
    """Give the unnamed file ``fd`` the name ``target``; False if it must be written anew."""
    try:
        os.link(str(fd), target, src_dir_fd=fd_folder)
    except FileExistsError:
        return False  # the name is taken after all: write_atomic replaces it
    except OSError as exc:
        if exc.errno not in _NO_LINKING:
            raise
        _fd_folder.refused = True  # this system does not let us: write_atomic from now on
        return False
    return True
