"""Terrascope download rate limits (80 per 10 s, 200 per 60 s per IP) under load."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from stacsync.sandbox import ProviderOptions, Sandbox, SandboxOptions, running_sandbox
from tests.sandbox.terrascope_helpers import basic, http

SCALE = 10.0
"""Sandbox seconds per real second: the 10 s window lasts 1 real second."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    options = SandboxOptions(providers=("terrascope",), raster_size=32, time_scale=SCALE)
    with running_sandbox(options) as sb:
        yield sb


@pytest.fixture(scope="module")
def target(sandbox: Sandbox) -> tuple[str, dict[str, str]]:
    ep, creds = sandbox.endpoints()["terrascope"], sandbox.credentials()["terrascope"]
    body = http(f"{ep['stac_api']}/search?collections=terrascope-s2-ndvi-v2&limit=1").json()
    href = body["features"][0]["assets"]["NDVI"]["href"]
    return href, basic(creds["username"], creds["password"])


def admitted_max(sandbox: Sandbox, since: float, window: float) -> int:
    """Most admitted (non-429) /download/ requests in any ``window`` after ``since``."""
    times = sorted(
        e.time
        for e in sandbox.log.entries(server="terrascope.download", path_prefix="/download/")
        if e.status != 429 and e.time >= since
    )
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def fresh_start(sandbox: Sandbox) -> float:
    emulator: Any = sandbox.emulator("terrascope")
    emulator.reset_rate_limits()
    return sandbox.clock.now()


def test_sustained_burst_never_exceeds_published_limits(sandbox, target):
    href, auth = target
    since = fresh_start(sandbox)
    statuses: list[int] = []
    retry_after: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + 2.5  # 25 sandbox seconds

    def hammer() -> None:
        while time.monotonic() < stop:
            reply = http(href, method="HEAD", headers=auth)
            with lock:
                statuses.append(reply.status)
                if reply.status == 429:
                    retry_after.append(reply.headers["Retry-After"])

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(429) > 0
    assert set(statuses) == {200, 429}
    assert all(value.isdigit() and 1 <= int(value) <= 7 for value in retry_after)
    assert 80 <= statuses.count(200) <= 200
    assert admitted_max(sandbox, since, 10.0) <= 80
    assert admitted_max(sandbox, since, 60.0) <= 200
    assert admitted_max(sandbox, since, 10.0) == 80  # the limit is reached, not just respected


def test_both_windows_with_clock_jumps(sandbox, target):
    href, auth = target
    since = fresh_start(sandbox)

    def burst(n: int) -> list[Any]:
        return [http(href, method="HEAD", headers=auth) for _ in range(n)]

    first = burst(100)
    assert [r.status for r in first] == [200] * 80 + [429] * 20
    limited = http(href, headers=auth)  # a GET, to see the body
    assert limited.status == 429
    assert b"429 Too Many Requests" in limited.body
    assert limited.headers["Content-Type"].startswith("text/html")
    assert 1 <= int(limited.headers["Retry-After"]) <= 2  # ~10 sandbox s = ~1 real s
    sandbox.clock.advance(11)
    assert [r.status for r in burst(100)] == [200] * 80 + [429] * 20
    sandbox.clock.advance(11)
    third = burst(60)
    assert [r.status for r in third] == [200] * 40 + [429] * 20  # 200 per 60 s reached
    # the 60 s window frees up ~37 sandbox s later: Retry-After in real seconds, rounded up
    assert 3 <= int(third[-1].headers["Retry-After"]) <= 5
    assert admitted_max(sandbox, since, 10.0) <= 80
    assert admitted_max(sandbox, since, 60.0) == 200


def test_rate_limits_option_and_429s_do_not_count():
    options = SandboxOptions(
        providers=("terrascope",),
        raster_size=32,
        terrascope=ProviderOptions(rate_limits=((5, 10.0),)),
    )
    with running_sandbox(options) as sb:
        ep, creds = sb.endpoints()["terrascope"], sb.credentials()["terrascope"]
        auth = basic(creds["username"], creds["password"])
        href = f"{ep['download']}Sentinel2/missing.tif"  # 404s are admitted requests too
        assert [http(href, headers=auth).status for _ in range(5)] == [404] * 5
        refused = [http(href, headers=auth) for _ in range(20)]
        assert {r.status for r in refused} == {429}
        assert int(refused[0].headers["Retry-After"]) in (10, 11)
        sb.clock.advance(10.1)
        # the 20 refused requests did not extend the window
        assert [http(href, headers=auth).status for _ in range(6)] == [404] * 5 + [429]
        assert http(href.replace("/download/", "/catalogue/")).status == 404  # not limited
