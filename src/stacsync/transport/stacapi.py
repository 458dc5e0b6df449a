"""pystac-client on the provider's limiter: every STAC API request, paging and retries counted.

pystac-client is synchronous (requests), so searches run in a worker thread while the
provider's limiter lives on the event loop. :func:`open_stac_api` gives pystac-client a
``request_modifier`` that waits for the limiter on the loop before each request (and sets
the bearer token when asked), passed to ``Client.open`` itself: a modifier given only to
``StacApiIO`` is silently dropped. urllib3's own retries are switched off because they would
bypass the modifier; :class:`LimitedStacApiIO` retries instead, each attempt limited.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import requests
from pystac_client import Client
from pystac_client.exceptions import APIError
from pystac_client.stac_api_io import StacApiIO

from stacsync.errors import RateLimitedError, RequestRejectedError, UpstreamError
from stacsync.transport.redact import redact_url
from stacsync.transport.retry import RETRYABLE_STATUSES
from stacsync.transport.session import USER_AGENT, ProviderSession
from stacsync.transport.status import error_for_status

_AUTH_HEADER = re.compile(r"('Authorization': ')[^']*(')", re.IGNORECASE)


class _ScrubAuthorization(logging.Filter):
    """pystac-client logs request headers at DEBUG: hide the ``Authorization`` value."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "uthorization" in message:
            record.msg, record.args = _AUTH_HEADER.sub(r"\1***\2", message), None
        return True


_SCRUB = _ScrubAuthorization()
logging.getLogger("pystac_client.stac_api_io").addFilter(_SCRUB)


def request_modifier(
    session: ProviderSession, loop: asyncio.AbstractEventLoop, *, auth: bool = False
) -> Callable[[requests.Request], requests.Request]:
    """A pystac-client ``request_modifier`` that waits for the limiter (and sets the token)."""

    def modify(request: requests.Request) -> requests.Request:
        limiter = session.limiters.for_url(str(request.url))
        asyncio.run_coroutine_threadsafe(limiter.acquire(), loop).result()
        if auth and session.authorizer is not None:
            authorizer = session.authorizer
            credential = asyncio.run_coroutine_threadsafe(authorizer.credential(), loop).result()
            request.headers = {
                **(request.headers or {}),
                "Authorization": credential.header.get_secret_value(),
            }
        return request

    return modify


class LimitedStacApiIO(StacApiIO):
    """``StacApiIO`` whose retries go through the request modifier, hence the limiter."""

    def __init__(self, session: ProviderSession, **kwargs: Any) -> None:
        super().__init__(max_retries=None, **kwargs)
        self._provider = session
        self.session.headers["User-Agent"] = USER_AGENT

    def request(
        self,
        href: str,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        """Send with retries for 429, 5xx and connection errors; typed errors at the end."""
        policy, provider = self._provider.policy, self._provider.provider
        failures = 0
        while True:
            try:
                return super().request(href, method, headers, parameters)
            except APIError as exc:
                status = exc.status_code
                failures += 1
                if status is not None and status not in RETRYABLE_STATUSES:
                    raise error_for_status(provider, href, status, _reason(exc)) from None
                if failures >= policy.max_attempts:
                    kind = RateLimitedError if status == 429 else UpstreamError
                    raise kind(
                        provider,
                        f"{_reason(exc)} (gave up after {failures} attempts)",
                        url=redact_url(href),
                        status=status,
                    ) from None
                delay = policy.backoff(failures)
                if status == 429:
                    self._provider.limiters.for_url(href).pause(delay)
                else:
                    time.sleep(delay)


def _reason(exc: APIError) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else "no response"


def open_stac_api(
    url: str, session: ProviderSession, loop: asyncio.AbstractEventLoop, *, auth: bool = False
) -> Client:
    """Open a STAC API with pystac-client on ``session``'s limiter (call from a worker thread)."""
    modifier = request_modifier(session, loop, auth=auth)
    io = LimitedStacApiIO(session, request_modifier=modifier, timeout=session.config.timeout)
    try:
        return Client.open(
            url, stac_io=io, request_modifier=modifier, timeout=session.config.timeout
        )
    except APIError as exc:
        status = exc.status_code
        kind = UpstreamError if status is None or status >= 500 else RequestRejectedError
        raise kind(
            session.provider,
            f"cannot open the STAC API: {_reason(exc)}",
            url=redact_url(url),
            status=status,
        ) from None
