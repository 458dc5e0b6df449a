"""Waiting for orders without busy-looping: growing intervals and a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def poll_until(
    check: Callable[[], Awaitable[tuple[bool, T]]],
    *,
    initial: float,
    maximum: float,
    deadline: float,
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[bool, T]:
    """Call ``check`` until it reports done or ``deadline`` (monotonic) passes.

    Intervals start at ``initial`` seconds and grow by half each time up to ``maximum``.
    Returns the last ``(done, value)``.
    """
    interval = initial
    while True:
        done, value = await check()
        if done:
            return True, value
        left = deadline - monotonic()
        if left <= 0:
            return False, value
        await asyncio.sleep(min(interval, left))
        interval = min(maximum, interval * 1.5)
