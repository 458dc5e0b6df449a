"""One file's transfer: stream, hash, resume after drops, verify, then hand over to commit.

The bytes are hashed (sha2-256, plus the algorithm of the asset's own ``file:checksum`` when
it is another one) as they stream into the sink, by the sink: it writes each batch and then
hashes it, on one worker thread for large batches (``os.writev`` and hashlib release the
GIL; one thread hop per batch), so the event loop only waits. A resumed part is hashed
first. A connection dropped mid-body continues with a ``Range`` request guarded by
``If-Range`` (the strong ETag, else Last-Modified of the response that produced the bytes);
a remote that changed answers with the whole new file, which replaces the part from zero
(bytes of two versions are never spliced). The result is checked against the response's own
lengths and the asset's declared ``file:size`` and ``file:checksum``; an HTML page where a
file was expected is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiohttp

from stacsync.errors import ChecksumMismatchError, TransferError
from stacsync.sync.destinations import Sink
from stacsync.sync.sources import Body, Buffer, RangeNotSatisfiable, Source, Validators
from stacsync.transport.redact import redact_url

MULTIHASH_CODES: dict[str, str] = {"12": "sha256", "13": "sha512", "11": "sha1", "d5": "md5"}
"""Multihash function codes (hex) that stacsync can check."""
SHA256_PREFIX = "1220"
DROP_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientPayloadError,
    aiohttp.ClientConnectionError,
    TimeoutError,
    ConnectionError,
)
MAX_FAILURES = 8
"""Consecutive interruptions without progress before a transfer gives up."""
MAX_RESTARTS = 3
_HTML = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)


def sha256_multihash(digest: bytes) -> str:
    """A sha2-256 digest as a ``file:checksum`` multihash (hex)."""
    return SHA256_PREFIX + digest.hex()


def parse_multihash(value: str) -> tuple[str, str] | None:
    """(hashlib algorithm, hex digest) of a multihash string, or ``None`` if unsupported."""
    value = value.strip().lower()
    if len(value) < 4 or not re.fullmatch(r"[0-9a-f]+", value):
        return None
    algorithm = MULTIHASH_CODES.get(value[:2])
    if algorithm is None:
        return None
    length = int(value[2:4], 16)
    digest = value[4:]
    if len(digest) != 2 * length:
        return None
    return algorithm, digest


@dataclass(frozen=True, slots=True)
class Expected:
    """What the asset says the file is."""

    size: int | None = None
    checksum: str | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class Transferred:
    """A finished transfer (verified, not yet committed)."""

    not_modified: bool
    size: int
    checksum: str | None
    validators: Validators
    resumed_from: int
    transferred: int
    restarts: int


class _Hashers:
    def __init__(self, expected: str | None) -> None:
        parsed = parse_multihash(expected) if expected else None
        self.extra_algorithm = parsed[0] if parsed and parsed[0] != "sha256" else None
        self.reset()

    def reset(self) -> None:
        self.sha256 = hashlib.sha256()
        self.extra = hashlib.new(self.extra_algorithm) if self.extra_algorithm else None

    def update(self, pieces: Sequence[Buffer]) -> None:
        sha256, extra = self.sha256, self.extra
        for piece in pieces:
            sha256.update(piece)
            if extra is not None:
                extra.update(piece)

    def checksum_of(self, algorithm: str) -> str:
        if algorithm == "sha256":
            return self.sha256.hexdigest()
        assert self.extra is not None
        return self.extra.hexdigest()


def _is_html(first: Sequence[Buffer], content_type: str | None, expected: str | None) -> bool:
    if expected and "html" in expected.lower():
        return False
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return True
    head = b"".join(bytes(piece[:256]) for piece in first[:256])[:256]
    return bool(_HTML.match(head))


ProgressCallback = Callable[[int, int | None], None]
BeginCallback = Callable[[Validators], None]


class Transfer:
    """The transfer of one href into one sink."""

    def __init__(
        self,
        source: Source,
        href: str,
        sink: Sink,
        expected: Expected,
        *,
        where: str,
        on_begin: BeginCallback | None = None,
        on_progress: ProgressCallback | None = None,
        backoff: float = 0.1,
    ) -> None:
        self.source = source
        self.href = href
        self.sink = sink
        self.expected = expected
        self.where = where
        self.on_begin = on_begin
        self.on_progress = on_progress
        self.backoff = backoff
        self.hashers = _Hashers(expected.checksum)
        self.offset = 0
        self.transferred = 0
        self.restarts = 0
        self.current: Validators | None = None

    def _error(self, reason: str) -> TransferError:
        return TransferError(redact_url(self.href), self.where, reason)

    def _mismatch(self, reason: str) -> ChecksumMismatchError:
        return ChecksumMismatchError(redact_url(self.href), self.where, reason)

    async def _restart(self) -> None:
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise self._error(f"the remote file kept changing ({self.restarts} restarts)")
        await self.sink.restart()
        self.hashers.reset()
        self.offset = 0

    async def run(self, *, resume: Validators | None, unless: Validators | None) -> Transferred:
        """Transfer (or find the copy current, with ``unless``); the sink is left uncommitted."""
        self.current = resume if resume is not None and resume.if_range else None
        if self.sink.offset and self.current is None:
            await self.sink.restart()
        self.offset = self.sink.offset
        if self.offset:
            await self.sink.hash_existing(self.hashers)
        resumed_from = self.offset
        failures = 0
        while True:
            before = self.offset
            try:
                async with self.source.open(
                    self.href,
                    offset=self.offset,
                    resume=self.current if self.offset else None,
                    unless=unless if self.offset == 0 else None,
                ) as body:
                    if body.status == "not_modified":
                        return Transferred(True, 0, None, body.validators, 0, 0, 0)
                    unless = None
                    await self._receive(body)
                break
            except RangeNotSatisfiable:
                await self._restart()
                self.current = None
            except DROP_ERRORS as exc:
                failures = 0 if self.offset > before else failures + 1
                if failures >= MAX_FAILURES:
                    raise self._error(
                        f"connection kept failing at byte {self.offset} "
                        f"({type(exc).__name__}; {failures} attempts)"
                    ) from exc
                if self.current is None or not self.current.if_range:
                    await self._restart()
                await asyncio.sleep(self.backoff * failures)
        return self._verify(resumed_from, self.current or Validators())

    async def _receive(self, body: Body) -> None:
        if body.status == "full" and self.offset:
            await self._restart()  # the remote changed (If-Range failed) or ignores ranges
        if self.offset == 0:
            self.current = body.validators
            if self.on_begin is not None:
                self.on_begin(body.validators)
        total = body.total
        if total is not None and self.expected.size is not None and total != self.expected.size:
            await self.sink.discard()
            raise self._mismatch(
                f"the remote file has {total} bytes, the asset's file:size says "
                f"{self.expected.size}"
            )
        first = self.offset == 0
        async for batch in body.batches:
            if first:
                first = False
                if _is_html(batch, body.content_type, self.expected.media_type):
                    await self.sink.discard()
                    raise self._error("the server sent an HTML page instead of the file")
            size = sum(map(len, batch))
            await self.sink.write(batch, self.hashers)
            self.offset += size
            self.transferred += size
            if self.on_progress is not None:
                self.on_progress(self.offset, total)
            if total is not None and self.offset > total:
                await self.sink.discard()
                raise self._mismatch(f"more bytes than the announced {total}")
        if total is not None and self.offset < total:
            raise aiohttp.ClientPayloadError(f"body ended at {self.offset} of {total} bytes")

    def _verify(self, resumed_from: int, validators: Validators) -> Transferred:
        size = self.offset
        if self.expected.size is not None and size != self.expected.size:
            raise self._mismatch(f"got {size} bytes, file:size says {self.expected.size}")
        if self.expected.checksum:
            parsed = parse_multihash(self.expected.checksum)
            if parsed is not None:
                algorithm, digest = parsed
                actual = self.hashers.checksum_of(algorithm)
                if actual != digest:
                    raise self._mismatch(
                        f"file:checksum mismatch ({algorithm} {actual[:16]}..., "
                        f"expected {digest[:16]}...)"
                    )
        checksum = SHA256_PREFIX + self.hashers.sha256.hexdigest()
        return Transferred(
            False,
            size,
            checksum,
            validators,
            resumed_from,
            self.transferred,
            self.restarts,
        )


class SpeedMeter:
    """Bytes per second over the last few seconds, and a throttle for progress events."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._start = time.monotonic()
        self._last_emit = 0.0
        self._last_bytes = 0
        self._last_time = self._start
        self.speed = 0.0

    def due(self, done: int) -> bool:
        """Whether a progress event is due; updates the speed when it is."""
        now = time.monotonic()
        if now - self._last_emit < self.interval:
            return False
        elapsed = now - self._last_time
        if elapsed > 0:
            self.speed = (done - self._last_bytes) / elapsed
        self._last_emit, self._last_time, self._last_bytes = now, now, done
        return True
