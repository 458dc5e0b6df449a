"""Benchmark: write N items into a static catalogue with stacsync's store and with pystac.

Baseline: pystac used the fast way (catalogue and collection self hrefs set before items are
added, no normalize_hrefs, ``save(SELF_CONTAINED)``). Each side runs in its own process so
peak memory (ru_maxrss) is measured separately. Prints one JSON line.

    python bench/catalog_write.py --n 100000 --changed 1000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
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


def child(phase: str, root: Path, n: int, changed: int) -> dict[str, Any]:
    """Run a phase in a subprocess; return its timing and peak RSS."""
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
    parser.add_argument("--phase", choices=["stacsync", "reupsert", "pystac"])
    parser.add_argument("--root", type=Path)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.phase:
        runner = {"stacsync": run_stacsync, "pystac": run_pystac}.get(args.phase)
        seconds = (
            run_reupsert(args.root, args.n, args.changed)
            if args.phase == "reupsert"
            else runner(args.root, args.n)  # type: ignore[misc]
        )
        print(json.dumps({"seconds": seconds}))
        return
    work = Path(tempfile.mkdtemp(prefix="stacsync-bench-", dir=args.workdir))
    try:
        ours = child("stacsync", work / "stacsync", args.n, args.changed)
        again = child("reupsert", work / "stacsync", args.n, args.changed)
        theirs = child("pystac", work / "pystac", args.n, args.changed)
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
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
