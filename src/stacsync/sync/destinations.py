"""Where copies go: a local folder (``.part`` files renamed into place) or an object store.

A :class:`Sink` receives one file's bytes. Nothing reaches the final path (or key) until the
engine has verified the bytes and calls :meth:`Sink.commit`:

* local folders write ``<name>.part`` next to the final file and :func:`os.replace` it into
  place; a part left by an interrupted run is continued (the engine hashes it first);
* object stores (``s3://``, ``gs://``, ``az://`` through obstore) stream the bytes as a
  multipart upload whose last step only runs on commit; :meth:`Sink.discard` aborts it, so a
  failed or unverified transfer never becomes an object.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from urllib.request import url2pathname

import obstore
from obstore.store import from_url

from stacsync.atomic import sync_directory
from stacsync.errors import ConfigError
from stacsync.sync.plan import PART_SUFFIX
from stacsync.sync.sources import Buffer

Writer = Callable[[int, Sequence[Buffer]], int]
"""``os.writev``-like: writes some of the buffers' bytes to a file descriptor, returns how many."""
HASH_CHUNK = 4 << 20
OFFLOAD_BYTES = 256 << 10
"""Batches at least this large are hashed and written in worker threads (GIL released)."""
STORE_SCHEMES = frozenset({"s3", "gs", "gcs", "az", "azure", "abfs", "abfss"})
CLIENT_OPTIONS = frozenset(
    {
        "allow_http",
        "allow_invalid_certificates",
        "connect_timeout",
        "timeout",
        "read_timeout",
        "pool_idle_timeout",
        "pool_max_idle_per_host",
        "proxy_url",
        "proxy_ca_certificate",
        "proxy_excludes",
        "root_certificate",
        "user_agent",
        "default_content_type",
        "randomize_addresses",
    }
)
"""Store options that belong to the HTTP client (obstore's ``client_options``)."""
QUEUE_CHUNKS = 4
ABORT_TIMEOUT = 30.0


class Hasher(Protocol):
    """Takes a file's bytes in order, as batches of pieces."""

    def update(self, pieces: Sequence[Buffer]) -> None:
        """Hash the bytes of ``pieces``, in order."""
        ...


class Sink(Protocol):
    """One file being written."""

    offset: int
    """Bytes already there (a resumed part); writing continues after them."""

    async def hash_existing(self, hasher: Hasher) -> None:
        """Feed the bytes already there into ``hasher``."""
        ...

    async def write(self, pieces: Sequence[Buffer], hasher: Hasher) -> None:
        """Feed the bytes of ``pieces`` to ``hasher`` and append them, in order."""
        ...

    async def restart(self) -> None:
        """Drop every byte written so far and start again at offset 0."""
        ...

    async def commit(self) -> None:
        """Make the verified bytes the final file."""
        ...

    async def discard(self) -> None:
        """Drop the bytes (they are wrong); the final file, if any, stays as it was."""
        ...

    async def suspend(self) -> None:
        """Stop for now, keeping what can be resumed later."""
        ...


class Destination(Protocol):
    """A place for copies, addressed by paths like ``<collection>/<item>/<name>``."""

    @property
    def resumable(self) -> bool:
        """Whether a partial copy survives an interruption."""
        ...

    @property
    def local_root(self) -> Path | None:
        """The folder of the copies when they are local files (for COG conversion)."""
        ...

    def location(self, target: str) -> str:
        """What the state records for the copy of ``target``."""
        ...

    def href(self, target: str, item_dir: Path) -> str:
        """The href an item in ``item_dir`` uses for ``target``."""
        ...

    def present(self, target: str) -> int | None:
        """The size of the copy if it exists (object stores: ``None``, trust the state)."""
        ...

    def sink(self, target: str, *, resume: bool) -> Sink:
        """A sink for ``target``, continuing a previous part when ``resume``."""
        ...


class LocalSink:
    """``<final>.part``, then :func:`os.replace` onto ``<final>``."""

    def __init__(self, final: Path, *, resume: bool, durable: bool, writer: Writer) -> None:
        self.final = final
        self.part = final.with_name(final.name + PART_SUFFIX)
        self.durable = durable
        self._writer = writer
        self._fd: int | None = None
        try:
            size = self.part.stat().st_size if resume else 0
        except FileNotFoundError:
            size = 0
        self.offset = size

    def _open(self) -> int:
        if self._fd is None:
            self.part.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            self._fd = os.open(self.part, flags, 0o644)
            os.ftruncate(self._fd, self.offset)
            os.lseek(self._fd, self.offset, os.SEEK_SET)
        return self._fd

    async def hash_existing(self, hasher: Hasher) -> None:
        """See :meth:`Sink.hash_existing`."""
        if self.offset:
            await asyncio.to_thread(_hash_file, self.part, self.offset, hasher)

    async def write(self, pieces: Sequence[Buffer], hasher: Hasher) -> None:
        """See :meth:`Sink.write`: one ``writev`` for all pieces; large batches off the loop."""
        fd = self._open()
        if sum(map(len, pieces)) >= OFFLOAD_BYTES:
            await asyncio.to_thread(self._hash_and_write, fd, pieces, hasher)
        else:
            self._hash_and_write(fd, pieces, hasher)

    def _hash_and_write(self, fd: int, pieces: Sequence[Buffer], hasher: Hasher) -> None:
        """Write the pieces, then hash them while they are in the CPU's cache."""
        left = [piece for piece in pieces if len(piece)]
        while left:
            written = self._writer(fd, left)
            done = 0
            while done < len(left) and written >= len(left[done]):
                written -= len(left[done])
                done += 1
            left = left[done:]
            if written:  # a short write ended inside this piece
                left[0] = memoryview(left[0])[written:]
        hasher.update(pieces)

    async def restart(self) -> None:
        """See :meth:`Sink.restart`."""
        self.offset = 0
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
        else:
            self.part.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    async def commit(self) -> None:
        """See :meth:`Sink.commit`."""
        fd = self._open()  # an empty file still needs its part
        if self.durable:
            await asyncio.to_thread(os.fsync, fd)
        self._close()
        self.part.replace(self.final)
        if self.durable:
            sync_directory(self.final.parent)

    async def discard(self) -> None:
        """See :meth:`Sink.discard`."""
        self._close()
        self.part.unlink(missing_ok=True)

    async def suspend(self) -> None:
        """See :meth:`Sink.suspend`."""
        self._close()


def _hash_and_join(pieces: Sequence[Buffer], hasher: Hasher) -> bytes:
    hasher.update(pieces)
    return b"".join(pieces)


def _hash_file(path: Path, length: int, hasher: Hasher) -> None:
    with path.open("rb") as handle:
        left = length
        while left > 0:
            block = handle.read(min(HASH_CHUNK, left))
            if not block:
                break
            hasher.update((block,))
            left -= len(block)


class LocalDestination:
    """Copies in a local folder: the catalogue itself (next to each item) or ``--dest``."""

    resumable = True

    def __init__(
        self,
        root: Path,
        catalog_root: Path,
        *,
        durable: bool = False,
        writer: Writer = os.writev,
    ) -> None:
        self.local_root = root.resolve()
        self.catalog_root = catalog_root.resolve()
        self.durable = durable
        self.writer = writer
        self.inside = self.local_root.is_relative_to(self.catalog_root)

    def path(self, target: str) -> Path:
        """The final path of ``target``."""
        return self.local_root.joinpath(*target.split("/"))

    def location(self, target: str) -> str:
        """See :meth:`Destination.location`."""
        path = self.path(target)
        if self.inside:
            return path.relative_to(self.catalog_root).as_posix()
        return str(path)

    def href(self, target: str, item_dir: Path) -> str:
        """See :meth:`Destination.href`."""
        path = self.path(target)
        if self.inside:
            relative = os.path.relpath(path, item_dir.resolve())
            posix = Path(relative).as_posix()
            return posix if posix.startswith("../") else f"./{posix}"
        return str(path)

    def present(self, target: str) -> int | None:
        """See :meth:`Destination.present`."""
        try:
            return self.path(target).stat().st_size
        except OSError:
            return None

    def sink(self, target: str, *, resume: bool) -> LocalSink:
        """See :meth:`Destination.sink`."""
        return LocalSink(self.path(target), resume=resume, durable=self.durable, writer=self.writer)


class StoreSink:
    """A streaming multipart upload to an object store, completed only on commit."""

    def __init__(self, store: Any, key: str, *, chunk_size: int) -> None:
        self.offset = 0
        self._store = store
        self._key = key
        self._chunk_size = chunk_size
        self._queue: asyncio.Queue[bytes | BaseException | None] | None = None
        self._upload: asyncio.Future[Any] | None = None

    def _start(self) -> asyncio.Queue[bytes | BaseException | None]:
        if self._queue is None:
            queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(QUEUE_CHUNKS)

            async def feed() -> AsyncIterator[bytes]:
                while True:
                    item = await queue.get()
                    if item is None:
                        return
                    if isinstance(item, BaseException):
                        raise item
                    yield item

            self._queue = queue
            self._upload = asyncio.ensure_future(
                obstore.put_async(self._store, self._key, feed(), chunk_size=self._chunk_size)
            )
        return self._queue

    async def _put(self, item: bytes | BaseException | None) -> None:
        queue = self._start()
        assert self._upload is not None
        put = asyncio.ensure_future(queue.put(item))
        done, _ = await asyncio.wait({put, self._upload}, return_when=asyncio.FIRST_COMPLETED)
        if put not in done:
            put.cancel()
            self._upload.result()  # the upload ended early: raise its error

    async def hash_existing(self, hasher: Hasher) -> None:
        """Nothing to hash: uploads always start from zero."""

    async def write(self, pieces: Sequence[Buffer], hasher: Hasher) -> None:
        """See :meth:`Sink.write` (the upload copies the bytes anyway: one block per batch)."""
        block = await asyncio.to_thread(_hash_and_join, pieces, hasher)
        await self._put(block)

    async def restart(self) -> None:
        """See :meth:`Sink.restart`."""
        await self.discard()

    async def commit(self) -> None:
        """See :meth:`Sink.commit`."""
        if self._queue is None:
            await obstore.put_async(self._store, self._key, b"")
            return
        await self._put(None)
        assert self._upload is not None
        upload, self._upload, self._queue = self._upload, None, None
        await upload

    async def discard(self) -> None:
        """See :meth:`Sink.discard` (the multipart upload is aborted)."""
        upload = self._upload
        if upload is None:
            return
        if not upload.done():
            with contextlib.suppress(Exception):
                await self._put(RuntimeError("transfer abandoned"))
        self._upload, self._queue = None, None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(upload, ABORT_TIMEOUT)

    async def suspend(self) -> None:
        """Uploads cannot be resumed later: abort."""
        await self.discard()


class StoreDestination:
    """Copies in an object store, under ``<url>/<collection>/<item>/<name>``."""

    resumable = False
    local_root: Path | None = None

    def __init__(self, url: str, options: Mapping[str, Any], *, chunk_size: int) -> None:
        self.url = url.rstrip("/")
        self.chunk_size = max(chunk_size, 5 << 20)
        try:
            self.store = from_url(self.url, **dict(options))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # obstore panics (a BaseException) on some misplaced keys
            raise ConfigError(f"cannot use {self.url} as a destination: {exc}") from exc

    def location(self, target: str) -> str:
        """See :meth:`Destination.location`."""
        return f"{self.url}/{target}"

    def href(self, target: str, item_dir: Path) -> str:
        """See :meth:`Destination.href`: absolute URLs."""
        return self.location(target)

    def present(self, target: str) -> int | None:
        """Unknown without a request: the state is trusted."""
        return None

    def sink(self, target: str, *, resume: bool) -> StoreSink:
        """See :meth:`Destination.sink`."""
        return StoreSink(self.store, target, chunk_size=self.chunk_size)


def store_options(pairs: Mapping[str, str]) -> dict[str, Any]:
    """``--dest-option`` pairs as obstore store options (client settings nested apart).

    ``endpoint``, ``region``, ``access_key_id`` ... stay flat; HTTP client settings such as
    ``allow_http`` go to ``client_options``. Values stay strings (obstore parses them).
    """
    flat: dict[str, Any] = {}
    client: dict[str, str] = {}
    for key, value in pairs.items():
        name = key.lower().removeprefix("aws_")
        if name in CLIENT_OPTIONS:
            client[name] = value
        else:
            flat[key.lower()] = value
    if client:
        flat["client_options"] = client
    return flat


def destination_for(
    dest: str | None,
    catalog_root: Path,
    options: Mapping[str, Any],
    *,
    durable: bool,
    chunk_size: int,
) -> Destination:
    """The destination named by ``--dest`` (``None``: the catalogue itself)."""
    if dest is None:
        return LocalDestination(catalog_root, catalog_root, durable=durable)
    scheme = urlsplit(dest).scheme.lower()
    if scheme == "file":
        return LocalDestination(
            Path(url2pathname(urlsplit(dest).path)), catalog_root, durable=durable
        )
    if scheme in STORE_SCHEMES:
        return StoreDestination(dest, options, chunk_size=chunk_size)
    if "://" in dest:
        raise ConfigError(f"unsupported destination {dest!r} (a folder, s3://, gs://, az://)")
    return LocalDestination(Path(dest), catalog_root, durable=durable)


def new_hasher() -> Any:
    """The sha2-256 hasher of ``file:checksum``."""
    return hashlib.sha256()
