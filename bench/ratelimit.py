"""Benchmark: N requests through the transport to the sandbox's Terrascope download service.

The sandbox runs ten times faster than real time, so Terrascope's published windows (80 per
10 s and 200 per 60 s) become 8 per 1 s and 20 per 6 s. 16 tasks send GET requests through
stacsync's transport (multi-window limiter, OIDC token, retries). Baseline, in the same run: a
single-rate limiter (rclone's ``--tpslimit``) has to run at the slower window's long-run rate
(200 per 60 s, i.e. one request every 0.3 s here) to stay within both windows.

Prints one JSON line: elapsed seconds, the theoretical minimum for the windows, their ratio,
the most admitted requests the **server's** request log saw in any 10 s and 60 s window
(sandbox seconds), the count of 429 answers, and the baseline's elapsed time.

    python bench/ratelimit.py --requests 300 --tasks 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import urllib.request
from typing import Any

from stacsync.sandbox import ProviderOptions, SandboxOptions, running_sandbox
from stacsync.transport import load_provider_configs, minimum_duration, open_provider
from stacsync.transport.credentials import ProviderConfig, sandbox_configs

SCALE = 10.0


async def through_transport(config: ProviderConfig, href: str, n: int, tasks: int) -> float:
    async with open_provider(config) as session:
        await session.authorizer.credential()  # type: ignore[union-attr]
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                async with session.request("GET", href) as response:
                    await response.read()
                    assert response.status == 200, response.status

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        return time.monotonic() - start


async def single_rate(config: ProviderConfig, href: str, n: int, spacing: float) -> float:
    """rclone --tpslimit: one request every ``spacing`` seconds, no bursts."""
    async with open_provider(config) as session:
        credential = await session.authorizer.credential()  # type: ignore[union-attr]
        headers = {"Authorization": credential.header.get_secret_value()}
        start = time.monotonic()
        pending = []
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i * spacing - time.monotonic()))
            pending.append(asyncio.create_task(_get(session.session, href, headers)))
        await asyncio.gather(*pending)
        return time.monotonic() - start


async def _get(session: Any, href: str, headers: dict[str, str]) -> None:
    async with session.get(href, headers=headers) as response:
        await response.read()
        assert response.status == 200, response.status


def admitted(sb: Any, since: float, window: float) -> tuple[int, int]:
    entries = [
        e
        for e in sb.log.entries(server="terrascope.download", path_prefix="/download/")
        if e.time >= since
    ]
    times = sorted(e.time for e in entries if e.status != 429)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best, sum(1 for e in entries if e.status == 429)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    # Terrascope's windows with a tenth of the requests, on a clock ten times faster:
    # 8 per 1 s and 20 per 6 s of real time, on the server and in the client alike.
    windows = ((8, 10.0), (20, 60.0))
    options = SandboxOptions(
        providers=("terrascope",),
        raster_size=16,
        time_scale=SCALE,
        # Tokens live 300 s of real time, as on the real service.
        terrascope=ProviderOptions(rate_limits=windows, token_lifetime=300 * SCALE),
    )
    environ = {"STACSYNC_TERRASCOPE_RATE_LIMITS": ",".join(f"{n}/{s:g}s" for n, s in windows)}
    with running_sandbox(options) as sb:
        base = load_provider_configs(environ=environ, use_netrc=False)
        config = sandbox_configs(sb.describe(), base, time_scale=SCALE)["terrascope"]
        search = f"{config.endpoint('stac_api')}/search?collections=terrascope-s2-ndvi-v2&limit=1"
        with urllib.request.urlopen(search) as reply:
            href = json.load(reply)["features"][0]["assets"]["NDVI"]["href"]

        sb.emulator("terrascope").reset_rate_limits()  # type: ignore[attr-defined]
        since = sb.clock.now()
        elapsed = asyncio.run(through_transport(config, href, args.requests, args.tasks))
        max10, n429 = admitted(sb, since, 10.0)
        max60, _ = admitted(sb, since, 60.0)

        baseline = None
        if not args.no_baseline:
            sb.emulator("terrascope").reset_rate_limits()  # type: ignore[attr-defined]
            # The long-run rate of the slower window, with the same safety margins.
            slow = max(config.rate_limits, key=lambda w: w.period / w.limit)
            spacing = (slow.period * (1 + config.rate_margin) + config.rate_slack) / slow.limit
            baseline = asyncio.run(single_rate(config, href, args.requests, spacing))

    ideal = minimum_duration(config.rate_limits, args.requests)
    print(
        json.dumps(
            {
                "bench": "ratelimit",
                "requests": args.requests,
                "tasks": args.tasks,
                "windows": [str(w) for w in config.rate_limits],
                "elapsed_s": round(elapsed, 2),
                "theoretical_min_s": round(ideal, 2),
                "ratio": round(elapsed / ideal, 3),
                "server_max_in_10s": max10,
                "server_max_in_60s": max60,
                "server_429": n429,
                "baseline": "single-rate limiter at the slower window's rate (rclone --tpslimit)",
                "baseline_elapsed_s": None if baseline is None else round(baseline, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
