"""Atomic writes: unnamed files (O_TMPFILE) for new files, the portable fallback, durability."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stacsync import atomic
from stacsync.atomic import (
    READ_CHUNK,
    make_folders,
    read_if_exists,
    temp_path,
    unnamed_files_available,
    write_atomic,
    write_new,
)

needs_unnamed = pytest.mark.skipif(
    not unnamed_files_available(), reason="no unnamed files (O_TMPFILE) on this system"
)
needs_proc = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="fsync'ed files are named through /proc"
)


class Calls:
    """What a test spied on: (name, path or flags) in call order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def names(self, name: str) -> list[str]:
        return [arg for what, arg in self.log if what == name]


def fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """Record os.open (with O_TMPFILE or not), os.link, os.replace and os.fsync."""
    spy = Calls()
    real_open, real_link, real_replace, real_fsync = os.open, os.link, os.replace, os.fsync
    tmpfile = getattr(os, "O_TMPFILE", 0)

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        unnamed = bool(tmpfile) and flags & tmpfile == tmpfile
        spy.log.append(("open-unnamed" if unnamed else "open", os.fspath(path)))
        return real_open(path, flags, *args, **kwargs)

    def link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        real_link(src, dst, *args, **kwargs)
        spy.log.append(("link", os.fspath(dst)))

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        real_replace(src, dst, *args, **kwargs)
        spy.log.append(("replace", os.fspath(dst)))

    def fsync(fd: int) -> None:
        spy.log.append(("fsync", fd_path(fd)))
        real_fsync(fd)

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    yield spy


def refuse_unnamed(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Make ``open(folder, O_TMPFILE)`` fail with ``code``, as on a file system without it."""
    real_open = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(code, os.strerror(code), os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- write_new ------------------------------------------------------------------------------


@needs_unnamed
def test_write_new_links_an_unnamed_file(tmp_path: Path, calls: Calls) -> None:
    target = tmp_path / "item" / "item.json"
    target.parent.mkdir()
    write_new(target, b'{"id": "item"}\n')
    assert target.read_bytes() == b'{"id": "item"}\n'
    assert listing(target.parent) == ["item.json"]
    assert calls.names("open-unnamed") == [str(target.parent)]
    assert calls.names("link") == [str(target)]
    assert calls.names("replace") == []  # no temporary name at any time
    assert calls.names("fsync") == []


def test_new_and_replaced_files_get_the_same_permissions(tmp_path: Path) -> None:
    write_new(tmp_path / "new.json", b"{}")
    write_atomic(tmp_path / "old.json", b"{}")
    modes = {stat.S_IMODE((tmp_path / n).stat().st_mode) for n in ("new.json", "old.json")}
    assert len(modes) == 1
    assert modes.pop() & 0o644 == 0o644 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@needs_unnamed
def test_crash_before_the_link_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Crash(Exception):
        pass

    def crash(*args: Any, **kwargs: Any) -> None:
        raise Crash

    monkeypatch.setattr(os, "link", crash)
    with pytest.raises(Crash):
        write_new(tmp_path / "x.json", b"half" * 10_000)
    assert listing(tmp_path) == []  # no file, no temporary: the data had no name yet


@needs_unnamed
def test_other_link_errors_are_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "link", full)
    with pytest.raises(OSError, match="No space") as info:
        write_new(tmp_path / "x.json", b"{}")
    assert info.value.errno == errno.ENOSPC
    assert listing(tmp_path) == []
    assert unnamed_files_available()


def test_write_new_replaces_a_file_that_exists_after_all(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_bytes(b"old")
    write_new(target, b"new")
    assert target.read_bytes() == b"new"
    assert listing(tmp_path) == ["x.json"]


def test_write_new_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.json"
    write_new(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert listing(target.parent) == ["x.json"]


def test_write_new_write_error_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_new(tmp_path / "x.json", "not bytes")  # type: ignore[arg-type]
    assert listing(tmp_path) == []


# -- the fallback -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL],
    ids=["file-system-without-support", "kernel-before-3.11", "unknown-flag"],
)
def test_fallback_when_the_file_system_refuses_unnamed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls, code: int
) -> None:
    if not hasattr(os, "O_TMPFILE"):
        pytest.skip("no O_TMPFILE flag to refuse on this system")
    refuse_unnamed(monkeypatch, code)
    for n in range(2):
        target = tmp_path / f"x{n}.json"
        write_new(target, b"{}")
        assert target.read_bytes() == b"{}"
        assert calls.names("replace")[-1] == str(target)
        assert calls.names("open")[-1] == temp_path(target)
    assert listing(tmp_path) == ["x0.json", "x1.json"]


def test_other_errors_opening_an_unnamed_file_are_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not unnamed_files_available():
        pytest.skip("no unnamed files (O_TMPFILE) on this system")
    refuse_unnamed(monkeypatch, errno.EACCES)
    with pytest.raises(PermissionError):
        write_new(tmp_path / "x.json", b"{}")
    assert listing(tmp_path) == []


def test_fallback_without_the_o_tmpfile_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)  # as on macOS or Windows
    assert not unnamed_files_available()
    write_new(tmp_path / "x.json", b"{}", durable=True)
    assert (tmp_path / "x.json").read_bytes() == b"{}"
    assert calls.names("replace") == [str(tmp_path / "x.json")]
    assert listing(tmp_path) == ["x.json"]


def test_fallback_without_proc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    monkeypatch.setattr(atomic, "_fd_folder", atomic._FdFolder(str(tmp_path / "no-proc")))
    assert not unnamed_files_available()
    target = tmp_path / "out" / "x.json"
    write_new(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert calls.names("open-unnamed") == []
    assert calls.names("replace") == [str(target)]


@needs_unnamed
def test_a_refused_link_stops_unnamed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    monkeypatch.setattr(atomic, "_fd_folder", atomic._FdFolder())
    spied_link = os.link

    def forbidden(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("src_dir_fd") is not None:
            raise PermissionError(errno.EPERM, "Operation not permitted")
        spied_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", forbidden)
    write_new(tmp_path / "a.json", b"a")
    write_new(tmp_path / "b.json", b"b")
    assert (tmp_path / "a.json").read_bytes() == b"a"
    assert (tmp_path / "b.json").read_bytes() == b"b"
    assert listing(tmp_path) == ["a.json", "b.json"]
    assert calls.names("open-unnamed") == [str(tmp_path)]  # tried once, then not again
    assert not unnamed_files_available()


@needs_unnamed
def test_a_forked_child_links_through_its_own_fd_folder(tmp_path: Path) -> None:
    assert unnamed_files_available()  # the parent's /proc/self/fd is open now
    pid = os.fork()
    if pid == 0:  # pragma: no cover (child)
        code = 1
        try:
            write_new(tmp_path / "child.json", b"from the child")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert (tmp_path / "child.json").read_bytes() == b"from the child"
    write_new(tmp_path / "parent.json", b"from the parent")
    assert (tmp_path / "parent.json").read_bytes() == b"from the parent"


# -- durability -----------------------------------------------------------------------------


@needs_unnamed
def test_durable_write_new_flushes_data_then_name(tmp_path: Path, calls: Calls) -> None:
    target = tmp_path / "x.json"
    write_new(target, b"{}", durable=True)
    synced = [(what, arg) for what, arg in calls.log if what in ("fsync", "link")]
    assert len(synced) == 3
    (what, data), link, folder = synced
    assert what == "fsync"
    assert data.startswith(f"{tmp_path}/#") and data.endswith("(deleted)")  # still unnamed
    assert link == ("link", str(target))
    assert folder == ("fsync", str(tmp_path))


@needs_proc
def test_durable_write_atomic_flushes_data_rename_and_new_folders(
    tmp_path: Path, calls: Calls
) -> None:
    target = tmp_path / "a" / "b" / "x.json"
    write_atomic(target, b"{}", durable=True)
    events = [(what, arg) for what, arg in calls.log if what in ("fsync", "replace")]
    assert events == [
        ("fsync", str(tmp_path)),  # the new folder a
        ("fsync", str(tmp_path / "a")),  # the new folder b
        ("fsync", temp_path(target)),  # the data, before it gets its name
        ("replace", str(target)),
        ("fsync", str(target.parent)),  # the name
    ]


def test_make_folders_is_idempotent(tmp_path: Path) -> None:
    make_folders(tmp_path / "a" / "b")
    make_folders(tmp_path / "a" / "b", durable=True)
    assert (tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OSError):
        make_folders(tmp_path / "file" / "sub")


# -- reading --------------------------------------------------------------------------------


def test_read_if_exists(tmp_path: Path) -> None:
    assert read_if_exists(tmp_path / "missing.json") is None
    (tmp_path / "file").write_bytes(b"x")
    assert read_if_exists(tmp_path / "file" / "below.json") is None  # not a folder
    (tmp_path / "empty").write_bytes(b"")
    assert read_if_exists(tmp_path / "empty") == b""
    big = os.urandom(READ_CHUNK * 3 + 17)
    (tmp_path / "big").write_bytes(big)
    assert read_if_exists(str(tmp_path / "big")) == big
    with pytest.raises(IsADirectoryError):
        read_if_exists(tmp_path)


def test_read_if_exists_reads_on_when_the_file_grew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(READ_CHUNK * 2 + 5)
    (tmp_path / "growing").write_bytes(data)
    real_fstat = os.fstat

    class Smaller:  # the size the file had when it was opened, before it grew
        def __init__(self, fd: int) -> None:
            self.st_size = real_fstat(fd).st_size - READ_CHUNK - 3

    monkeypatch.setattr(atomic.os, "fstat", Smaller)
    assert read_if_exists(tmp_path / "growing") == data
