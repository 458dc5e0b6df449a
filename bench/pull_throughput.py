"""Benchmark: pull ~1 GiB in 100 files from the sandbox's download host, against other tools.

The Terrascope sandbox runs in its own process (rate limits off) with rasters large enough
that its 100 largest files make about 1 GiB. The same files are then fetched, in the same run
and with the same parallelism, by:

* stacsync (``stacsync.sync.pull`` on a catalogue of 100 one-asset items, in a child process
  whose peak RSS is reported; COG conversion off),
* ``aria2c`` (``-j N -x 1``) and ``curl`` (``--parallel --parallel-max N``),
* stac-asset (``download_item_collection`` with ``max_concurrent_downloads=N``) on an
  ItemCollection of the same 100 items, with the same HTTP Basic credentials as an
  ``Authorization`` header. stac-asset is not a stacsync dependency: it runs in a child
  process of its own virtual environment, given with ``--stac-asset-python`` or created once
  under the temporary folder (``python -m venv`` + ``pip install stac-asset==STAC_ASSET_VERSION``).

Every tool's output is checked afterwards (file count and sizes); a tool that is missing prints
``null``. stacsync and stac-asset are timed inside their child processes, around the download
call (after interpreter start and imports); ``*_process_s`` is the whole child process. aria2c
and curl are timed as whole processes (their start-up takes milliseconds). Peak RSS is the
child's ``VmHWM`` (``ru_maxrss`` of a child carries its parent's peak across exec).

With ``--pin`` (Linux, two CPUs or more) the server runs on the first CPU and every tool on
the others, so a tool's CPU cost per byte no longer takes CPU time from the server: a way to
see how much of a difference between tools is contention on a small machine.

With ``--rounds R`` every tool runs R times, the order rotating each round, and the medians are
reported (with every run's seconds): on a shared machine a single run mostly measures which
tool happened to run during a quiet moment.

Prints one JSON line: seconds, MB/s and CPU seconds (user + system, over the same span as the
seconds) per tool, peak RSS, and the ratio of stacsync's throughput to the best of aria2c and
curl (target >= 0.9) and to stac-asset's (target >= 1). The sandbox shares the machine: where
CPUs are few, a tool that spends more CPU per byte (stacsync hashes every byte, sha2-256, to
write ``file:checksum``; the others hash nothing) leaves less of it to the server.

    python bench/pull_throughput.py --raster-size 3000 --files 100 --parallel 8 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

UNLIMITED = ((1_000_000, 1.0),)
STAC_ASSET_VERSION = "0.4.8"


def serve(conn: Any, raster_size: int, files: int, cpus: set[int] | None = None) -> None:
    from stacsync.sandbox import ProviderOptions, SandboxOptions, running_sandbox

    if cpus:
        os.sched_setaffinity(0, cpus)

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
    started, cpu = time.perf_counter(), os.times()
    report = asyncio.run(pull(Path(spec["root"]), configs, options))
    elapsed, used = time.perf_counter() - started, os.times()
    cpu_s = used.user - cpu.user + used.system - cpu.system
    rss = peak_rss_mb()
    print(
        json.dumps(
            {"seconds": elapsed, "cpu_s": cpu_s, "ok": report.ok, "rss_mb": rss, **report.as_dict()}
        )
    )


def peak_rss_mb() -> float:
    """This process's peak RSS.

    ``VmHWM`` restarts at exec; ``ru_maxrss`` of a child started by ``subprocess`` carries the
    parent's peak (the kernel keeps the larger of the two across exec).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_items(base: str, files: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """One STAC item per file, its ``data`` asset pointing at the sandbox."""
    return [
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


def make_catalog(root: Path, items: list[dict[str, Any]]) -> None:
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
    with CatalogStore.open(root, create=CatalogInfo(id="bench", description="bench")) as store:
        store.upsert_collection(collection)
        store.upsert_items(items)


def timed(command: list[str]) -> dict[str, Any]:
    """Seconds and CPU seconds (user + system) of a command, or nulls if it is missing."""
    if shutil.which(command[0]) is None:
        return {"s": None, "cpu_s": None}
    started, cpu = time.perf_counter(), os.times()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    used = os.times()
    cpu_s = used.children_user - cpu.children_user + used.children_system - cpu.children_system
    return {"s": time.perf_counter() - started, "cpu_s": cpu_s}


def check_files(paths: list[Path], sizes: list[int], tool: str) -> None:
    """Fail unless every file a tool wrote exists with the size the server sent."""
    wrong = [
        p.name
        for p, size in zip(paths, sizes, strict=True)
        if not p.is_file() or p.stat().st_size != size
    ]
    if wrong:
        raise SystemExit(f"{tool}: {len(wrong)} of {len(paths)} files missing or of the wrong size")


def stac_asset_python(given: str | None, venv: Path) -> Path:
    """An interpreter with stac-asset's CLI: the given one, or a venv created on demand."""
    if given:
        return Path(given)
    python = venv / "bin" / "python"
    probe = [
        str(python),
        "-c",
        "import importlib.metadata as m, sys, stac_asset; "
        f"sys.exit(m.version('stac-asset') != {STAC_ASSET_VERSION!r})",
    ]
    if python.exists() and subprocess.run(probe, check=False).returncode == 0:
        return python
    print(f"creating {venv} with stac-asset {STAC_ASSET_VERSION}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", f"stac-asset=={STAC_ASSET_VERSION}"]
    installed = subprocess.run(pip, check=False, capture_output=True, text=True)
    if installed.returncode != 0:
        raise SystemExit(f"pip install stac-asset failed:\n{installed.stderr}")
    return python


STAC_ASSET_RUN = """
import asyncio, json, os, sys, time
import importlib.metadata
from pystac import ItemCollection
from stac_asset import Config, download_item_collection

source, out, auth, parallel = sys.argv[1:]
items = ItemCollection.from_file(source)
config = Config(http_headers={"Authorization": "Basic " + auth})
started, cpu = time.perf_counter(), os.times()
asyncio.run(
    download_item_collection(items, out, config=config, max_concurrent_downloads=int(parallel))
)
used = os.times()
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "cpu_s": used.user - cpu.user + used.system - cpu.system,
    "rss_mb": next(
        int(line.split()[1]) / 1024
        for line in open("/proc/self/status")
        if line.startswith("VmHWM:")
    ),
    "version": importlib.metadata.version("stac-asset"),
}))
"""
"""Run in stac-asset's interpreter: time ``download_item_collection`` the way stacsync's
``pull`` is timed in its child process (after imports and start-up)."""


def run_stac_asset(
    python: Path, items: list[dict[str, Any]], work: Path, auth: str, parallel: int
) -> dict[str, Any]:
    """Time stac-asset on an ItemCollection of ``items``; check what it wrote.

    stac-asset picks its HTTP client for ``http://`` hrefs as for ``https://``; the
    credentials travel as an ``Authorization`` header (``Config.http_headers``, the CLI's
    ``--http-header``), as aria2c and curl send them. Concurrency is
    ``max_concurrent_downloads``; errors fail the run (stac-asset's default).
    """
    source = work / "sa-input.json"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    out = work / "sa"
    command = [str(python), "-c", STAC_ASSET_RUN, str(source), str(out), auth, str(parallel)]
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    process = time.perf_counter() - started
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    paths = [out / item["id"] / item["assets"]["data"]["href"].rsplit("/", 1)[-1] for item in items]
    check_files(paths, [item["assets"]["data"]["file:size"] for item in items], "stac-asset")
    return {**measured, "process_s": process}


class Tools:
    """Each tool's run into a fresh folder: seconds (and what else it measured)."""

    def __init__(self, info: dict[str, Any], parallel: int, sa_python: Path | None) -> None:
        creds = info["describe"]["terrascope"]["credentials"]
        self.user, self.password = creds["username"], creds["password"]
        self.info, self.parallel, self.sa_python = info, parallel, sa_python
        self.urls = [info["base"] + p for p, _ in info["files"]]
        self.sizes = [size for _, size in info["files"]]
        self.items = bench_items(info["base"], info["files"])

    def names(self) -> list[str]:
        """The tools this run compares (stac-asset only when it has an interpreter)."""
        names = ["stacsync"]
        names += [tool for tool in ("aria2c", "curl") if shutil.which(tool)]
        return names + (["stac_asset"] if self.sa_python else [])

    def run(self, tool: str, work: Path) -> dict[str, Any]:
        work.mkdir()
        measured: dict[str, Any] = getattr(self, tool)(work)
        shutil.rmtree(work)
        return measured

    def stacsync(self, work: Path) -> dict[str, Any]:
        root = work / "cat"
        make_catalog(root, self.items)
        spec = work / "spec.json"
        spec.write_text(
            json.dumps(
                {"root": str(root), "describe": self.info["describe"], "parallel": self.parallel}
            )
        )
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--child-pull", str(spec)],
            check=True,
            capture_output=True,
            text=True,
        )
        process = time.perf_counter() - started
        pulled = json.loads(out.stdout.strip().splitlines()[-1])
        assert pulled["ok"] and pulled["fetched"] == len(self.urls), pulled
        names = [u.rsplit("/", 1)[-1] for u in self.urls]
        copies = [root / "bench" / f"item-{i:03d}" / n for i, n in enumerate(names)]
        check_files(copies, self.sizes, "stacsync")
        return {
            "s": pulled["seconds"],
            "cpu_s": pulled["cpu_s"],
            "process_s": process,
            "rss_mb": pulled["rss_mb"],
        }

    def aria2c(self, work: Path) -> dict[str, Any]:
        listing = work / "aria.txt"
        listing.write_text("".join(f"{u}\n  out=f{i:03d}.tif\n" for i, u in enumerate(self.urls)))
        measured = timed(
            [
                "aria2c",
                f"-j{self.parallel}",
                "-x1",
                "--http-user",
                self.user,
                "--http-passwd",
                self.password,
                "--allow-overwrite=true",
                "--auto-file-renaming=false",
                "--console-log-level=error",
                "-d",
                str(work),
                "-i",
                str(listing),
            ]
        )
        check_files([work / f"f{i:03d}.tif" for i in range(len(self.urls))], self.sizes, "aria2c")
        return measured

    def curl(self, work: Path) -> dict[str, Any]:
        command = ["curl", "-s", "-f", "-u", f"{self.user}:{self.password}", "--parallel"]
        command += ["--parallel-max", str(self.parallel)]
        for i, u in enumerate(self.urls):
            command += ["-o", str(work / f"f{i:03d}.tif"), u]
        measured = timed(command)
        check_files([work / f"f{i:03d}.tif" for i in range(len(self.urls))], self.sizes, "curl")
        return measured

    def stac_asset(self, work: Path) -> dict[str, Any]:
        assert self.sa_python is not None
        auth = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        measured = run_stac_asset(self.sa_python, self.items, work, auth, self.parallel)
        return {"s": measured["seconds"], **measured}


def compare(
    info: dict[str, Any], parallel: int, sa_python: Path | None, rounds: int
) -> dict[str, Any]:
    """Fetch the files with every tool, ``rounds`` times in rotating order; medians."""
    total = sum(size for _, size in info["files"])
    result: dict[str, Any] = {
        "files": len(info["files"]),
        "bytes": total,
        "parallel": parallel,
        "rounds": rounds,
    }
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="stacsync-bench-") as tmp_name:
        tools = Tools(info, parallel, sa_python)
        names = tools.names()
        for round_ in range(rounds):
            shift = round_ % len(names)
            for tool in names[shift:] + names[:shift]:
                measured = tools.run(tool, Path(tmp_name) / f"{tool}-{round_}")
                runs.setdefault(tool, []).append(measured)

    def median(tool: str, key: str) -> float | None:
        values = [r[key] for r in runs.get(tool, [])]
        return statistics.median(values) if values else None

    for tool in ("stacsync", "aria2c", "curl", "stac_asset"):
        seconds, cpu = median(tool, "s"), median(tool, "cpu_s")
        result[f"{tool}_s"] = round(seconds, 3) if seconds else None
        result[f"{tool}_mbps"] = round(total / seconds / 1e6, 1) if seconds else None
        result[f"{tool}_cpu_s"] = round(cpu, 2) if cpu else None
    for tool in ("stacsync", "stac_asset"):
        process = median(tool, "process_s")
        rss = max((r["rss_mb"] for r in runs.get(tool, [])), default=None)
        result[f"{tool}_process_s"] = round(process, 3) if process else None
        result[f"{tool}_rss_mb"] = round(rss, 1) if rss else None
    result["stac_asset_version"] = (
        runs["stac_asset"][0]["version"] if "stac_asset" in runs else None
    )
    if rounds > 1:
        result["runs_s"] = {t: [round(r["s"], 3) for r in rs] for t, rs in runs.items()}
    others = [result[f"{t}_s"] for t in ("aria2c", "curl") if result[f"{t}_s"]]
    best = min(others) if others else None
    result["ratio_vs_best"] = round(best / result["stacsync_s"], 3) if best else None
    sa = result["stac_asset_s"]
    result["ratio_vs_stac_asset"] = round(sa / result["stacsync_s"], 3) if sa else None
    met = None
    if result["ratio_vs_best"] is not None and sa:
        met = result["ratio_vs_best"] >= 0.9 and result["ratio_vs_stac_asset"] >= 1.0
    result["target_met"] = met
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--raster-size", type=int, default=3000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument(
        "--stac-asset-python", help="an interpreter with stac-asset installed (default: a venv)"
    )
    parser.add_argument(
        "--stac-asset-venv",
        type=Path,
        default=Path(tempfile.gettempdir()) / f"stacsync-bench-stac-asset-{STAC_ASSET_VERSION}",
        help="where to create (once) the stac-asset venv",
    )
    parser.add_argument("--no-stac-asset", action="store_true", help="skip stac-asset (null)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds in rotating tool order (medians reported)"
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="run the server on the first CPU and every tool on the others (Linux)",
    )
    parser.add_argument("--child-pull")
    args = parser.parse_args()
    if args.child_pull:
        child_pull(args.child_pull)
        return
    sa_python = None
    if not args.no_stac_asset:
        sa_python = stac_asset_python(args.stac_asset_python, args.stac_asset_venv)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    cpus = sorted(os.sched_getaffinity(0)) if args.pin else []
    if args.pin and len(cpus) < 2:
        raise SystemExit("--pin needs at least two CPUs")
    server_cpus = {cpus[0]} if args.pin else None
    server = ctx.Process(
        target=serve, args=(child, args.raster_size, args.files, server_cpus), daemon=True
    )
    server.start()
    if args.pin:  # every tool started from here on inherits this
        os.sched_setaffinity(0, set(cpus[1:]))
    try:
        info = parent.recv()
        result = compare(info, args.parallel, sa_python, args.rounds)
        result["pinned"] = {"server": cpus[:1], "tools": cpus[1:]} if args.pin else None
    finally:
        parent.send("stop")
        server.join(10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
