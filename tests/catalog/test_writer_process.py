"""The child process that writes item files: its requests and answers, failures, lifetime."""

from __future__ import annotations

import errno
import io
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from stacsync.catalog.writer_process import WriterProcess, encode_request, serve
from stacsync.errors import CatalogError


def answer(request: bytes) -> bytes:
    out = io.BytesIO()
    serve(io.BytesIO(request), out)
    return out.getvalue()


def test_serve_answers_each_file_in_order(tmp_path: Path) -> None:
    (tmp_path / "same").mkdir()
    (tmp_path / "same" / "f.json").write_bytes(b"same")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "f.json").write_bytes(b"before")
    files = [
        (str(tmp_path / "new" / "f.json"), b"new", True),
        (str(tmp_path / "same" / "f.json"), b"same", True),
        (str(tmp_path / "old" / "f.json"), b"after", False),
    ]
    assert answer(encode_request(files, durable=False)) == b"+=~\x06\x00\x00\x00before"
    assert (tmp_path / "new" / "f.json").read_bytes() == b"new"
    assert (tmp_path / "old" / "f.json").read_bytes() == b"after"


def test_serve_reports_a_failure_and_skips_the_rest(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"not a folder")
    blocked = str(tmp_path / "file" / "x" / "x.json")
    files = [
        (str(tmp_path / "a" / "a.json"), b"a", True),
        (blocked, b"x", True),
        (str(tmp_path / "b" / "b.json"), b"b", True),
    ]
    second = [(str(tmp_path / "c" / "c.json"), b"c", True)]
    out = answer(encode_request(files, durable=False) + encode_request(second, durable=False))
    assert out.startswith(b"+!")
    assert os.strerror(errno.ENOTDIR).encode() in out
    assert out.endswith(b"+")  # the next request is served normally
    assert not (tmp_path / "b").exists()  # skipped after the failure
    assert (tmp_path / "c" / "c.json").read_bytes() == b"c"


@pytest.mark.parametrize("durable", [False, True])
def test_serve_passes_durable_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    synced: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    answer(encode_request([(str(tmp_path / "d" / "d.json"), b"{}", True)], durable=durable))
    assert bool(synced) == durable


def test_serve_stops_quietly_on_a_truncated_request(tmp_path: Path) -> None:
    request = encode_request([(str(tmp_path / "t" / "t.json"), b"x" * 100, True)], durable=False)
    with pytest.raises(EOFError):
        answer(request[:-10])
    assert not (tmp_path / "t" / "t.json").exists()


@pytest.fixture
def child() -> Any:
    process = WriterProcess()
    yield process
    process.stop()
    process.wait()


def test_a_child_writes_replaces_and_leaves_unchanged_files(tmp_path: Path, child: Any) -> None:
    target = str(tmp_path / "i" / "i.json")
    assert child.sync([(target, b"one", True)], durable=False) == [(True, None)]
    assert child.sync([(target, b"one", False)], durable=True) == [(False, None)]
    assert child.sync([(target, b"two", False)], durable=False) == [(True, b"one")]
    assert Path(target).read_bytes() == b"two"
    assert sorted(p.name for p in (tmp_path / "i").iterdir()) == ["i.json"]


def test_a_child_raises_the_os_error_it_met(tmp_path: Path, child: Any) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError) as info:
        child.sync([(str(tmp_path / "file" / "x" / "x.json"), b"{}", True)], durable=False)
    assert info.value.errno == errno.ENOTDIR
    assert str(tmp_path / "file") in str(info.value.filename)
    assert child.sync([(str(tmp_path / "ok" / "ok.json"), b"{}", True)], durable=False) == [
        (True, None)
    ]


def test_a_child_ignores_sigint_and_exits_when_told(tmp_path: Path) -> None:
    process = WriterProcess()
    process.sync([(str(tmp_path / "a" / "a.json"), b"a", True)], durable=False)
    os.kill(process.pid, signal.SIGINT)
    process.sync([(str(tmp_path / "b" / "b.json"), b"b", True)], durable=False)
    assert process.exit_code is None
    process.stop()
    process.wait()
    assert process.exit_code == 0


def test_a_killed_child_is_an_error_not_a_hang(tmp_path: Path) -> None:
    process = WriterProcess()
    process.sync([(str(tmp_path / "a" / "a.json"), b"a", True)], durable=False)
    os.kill(process.pid, signal.SIGKILL)
    with pytest.raises(CatalogError, match="stopped unexpectedly"):
        process.sync([(str(tmp_path / "b" / "b.json"), b"b" * 200_000, True)], durable=False)
    process.stop()
    process.wait()
    assert process.exit_code == -signal.SIGKILL
