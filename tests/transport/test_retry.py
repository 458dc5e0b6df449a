"""Retries, 429 with Retry-After and dropped connections, against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from stacsync.errors import RequestRejectedError, UpstreamError
from stacsync.events import RequestRetried
from stacsync.transport import ProviderConfig, open_provider, parse_retry_after
from stacsync.transport.retry import RetryPolicy
from tests.transport.conftest import configs_for
from tests.transport.test_tokens import terrascope_asset


def test_parse_retry_after_seconds_and_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == pytest.approx(42.0)
    earlier = format_datetime(now - timedelta(seconds=5), usegmt=True)
    assert parse_retry_after(earlier, now=now.timestamp()) == 0.0


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(base=1.0, cap=8.0)
    assert 0.5 <= policy.backoff(1) <= 1.0
    assert 2.0 <= policy.backoff(3) <= 4.0
    assert 4.0 <= policy.backoff(10) <= 8.0


def sandbox_with(factory: Any, **faults: str) -> tuple[Any, ProviderConfig, str]:
    settings = {f"terrascope.{k}": v for k, v in faults.items()}
    settings.setdefault("terrascope.path_prefix", "/download/")
    sb = factory(providers=("terrascope",), raster_size=64, settings=settings)
    config = configs_for(sb)["terrascope"]
    return sb, config, terrascope_asset(config)


async def fetch_all(config: ProviderConfig, href: str, n: int) -> tuple[list[bytes], list[Any]]:
    events: list[Any] = []
    async with open_provider(config, on_event=events.append) as session:
        bodies = await asyncio.gather(*(session.content("GET", href) for _ in range(n)))
    return [body for body, _, _ in bodies], events


def test_server_errors_are_retried_within_the_bound(stacsync_sandbox_factory):
    sb, config, href = sandbox_with(stacsync_sandbox_factory, error_rate="0.4")
    bodies, events = asyncio.run(fetch_all(config, href, 20))
    assert len(set(bodies)) == 1 and len(bodies[0]) > 1000
    downloads = sb.log.entries(path_prefix="/download/")
    errors = [e for e in downloads if e.status == 503]
    assert errors, "the fault injection should have produced 503s"
    assert len(downloads) == 20 + len(errors)
    retried = [e for e in events if isinstance(e, RequestRetried)]
    assert len(retried) == len(errors)
    assert all(e.attempt < config.max_attempts for e in retried)


def test_dropped_connections_are_resent(stacsync_sandbox_factory):
    sb, config, href = sandbox_with(
        stacsync_sandbox_factory, drop_rate="0.3", drop_after_bytes="512"
    )
    config = ProviderConfig(**{**config.model_dump(), "max_attempts": 8})
    bodies, _ = asyncio.run(fetch_all(config, href, 12))
    assert len(set(bodies)) == 1
    dropped = [e for e in sb.log.entries(path_prefix="/download/") if e.fault == "drop"]
    assert dropped


def test_rate_limited_bursts_all_succeed_and_pause_the_host(stacsync_sandbox_factory):
    sb, config, href = sandbox_with(stacsync_sandbox_factory, throttle_rate="0.3", retry_after="1")
    bodies, events = asyncio.run(fetch_all(config, href, 16))
    assert len(bodies) == 16 and len(set(bodies)) == 1
    entries = sb.log.entries(path_prefix="/download/")
    throttled = [e for e in entries if e.status == 429]
    assert throttled
    # After the first 429 the whole host waits Retry-After (1 s): apart from requests
    # already in flight, nothing arrives until the pause is over.
    first = min(e.time for e in throttled)
    assert not [e for e in entries if first + 0.15 < e.time < first + 0.9]
    assert max(e.time for e in entries) - first >= 0.9
    assert sum(isinstance(e, RequestRetried) for e in events) == len(throttled)


def test_client_errors_fail_at_once_with_the_providers_message(stacsync_sandbox_factory):
    sb, config, href = sandbox_with(stacsync_sandbox_factory)
    missing = href.rsplit("/", 1)[0] + "/no-such-file.tif"

    async def run() -> None:
        async with open_provider(config) as session:
            await session.content("GET", missing)

    with pytest.raises(RequestRejectedError) as caught:
        asyncio.run(run())
    assert caught.value.status == 404
    assert caught.value.provider == "terrascope"
    assert len(sb.log.entries(path_prefix="/download/")) == 1


def test_unreachable_host_gives_upstream_error_after_the_bound(stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(providers=("backbone",))
    config = configs_for(sb)["backbone"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    events: list[Any] = []

    async def run() -> None:
        async with open_provider(config, authenticated=False, on_event=events.append) as s:
            await s.content("GET", f"http://127.0.0.1:{port}/nothing", auth=False)

    with pytest.raises(UpstreamError) as caught:
        asyncio.run(run())
    assert "gave up after 4 attempts" in str(caught.value)
    assert len(events) == 3
