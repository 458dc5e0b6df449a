"""Deterministic generated rasters: the bytes the emulators deliver.

Every raster is a function of its parameters and a seed, so checksums are stable across
runs and machines with the same GDAL. Sizes are small by default and set by
``SandboxOptions.raster_size`` for benchmarks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import Affine


@dataclass(frozen=True, kw_only=True)
class RasterSpec:
    """What to generate.

    ``values`` lists the class values of a categorical raster (drawn in blocks so it
    compresses like a land-cover map); without it the raster is a smooth continuous field
    scaled into ``value_range``.
    """

    width: int
    height: int
    epsg: int
    origin: tuple[float, float]
    """Upper-left corner (x, y) in the CRS."""
    resolution: float
    dtype: str = "uint8"
    count: int = 1
    nodata: float | None = None
    values: Sequence[int] | None = None
    value_range: tuple[float, float] = (0.0, 250.0)
    nodata_fraction: float = 0.05
    colormap: Mapping[int, tuple[int, int, int, int]] | None = None
    band_descriptions: Sequence[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    tiled: bool = False
    compress: str | None = "deflate"
    seed: int = 0

    @property
    def transform(self) -> Affine:
        """The affine geotransform."""
        x, y = self.origin
        return Affine(self.resolution, 0.0, x, 0.0, -self.resolution, y)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the CRS."""
        x, y = self.origin
        return (x, y - self.height * self.resolution, x + self.width * self.resolution, y)


def _seed(spec: RasterSpec, band: int) -> int:
    digest = hashlib.sha256(f"{spec.seed}:{band}:{spec.width}x{spec.height}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _band(spec: RasterSpec, band: int) -> np.ndarray:
    rng = np.random.default_rng(_seed(spec, band))
    h, w = spec.height, spec.width
    if spec.values is not None:
        block = max(4, min(h, w) // 16)
        coarse = rng.choice(np.asarray(spec.values), size=(-(-h // block), -(-w // block)))
        data = np.kron(coarse, np.ones((block, block), dtype=coarse.dtype))[:h, :w]
    else:
        yy, xx = np.mgrid[0:h, 0:w].astype("float64")
        phase = rng.uniform(0, 2 * np.pi, size=2)
        field_ = np.sin(xx / max(w, 1) * 6 + phase[0]) + np.cos(yy / max(h, 1) * 4 + phase[1])
        low, high = spec.value_range
        data = low + (field_ + 2) / 4 * (high - low) + rng.normal(0, (high - low) / 100, (h, w))
    data = data.astype(spec.dtype)
    if spec.nodata is not None and spec.nodata_fraction > 0:
        cut = int(w * spec.nodata_fraction)
        data[:, :cut] = spec.nodata
    return data


def make_geotiff(spec: RasterSpec) -> bytes:
    """The bytes of a GeoTIFF described by ``spec``."""
    profile: dict[str, object] = {
        "driver": "GTiff",
        "width": spec.width,
        "height": spec.height,
        "count": spec.count,
        "dtype": spec.dtype,
        "crs": f"EPSG:{spec.epsg}",
        "transform": spec.transform,
        "nodata": spec.nodata,
    }
    if spec.compress:
        profile["compress"] = spec.compress
    if spec.tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), MemoryFile() as memfile:
        with memfile.open(**profile) as dst:
            for band in range(1, spec.count + 1):
                dst.write(_band(spec, band), band)
                if band <= len(spec.band_descriptions):
                    dst.set_band_description(band, spec.band_descriptions[band - 1])
            if spec.colormap is not None:
                dst.write_colormap(1, dict(spec.colormap))
            if spec.tags:
                dst.update_tags(**spec.tags)
        data: bytes = memfile.read()
    return data


def read_profile(data: bytes) -> dict[str, object]:
    """The rasterio profile of GeoTIFF bytes (used by tests and fidelity checks)."""
    with MemoryFile(data) as memfile, memfile.open() as src:
        profile: dict[str, object] = dict(src.profile)
        profile["bounds"] = tuple(src.bounds)
        return profile


__all__ = ["RasterSpec", "make_geotiff", "read_profile"]
