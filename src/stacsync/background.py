"""Servers that run on their own event loop in a background thread (sandbox, browse)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar


class Startable(Protocol):
    """Something with an async ``start`` and ``stop``, such as an aiohttp-based server."""

    def start(self) -> Awaitable[object]:
        """Bind and begin serving."""
        ...

    def stop(self) -> Awaitable[object]:
        """Stop serving and release every resource."""
        ...


S = TypeVar("S", bound=Startable)


@contextmanager
def in_background(server: S, name: str) -> Iterator[S]:
    """Start ``server`` on a new event loop in thread ``name``; stop it when the block ends.

    An exception raised by ``start()`` (e.g. ``OSError``: the port is taken) is raised here,
    before the block runs; the thread and the loop are gone by then.
    """
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())

    thread = threading.Thread(target=serve, name=name, daemon=True)
    thread.start()
    ready.wait()
    if failure:
        thread.join()
        loop.close()
        raise failure[0]
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
