"""One HTTP session per provider: rate limit, authentication and retries on every request.

The client middlewares, from the socket outwards, are: the **rate limiter** (closest to the
wire, so every attempt, token request, redirect and next page counts), **authentication**
(a 401 refreshes the token once and resends, through the limiter again), and **retry**
(each attempt is authenticated afresh and limited). aiohttp lists middlewares outermost first,
so the tuple reads ``(retry, auth, limit)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any

import aiohttp
import orjson

from stacsync import __version__
from stacsync.errors import UpstreamError
from stacsync.events import OnEvent
from stacsync.transport.body import decode_json
from stacsync.transport.credentials import ProviderConfig
from stacsync.transport.ratelimit import Limiters, limit_middleware
from stacsync.transport.redact import redact_url
from stacsync.transport.retry import TRANSIENT_ERRORS, RetryPolicy, retry_middleware
from stacsync.transport.status import message_from_body, raise_for_status
from stacsync.transport.tokens import Authorizer, auth_middleware

log = logging.getLogger("stacsync.transport")

USER_AGENT = f"stacsync/{__version__}"
READ_BUFSIZE = 1 << 20
"""Bytes a connection buffers before it stops reading (aiohttp's default, 64 KiB, pauses and
resumes the socket many times per MiB while a batch is being hashed and written)."""

AuthorizerFactory = Callable[["ProviderSession"], Authorizer | None]
"""Builds a provider's authorizer once its session exists (grants post through the session)."""


class ProviderSession:
    """The aiohttp session of one provider, with its limiters and authorizer.

    Use as an async context manager. ``request(..., auth=False)`` skips authentication (for
    public endpoints such as a STAC API, and for the token requests themselves).

    Args:
        config: The provider's frozen configuration.
        authorizer: Builds the authorizer (``None`` for a provider without authentication).
        on_event: Receives retry and token events.
    """

    def __init__(
        self,
        config: ProviderConfig,
        authorizer: AuthorizerFactory | None = None,
        *,
        on_event: OnEvent | None = None,
    ) -> None:
        self.config = config
        self.provider = config.name
        self.limiters = Limiters(
            config.rate_limits,
            config.host_rate_limits,
            margin=config.rate_margin,
            slack=config.rate_slack,
        )
        self.policy = RetryPolicy(
            max_attempts=config.max_attempts, base=config.backoff_base, cap=config.backoff_cap
        )
        self._on_event = on_event
        self._authorizer_factory = authorizer
        self.authorizer: Authorizer | None = None
        self._session: aiohttp.ClientSession | None = None
        self._public: tuple[aiohttp.ClientMiddlewareType, ...] = ()
        self._private: tuple[aiohttp.ClientMiddlewareType, ...] = ()

    async def __aenter__(self) -> ProviderSession:
        retry = retry_middleware(self.provider, self.policy, self.limiters, on_event=self._on_event)
        limit = limit_middleware(self.limiters)
        self._public = (retry, limit)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self.config.concurrency * 2, limit_per_host=self.config.concurrency
            ),
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=self.config.connect_timeout,
                sock_read=self.config.timeout,
            ),
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
            auto_decompress=False,
            read_bufsize=READ_BUFSIZE,
        )
        if self._authorizer_factory is not None:
            self.authorizer = self._authorizer_factory(self)
        if self.authorizer is not None:
            self._private = (retry, auth_middleware(self.authorizer), limit)
        else:
            self._private = self._public
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections and the limiters."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.limiters.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The underlying aiohttp session (open)."""
        if self._session is None:
            raise RuntimeError("ProviderSession is not open; use 'async with'")
        return self._session

    @contextlib.asynccontextmanager
    async def request(
        self, method: str, url: str, *, auth: bool = True, **kwargs: Any
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send a request through the middlewares; the response is released on exit."""
        middlewares = self._private if auth else self._public
        log.debug("%s %s %s", self.provider, method, redact_url(url))
        async with self.session.request(method, url, middlewares=middlewares, **kwargs) as resp:
            log.debug("%s %s %s -> %d", self.provider, method, redact_url(url), resp.status)
            yield resp

    async def content(
        self, method: str, url: str, *, auth: bool = True, **kwargs: Any
    ) -> tuple[bytes, str, str]:
        """Send a request and read the whole body, resending when the connection drops mid-body.

        Returns ``(body, content type, final URL)``; error statuses raise typed errors.
        """
        failures = 0
        while True:
            try:
                async with self.request(method, url, auth=auth, **kwargs) as response:
                    await raise_for_status(self.provider, response)
                    body = await response.read()
                    return body, response.content_type, str(response.url)
            except TRANSIENT_ERRORS as exc:
                failures += 1
                if failures >= self.policy.max_attempts:
                    raise UpstreamError(
                        self.provider,
                        f"connection lost while reading the body ({type(exc).__name__}; "
                        f"gave up after {failures} attempts)",
                        url=redact_url(url),
                    ) from exc
                await asyncio.sleep(self.policy.backoff(failures))

    async def json(self, method: str, url: str, *, auth: bool = True, **kwargs: Any) -> Any:
        """Send a request and decode its JSON answer, raising typed errors for anything else."""
        body, content_type, final = await self.content(method, url, auth=auth, **kwargs)
        return decode_json(self.provider, body, content_type=content_type, url=redact_url(final))

    async def post_for_token(
        self,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any, str]:
        """A token request: limited and retried, never authenticated, body never logged."""
        kwargs: dict[str, Any] = {"headers": {"Accept": "application/json"}}
        if form is not None:
            kwargs["data"] = dict(form)
        if json is not None:
            kwargs["data"] = orjson.dumps(dict(json))
            kwargs["headers"]["Content-Type"] = "application/json"
        async with self.request("POST", url, auth=False, **kwargs) as response:
            body = await response.read()
            if response.status >= 400:
                return response.status, None, message_from_body(body, response.content_type)
            data = decode_json(
                self.provider, body, content_type=response.content_type, url=redact_url(url)
            )
            return response.status, data, ""
