"""Bytes travel as batches of unjoined pieces and reach the disk whole, whatever the writes."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from stacsync.sync.destinations import LocalSink
from stacsync.sync.sources import MAX_PIECES, Buffer, batched


async def _pieces(sizes: Sequence[int]) -> AsyncIterator[bytes]:
    for n, size in enumerate(sizes):
        yield bytes([n % 256]) * size


class Sha256:
    """A :class:`stacsync.sync.destinations.Hasher` over hashlib."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def update(self, pieces: Sequence[Buffer]) -> None:
        for piece in pieces:
            self._hash.update(piece)

    def digest(self) -> bytes:
        return self._hash.digest()


def _collect(sizes: Sequence[int], size: int) -> list[list[Buffer]]:
    async def run() -> list[list[Buffer]]:
        return [batch async for batch in batched(_pieces(sizes), size)]

    return asyncio.run(run())


def test_batches_hold_at_least_the_batch_size_and_keep_every_piece() -> None:
    sizes = [300, 500, 100, 1200, 50, 50]
    batches = _collect(sizes, 1000)
    assert [[len(p) for p in batch] for batch in batches] == [[300, 500, 100, 1200], [50, 50]]
    pieces = [piece for batch in batches for piece in batch]
    assert b"".join(pieces) == b"".join(bytes([n]) * s for n, s in enumerate(sizes))


def test_a_batch_never_holds_more_pieces_than_one_writev_takes() -> None:
    batches = _collect([1] * (MAX_PIECES * 2 + 3), 1 << 20)
    assert [len(batch) for batch in batches] == [MAX_PIECES, MAX_PIECES, 3]


def test_short_writes_continue_where_they_stopped(tmp_path: Path) -> None:
    """A writer that writes at most 7 bytes a call, ending inside pieces and between them."""
    calls: list[int] = []

    def stingy(fd: int, pieces: Sequence[Buffer]) -> int:
        calls.append(len(pieces))
        return os.write(fd, b"".join(pieces)[:7])

    pieces: list[Buffer] = [b"abc", b"", memoryview(b"defghijk"), b"lmnopqrstuvwxyz", b"0"]
    hasher = Sha256()
    sink = LocalSink(tmp_path / "out.bin", resume=False, durable=False, writer=stingy)

    async def run() -> None:
        await sink.write(pieces, hasher)
        await sink.write([b"!"], hasher)
        await sink.commit()

    asyncio.run(run())
    assert (tmp_path / "out.bin").read_bytes() == b"abcdefghijklmnopqrstuvwxyz0!"
    assert hasher.digest() == hashlib.sha256(b"abcdefghijklmnopqrstuvwxyz0!").digest()
    assert len(calls) == 5 and not (tmp_path / "out.bin.part").exists()


def test_large_batches_are_written_and_hashed_whole(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    pieces: list[Buffer] = [data[i : i + 200_000] for i in range(0, len(data), 200_000)]
    hasher = Sha256()
    sink = LocalSink(tmp_path / "big.bin", resume=False, durable=False, writer=os.writev)

    async def run() -> None:
        await sink.write(pieces, hasher)
        await sink.commit()

    asyncio.run(run())
    assert (tmp_path / "big.bin").read_bytes() == data
    assert hasher.digest() == hashlib.sha256(data).digest()
