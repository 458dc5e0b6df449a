"""The sandbox clock: wall time that can run faster than real time and be advanced by hand.

Every time-dependent behaviour of the emulators (token lifetimes, order processing, link
expiry, rate-limit windows) reads this clock, so tests can compress a 60 s window into 6 s
(``scale=10``) or jump over an order's processing delay (``advance``) without sleeping.
Durations that reach a client in headers or bodies (``expires_in``, ``Retry-After``) are
converted to real seconds with :meth:`SandboxClock.real_seconds`, so a client that trusts
them behaves consistently in a compressed world.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SandboxClock:
    """A monotonic, scalable, manually advanceable clock (seconds since the epoch)."""

    def __init__(self, *, scale: float = 1.0, start: float | None = None) -> None:
        if scale <= 0:
            raise ValueError(f"clock scale must be positive, got {scale}")
        self.scale = scale
        self._origin_real = time.monotonic()
        self._origin = time.time() if start is None else start
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Sandbox time in seconds since the epoch."""
        with self._lock:
            elapsed = (time.monotonic() - self._origin_real) * self.scale
            return self._origin + elapsed + self._offset

    def utcnow(self) -> datetime:
        """Sandbox time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def advance(self, seconds: float) -> None:
        """Jump forward by ``seconds`` of sandbox time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How many real seconds ``sandbox_seconds`` of sandbox time take."""
        return sandbox_seconds / self.scale
