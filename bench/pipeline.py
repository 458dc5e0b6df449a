"""Benchmark: the whole pull + COG pipeline on CLC+ Backbone deliveries from the sandbox.

The Backbone emulator runs in its own process. A catalogue definition with D AOI orders (lon/lat
boxes around European cities, each about PIXELS x PIXELS at 10 m) is harvested first (orders
placed, waited for and mapped to items; not timed). Then, in the same run and on the same
delivered zips:

* stacsync: ``stacsync.api.pull`` with its defaults (COG step on) in a child process: download,
  verify, unpack, convert each raster to a COG, thumbnail, rewrite the items. Timed around the
  call; ``stacsync_process_s`` is the whole child process.
* baseline, the script a user writes today, in a child process: for each delivery in turn,
  ``curl`` it, unzip it, and ``rio cogeo create`` each GeoTIFF (``cog_translate`` with the
  ``deflate`` profile and its defaults). Timed the same way.

Each round runs both sides on fresh copies (the harvested catalogue copied, an empty baseline
folder); with ``--rounds R`` the side that goes first alternates and the medians are reported.
After every round both outputs are checked: stacsync's report (every delivery fetched and
converted, no failure), the items' data assets (COG media type), both sides' files (valid COGs,
pixels equal to the delivered GeoTIFF) and the delivered bytes (stacsync's kept archives are the
bytes the baseline downloaded).

The emulator's own rasters are a 12 x 12 grid of one-class blocks: a 6000-pixel delivery zips to
0.14 MB, which would make "MB/s" meaningless. With ``--texture landcover`` (the default) the
emulator process builds its packages from a patchy land-cover field instead (the same package
builder: LZW GeoTIFF with colour table, ``.ovr``, ``.aux.xml``, ``.tfw``, QML, XML, zip), which
takes about 0.1 byte per pixel as LZW. ``--texture emulator`` keeps the blocks.

Prints one JSON line: deliveries, pixels, delivered bytes, seconds, MB/s and items/s of each
side, the ratio (baseline seconds / stacsync seconds: above 1, stacsync is faster) and peak RSS.

    python bench/pipeline.py --deliveries 6 --pixels 5000 --rounds 3   # or: just bench pipeline
    python bench/pipeline.py --deliveries 2 --pixels 1500      # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

CITIES = (
    ("munich", 11.58, 48.14),
    ("prague", 14.42, 50.09),
    ("zurich", 8.54, 47.37),
    ("berlin", 13.40, 52.52),
    ("vienna", 16.37, 48.21),
    ("brussels", 4.35, 50.85),
    ("milan", 9.19, 45.46),
    ("hamburg", 9.99, 53.55),
    ("lyon", 4.84, 45.76),
    ("krakow", 19.94, 50.06),
    ("copenhagen", 12.57, 55.68),
    ("ljubljana", 14.51, 46.06),
)
"""AOI centres (name, lon, lat): one delivery each, in this order."""

METRES_PER_DEGREE = 111_320.0
GRID_MARGIN = 1.3
"""The emulator's pixel cap relative to PIXELS: a lon/lat box's EPSG:3035 bounds are wider
than the box, and a tighter cap would coarsen the grid instead of keeping 10 m."""

# -- delivered land cover -------------------------------------------------------------------

LANDSCAPE = np.array(
    [
        [10, 10, 9],  # water, bare ground
        [6, 7, 6],  # permanent and periodically herbaceous
        [7, 6, 7],
        [7, 3, 5],  # crops, broadleaved trees, low woody plants
        [3, 2, 3],  # forest
        [2, 2, 9],  # needle-leaved forest, bare rock
    ],
    dtype="uint8",
)
"""Land-cover code by landscape band (rows, a large-scale field) and parcel band (columns)."""
SEALED = 1
SEALED_SHARE = 0.05


def upsample(coarse: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear upsampling of a small float32 array to ``height`` x ``width``."""
    ch, cw = coarse.shape
    r = (np.arange(height, dtype="float32") + 0.5) * (ch - 1) / height
    c = (np.arange(width, dtype="float32") + 0.5) * (cw - 1) / width
    r0, c0 = r.astype("int64"), c.astype("int64")
    fr, fc = (r - r0)[:, None], (c - c0)[None, :]
    rows = coarse[r0] * (1 - fr) + coarse[r0 + 1] * fr
    result: np.ndarray = rows[:, c0] * (1 - fc) + rows[:, c0 + 1] * fc
    return result


def noise(
    rng: np.random.Generator, height: int, width: int, octaves: tuple[tuple[int, float], ...]
) -> np.ndarray:
    """Value noise: random grids of the given cell sizes (pixels), upsampled and weighted."""
    out = np.zeros((height, width), dtype="float32")
    for cell, weight in octaves:
        coarse = rng.random((height // cell + 2, width // cell + 2), dtype="float32")
        out += weight * upsample(coarse, height, width)
    return out


def bands(field: np.ndarray, count: int) -> np.ndarray:
    """Each pixel's band among ``count`` equally populated bands of ``field``."""
    edges = np.quantile(field[::16, ::16], np.linspace(0.0, 1.0, count + 1)[1:-1])
    result: np.ndarray = np.searchsorted(edges, field)
    return result


def landcover(grid: Any, seed_text: str) -> np.ndarray:
    """Patchy land-cover codes (1-11) for a Backbone ``Grid``: landscapes, parcels, towns.

    Same signature as the emulator's ``class_array``. Seeded by the grid alone (the emulator's
    ``seed_text`` holds the order id, which changes with the sandbox's random user id), so every
    run delivers the same bytes for the same AOI.
    """
    key = f"{grid.epsg}:{grid.left}:{grid.top}:{grid.resolution}:{grid.width}:{grid.height}"
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    h, w = grid.height, grid.width
    landscape = noise(rng, h, w, ((800, 1.0), (200, 0.4), (50, 0.15), (12, 0.06)))
    parcels = noise(rng, h, w, ((60, 1.0), (15, 0.4), (4, 0.1)))
    data: np.ndarray = LANDSCAPE[bands(landscape, LANDSCAPE.shape[0]), bands(parcels, 3)]
    towns = noise(rng, h, w, ((300, 1.0), (6, 0.35)))
    data[towns > np.quantile(towns[::16, ::16], 1.0 - SEALED_SHARE)] = SEALED
    return data


# -- the sandbox ----------------------------------------------------------------------------


def serve(conn: Any, raster_size: int, texture: str) -> None:
    """Run the Backbone emulator until told to stop (in a process of its own)."""
    from stacsync.sandbox import ProviderOptions, SandboxOptions, running_sandbox

    if texture == "landcover":
        import stacsync.sandbox.backbone.packages as packages

        packages.class_array = landcover  # type: ignore[assignment]
    options = SandboxOptions(
        providers=("backbone",),
        raster_size=raster_size,
        backbone=ProviderOptions(order_delay=0.2),
    )
    with running_sandbox(options) as sb:
        conn.send(sb.describe())
        conn.recv()


def configs_for(describe: dict[str, Any]) -> dict[str, Any]:
    """Provider configurations pointed at the sandbox (defaults otherwise)."""
    from stacsync.transport import load_provider_configs
    from stacsync.transport.credentials import sandbox_configs

    base = load_provider_configs(environ={}, use_netrc=False)
    return dict(sandbox_configs(describe, base))


def aoi_wkt(lon: float, lat: float, pixels: int) -> str:
    """A lon/lat box about ``pixels`` x 10 m wide and high, centred on (lon, lat)."""
    half = pixels * 10.0 / 2
    dx = half / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    dy = half / METRES_PER_DEGREE
    w, s, e, n = lon - dx, lat - dy, lon + dx, lat + dy
    ring = f"{w:.5f} {s:.5f}, {e:.5f} {s:.5f}, {e:.5f} {n:.5f}, {w:.5f} {n:.5f}, {w:.5f} {s:.5f}"
    return f"POLYGON (({ring}))"


def write_definition(folder: Path, deliveries: int, pixels: int) -> Path:
    """A catalogue definition with one Backbone AOI raster order per city."""
    if deliveries > len(CITIES):
        raise SystemExit(f"at most {len(CITIES)} deliveries")
    lines = [
        'id = "pipeline"',
        'description = "CLC+ Backbone deliveries for the pipeline benchmark"',
        'path = "cat"',
    ]
    for name, lon, lat in CITIES[:deliveries]:
        lines += [
            "",
            "[[sources]]",
            f'name = "backbone-{name}"',
            'provider = "backbone"',
            'kind = "aoi"',
            'product = "Raster"',
            f'aoi = "{aoi_wkt(lon, lat, pixels)}"',
        ]
    path = folder / "pipeline.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def harvest(definition_path: Path, describe: dict[str, Any]) -> tuple[Path, list[dict[str, Any]]]:
    """Order every delivery and write the items; returns the catalogue and the items."""
    from stacsync.definition import load_definition
    from stacsync.harvest import HarvestOptions
    from stacsync.harvest import harvest as run_harvest

    definition = load_definition(definition_path)
    options = HarvestOptions(max_wait=1800.0, poll_initial=0.2, poll_max=2.0)
    report = asyncio.run(run_harvest(definition, configs_for(describe), options))
    if not report.ok:
        raise SystemExit(f"harvest failed: {json.dumps(report.as_dict())[:2000]}")
    items = [
        json.loads(p.read_text())
        for p in sorted(definition.path.glob("*/*/*.json"))
        if p.name != "collection.json"
    ]
    return definition.path, items


# -- the two sides --------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM restarts at exec, unlike the inherited ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_pull(spec: dict[str, Any]) -> dict[str, Any]:
    from stacsync.api import pull
    from stacsync.sync import PullOptions

    configs = configs_for(spec["describe"])
    started = time.perf_counter()
    report = asyncio.run(pull(Path(spec["root"]), configs, PullOptions()))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rss_mb": peak_rss_mb(),
        "ok": report.ok,
        "fetched": report.fetched,
        "converted": report.converted,
        "bytes": report.bytes_transferred,
        "failures": len(report.failures),
    }


def child_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    from rio_cogeo.cogeo import cog_translate
    from rio_cogeo.profiles import cog_profiles

    work = Path(spec["work"])
    started = time.perf_counter()
    for href in spec["hrefs"]:
        archive = work / href.rsplit("/", 1)[-1]
        subprocess.run(["curl", "-s", "-f", "-o", str(archive), href], check=True)
        unpacked = work / archive.stem
        with zipfile.ZipFile(archive) as package:
            package.extractall(unpacked)
        for tif in sorted(unpacked.rglob("*.tif")):
            cog = tif.with_name(f"{tif.stem}_cog.tif")
            cog_translate(str(tif), str(cog), cog_profiles.get("deflate"), quiet=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rss_mb": peak_rss_mb()}


def run_child(mode: str, spec: dict[str, Any], work: Path) -> dict[str, Any]:
    """Run one side in a fresh interpreter; its measurements plus the process's wall time."""
    path = work / f"{mode}.json"
    path.write_text(json.dumps(spec))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    measured["process_s"] = time.perf_counter() - started
    return measured


# -- checks ---------------------------------------------------------------------------------


def same_pixels(a: Path, b: Path) -> bool:
    import rasterio

    with rasterio.open(a) as x, rasterio.open(b) as y:
        return bool(x.shape == y.shape and np.array_equal(x.read(1), y.read(1)))


def check_outputs(root: Path, work: Path, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare both sides' outputs with the delivered rasters; fail on any difference."""
    import rasterio
    from rio_cogeo.cogeo import cog_validate

    pixels = 0
    for item in items:
        name = item["assets"]["data"]["href"].rsplit("/", 1)[-1]
        stem = name.rsplit(".", 1)[0]
        folder = root / item["collection"] / item["id"]
        pulled = json.loads((folder / f"{item['id']}.json").read_text())
        data = pulled["assets"]["data"]
        if "cloud-optimized" not in data["type"]:
            raise SystemExit(f"{item['id']}: data asset is {data['type']}")
        ours = (folder / data["href"]).resolve()
        source = work / stem / f"{stem}.tif"
        theirs = work / stem / f"{stem}_cog.tif"
        for cog in (ours, theirs):
            if not cog_validate(str(cog), quiet=True)[0]:
                raise SystemExit(f"{cog} is not a valid COG")
            if not same_pixels(source, cog):
                raise SystemExit(f"{cog}: pixels differ from {source}")
        kept = folder / name
        if kept.read_bytes() != (work / name).read_bytes():
            raise SystemExit(f"{kept}: not the bytes the baseline downloaded")
        with rasterio.open(source) as ds:
            pixels += ds.width * ds.height
            shape = [ds.height, ds.width]
    return {"pixels": pixels, "last_shape": shape}


# -- main -----------------------------------------------------------------------------------


def run_round(
    round_: int,
    baseline_first: bool,
    harvested: Path,
    items: list[dict[str, Any]],
    describe: dict[str, Any],
    tmp: Path,
) -> dict[str, dict[str, Any]]:
    """Both sides once, on fresh copies; outputs checked, then removed."""
    root = tmp / f"cat-{round_}"
    shutil.copytree(harvested, root)
    work = tmp / f"baseline-{round_}"
    work.mkdir()
    hrefs = [item["assets"]["data"]["href"] for item in items]
    sides = [
        ("stacsync", {"root": str(root), "describe": describe}),
        ("baseline", {"hrefs": hrefs, "work": str(work)}),
    ]
    if baseline_first:
        sides.reverse()
    runs = {mode: run_child(mode, spec, tmp) for mode, spec in sides}
    ours = runs["stacsync"]
    if not (ours["ok"] and ours["fetched"] == len(items) and ours["converted"] == len(items)):
        raise SystemExit(f"stacsync pull did not convert every delivery: {ours}")
    runs["checked"] = check_outputs(root, work, items)
    runs["checked"]["bytes"] = sum((work / h.rsplit("/", 1)[-1]).stat().st_size for h in hrefs)
    runs["checked"]["order"] = [mode for mode, _ in sides]
    shutil.rmtree(root)
    shutil.rmtree(work)
    return runs


def measure(args: argparse.Namespace, describe: dict[str, Any], tmp: Path) -> dict[str, Any]:
    definition = write_definition(tmp, args.deliveries, args.pixels)
    harvest_started = time.perf_counter()
    harvested, items = harvest(definition, describe)
    harvest_s = time.perf_counter() - harvest_started
    rounds = [
        run_round(r, args.baseline_first != (r % 2 == 1), harvested, items, describe, tmp)
        for r in range(args.rounds)
    ]
    checked = rounds[-1]["checked"]
    delivered, pixels = checked["bytes"], checked["pixels"]

    def median(side: str, key: str) -> float:
        return statistics.median(r[side][key] for r in rounds)

    ours, theirs = median("stacsync", "seconds"), median("baseline", "seconds")

    def rate(amount: float, seconds: float) -> float:
        return round(amount / seconds, 2)

    result: dict[str, Any] = {
        "bench": "pipeline",
        "deliveries": len(items),
        "texture": args.texture,
        "shape": checked["last_shape"],
        "megapixels": round(pixels / 1e6, 1),
        "bytes": delivered,
        "rounds": args.rounds,
        "harvest_s": round(harvest_s, 1),
        "stacsync_s": round(ours, 3),
        "stacsync_process_s": round(median("stacsync", "process_s"), 3),
        "baseline_s": round(theirs, 3),
        "baseline_process_s": round(median("baseline", "process_s"), 3),
        "ratio": round(theirs / ours, 3),
        "stacsync_mbps": rate(delivered / 1e6, ours),
        "baseline_mbps": rate(delivered / 1e6, theirs),
        "stacsync_items_per_s": rate(len(items), ours),
        "baseline_items_per_s": rate(len(items), theirs),
        "stacsync_mpx_per_s": rate(pixels / 1e6, ours),
        "baseline_mpx_per_s": rate(pixels / 1e6, theirs),
        "stacsync_rss_mb": round(max(r["stacsync"]["rss_mb"] for r in rounds), 1),
        "baseline_rss_mb": round(max(r["baseline"]["rss_mb"] for r in rounds), 1),
    }
    if args.rounds > 1:
        result["runs_s"] = {
            side: [round(r[side]["seconds"], 3) for r in rounds]
            for side in ("stacsync", "baseline")
        }
        result["first"] = [r["checked"]["order"][0] for r in rounds]
    else:
        result["first"] = rounds[0]["checked"]["order"][0]
    result["cpus"] = os.cpu_count()
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=6, help="Backbone AOI orders")
    parser.add_argument("--pixels", type=int, default=5000, help="side of each AOI at 10 m")
    parser.add_argument("--texture", choices=["landcover", "emulator"], default="landcover")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (medians reported)")
    parser.add_argument(
        "--baseline-first", action="store_true", help="baseline first in round 1 (then alternate)"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path = args.child
        spec = json.loads(Path(path).read_text())
        result = child_pull(spec) if mode == "stacsync" else child_baseline(spec)
        print(json.dumps(result))
        return
    if shutil.which("curl") is None:
        raise SystemExit("the baseline needs curl")
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    raster_size = math.ceil(args.pixels * GRID_MARGIN)
    server = ctx.Process(target=serve, args=(child, raster_size, args.texture), daemon=True)
    server.start()
    try:
        describe = parent.recv()
        with tempfile.TemporaryDirectory(prefix="stacsync-pipeline-") as tmp:
            result = measure(args, describe, Path(tmp))
    finally:
        parent.send("stop")
        server.join(30)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
