"""Benchmark: write N items into a static catalogue with stacsync's store and with pystac.

Baseline: pystac used the fast way (catalogue and collection self hrefs set before items are
added, no normalize_hrefs, ``save(SELF_CONTAINED)``). Each side runs in its own process so
peak memory (ru_maxrss) is measured separately. Prints one JSON line.

Two floors put the figures in perspective: the file system work alone, done by a tight loop
of the same system calls on the same number of threads with no per-item Python beyond the
calls (``floor_s``: mkdir + unnamed file + write + link per new item; ``floor_replace_s``:
read + temporary file + write + rename per changed item, on the stacsync catalogue).

    python bench/catalog_write.py --n 100000 --changed 1000
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

COLLECTION = "clms-hrl-tcd-2018"
EXTENSIONS = [
    "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v2.0.0/schema.json",
]


def make_item(i: int, *, revision: int = 0) -> dict[str, Any]:
    """A realistic item: a 10 km EPSG:3035 tile with three assets."""
    rng = random.Random(i)
    x0 = 4_000_000 + (i % 300) * 10_000
    y0 = 2_500_000 + (i // 300) * 10_000
    lon = -10 + (i % 300) * 0.13
    lat = 35 + (i // 300) * 0.09 % 35
    geometry = {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + 0.13, lat], [lon + 0.13, lat + 0.09], [lon, lat + 0.09], [lon, lat]]
        ],
    }
    when = datetime(2018, 1, 1, tzinfo=UTC) + timedelta(hours=i % 8760)
    assets = {}
    for key, role in (("data", "data"), ("quality", "metadata"), ("thumbnail", "thumbnail")):
        size = rng.randint(10_000, 50_000_000)
        digest = hashlib.sha256(f"{i}:{key}:{revision}".encode()).hexdigest()
        asset: dict[str, Any] = {
            "href": f"https://download.example.eu/hrl/tcd/2018/{i:06d}/{key}.tif",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "title": f"{key} of tile {i}",
            "roles": [role],
            "file:size": size,
            "file:checksum": "1220" + digest,
        }
        if key != "thumbnail":
            asset.update(
                {
                    "proj:code": "EPSG:3035",
                    "proj:shape": [1000, 1000],
                    "proj:transform": [10.0, 0.0, x0, 0.0, -10.0, y0 + 10_000, 0.0, 0.0, 1.0],
                    "data_type": "uint8",
                    "nodata": 255,
                    "raster:spatial_resolution": 10.0,
                    "statistics": {"minimum": 0, "maximum": 100, "mean": rng.random() * 100},
                }
            )
        assets[key] = asset
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": EXTENSIONS,
        "id": f"tcd-2018-e{x0 // 1000:04d}n{y0 // 1000:04d}",
        "collection": COLLECTION,
        "geometry": geometry,
        "bbox": [lon, lat, lon + 0.13, lat + 0.09],
        "properties": {
            "datetime": when.isoformat().replace("+00:00", "Z"),
            "proj:code": "EPSG:3035",
            "proj:bbox": [x0, y0, x0 + 10_000, y0 + 10_000],
            "gsd": 10,
            "revision": revision,
        },
        "assets": assets,
        # No item-level links: any absolute non-hierarchy link makes pystac's save() walk the
        # whole catalogue per link (quadratic), which is not the "fast way" baseline.
        "links": [],
    }


def collection() -> dict[str, Any]:
    return {
        "type": "Collection",
        "stac_version": "1.1.0",
        "id": COLLECTION,
        "description": "Tree Cover Density 2018, synthetic tiles",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-180, -90, 180, 90]]},
            "temporal": {"interval": [["2018-01-01T00:00:00Z", None]]},
        },
        "links": [{"rel": "license", "href": "https://land.copernicus.eu/en/data-policy"}],
    }


def run_stacsync(root: Path, n: int) -> float:
    from stacsync.catalog import CatalogInfo, CatalogStore

    items = [make_item(i) for i in range(n)]
    start = time.perf_counter()
    with CatalogStore.open(root, create=CatalogInfo(id="bench", description="bench")) as store:
        store.upsert_collection(collection())
        store.upsert_items(items)
    return time.perf_counter() - start


def run_reupsert(root: Path, n: int, changed: int) -> float:
    from stacsync.catalog import CatalogStore

    rng = random.Random(7)
    items = [make_item(i, revision=1) for i in rng.sample(range(n), changed)]
    start = time.perf_counter()
    with CatalogStore.open(root) as store:
        report = store.upsert_items(items)
    elapsed = time.perf_counter() - start
    assert report.updated == changed, report
    return elapsed


def run_pystac(root: Path, n: int) -> float:
    import pystac

    items = [make_item(i) for i in range(n)]
    start = time.perf_counter()
    cat = pystac.Catalog(id="bench", description="bench")
    col = pystac.Collection.from_dict(collection())
    cat.add_child(col)
    # The fast way (libraries.md section 6): self hrefs first, self links at the front, so
    # add_item() and save() find them without scanning every item link.
    cat.set_self_href(str(root / "catalog.json"))
    col.set_self_href(str(root / COLLECTION / "collection.json"))
    col.links.sort(key=lambda link: link.rel != "self")
    for data in items:
        col.add_item(pystac.Item.from_dict(data, preserve_dict=False))
    for container in (cat, col):
        container.links.sort(key=lambda link: link.rel == "item")
    cat.save(pystac.CatalogType.SELF_CONTAINED)
    return time.perf_counter() - start


def _on_threads(n: int, one: Callable[[int], None]) -> float:
    """Run ``one(i)`` for i < n in chunks on the store's writer threads; seconds taken."""
    from stacsync.catalog.writer import CHUNK_ITEMS, WRITE_THREADS

    def chunk(start: int) -> None:
        for i in range(start, min(n, start + CHUNK_ITEMS)):
            one(i)

    start = time.perf_counter()
    with ThreadPoolExecutor(WRITE_THREADS) as pool:
        list(pool.map(chunk, range(0, n, CHUNK_ITEMS)))
    return time.perf_counter() - start


def run_floor(root: Path, n: int) -> float:
    """The file system work of writing n new item files, and nothing else."""
    from stacsync.catalog.encoding import dumps

    blob = dumps(make_item(n // 2))
    folder = root / COLLECTION
    folder.mkdir(parents=True)
    proc_fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    base = f"{folder}/"
    tmpfile = getattr(os, "O_TMPFILE", 0)

    def one(i: int) -> None:
        name = f"tile-{i:07d}"
        os.mkdir(base + name)  # noqa: PTH102 (the floor is raw system calls)
        fd = os.open(base + name, tmpfile | os.O_WRONLY, 0o644)
        os.write(fd, blob)
        os.link(str(fd), f"{base}{name}/{name}.json", src_dir_fd=proc_fd)
        os.close(fd)

    def one_portable(i: int) -> None:
        name = f"tile-{i:07d}"
        os.mkdir(base + name)  # noqa: PTH102
        tmp = f"{base}{name}/.{name}.json.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, blob)
        os.close(fd)
        os.replace(tmp, f"{base}{name}/{name}.json")  # noqa: PTH105

    try:
        one(n)
    except OSError as exc:  # no unnamed files here: the portable sequence is the floor
        if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            raise
        return _on_threads(n, one_portable)
    return _on_threads(n, one)


def run_floor_replace(root: Path, n: int, changed: int) -> float:
    """The file system work of replacing ``changed`` item files, and nothing else."""
    from stacsync.catalog.encoding import dumps

    rng = random.Random(11)
    ids = [make_item(i)["id"] for i in rng.sample(range(n), changed)]
    blob = dumps(make_item(0, revision=2))

    def one(i: int) -> None:
        path = f"{root}/{COLLECTION}/{ids[i]}/{ids[i]}.json"
        fd = os.open(path, os.O_RDONLY)
        while os.read(fd, 1 << 16):
            pass
        os.close(fd)
        tmp = f"{root}/{COLLECTION}/{ids[i]}/.{ids[i]}.json.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, blob)
        os.close(fd)
        os.replace(tmp, path)  # noqa: PTH105

    return _on_threads(changed, one)


def settle_disk(limit: float = 60.0) -> None:
    """Flush dirty pages, then wait (up to ``limit`` s) until the disk has been idle for a
    while (Linux pressure stall information: under 1 % of the last 10 s stalled on I/O)."""
    os.sync()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            some = Path("/proc/pressure/io").read_text().split()
        except OSError:
            return  # no pressure information here
        if float(some[1].removeprefix("avg10=")) < 1.0:
            return
        time.sleep(1.0)


def child(phase: str, root: Path, n: int, changed: int) -> dict[str, Any]:
    """Run a phase in a subprocess; return its timing and peak RSS.

    Each phase starts on a quiet disk (untimed): no phase pays for another's write-back.
    """
    settle_disk()
    cmd = [sys.executable, __file__, "--phase", phase, "--root", str(root), "--n", str(n)]
    cmd += ["--changed", str(changed)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"phase {phase} failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(out)
    result["peak_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=1000)
    parser.add_argument(
        "--phase", choices=["stacsync", "reupsert", "pystac", "floor", "floor-replace"]
    )
    parser.add_argument("--root", type=Path)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.phase:
        runners: dict[str, Callable[[], float]] = {
            "stacsync": lambda: run_stacsync(args.root, args.n),
            "reupsert": lambda: run_reupsert(args.root, args.n, args.changed),
            "pystac": lambda: run_pystac(args.root, args.n),
            "floor": lambda: run_floor(args.root, args.n),
            "floor-replace": lambda: run_floor_replace(args.root, args.n, args.changed),
        }
        print(json.dumps({"seconds": runners[args.phase]()}))
        return
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="stacsync-bench-", dir=args.workdir))
    try:
        ours = child("stacsync", work / "stacsync", args.n, args.changed)
        again = child("reupsert", work / "stacsync", args.n, args.changed)
        theirs = child("pystac", work / "pystac", args.n, args.changed)
        floor = child("floor", work / "floor", args.n, args.changed)
        floor_replace = child("floor-replace", work / "stacsync", args.n, args.changed)
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "benchmark": "catalog_write",
                "n": args.n,
                "stacsync_s": round(ours["seconds"], 3),
                "pystac_fast_s": round(theirs["seconds"], 3),
                "ratio": round(theirs["seconds"] / ours["seconds"], 2),
                "reupsert_changed": args.changed,
                "reupsert_s": round(again["seconds"], 3),
                "reupsert_pct_of_full": round(100 * again["seconds"] / ours["seconds"], 2),
                "stacsync_peak_mb": ours["peak_mb"],
                "reupsert_peak_mb": again["peak_mb"],
                "pystac_peak_mb": theirs["peak_mb"],
                "floor_s": round(floor["seconds"], 3),
                "stacsync_over_floor": round(ours["seconds"] / floor["seconds"], 2),
                "floor_replace_s": round(floor_replace["seconds"], 3),
                "reupsert_over_floor_replace": round(
                    again["seconds"] / floor_replace["seconds"], 2
                ),
                "load_1min": [round(load_before, 2), round(load_after, 2)],
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
