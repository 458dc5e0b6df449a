"""Benchmark: a 10,000-item Terrascope harvest against the rate limiter's theoretical minimum.

The sandbox's Terrascope emulator runs in its own process with ``bulk_items`` generated
Sentinel-2 TOC items (20 KB each, like the real ones) and enforces the rate-limit windows on
its STAC API too (``stac_rate_limited``; Terrascope publishes 80 requests per 10 s and 200 per
60 s per IP for downloads). stacsync's real harvest path, the one ``stacsync harvest terrascope
--collection terrascope-s2-toc-v2 --datetime ../2024-04-30T23:59:59Z --catalog DIR --sandbox``
takes (``api.provider_configs`` + ``api.harvest``, pystac-client on the limiter, the catalogue
store), writes them into a temporary catalogue with the same windows.

The page requests are counted in the **server's** request log; the baseline, in the same run,
is ``minimum_duration(windows, requests)``: the earliest time the last of those requests may
start under the windows, with no time spent anywhere else. ``ratio`` is harvest / minimum
(target 1.1). Also reported: when the last page and the last request arrived (seconds after
the harvest started) and what followed (normalising the last page, writing the catalogue),
the most requests in any window of the server log, the 429s, and, against a second server
without STAC limits, plain pystac-client ``search(...).items()`` with no limiter (how fast
unlimited paging is) and the same stacsync harvest with limits it never reaches.

    python bench/harvest.py                          # 10,000 items, real limits (~20 s)
    python bench/harvest.py --items 2000 --limits 8/1s,20/6s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path
from typing import Any

COLLECTION = "terrascope-s2-toc-v2"
DATETIME = "../2024-04-30T23:59:59Z"
"""The generated items' period (the emulator's hand-made TOC items start 2024-05-16)."""
PAGE_PATH = "/search"


def serve(conn: Any, items: int, limits: list[tuple[int, float]], limited: bool) -> None:
    """The sandbox, in its own process: describe it, then answer log queries until "stop"."""
    from stacsync.sandbox import ProviderOptions, SandboxOptions, running_sandbox

    provider = ProviderOptions(
        bulk_items=items, stac_rate_limited=limited, rate_limits=tuple(limits)
    )
    options = SandboxOptions(providers=("terrascope",), raster_size=16, terrascope=provider)
    with running_sandbox(options) as sb:
        conn.send(sb.describe())
        while (message := conn.recv()) != "stop":
            entries = sb.log.entries(server="terrascope.stac")
            conn.send([(e.time, e.path, e.status) for e in entries if e.time >= message])


class Server:
    """A sandbox process (spawned, so the bench's own process only runs the client)."""

    def __init__(self, items: int, limits: list[tuple[int, float]], *, limited: bool) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(child, items, limits, limited))
        self.process.start()
        self.describe: dict[str, Any] = self.conn.recv()

    def log(self, since: float) -> list[tuple[float, str, int]]:
        self.conn.send(since)
        entries: list[tuple[float, str, int]] = self.conn.recv()
        return entries

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


def most_in_window(times: list[float], window: float) -> int:
    """The largest number of ``times`` within any ``window`` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def harvest(describe: dict[str, Any], limits: str, catalog: Path) -> tuple[float, float, Any]:
    """stacsync's ad-hoc Terrascope harvest, as ``stacsync harvest terrascope ... --sandbox``.

    Returns the wall-clock start (to place the server's log entries), the duration and the
    report.
    """
    from stacsync import api
    from stacsync.config import Settings
    from stacsync.definition import definition_from_source, source_from_flags
    from stacsync.harvest.model import HarvestOptions

    settings = Settings()
    source = source_from_flags("terrascope", collections=[COLLECTION], datetime=DATETIME)
    definition = definition_from_source(source, catalog)
    environ = {**os.environ, "STACSYNC_TERRASCOPE_RATE_LIMITS": limits}
    configs = api.provider_configs(settings, environ, sandbox=describe)
    wall, started = time.time(), time.perf_counter()
    report = asyncio.run(api.harvest(definition, configs, HarvestOptions(), settings))
    return wall, time.perf_counter() - started, report


def unlimited_items(stac_api: str) -> tuple[float, int]:
    """Plain pystac-client paging, no limiter: (seconds, items)."""
    from pystac_client import Client

    started = time.perf_counter()
    client = Client.open(stac_api)
    search = client.search(collections=[COLLECTION], datetime=DATETIME, limit=100)
    count = sum(1 for _ in search.items())
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--limits", default="80/10s,200/60s", help="windows, server and client")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unlimited run")
    args = parser.parse_args()

    from stacsync.transport import minimum_duration
    from stacsync.transport.ratelimit import RateWindow

    windows = [RateWindow.parse(w) for w in args.limits.split(",")]
    limits = [(w.limit, w.period) for w in windows]
    result: dict[str, Any] = {"bench": "harvest", "windows": [str(w) for w in windows]}

    server = Server(args.items, limits, limited=True)
    try:
        with tempfile.TemporaryDirectory(prefix="stacsync-harvest-") as tmp:
            since = time.time()
            started, elapsed, report = harvest(server.describe, args.limits, Path(tmp) / "cat")
            entries = server.log(since)
    finally:
        server.stop()
    assert report.ok, report.as_dict()
    admitted = [t - started for t, _, status in entries if status != 429]
    pages = [t - started for t, path, status in entries if path == PAGE_PATH and status != 429]
    minimum = minimum_duration(windows, len(admitted))
    result.update(
        items=sum(row["new"] for row in report.as_dict()["collections"]),
        pages=len(pages),
        stac_requests=len(entries),
        harvest_s=round(elapsed, 2),
        minimum_s=round(minimum, 2),
        ratio=round(elapsed / minimum, 3) if minimum else None,
        target_met=bool(minimum) and elapsed <= 1.1 * minimum,
        last_page_at_s=round(max(pages), 2),
        last_request_at_s=round(max(admitted), 2),
        after_last_request_s=round(elapsed - max(admitted), 2),
        server_max_in_window={str(w): most_in_window(admitted, w.period) for w in windows},
        server_429=sum(1 for _, _, status in entries if status == 429),
    )
    if not args.no_baseline:
        server = Server(args.items, limits, limited=False)
        try:
            stac_api = server.describe["terrascope"]["endpoints"]["stac_api"]
            seconds, count = unlimited_items(stac_api)
            with tempfile.TemporaryDirectory(prefix="stacsync-harvest-") as tmp:
                unlimited = f"{10 * args.items}/1s"
                since = time.time()
                free_start, free_s, free = harvest(server.describe, unlimited, Path(tmp) / "cat")
                free_last = max(t for t, _, _ in server.log(since)) - free_start
            assert free.ok, free.as_dict()
        finally:
            server.stop()
        result.update(
            baseline="pystac-client search().items(), no limiter, server without limits",
            baseline_items=count,
            baseline_s=round(seconds, 2),
            harvest_without_limits_s=round(free_s, 2),
            without_limits_last_request_at_s=round(free_last, 2),
        )
    result.update(cpus=os.cpu_count(), load=round(os.getloadavg()[0], 2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
