"""Where asset bytes come from: https through the transport, s3:// through obstore, file://.

Every source answers the same question: "the bytes of ``href`` from ``offset`` on, if the file
is still the one with this validator", as a :class:`Body` whose ``status`` says whether it is
the whole file (``full``: the remote changed or ignored the range), the requested tail
(``partial``), or nothing because the copy is current (``not_modified``).

Bytes come in batches of about ``chunk_size`` bytes, each a list of the pieces as they were
received, never joined: copying every byte once more to make one block of it costs ~0.45 s
of CPU per GiB, on the thread that also runs every connection. A batch is written and hashed
in one go (``os.writev`` takes the pieces as they are).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import aiohttp
import obstore
from obstore.exceptions import NotFoundError, NotModifiedError, PreconditionError
from obstore.store import S3Store

from stacsync.errors import ConfigError, TransferError
from stacsync.events import OnEvent
from stacsync.transport.auth import open_provider
from stacsync.transport.credentials import ProviderConfig
from stacsync.transport.redact import redact_url
from stacsync.transport.session import READ_BUFSIZE, USER_AGENT, ProviderSession
from stacsync.transport.status import raise_for_status

if TYPE_CHECKING:
    from obstore import GetOptions

BodyStatus = Literal["full", "partial", "not_modified"]
AUTHENTICATED_ENDPOINTS: Mapping[str, frozenset[str]] = {
    "terrascope": frozenset({"download"}),
}
"""Endpoints whose files need the provider's credentials (the others are public links)."""
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
MAX_PIECES = 256
"""Pieces per batch at most (one ``writev`` call takes up to 1024 buffers)."""

Buffer = bytes | memoryview


class RangeNotSatisfiable(Exception):
    """The remote refused the resume range (the part is longer than the file)."""


@dataclass(frozen=True, slots=True)
class Validators:
    """What identifies one version of a remote file."""

    etag: str | None = None
    last_modified: str | None = None

    @property
    def if_range(self) -> str | None:
        """The value for ``If-Range``: a strong ETag, else the Last-Modified date."""
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(slots=True)
class Body:
    """An answer from a source."""

    status: BodyStatus
    offset: int
    """Position of the body's first byte in the file."""
    total: int | None
    """The file's full size, when the source says it."""
    validators: Validators
    content_type: str | None
    batches: AsyncIterator[list[Buffer]]
    """The bytes, in order: batches of pieces of about the source's ``chunk_size``."""


async def _empty() -> AsyncIterator[list[Buffer]]:
    return
    yield []  # pragma: no cover


async def batched(pieces: AsyncIterable[Buffer], size: int) -> AsyncIterator[list[Buffer]]:
    """Group ``pieces`` into batches of at least ``size`` bytes (the last may be smaller)."""
    batch: list[Buffer] = []
    held = 0
    async for piece in pieces:
        batch.append(piece)
        held += len(piece)
        if held >= size or len(batch) >= MAX_PIECES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


class Source(Protocol):
    """Opens remote files for reading."""

    def open(
        self, href: str, *, offset: int, resume: Validators | None, unless: Validators | None
    ) -> contextlib.AbstractAsyncContextManager[Body]:
        """The bytes of ``href`` from ``offset`` (if ``resume`` still matches).

        ``unless`` makes the request conditional: a :class:`Body` with status
        ``not_modified`` when the remote still has that version.
        """
        ...


def host_of(url: str) -> tuple[str, int | None]:
    """(host, port) of a URL, lower-cased, default ports filled in."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return (parts.hostname or "").lower(), port


def provider_for(href: str, configs: Mapping[str, ProviderConfig]) -> tuple[str, str] | None:
    """(provider, endpoint name) whose endpoint serves ``href``'s host, or ``None``."""
    wanted = host_of(href)
    if not wanted[0]:
        return None
    for name, config in configs.items():
        for endpoint, url in config.endpoints.items():
            if host_of(url) == wanted:
                return name, endpoint
    return None


def _content_range(value: str | None) -> tuple[int, int | None] | None:
    match = _CONTENT_RANGE.match((value or "").strip())
    if match is None:
        return None
    total = match.group(3)
    return int(match.group(1)), None if total == "*" else int(total)


class HttpSource:
    """http(s) hrefs, through each provider's :class:`ProviderSession` (public hosts: plain)."""

    def __init__(
        self,
        configs: Mapping[str, ProviderConfig],
        *,
        chunk_size: int = 1 << 20,
        on_event: OnEvent | None = None,
    ) -> None:
        self.configs = configs
        self.chunk_size = chunk_size
        self._on_event = on_event
        self._sessions: dict[str, ProviderSession] = {}
        self._plain: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self._stack = contextlib.AsyncExitStack()

    async def aclose(self) -> None:
        """Close every session."""
        await self._stack.aclose()
        if self._plain is not None:
            await self._plain.close()
            self._plain = None

    async def session(self, provider: str) -> ProviderSession:
        """The provider's session, opened on first use."""
        async with self._lock:
            if provider not in self._sessions:
                session = open_provider(self.configs[provider], on_event=self._on_event)
                self._sessions[provider] = await self._stack.enter_async_context(session)
            return self._sessions[provider]

    def _plain_session(self) -> aiohttp.ClientSession:
        if self._plain is None:
            self._plain = aiohttp.ClientSession(
                headers={"User-Agent": USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None, connect=30, sock_read=300),
                trust_env=False,
                auto_decompress=False,
                read_bufsize=READ_BUFSIZE,
            )
        return self._plain

    @contextlib.asynccontextmanager
    async def _request(
        self, href: str, headers: dict[str, str]
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        match = provider_for(href, self.configs)
        if match is None:
            async with self._plain_session().get(href, headers=headers) as response:
                if response.status >= 400 and response.status != 416:
                    await raise_for_status(urlsplit(href).hostname or "remote", response)
                yield response
            return
        provider, endpoint = match
        session = await self.session(provider)
        auth = endpoint in AUTHENTICATED_ENDPOINTS.get(provider, frozenset())
        async with session.request("GET", href, auth=auth, headers=headers) as response:
            if response.status >= 400 and response.status != 416:
                await raise_for_status(provider, response)
            yield response

    @contextlib.asynccontextmanager
    async def open(
        self, href: str, *, offset: int, resume: Validators | None, unless: Validators | None
    ) -> AsyncIterator[Body]:
        """See :meth:`Source.open`."""
        headers: dict[str, str] = {"Accept-Encoding": "identity"}
        if offset > 0 and resume is not None and resume.if_range:
            headers["Range"] = f"bytes={offset}-"
            headers["If-Range"] = resume.if_range
        if unless is not None and unless.etag:
            headers["If-None-Match"] = unless.etag
        elif unless is not None and unless.last_modified:
            headers["If-Modified-Since"] = unless.last_modified
        async with self._request(href, headers) as response:
            validators = Validators(
                response.headers.get("ETag"), response.headers.get("Last-Modified")
            )
            kind = response.headers.get("Content-Type")
            if response.status == 304:
                yield Body("not_modified", offset, None, validators, kind, _empty())
                return
            if response.status == 416:
                raise RangeNotSatisfiable(href)
            if response.status == 206:
                parsed = _content_range(response.headers.get("Content-Range"))
                if parsed is None:
                    raise TransferError(
                        redact_url(href), "", "a 206 answer without a valid Content-Range"
                    )
                start, total = parsed
                if start != offset:
                    raise RangeNotSatisfiable(href)
                yield Body("partial", start, total, validators, kind, self._batches(response))
                return
            total = response.content_length
            yield Body("full", 0, total, validators, kind, self._batches(response))

    def _batches(self, response: aiohttp.ClientResponse) -> AsyncIterator[list[Buffer]]:
        return batched(_received(response), self.chunk_size)


async def _received(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The body as the connection received it (``iter_chunked`` would join the pieces)."""
    async for piece, _ in response.content.iter_chunks():
        yield piece


def s3_location(href: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://bucket/key`` href."""
    parts = urlsplit(href)
    key = unquote(parts.path.lstrip("/"))
    if not parts.netloc or not key:
        raise TransferError(href, "", "an s3 href needs a bucket and a key (s3://bucket/key)")
    return parts.netloc, key


def s3_store(bucket: str, configs: Mapping[str, ProviderConfig]) -> S3Store:
    """An obstore S3 store for ``bucket``, with the endpoint and keys of the provider that has it.

    The provider whose ``s3_bucket`` is ``bucket`` wins, else the only provider with an ``s3``
    endpoint.
    """
    candidates = [c for c in configs.values() if "s3" in c.endpoints]
    named = [c for c in candidates if c.s3_bucket == bucket]
    chosen = named or candidates
    if len(chosen) != 1:
        raise ConfigError(
            f"no S3 endpoint configured for bucket {bucket!r} "
            "(set STACSYNC_<PROVIDER>_S3_URL and STACSYNC_<PROVIDER>_S3_BUCKET)"
        )
    config = chosen[0]
    endpoint = config.endpoint("s3")
    options: dict[str, Any] = {
        "endpoint": endpoint,
        "virtual_hosted_style_request": False,
        "region": config.s3_region or "us-east-1",
        "client_options": {"allow_http": endpoint.startswith("http://")},
    }
    if config.s3_access_key_id and config.s3_secret_access_key:
        options["access_key_id"] = config.s3_access_key_id
        options["secret_access_key"] = config.s3_secret_access_key.get_secret_value()
    else:
        options["skip_signature"] = True
    return S3Store(bucket, **options)


def _http_date(value: datetime | None) -> str | None:
    return format_datetime(value.astimezone(UTC), usegmt=True) if value else None


class S3Source:
    """s3:// hrefs through obstore (ranged, conditional GETs)."""

    def __init__(self, configs: Mapping[str, ProviderConfig], *, chunk_size: int = 1 << 20) -> None:
        self.configs = configs
        self.chunk_size = chunk_size
        self._stores: dict[str, S3Store] = {}

    def store(self, bucket: str) -> S3Store:
        """The store of ``bucket`` (built once)."""
        if bucket not in self._stores:
            self._stores[bucket] = s3_store(bucket, self.configs)
        return self._stores[bucket]

    @contextlib.asynccontextmanager
    async def open(
        self, href: str, *, offset: int, resume: Validators | None, unless: Validators | None
    ) -> AsyncIterator[Body]:
        """See :meth:`Source.open`."""
        bucket, key = s3_location(href)
        store = self.store(bucket)
        options: GetOptions = {}
        if offset > 0 and resume is not None and resume.etag:
            options["range"] = {"offset": offset}
            options["if_match"] = resume.etag
        if unless is not None and unless.etag:
            options["if_none_match"] = unless.etag
        try:
            result = await obstore.get_async(store, key, options=options)
        except NotModifiedError:
            yield Body("not_modified", offset, None, unless or Validators(), None, _empty())
            return
        except PreconditionError:
            options.pop("range", None)
            options.pop("if_match", None)
            result = await obstore.get_async(store, key, options=options)
        except NotFoundError as exc:
            raise TransferError(href, "", "no such object in the bucket") from exc
        meta = result.meta
        validators = Validators(meta.get("e_tag"), _http_date(meta.get("last_modified")))
        start = result.range[0]
        status: BodyStatus = "partial" if start > 0 else "full"
        pieces = result.stream(min_chunk_size=self.chunk_size)
        yield Body(status, start, meta["size"], validators, None, batched(pieces, self.chunk_size))


def file_path(href: str) -> Path:
    """The local path of a ``file://`` href."""
    parts = urlsplit(href)
    if parts.netloc not in ("", "localhost"):
        raise TransferError(href, "", f"file href on another host {parts.netloc!r}")
    return Path(url2pathname(parts.path))


class FileSource:
    """file:// hrefs (validators from size and modification time)."""

    def __init__(self, *, chunk_size: int = 1 << 20) -> None:
        self.chunk_size = chunk_size

    @contextlib.asynccontextmanager
    async def open(
        self, href: str, *, offset: int, resume: Validators | None, unless: Validators | None
    ) -> AsyncIterator[Body]:
        """See :meth:`Source.open`."""
        path = file_path(href)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise TransferError(href, "", f"cannot read {path}: {exc.strerror}") from exc
        with handle:
            stat = os.fstat(handle.fileno())
            validators = Validators(
                f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
                _http_date(datetime.fromtimestamp(stat.st_mtime, UTC)),
            )
            if unless is not None and unless.etag == validators.etag:
                yield Body("not_modified", offset, None, validators, None, _empty())
                return
            start = offset if resume is not None and resume.etag == validators.etag else 0
            handle.seek(start)
            status: BodyStatus = "partial" if start else "full"
            yield Body(status, start, stat.st_size, validators, None, self._batches(handle))

    async def _batches(self, handle: Any) -> AsyncIterator[list[Buffer]]:
        while True:
            chunk = await asyncio.to_thread(handle.read, self.chunk_size)
            if not chunk:
                return
            yield [chunk]


class Sources:
    """Picks the source for an href by its scheme; closes what it opened."""

    def __init__(
        self,
        configs: Mapping[str, ProviderConfig],
        *,
        chunk_size: int = 1 << 20,
        on_event: OnEvent | None = None,
    ) -> None:
        self.http = HttpSource(configs, chunk_size=chunk_size, on_event=on_event)
        self.s3 = S3Source(configs, chunk_size=chunk_size)
        self.file = FileSource(chunk_size=chunk_size)

    def for_href(self, href: str) -> Source:
        """The source that reads ``href``."""
        scheme = urlsplit(href).scheme.lower()
        if scheme in ("http", "https"):
            return self.http
        if scheme == "s3":
            return self.s3
        if scheme == "file":
            return self.file
        raise TransferError(redact_url(href), "", f"unsupported href scheme {scheme!r}")

    async def __aenter__(self) -> Sources:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date header as an aware datetime (``None`` if absent or unreadable)."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
