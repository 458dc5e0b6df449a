"""Retries: backoff with jitter for transient failures, ``Retry-After`` for 429 and 503.

5xx answers, timeouts and dropped connections are retried with exponential backoff and jitter;
a ``Retry-After`` on 429 or 503 pauses the whole host through its rate limiter.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import aiohttp

from stacsync.errors import ConfigError, UpstreamError
from stacsync.events import OnEvent, RequestRetried
from stacsync.transport.ratelimit import Limiters
from stacsync.transport.redact import redact_url

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    TimeoutError,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry.

    Attributes:
        max_attempts: Attempts in all for 5xx, timeouts and connection errors.
        max_rate_limited: Attempts in all for 429 answers (waiting is the normal way through).
        base: First backoff in seconds; doubles with each attempt.
        cap: Longest backoff in seconds.
        max_retry_after: Longest ``Retry-After`` honoured; longer waits fail the request.
    """

    max_attempts: int = 5
    max_rate_limited: int = 20
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_rate_limited < 1:
            raise ConfigError("retry attempts must be at least 1")
        if self.base < 0 or self.cap < 0 or self.max_retry_after < 0:
            raise ConfigError("retry delays must not be negative")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed attempt ``attempt`` (1-based): full jitter up to the cap."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retry_middleware(
    provider: str,
    policy: RetryPolicy,
    limiters: Limiters,
    *,
    on_event: OnEvent | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> aiohttp.ClientMiddlewareType:
    """An aiohttp client middleware that retries transient failures within ``policy``.

    It sits outside the authentication and rate-limit middlewares, so every attempt is
    authenticated afresh and counted by the limiter. A 429 or 503 with ``Retry-After``
    pauses the whole host (every task of the provider waits), then the request is resent.
    When attempts run out, the last error response is returned for the caller to translate;
    connection errors become :class:`~stacsync.errors.UpstreamError`.
    """

    async def middleware(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        failures = limited = 0
        while True:
            try:
                response = await handler(request)
            except TRANSIENT_ERRORS as exc:
                failures += 1
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if failures >= policy.max_attempts:
                    raise UpstreamError(
                        provider,
                        f"{reason} (gave up after {failures} attempts)",
                        url=redact_url(str(request.url)),
                    ) from exc
                delay = policy.backoff(failures)
                _emit(on_event, provider, request, failures + limited, reason, delay)
                await sleep(delay)
                continue
            status = response.status
            if status not in RETRYABLE_STATUSES:
                return response
            retry_after = parse_retry_after(response.headers.get(aiohttp.hdrs.RETRY_AFTER))
            if status == 429:
                limited += 1
                if limited >= policy.max_rate_limited:
                    return response
            else:
                failures += 1
                if failures >= policy.max_attempts:
                    return response
            if retry_after is not None and retry_after > policy.max_retry_after:
                return response
            response.release()
            if status == 429 or (status == 503 and retry_after is not None):
                wait = retry_after if retry_after is not None else policy.backoff(limited)
                limiters.for_url(request.url).pause(wait)
                _emit(on_event, provider, request, failures + limited, f"HTTP {status}", wait)
                continue  # the limiter holds this request (and every other) for ``wait``
            delay = policy.backoff(failures)
            _emit(on_event, provider, request, failures + limited, f"HTTP {status}", delay)
            await sleep(delay)

    return middleware


def _emit(
    on_event: OnEvent | None,
    provider: str,
    request: aiohttp.ClientRequest,
    attempt: int,
    reason: str,
    delay: float,
) -> None:
    if on_event is not None:
        on_event(
            RequestRetried(provider, redact_url(str(request.url)), attempt, reason, round(delay, 3))
        )
