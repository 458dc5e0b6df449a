"""Benchmark: COG conversion by stacsync (``to_cog``) and by GDAL's COG driver directly.

Inputs (generated into a temporary folder that is removed at the end): a SIZE x SIZE uint8
categorical raster with a colour table and a SIZE/2 x SIZE/2 float32 continuous raster with
nodata, both striped and uncompressed. Each conversion runs in its own child process so its
wall time and peak RSS (ru_maxrss) are its own; stacsync and the driver get the same
compression, predictor, overview resampling, block size and thread count. Prints one JSON line.

    python bench/cog.py                  # 20000 x 20000 and 10000 x 10000
    python bench/cog.py --size 2000      # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

ROWS_PER_WRITE = 1024
PALETTE = {v: (37 * v % 256, 91 * v % 256, 151 * v % 256, 255) for v in range(1, 12)}


def make_categorical(path: Path, size: int) -> None:
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:3035",
        "transform": from_origin(4_000_000, 3_000_000, 10, 10),
        "nodata": 255,
        "BIGTIFF": "IF_SAFER",
    }
    rng = np.random.default_rng(1)
    block = 64
    coarse = rng.integers(1, 12, size=(-(-size // block), -(-size // block)), dtype="uint8")
    with rasterio.open(path, "w", **profile) as dst:
        for top in range(0, size, ROWS_PER_WRITE):
            rows = min(ROWS_PER_WRITE, size - top)
            r = np.arange(top, top + rows) // block
            data = np.repeat(coarse[r], block, axis=1)[:, :size]
            noise = rng.random((rows, size)) < 0.02
            data = np.where(noise, rng.integers(1, 12, size=(rows, size), dtype="uint8"), data)
            yy, xx = np.mgrid[top : top + rows, 0:size]
            data[xx + yy < size // 3] = 255  # a clipped corner
            dst.write(data.astype("uint8"), 1, window=Window(0, top, size, rows))
        dst.write_colormap(1, PALETTE)


def make_continuous(path: Path, size: int) -> None:
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:32633",
        "transform": from_origin(400_000, 5_500_000, 20, 20),
        "nodata": -9999.0,
        "BIGTIFF": "IF_SAFER",
    }
    rng = np.random.default_rng(2)
    with rasterio.open(path, "w", **profile) as dst:
        for top in range(0, size, ROWS_PER_WRITE):
            rows = min(ROWS_PER_WRITE, size - top)
            yy, xx = np.mgrid[top : top + rows, 0:size].astype("float64")
            field = 400 + 300 * np.sin(xx / size * 7) * np.cos(yy / size * 5)
            data = (field + rng.normal(0, 2, field.shape)).astype("float32")
            data[:, : size // 10] = -9999.0
            dst.write(data, 1, window=Window(0, top, size, rows))


def child(mode: str, src: str, dst: str, compression: str, categorical: bool) -> None:
    """One conversion in this process; prints wall seconds and peak RSS."""
    from stacsync.cog.convert import cpu_count, to_cog
    from stacsync.cog.profile import CogProfile

    profile = CogProfile(compression=compression)  # type: ignore[arg-type]
    threads = cpu_count()
    started = time.perf_counter()
    if mode == "stacsync":
        to_cog(Path(src), Path(dst), profile, categorical=categorical, threads=threads)
    elif mode == "cog_translate":
        from rio_cogeo.cogeo import cog_translate
        from rio_cogeo.profiles import cog_profiles

        cog_translate(
            src,
            dst,
            cog_profiles.get(compression),
            overview_resampling=profile.resampling(categorical=categorical),
            in_memory=False,
            quiet=True,
            config={"GDAL_NUM_THREADS": threads, "GDAL_TIFF_OVR_BLOCKSIZE": "512"},
        )
    else:
        with rasterio.open(src) as ds:
            dtype = ds.dtypes[0]
        options = profile.creation_options(categorical=categorical, dtype=dtype, threads=threads)
        options.pop("OVERVIEWS")
        options.pop("SPARSE_OK")
        with rasterio.Env(GDAL_NUM_THREADS=threads):
            rasterio.shutil.copy(src, dst, driver="COG", **options)
    wall = time.perf_counter() - started
    print(json.dumps({"wall_s": wall, "rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM restarts at exec; ru_maxrss would carry the parent's."""
    try:
        with Path("/proc/self/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(
    mode: str, src: Path, dst: Path, compression: str, categorical: bool
) -> dict[str, Any]:
    dst.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--child", mode, str(src), str(dst), compression]
    cmd.append("categorical" if categorical else "continuous")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def same_pixels(a: Path, b: Path) -> bool:
    with rasterio.open(a) as x, rasterio.open(b) as y:
        if (x.width, x.height, x.dtypes) != (y.width, y.height, y.dtypes):
            return False
        for top in range(0, x.height, 2048):
            window = Window(0, top, x.width, min(2048, x.height - top))
            if not np.array_equal(x.read(1, window=window), y.read(1, window=window)):
                return False
    return True


def bench_one(
    name: str, src: Path, work: Path, compression: str, categorical: bool, args: Any
) -> dict[str, Any]:
    from rio_cogeo.cogeo import cog_validate

    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    translate: list[dict[str, Any]] = []
    out_ours, out_theirs = work / f"{name}-stacsync.tif", work / f"{name}-driver.tif"
    for i in range(args.repeat):
        pair = [("driver", out_theirs, theirs), ("stacsync", out_ours, ours)]
        for mode, dst, runs in pair if i % 2 == 0 else reversed(pair):
            runs.append(run_child(mode, src, dst, compression, categorical))
        if args.cog_translate:
            out = work / f"{name}-cog-translate.tif"
            translate.append(run_child("cog_translate", src, out, compression, categorical))
            out.unlink()
    valid = [cog_validate(str(p), quiet=True)[0] for p in (out_ours, out_theirs)]
    wall_ours = statistics.median(r["wall_s"] for r in ours)
    wall_theirs = statistics.median(r["wall_s"] for r in theirs)
    extra = {}
    if translate:
        wall_translate = statistics.median(r["wall_s"] for r in translate)
        extra = {
            "cog_translate_s": round(wall_translate, 3),
            "cog_translate_rss_mb": round(max(r["rss_mb"] for r in translate), 1),
        }
    return {
        **extra,
        "stacsync_s": round(wall_ours, 3),
        "driver_s": round(wall_theirs, 3),
        "ratio": round(wall_ours / wall_theirs, 3),
        "stacsync_rss_mb": round(max(r["rss_mb"] for r in ours), 1),
        "driver_rss_mb": round(max(r["rss_mb"] for r in theirs), 1),
        "stacsync_valid_cog": valid[0],
        "driver_valid_cog": valid[1],
        "pixels_equal_source": same_pixels(src, out_ours),
        "stacsync_mb": round(out_ours.stat().st_size / 1e6, 1),
        "driver_mb": round(out_theirs.stat().st_size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=20_000, help="categorical raster side")
    parser.add_argument("--compression", default="deflate", choices=["deflate", "zstd", "lzw"])
    parser.add_argument("--repeat", type=int, default=1, help="runs per side (median)")
    parser.add_argument(
        "--cog-translate", action="store_true", help="also time rio-cogeo's cog_translate"
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, src, dst, compression, kind = args.child
        child(mode, src, dst, compression, kind == "categorical")
        return
    work = Path(tempfile.mkdtemp(prefix="stacsync-bench-cog-"))
    try:
        started = time.perf_counter()
        cat, cont = work / "categorical.tif", work / "continuous.tif"
        make_categorical(cat, args.size)
        make_continuous(cont, args.size // 2)
        generate_s = time.perf_counter() - started
        results = {
            "categorical": bench_one("categorical", cat, work, args.compression, True, args),
            "continuous": bench_one("continuous", cont, work, args.compression, False, args),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = all(
        r["ratio"] <= 1.1
        and r["stacsync_valid_cog"]
        and r["pixels_equal_source"]
        and r["stacsync_rss_mb"] < 1024
        for r in results.values()
    )
    print(
        json.dumps(
            {
                "bench": "cog",
                "categorical_size": [args.size, args.size],
                "continuous_size": [args.size // 2, args.size // 2],
                "compression": args.compression,
                "repeat": args.repeat,
                "cpus": os.cpu_count(),
                "generate_s": round(generate_s, 1),
                **results,
                "targets_met": ok,
            }
        )
    )


if __name__ == "__main__":
    main()
