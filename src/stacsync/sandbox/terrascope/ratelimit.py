"""Per-client sliding-window rate limiting of the download service.

Terrascope documents "80 requests per 10 seconds; 200 requests per 60 seconds" per IP
address. Every window is a true sliding window on the sandbox clock. Only admitted
requests are counted: a request answered 429 does not push the window further out, so
a client that honours ``Retry-After`` gets through when it comes back.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence

from stacsync.sandbox.clock import SandboxClock

DEFAULT_LIMITS: tuple[tuple[int, float], ...] = ((80, 10.0), (200, 60.0))
"""(requests, window seconds) published for downloads."""
SAFETY_MARGIN_REAL = 0.05
"""Real seconds added to every window.

The request log stamps a request a few microseconds before the limiter sees it; under
scheduling jitter (and a scaled clock) that gap could let a request admitted exactly at a
window's edge appear inside the previous window in the log. The margin keeps the log
provably within the limits at the price of admitting a request at most 50 ms later.
"""


class SlidingWindowLimiter:
    """Admits a client's request only if every (limit, window) still has room."""

    def __init__(self, clock: SandboxClock, limits: Sequence[tuple[int, float]]) -> None:
        if not limits or any(n <= 0 or w <= 0 for n, w in limits):
            raise ValueError(f"rate limits must be positive (requests, seconds) pairs: {limits}")
        self.clock = clock
        self.limits = tuple((int(n), float(w)) for n, w in limits)
        self._horizon = max(w for _, w in self.limits)
        self._admitted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _margin(self) -> float:
        return SAFETY_MARGIN_REAL * self.clock.scale

    def acquire(self, client: str) -> float | None:
        """Admit and record a request (``None``), or give the sandbox seconds to wait."""
        now = self.clock.now()
        margin = self._margin()
        with self._lock:
            times = self._admitted.setdefault(client, deque())
            while times and now - times[0] >= self._horizon + margin:
                times.popleft()
            wait = 0.0
            for limit, window in self.limits:
                span = window + margin
                inside = [t for t in times if now - t < span]
                if len(inside) >= limit:
                    wait = max(wait, inside[-limit] + span - now)
            if wait > 0:
                return wait
            times.append(now)
            return None

    def retry_after(self, wait: float) -> int:
        """``Retry-After`` in whole real seconds (rounded up, at least 1)."""
        return max(1, math.ceil(self.clock.real_seconds(wait)))

    def reset(self) -> None:
        """Forget every client's history."""
        with self._lock:
            self._admitted.clear()
