"""The multi-window limiter: parsing, the theoretical minimum, admission and pauses."""

from __future__ import annotations

import asyncio
import time

import pytest

from stacsync.errors import ConfigError
from stacsync.transport import HostLimiter, Limiters, RateWindow, minimum_duration


def test_parse_windows():
    assert RateWindow.parse("80/10s") == RateWindow(80, 10.0)
    assert RateWindow.parse("200 / 1min") == RateWindow(200, 60.0)
    assert RateWindow.parse("5/250ms") == RateWindow(5, 0.25)
    assert RateWindow.parse("8/1") == RateWindow(8, 1.0)
    for bad in ("80", "x/10s", "80/10 days", "0/1s", "-1/1s"):
        with pytest.raises(ConfigError, match="rate window"):
            RateWindow.parse(bad)


def test_minimum_duration_of_terrascope_windows_compressed_tenfold():
    windows = [RateWindow(8, 1.0), RateWindow(20, 6.0)]
    assert minimum_duration(windows, 300) == pytest.approx(86.0)
    assert minimum_duration(windows, 8) == 0.0
    assert minimum_duration(windows, 9) == 1.0
    assert minimum_duration([], 10) == 0.0


def windows_respected(times: list[float], windows: list[RateWindow]) -> bool:
    for window in windows:
        for i in range(len(times) - window.limit):
            if times[i + window.limit] - times[i] < window.period:
                return False
    return True


def test_admissions_respect_every_window():
    windows = [RateWindow(3, 0.2), RateWindow(5, 0.6)]
    limiter = HostLimiter(windows, margin=0.0, slack=0.01)
    admitted: list[float] = []

    async def task() -> None:
        for _ in range(3):
            await limiter.acquire()
            admitted.append(time.monotonic())

    async def run() -> None:
        await asyncio.gather(*(task() for _ in range(4)))

    asyncio.run(run())
    limiter.close()
    assert len(admitted) == 12
    assert windows_respected(sorted(admitted), windows)
    assert limiter.admitted == 12


def test_pause_holds_every_request_of_the_host():
    limiter = HostLimiter([], margin=0.0, slack=0.0)
    limiter.pause(0.3)
    assert 0.2 < limiter.paused_for <= 0.3
    start = time.monotonic()
    asyncio.run(limiter.acquire())
    assert time.monotonic() - start >= 0.25
    limiter.close()


def test_limiters_are_per_host_with_overrides():
    limiters = Limiters(
        [RateWindow(80, 10.0)], {"download.example:443": [RateWindow(2, 1.0)]}, margin=0.1
    )
    api = limiters.for_url("https://api.example/x")
    assert api is limiters.for_url("https://api.example/y")
    assert limiters.for_url("https://download.example/file").windows == (RateWindow(2, 1.0),)
    assert api.windows == (RateWindow(80, 10.0),)
    limiters.close()
