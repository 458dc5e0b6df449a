"""The item writer: outcomes in order, last write wins, small batches inline, errors raised."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from stacsync.catalog import writer as writer_module
from stacsync.catalog.extent import Footprint
from stacsync.catalog.writer import ItemOutcome, ItemWrite, ItemWriter, sync_item

NOWHERE = Footprint(None, None, None)


def write(root: Path, iid: str, blob: bytes, *, known: bool = False) -> ItemWrite:
    folder = root / "coll" / iid
    return ItemWrite(
        collection="coll",
        item=iid,
        path=str(folder / f"{iid}.json"),
        blob=blob,
        known=known,
        footprint=NOWHERE,
    )


def run(writer: ItemWriter, writes: list[ItemWrite]) -> list[ItemOutcome]:
    done: list[ItemOutcome] = []
    with writer:
        for w in writes:
            done += writer.add(w)
        done += writer.finish()
    return done


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "coll").mkdir()
    return tmp_path


def test_outcomes_come_back_in_order_across_many_chunks(root: Path) -> None:
    writes = [write(root, f"i{n:03d}", f"{n}".encode()) for n in range(50)]
    done = run(ItemWriter(threads=3, chunk_items=3, max_pending=6), writes)
    assert [o.write for o in done] == writes
    assert all(o.written and o.old is None for o in done)
    for w in writes:
        assert Path(w.path).read_bytes() == w.blob
    assert sorted(p.name for p in (root / "coll").iterdir()) == [w.item for w in writes]


def test_unchanged_files_are_not_touched(root: Path) -> None:
    first = write(root, "a", b"same")
    assert sync_item(first, durable=False).written
    before = os.stat(first.path)
    again = sync_item(write(root, "a", b"same", known=True), durable=False)
    assert (again.written, again.old) == (False, None)
    orphan = sync_item(write(root, "a", b"same"), durable=False)  # folder exists already
    assert not orphan.written
    after = os.stat(first.path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    changed = sync_item(write(root, "a", b"other", known=True), durable=False)
    assert (changed.written, changed.old) == (True, b"same")


@pytest.mark.parametrize("gap", [0, 1, 7], ids=["same-chunk", "next-chunk", "later-chunk"])
def test_the_same_file_twice_last_one_wins(root: Path, gap: int) -> None:
    fillers = [write(root, f"f{n}", b"f") for n in range(gap)]
    writes = [write(root, "dup", b"first"), *fillers, write(root, "dup", b"second", known=True)]
    done = run(ItemWriter(threads=4, chunk_items=2, max_pending=8), writes)
    assert Path(writes[0].path).read_bytes() == b"second"
    first, last = done[0], done[-1]
    assert (first.written, first.old) == (True, None)
    assert (last.written, last.old) == (True, b"first")


def spy_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    real = os.mkdir

    def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        names.append(threading.current_thread().name)
        real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    return names


def test_a_small_batch_is_written_without_threads(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = spy_threads(monkeypatch)
    run(ItemWriter(chunk_items=8), [write(root, f"s{n}", b"x") for n in range(5)])
    assert names == [threading.current_thread().name] * 5


def test_a_large_batch_is_written_by_worker_threads(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = spy_threads(monkeypatch)
    run(ItemWriter(chunk_items=4), [write(root, f"l{n}", b"x") for n in range(40)])
    assert len(names) == 40
    assert all(name.startswith("stacsync-write") for name in names)


def blocked_write(root: Path) -> ItemWrite:
    """A write that must fail: a file stands where its item folder should be."""
    (root / "coll" / "blocked").write_bytes(b"a file where a folder should be")
    return ItemWrite(
        collection="coll",
        item="x",
        path=str(root / "coll" / "blocked" / "x" / "x.json"),
        blob=b"{}",
        known=False,
        footprint=NOWHERE,
    )


@pytest.mark.parametrize("count", [1, 100], ids=["inline", "threads"])
def test_errors_are_raised_and_no_write_outlives_the_block(root: Path, count: int) -> None:
    bad = blocked_write(root)
    writes = [write(root, f"ok{n}", b"{}") for n in range(count)]
    with pytest.raises(NotADirectoryError):
        run(ItemWriter(chunk_items=4, max_pending=8), [*writes[: count // 2], bad, *writes])
    assert not [t for t in threading.enumerate() if t.name.startswith("stacsync-write")]


# -- child processes ------------------------------------------------------------------------


class Children:
    """The writer processes an ItemWriter started."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: list[writer_module.WriterProcess] = []
        real = writer_module.WriterProcess

        def start() -> writer_module.WriterProcess:
            child = real()
            self.started.append(child)
            return child

        monkeypatch.setattr(writer_module, "WriterProcess", start)


def in_children(**settings: Any) -> ItemWriter:
    return ItemWriter(processes=2, process_threshold=0, chunk_items=4, max_pending=16, **settings)


def test_children_write_in_order_and_exit_after_the_block(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = Children(monkeypatch)
    names = spy_threads(monkeypatch)  # os.mkdir in this process: none for items
    writes = [write(root, f"c{n:03d}", f"{n}".encode()) for n in range(60)]
    done = run(in_children(), writes)
    assert [o.write for o in done] == writes
    assert all(o.written and o.old is None for o in done)
    for w in writes:
        assert Path(w.path).read_bytes() == w.blob
    assert names == []
    assert len(children.started) == 2
    assert [child.exit_code for child in children.started] == [0, 0]


def test_children_report_unchanged_and_replaced_files(root: Path) -> None:
    run(in_children(), [write(root, f"r{n}", b"v1") for n in range(10)])
    before = os.stat(write(root, "r0", b"").path)
    writes = [write(root, f"r{n}", b"v2" if n % 2 else b"v1", known=True) for n in range(10)]
    done = run(in_children(), writes)
    assert [(o.written, o.old) for o in done] == [
        (True, b"v1") if n % 2 else (False, None) for n in range(10)
    ]
    after = os.stat(write(root, "r0", b"").path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_children_keep_the_last_of_two_writes(root: Path) -> None:
    fillers = [write(root, f"f{n}", b"f") for n in range(9)]
    writes = [write(root, "dup", b"first"), *fillers, write(root, "dup", b"second", known=True)]
    done = run(in_children(), writes)
    assert Path(writes[0].path).read_bytes() == b"second"
    assert (done[-1].written, done[-1].old) == (True, b"first")


def test_errors_in_children_are_raised_and_the_children_stopped(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = Children(monkeypatch)
    bad = blocked_write(root)
    writes = [write(root, f"ok{n}", b"{}") for n in range(30)]
    with pytest.raises(NotADirectoryError):
        run(in_children(), [*writes[:10], bad, *writes[10:]])
    assert children.started
    assert all(child.exit_code == 0 for child in children.started)


def test_threads_carry_on_when_no_child_can_start(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_start() -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(writer_module, "WriterProcess", cannot_start)
    names = spy_threads(monkeypatch)
    writes = [write(root, f"t{n}", b"t") for n in range(20)]
    with in_children() as writer:
        done = [o for w in writes for o in writer.add(w)] + writer.finish()
        assert writer.processes == 0
    assert [o.write for o in done] == writes
    assert len(names) == 20


def test_small_batches_and_single_cpus_use_no_children(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = Children(monkeypatch)
    run(ItemWriter(processes=2, chunk_items=4), [write(root, f"s{n}", b"s") for n in range(40)])
    assert children.started == []  # below the threshold
    for cpus, expected in ((1, 0), (2, 2), (64, writer_module.MAX_PROCESSES)):
        monkeypatch.setattr(os, "cpu_count", lambda n=cpus: n)
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cpus: set(range(n)), False)
        assert writer_module.default_processes() == expected
