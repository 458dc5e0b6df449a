"""Per-server request logs that tests read to assert on traffic (windows, auth kinds)."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from stacsync.sandbox.clock import SandboxClock


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One request as a server saw it."""

    time: float
    """Sandbox time the request arrived."""
    server: str
    client: str
    method: str
    path: str
    status: int
    auth: str
    """``bearer``, ``basic``, ``none`` (from the Authorization header's scheme)."""
    fault: str | None = None
    """The injected fault, if any (``error``, ``throttle``, ``drop``, ``truncate``)."""

    def as_dict(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict."""
        return asdict(self)


class RequestLog:
    """A thread-safe, append-only list of :class:`LogEntry`."""

    def __init__(self) -> None:
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()

    def append(self, entry: LogEntry) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(
        self, *, server: str | None = None, path_prefix: str | None = None
    ) -> list[LogEntry]:
        """A snapshot of the entries, optionally filtered by server and path prefix."""
        with self._lock:
            snapshot = list(self._entries)
        return [
            e
            for e in snapshot
            if (server is None or e.server == server)
            and (path_prefix is None or e.path.startswith(path_prefix))
        ]

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def max_in_window(
        self, window: float, *, server: str | None = None, path_prefix: str | None = None
    ) -> int:
        """The largest number of requests that arrived within any ``window`` sandbox seconds."""
        times = sorted(e.time for e in self.entries(server=server, path_prefix=path_prefix))
        best = 0
        start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best


def auth_kind(request: web.BaseRequest) -> str:
    """The scheme of the request's Authorization header, lower-cased, or ``none``."""
    header = request.headers.get("Authorization", "")
    scheme = header.split(" ", 1)[0].lower() if header else ""
    return scheme if scheme in {"bearer", "basic"} else ("other" if scheme else "none")


FAULT_KEY: web.RequestKey[str] = web.RequestKey("stacsync_sandbox_fault", str)


def logging_middleware(log: RequestLog, clock: SandboxClock, server: str) -> Middleware:
    """An aiohttp middleware that records every request (outermost, so faults are logged)."""

    @web.middleware
    async def middleware(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        arrived = clock.now()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            log.append(
                LogEntry(
                    time=arrived,
                    server=server,
                    client=request.remote or "",
                    method=request.method,
                    path=request.path,
                    status=status,
                    auth=auth_kind(request),
                    fault=request.get(FAULT_KEY),
                )
            )

    return middleware
