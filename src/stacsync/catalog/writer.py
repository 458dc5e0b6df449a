"""Item files written off the caller's thread, in chunks, leaving unchanged files untouched.

The caller (the store, on one thread) prepares each item's bytes and hands them over with
:meth:`ItemWriter.add`; the file system work happens elsewhere:

* on worker threads, whose system calls release the GIL and overlap;
* for large batches (from :data:`PROCESS_THRESHOLD` items on, on machines with two or more
  CPUs) in child processes (:mod:`stacsync.catalog.writer_process`), which write while the
  caller prepares the next items instead of taking turns with it for the GIL.

Items travel in chunks so the per-task overhead (futures, queue, wake-ups, pipe round trips)
is paid once per :data:`CHUNK_ITEMS` items. Outcomes come back in the order the items were
added, at most :data:`MAX_PENDING_WRITES` items behind, so memory stays flat however many
items go through. Each file follows :func:`stacsync.atomic.sync_file`: a new item's folder is
created, and when that succeeds its file is written without reading anything first; any
other file is read, compared, and written only if its bytes differ.
"""

from __future__ import annotations

import os
import queue
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import NamedTuple

from stacsync.atomic import sync_file
from stacsync.catalog.extent import Footprint
from stacsync.catalog.writer_process import WriterProcess

WRITE_THREADS = 4
"""File system calls release the GIL: a few threads overlap their latencies."""
CHUNK_ITEMS = 64
"""Items per task handed to a thread or a child process."""
MAX_PENDING_WRITES = 512
"""Bound on items handed over but not yet reported back."""
PROCESS_THRESHOLD = 2000
"""Items in one batch after which child processes take over (starting them costs ~0.2 s)."""
MAX_PROCESSES = 4
"""More would wait for the caller: it prepares an item in about a third of a write's time."""


def default_processes() -> int:
    """How many child processes write large batches.

    One per CPU up to :data:`MAX_PROCESSES`; none on a single CPU, with nothing to overlap.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    return min(cpus, MAX_PROCESSES) if cpus > 1 else 0


class ItemWrite(NamedTuple):
    """One item file to bring up to date."""

    collection: str
    item: str
    path: str
    blob: bytes
    known: bool
    """Whether the catalogue already links the item (its folder is expected to exist)."""
    footprint: Footprint


class ItemOutcome(NamedTuple):
    """What happened to an item file."""

    write: ItemWrite
    written: bool
    old: bytes | None
    """The bytes the file held before, if it existed and was replaced."""


def sync_item(write: ItemWrite, durable: bool) -> ItemOutcome:
    """Bring one item file up to date (atomically), touching it only if its bytes change."""
    written, old = sync_file(write.path, write.blob, make_folder=not write.known, durable=durable)
    return ItemOutcome(write, written, old)


def _sync_chunk(chunk: list[ItemWrite], durable: bool) -> list[ItemOutcome]:
    return [sync_item(write, durable) for write in chunk]


class ItemWriter:
    """Writes item files on worker threads or child processes; use around one batch.

    Leaving the block waits for the chunks already handed over (on an exception, their own
    errors are secondary), so no write is still running afterwards, and stops the children.
    """

    def __init__(
        self,
        *,
        durable: bool = False,
        threads: int | None = None,
        chunk_items: int | None = None,
        max_pending: int | None = None,
        processes: int | None = None,
        process_threshold: int | None = None,
        expected_items: int | None = None,
    ) -> None:
        """Settings left out take the module's defaults (read now, so tests can set them).

        With ``expected_items`` (the batch's size, when known) at or above the threshold,
        the children start at once and get ready while the caller prepares the first items.
        """
        self._durable = durable
        self._threads = WRITE_THREADS if threads is None else threads
        self._chunk_items = CHUNK_ITEMS if chunk_items is None else chunk_items
        pending = MAX_PENDING_WRITES if max_pending is None else max_pending
        self._max_chunks = max(1, pending // self._chunk_items)
        self._processes = default_processes() if processes is None else processes
        self._process_threshold = (
            PROCESS_THRESHOLD if process_threshold is None else process_threshold
        )
        self._added = 0
        self._pool: ThreadPoolExecutor | None = None
        self._children: list[WriterProcess] = []
        self._idle: queue.SimpleQueue[WriterProcess] = queue.SimpleQueue()
        self._chunk: list[ItemWrite] = []
        self._submitted: deque[tuple[list[ItemWrite], Future[list[ItemOutcome]]]] = deque()
        self._submitted_paths: set[str] = set()
        if self._processes and (expected_items or 0) >= max(1, self._process_threshold):
            self._start_children()

    def __enter__(self) -> ItemWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for _, future in self._submitted:
            future.exception()
        self._submitted.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._stop_children()

    @property
    def processes(self) -> int:
        """How many child processes are writing (0: threads only)."""
        return len(self._children)

    def add(self, write: ItemWrite) -> list[ItemOutcome]:
        """Queue a write; return the outcomes that are ready, oldest first.

        A second write of the same file waits for the first, so the last one wins.
        """
        done: list[ItemOutcome] = []
        if write.path in self._submitted_paths:
            while self._submitted:
                done += self._settle_oldest()
        self._chunk.append(write)
        self._added += 1
        if len(self._chunk) >= self._chunk_items:
            self._submit()
            while len(self._submitted) > self._max_chunks:
                done += self._settle_oldest()
        return done

    def finish(self) -> list[ItemOutcome]:
        """Write what is queued; return every outcome not returned yet, oldest first."""
        if not self._submitted:  # a small batch: no thread is worth starting
            chunk, self._chunk = self._chunk, []
            return _sync_chunk(chunk, self._durable)
        done: list[ItemOutcome] = []
        self._submit()
        while self._submitted:
            done += self._settle_oldest()
        return done

    def _submit(self) -> None:
        if not self._chunk:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="stacsync-write")
        if not self._children and self._processes and self._added >= self._process_threshold:
            self._start_children()
        chunk, self._chunk = self._chunk, []
        if self._children:
            future = self._pool.submit(self._sync_in_child, chunk)
        else:
            future = self._pool.submit(_sync_chunk, chunk, self._durable)
        self._submitted.append((chunk, future))
        self._submitted_paths.update(write.path for write in chunk)

    def _start_children(self) -> None:
        try:
            for _ in range(self._processes):
                child = WriterProcess()
                self._children.append(child)
                self._idle.put(child)
        except OSError:  # no way to start a process here: threads carry on alone
            self._stop_children()
            self._idle = queue.SimpleQueue()
            self._processes = 0

    def _stop_children(self) -> None:
        for child in self._children:
            child.stop()
        for child in self._children:  # they exit side by side
            child.wait()
        self._children.clear()

    def _sync_in_child(self, chunk: list[ItemWrite]) -> list[ItemOutcome]:
        child = self._idle.get()
        try:
            files = [(write.path, write.blob, not write.known) for write in chunk]
            outcomes = child.sync(files, durable=self._durable)
        finally:
            self._idle.put(child)
        return [
            ItemOutcome(w, written, old) for w, (written, old) in zip(chunk, outcomes, strict=True)
        ]

    def _settle_oldest(self) -> list[ItemOutcome]:
        chunk, future = self._submitted[0]
        outcomes = future.result()
        self._submitted.popleft()
        self._submitted_paths.difference_update(write.path for write in chunk)
        return outcomes
