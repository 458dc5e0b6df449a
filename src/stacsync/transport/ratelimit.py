"""Multi-window rate limiting per provider host, with a provider-wide pause for ``Retry-After``.

A provider publishes its limits as several windows at once (Terrascope: 80 requests per 10 s
**and** 200 per 60 s). :class:`HostLimiter` enforces all of them together with a sliding-window
log from pyrate-limiter (one in-process bucket by default; any pyrate-limiter bucket, such as a
Redis bucket shared by several machines, can be passed instead), and widens each window by a
small margin so that the gap between "admitted here" and "arrived there" never makes the server
see a window exceeded. A 429 with ``Retry-After`` pauses the whole host, not one request.

Rate (how many requests per window) and concurrency (how many at once) are separate: this
module only limits rate.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from pyrate_limiter import AbstractBucket, InMemoryBucket, Limiter, Rate
from yarl import URL

from stacsync.errors import ConfigError

_WINDOW = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$")
DEFAULT_MARGIN = 0.01
DEFAULT_SLACK = 0.1
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, None: 1.0}


@dataclass(frozen=True, slots=True)
class RateWindow:
    """At most ``limit`` requests in any ``period`` seconds."""

    limit: int
    period: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period <= 0:
            raise ConfigError(f"invalid rate window {self}: limit and period must be positive")

    @classmethod
    def parse(cls, text: str) -> RateWindow:
        """Read ``"80/10s"``, ``"200/1min"`` or ``"8/1"`` (seconds)."""
        match = _WINDOW.match(text)
        if not match:
            raise ConfigError(
                f"invalid rate window {text!r}: expected '<requests>/<period>' such as '80/10s'"
            )
        count, amount, unit = match.groups()
        return cls(int(count), float(amount) * _UNIT_SECONDS[unit])

    def __str__(self) -> str:
        return f"{self.limit}/{self.period:g}s"


def minimum_duration(windows: Sequence[RateWindow], requests: int) -> float:
    """The shortest time in which ``requests`` requests can start under every window.

    Request ``k`` (0-based) cannot start before request ``k - limit`` plus ``period`` for each
    window; the earliest schedule is built greedily and the start of the last request returned.
    """
    starts: list[float] = []
    for k in range(requests):
        t = 0.0
        for window in windows:
            if k >= window.limit:
                t = max(t, starts[k - window.limit] + window.period)
        starts.append(t)
    return starts[-1] if starts else 0.0


class HostLimiter:
    """Admits requests to one host under all its windows, and pauses it on ``Retry-After``.

    Args:
        windows: The provider's published windows.
        margin: Fraction by which each window is widened (``0.01`` turns 10 s into 10.1 s).
        slack: Seconds added to each window on top of ``margin``, for the network's jitter
            between "admitted here" and "counted there".
        bucket: A pyrate-limiter bucket built for the widened rates (for a shared quota);
            defaults to an in-memory bucket.
        monotonic: The clock used for pauses.
        sleep: How to wait.
    """

    def __init__(
        self,
        windows: Sequence[RateWindow],
        *,
        margin: float = DEFAULT_MARGIN,
        slack: float = DEFAULT_SLACK,
        bucket: AbstractBucket | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if margin < 0 or slack < 0:
            raise ConfigError(f"rate-limit margins must not be negative, got {margin}, {slack}")
        self.windows = tuple(windows)
        self.rates = [
            Rate(w.limit, math.ceil((w.period * (1 + margin) + slack) * 1000))
            for w in sorted(self.windows, key=lambda w: w.period)
        ]
        self._limiter = (
            Limiter(bucket if bucket is not None else InMemoryBucket(self.rates), buffer_ms=5)
            if self.rates
            else None
        )
        self._monotonic = monotonic
        self._sleep = sleep
        self._paused_until = 0.0
        self.admitted = 0
        self.waited = 0.0

    def pause(self, seconds: float) -> None:
        """Admit nothing for ``seconds`` (a ``Retry-After`` answer for the whole host)."""
        self._paused_until = max(self._paused_until, self._monotonic() + max(0.0, seconds))

    @property
    def paused_for(self) -> float:
        """Seconds left in the current pause."""
        return max(0.0, self._paused_until - self._monotonic())

    async def acquire(self) -> None:
        """Wait until a request may start, and count it."""
        start = self._monotonic()
        while (left := self.paused_for) > 0:
            await self._sleep(left)
        if self._limiter is not None:
            await self._limiter.try_acquire_async("host")
            # A pause may have started while waiting for a slot: honour it too.
            while (left := self.paused_for) > 0:
                await self._sleep(left)
        self.admitted += 1
        self.waited += self._monotonic() - start

    def close(self) -> None:
        """Stop the bucket's background leak task."""
        if self._limiter is not None:
            self._limiter.close()


def host_key(url: URL | str) -> str:
    """The key of a URL's host in the limiter table: ``host:port``."""
    parsed = url if isinstance(url, URL) else URL(url)
    return f"{parsed.host}:{parsed.port}"


class Limiters:
    """One :class:`HostLimiter` per host of a provider, created on first use.

    Args:
        default: Windows for hosts without their own entry.
        per_host: Windows by ``host:port`` (or by bare host name).
        margin: See :class:`HostLimiter`.
        slack: See :class:`HostLimiter`.
    """

    def __init__(
        self,
        default: Sequence[RateWindow],
        per_host: Mapping[str, Sequence[RateWindow]] | None = None,
        *,
        margin: float = DEFAULT_MARGIN,
        slack: float = DEFAULT_SLACK,
    ) -> None:
        self.default = tuple(default)
        self.per_host = dict(per_host or {})
        self.margin = margin
        self.slack = slack
        self._hosts: dict[str, HostLimiter] = {}

    def for_url(self, url: URL | str) -> HostLimiter:
        """The limiter of the URL's host."""
        key = host_key(url)
        limiter = self._hosts.get(key)
        if limiter is None:
            bare = key.rsplit(":", 1)[0]
            windows = self.per_host.get(key, self.per_host.get(bare, self.default))
            limiter = self._hosts[key] = HostLimiter(windows, margin=self.margin, slack=self.slack)
        return limiter

    def close(self) -> None:
        """Close every host limiter."""
        for limiter in self._hosts.values():
            limiter.close()
        self._hosts.clear()


def limit_middleware(limiters: Limiters) -> aiohttp.ClientMiddlewareType:
    """An aiohttp client middleware that admits every request it passes through."""

    async def middleware(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        await limiters.for_url(request.url).acquire()
        return await handler(request)

    return middleware
