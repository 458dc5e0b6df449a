"""The sandbox core: clock, options, request log, blob serving, fault injection, rasters,
tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from stacsync.sandbox import FaultOptions, LogEntry, ProviderOptions, RequestLog, SandboxClock
from stacsync.sandbox.blobs import Blob, serve_blob
from stacsync.sandbox.emulator import ProviderContext
from stacsync.sandbox.options import SandboxOptions, build_options
from stacsync.sandbox.rasters import RasterSpec, make_geotiff, read_profile
from stacsync.sandbox.runner import emulator_factory
from stacsync.sandbox.tokens import TokenState, TokenStore

# -- clock -------------------------------------------------------------------------------


def test_clock_start_and_advance() -> None:
    clock = SandboxClock(start=1_000_000.0)
    assert 1_000_000.0 <= clock.now() < 1_000_001.0
    clock.advance(3600)
    assert 1_003_600.0 <= clock.now() < 1_003_601.0
    assert clock.utcnow().timestamp() == pytest.approx(clock.now(), abs=1)
    clock.advance(0)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    assert clock.now() >= 1_003_600.0


def test_clock_scale() -> None:
    clock = SandboxClock(scale=1000.0, start=0.0)
    before_real, before = time.monotonic(), clock.now()
    time.sleep(0.02)
    elapsed_real = time.monotonic() - before_real
    gained = clock.now() - before
    assert gained >= 19.0
    assert gained <= (elapsed_real + 0.05) * 1000.0
    assert clock.real_seconds(60) == pytest.approx(0.06)
    assert SandboxClock(scale=10).real_seconds(60) == pytest.approx(6.0)
    assert SandboxClock().real_seconds(5) == 5


@pytest.mark.parametrize("scale", [0, -1.0])
def test_clock_refuses_bad_scale(scale: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        SandboxClock(scale=scale)


def test_clock_is_monotonic_at_default_scale() -> None:
    clock = SandboxClock()
    readings = [clock.now() for _ in range(100)]
    assert readings == sorted(readings)
    assert abs(readings[0] - time.time()) < 1


# -- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"error_rate": 1.5}, "error_rate must be within [0, 1], got 1.5"),
        ({"throttle_rate": -0.1}, "throttle_rate must be within [0, 1]"),
        ({"drop_rate": 2}, "drop_rate must be within [0, 1]"),
        ({"truncate_rate": -1}, "truncate_rate must be within [0, 1]"),
        ({"latency": -0.5}, "must not be negative"),
        ({"drop_after_bytes": -1}, "must not be negative"),
    ],
)
def test_fault_options_are_validated(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError) as info:
        FaultOptions(**kwargs)
    assert needle in str(info.value)


def test_fault_options_bounds_are_inclusive() -> None:
    opts = FaultOptions(error_rate=1.0, throttle_rate=0.0, drop_rate=1, truncate_rate=0.5)
    assert (opts.error_rate, opts.truncate_rate) == (1.0, 0.5)


def test_build_options_good_keys() -> None:
    options = build_options(
        settings={
            "terrascope.token_lifetime": "30",
            "clms.order_delay": "0.5",
            "backbone.error_rate": "0.25",
            "backbone.drop_after_bytes": "10",
            "clms.path_prefix": "/api/",
            "terrascope.retry_after": "7",
        },
        ports={"clms.api": 8081},
        time_scale=10.0,
        providers=("clms",),
    )
    assert options.terrascope.token_lifetime == 30.0
    assert options.clms.order_delay == 0.5
    assert options.backbone.faults.error_rate == 0.25
    assert options.backbone.faults.drop_after_bytes == 10
    assert isinstance(options.backbone.faults.drop_after_bytes, int)
    assert options.clms.faults.path_prefix == "/api/"
    assert options.terrascope.faults.retry_after == 7
    assert options.ports == {"clms.api": 8081}
    assert (options.time_scale, options.providers) == (10.0, ("clms",))
    # untouched providers keep their defaults
    assert options.clms.faults == FaultOptions(path_prefix="/api/")
    assert options.provider("clms") is options.clms


def test_build_options_merges_with_base() -> None:
    base = SandboxOptions(ports={"clms.api": 1}, clms=ProviderOptions(order_delay=9))
    options = build_options(base=base, settings={"clms.token_lifetime": "5"}, ports={"x.y": 2})
    assert options.ports == {"clms.api": 1, "x.y": 2}
    assert (options.clms.order_delay, options.clms.token_lifetime) == (9, 5.0)
    assert build_options() == SandboxOptions()


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("bogus", "1", "'bogus': expected <clms|backbone|terrascope>.<setting>"),
        ("nasa.error_rate", "1", "'nasa.error_rate'"),
        ("clms.", "1", "'clms.'"),
        ("clms.colour", "1", "'clms.colour': unknown setting 'colour'"),
        ("clms.rate_limits", "1", "unknown setting 'rate_limits'"),
        ("clms.error_rate", "often", "'clms.error_rate'"),
        ("backbone.throttle_rate", "1.5", "'backbone.throttle_rate': throttle_rate must be"),
        ("terrascope.token_lifetime", "long", "'terrascope.token_lifetime'"),
    ],
)
def test_build_options_errors_name_the_key(key: str, value: str, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        build_options(settings={key: value})
    assert needle in str(info.value)
    assert str(info.value).startswith(repr(key))


def test_unknown_provider_factory() -> None:
    with pytest.raises(ValueError, match="unknown sandbox provider 'nasa'"):
        emulator_factory("nasa")


# -- request log -------------------------------------------------------------------------


def entry(t: float, server: str = "clms.api", path: str = "/x") -> LogEntry:
    return LogEntry(
        time=t, server=server, client="127.0.0.1", method="GET", path=path, status=200, auth="none"
    )


def test_request_log_max_in_window() -> None:
    log = RequestLog()
    assert log.max_in_window(10) == 0
    for t in (0.0, 1.0, 2.0, 10.0, 10.5, 11.0, 11.9):
        log.append(entry(t))
    log.append(entry(10.2, server="other"))
    log.append(entry(50.0, path="/y"))
    assert len(log) == 9
    assert log.max_in_window(2.0, server="clms.api") == 4  # 10, 10.5, 11, 11.9
    assert log.max_in_window(2.0) == 5
    assert log.max_in_window(1.0, server="clms.api") == 2
    assert log.max_in_window(100.0, path_prefix="/y") == 1
    assert log.max_in_window(100.0, server="clms.api", path_prefix="/x") == 7
    # the window is half-open: requests exactly `window` apart are not in the same window
    assert log.max_in_window(1.0, server="clms.api", path_prefix="/x") == 2
    assert [e.time for e in log.entries(server="other")] == [10.2]
    assert log.entries()[0].as_dict()["server"] == "clms.api"
    log.clear()
    assert len(log) == 0 and list(log) == []


# -- blobs and faults over HTTP ------------------------------------------------------------

BODY = bytes(range(256)) * 16  # 4096 bytes
BLOB = Blob(BODY, media_type="image/tiff", filename="x.tif")


def context(tmp_path: Path, faults: FaultOptions | None = None) -> ProviderContext:
    return ProviderContext(
        name="clms",
        options=ProviderOptions(faults=faults or FaultOptions()),
        clock=SandboxClock(start=0.0),
        urls={},
        ports={},
        host="127.0.0.1",
        log=RequestLog(),
        seed=1,
        raster_size=16,
        workdir=tmp_path,
    )


Scenario = Callable[[aiohttp.ClientSession, str], Awaitable[None]]


def serve(ctx: ProviderContext, scenario: Scenario) -> None:
    app = ctx.new_app("download")

    async def handler(request: web.Request) -> web.Response:
        return serve_blob(request, BLOB)

    app.router.add_get("/file", handler)  # GET and HEAD

    async def main() -> None:
        async with (
            TestServer(app, host="127.0.0.1") as server,
            aiohttp.ClientSession() as session,
        ):
            await scenario(session, str(server.make_url("/file")))

    asyncio.run(main())


def test_blob_full_range_and_validators(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    seen: dict[str, Any] = {}

    async def scenario(session: aiohttp.ClientSession, url: str) -> None:
        async with session.get(url) as r:
            seen["full"] = (r.status, await r.read(), r.headers.copy())
        async with session.get(url, headers={"Range": "bytes=10-19"}) as r:
            seen["range"] = (r.status, await r.read(), r.headers["Content-Range"])
        async with session.get(url, headers={"Range": "bytes=-5"}) as r:
            seen["suffix"] = (r.status, await r.read(), r.headers["Content-Range"])
        async with session.get(url, headers={"Range": "bytes=4000-"}) as r:
            seen["open"] = (r.status, await r.read())
        async with session.get(url, headers={"Range": "bytes=5000-6000"}) as r:
            seen["416"] = (r.status, r.headers["Content-Range"], await r.read())
        async with session.get(url, headers={"Range": "bytes=20-10"}) as r:
            seen["416b"] = r.status
        async with session.get(url, headers={"Range": "lines=1-2"}) as r:
            seen["416c"] = r.status
        async with session.get(url, headers={"Range": "bytes=0-9", "If-Range": BLOB.etag}) as r:
            seen["if-range-ok"] = (r.status, await r.read())
        async with session.get(url, headers={"Range": "bytes=0-9", "If-Range": '"stale"'}) as r:
            seen["if-range-stale"] = (r.status, await r.read(), "Content-Range" in r.headers)
        async with session.get(url, headers={"If-None-Match": BLOB.etag}) as r:
            seen["304"] = (r.status, await r.read(), r.headers["ETag"])
        async with session.get(url, headers={"If-None-Match": '"other"'}) as r:
            seen["not-304"] = r.status
        async with session.head(url) as r:
            seen["head"] = (r.status, r.headers.get("Content-Length"), await r.read())

    serve(ctx, scenario)
    status, body, headers = seen["full"]
    assert (status, body) == (200, BODY)
    assert headers["Content-Length"] == "4096"
    assert headers["ETag"] == BLOB.etag
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Type"] == "image/tiff"
    assert headers["Last-Modified"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert headers["Content-Disposition"] == 'attachment; filename="x.tif"'
    assert seen["range"] == (206, BODY[10:20], "bytes 10-19/4096")
    assert seen["suffix"] == (206, BODY[-5:], "bytes 4091-4095/4096")
    assert seen["open"] == (206, BODY[4000:])
    assert seen["416"] == (416, "bytes */4096", b"")
    assert seen["416b"] == 416
    assert seen["416c"] == 416
    assert seen["if-range-ok"] == (206, BODY[:10])
    assert seen["if-range-stale"] == (200, BODY, False)
    assert seen["304"] == (304, b"", BLOB.etag)
    assert seen["not-304"] == 200
    assert seen["head"] == (200, "4096", b"")
    entries = ctx.log.entries(server="clms.download")
    assert len(entries) == 12
    assert all(e.fault is None for e in entries)
    assert [e.status for e in entries][:2] == [200, 206]


def run_faulty(tmp_path: Path, faults: FaultOptions) -> tuple[list[Any], RequestLog]:
    ctx = context(tmp_path, faults)
    results: list[Any] = []

    async def scenario(session: aiohttp.ClientSession, url: str) -> None:
        for _ in range(3):
            async with session.get(url) as r:
                try:
                    body: Any = await r.read()
                except aiohttp.ClientPayloadError as exc:
                    body = exc
                results.append((r.status, r.headers.copy(), body))

    serve(ctx, scenario)
    return results, ctx.log


def test_error_rate_one_gives_503(tmp_path: Path) -> None:
    results, log = run_faulty(tmp_path, FaultOptions(error_rate=1.0))
    assert [r[0] for r in results] == [503] * 3
    assert results[0][2] == b'{"error": "Service Unavailable"}'
    assert [(e.status, e.fault) for e in log] == [(503, "error")] * 3


def test_throttle_rate_one_gives_429_with_retry_after(tmp_path: Path) -> None:
    results, log = run_faulty(tmp_path, FaultOptions(throttle_rate=1.0, retry_after=7))
    assert [r[0] for r in results] == [429] * 3
    assert all(r[1]["Retry-After"] == "7" for r in results)
    assert [(e.status, e.fault) for e in log] == [(429, "throttle")] * 3


def test_drop_rate_one_gives_incomplete_body(tmp_path: Path) -> None:
    results, log = run_faulty(tmp_path, FaultOptions(drop_rate=1.0, drop_after_bytes=100))
    for status, headers, body in results:
        assert status == 200
        assert headers["Content-Length"] == "4096"
        assert isinstance(body, aiohttp.ClientPayloadError)
    assert [e.fault for e in log] == ["drop"] * 3


def test_truncate_rate_one_gives_half_body(tmp_path: Path) -> None:
    results, log = run_faulty(tmp_path, FaultOptions(truncate_rate=1.0))
    for status, headers, body in results:
        assert status == 200
        assert body == BODY[:2048]
        assert headers["Content-Length"] == "2048"
    assert [e.fault for e in log] == ["truncate"] * 3


def test_path_prefix_limits_faults(tmp_path: Path) -> None:
    results, log = run_faulty(tmp_path, FaultOptions(error_rate=1.0, path_prefix="/other/"))
    assert [(r[0], r[2]) for r in results] == [(200, BODY)] * 3
    assert [e.fault for e in log] == [None] * 3


# -- rasters -----------------------------------------------------------------------------


def test_make_geotiff_is_deterministic_and_matches_spec() -> None:
    spec = RasterSpec(
        width=40,
        height=30,
        epsg=3035,
        origin=(4_000_000.0, 3_000_000.0),
        resolution=100.0,
        dtype="uint8",
        nodata=255,
        values=[1, 2, 3],
        seed=42,
    )
    first, second = make_geotiff(spec), make_geotiff(spec)
    assert first == second
    assert first[:4] in (b"II*\x00", b"MM\x00*")
    profile = read_profile(first)
    assert profile["crs"] == "EPSG:3035"
    assert profile["nodata"] == 255
    assert (profile["width"], profile["height"], profile["count"]) == (40, 30, 1)
    assert profile["dtype"] == "uint8"
    assert profile["bounds"] == spec.bounds == (4_000_000.0, 2_997_000.0, 4_004_000.0, 3_000_000.0)
    other = make_geotiff(RasterSpec(**{**spec.__dict__, "seed": 43}))
    assert other != first


def test_make_geotiff_continuous_float() -> None:
    spec = RasterSpec(
        width=16,
        height=16,
        epsg=4326,
        origin=(4.0, 51.0),
        resolution=0.01,
        dtype="float32",
        nodata=-9999.0,
        count=2,
        value_range=(-1.0, 1.0),
    )
    profile = read_profile(make_geotiff(spec))
    assert profile["crs"] == "EPSG:4326"
    assert profile["nodata"] == -9999.0
    assert (profile["count"], profile["dtype"]) == (2, "float32")
    assert make_geotiff(spec) == make_geotiff(spec)


# -- tokens ------------------------------------------------------------------------------


def test_token_store_lifecycle() -> None:
    clock = SandboxClock(start=1000.0)
    store = TokenStore(clock)
    access = store.issue(kind="access", subject="alice", lifetime=300)
    refresh = store.issue(kind="refresh", subject="alice", lifetime=3600)
    assert len(access.value) == 42 and access.value != refresh.value
    assert access.expires_at == pytest.approx(access.issued_at + 300)
    assert store.check(access.value) == (TokenState.VALID, access)
    assert store.check(refresh.value) == (TokenState.UNKNOWN, None)  # wrong kind
    assert store.check(refresh.value, kind="refresh") == (TokenState.VALID, refresh)
    assert store.check("forged") == (TokenState.UNKNOWN, None)

    clock.advance(299)
    assert store.check(access.value)[0] is TokenState.VALID
    clock.advance(2)
    assert store.check(access.value) == (TokenState.EXPIRED, access)
    assert store.check(refresh.value, kind="refresh")[0] is TokenState.VALID

    store.revoke(refresh.value)
    assert store.check(refresh.value, kind="refresh") == (TokenState.REVOKED, refresh)

    custom = store.issue(kind="access", subject="bob", lifetime=60, make=lambda: "tok-1")
    assert custom.value == "tok-1"
    assert [t.subject for t in store.issued(kind="access")] == ["alice", "bob"]
    assert store.revoke_all(kind="access") == 2
    assert store.check("tok-1")[0] is TokenState.REVOKED
    assert len(store.issued()) == 3
