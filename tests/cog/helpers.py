"""Generated rasters and archives for the COG tests (small: a few hundred pixels)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from stacsync.sandbox.backbone.archive import build_zip
from stacsync.sandbox.backbone.footprint import Grid
from stacsync.sandbox.backbone.legend import LEGEND, NODATA
from stacsync.sandbox.backbone.raster import class_array, raster_entries
from stacsync.sandbox.rasters import RasterSpec, make_geotiff

PALETTE = {
    1: (255, 0, 0, 255),
    2: (0, 128, 0, 255),
    3: (0, 0, 255, 255),
    4: (255, 255, 0, 255),
    255: (0, 0, 0, 0),
}
ORDER_ID = "7725deb0346c7ac7519452ba8435d0f3"


def categorical_spec(size: int = 512, **kw: Any) -> RasterSpec:
    base: dict[str, Any] = {
        "width": size,
        "height": size,
        "epsg": 3035,
        "origin": (4_000_000.0, 3_000_000.0),
        "resolution": 10.0,
        "dtype": "uint8",
        "nodata": 255,
        "values": [1, 2, 3, 4],
        "colormap": PALETTE,
        "seed": 7,
    }
    base.update(kw)
    return RasterSpec(**base)


def continuous_spec(size: int = 400, **kw: Any) -> RasterSpec:
    base: dict[str, Any] = {
        "width": size,
        "height": size + 37,
        "epsg": 32633,
        "origin": (500_000.0, 5_000_000.0),
        "resolution": 20.0,
        "dtype": "float32",
        "nodata": -9999.0,
        "value_range": (-5.0, 120.0),
        "nodata_fraction": 0.2,
        "seed": 11,
    }
    base.update(kw)
    return RasterSpec(**base)


def write(path: Path, spec: RasterSpec) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_geotiff(spec))
    return path


def read_all(path: Path) -> tuple[np.ndarray, dict[str, Any]]:
    with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
        meta = {
            "crs": src.crs,
            "transform": src.transform,
            "nodata": src.nodata,
            "dtypes": src.dtypes,
            "descriptions": src.descriptions,
            "colormap": src.colormap(1) if src.colorinterp[0].name == "palette" else None,
        }
        return src.read(), meta


def assert_same_pixels(source: Path, cog: Path) -> None:
    a, meta_a = read_all(source)
    b, meta_b = read_all(cog)
    assert a.shape == b.shape
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)
    for key in ("crs", "transform", "nodata", "dtypes", "descriptions", "colormap"):
        assert meta_a[key] == meta_b[key], key


def backbone_grid(size: int = 300) -> Grid:
    return Grid(3035, 4_321_000.0, 3_210_000.0, 10.0, size, size - 40)


def backbone_zip(folder: Path, size: int = 300, *, nodata_corner: bool = True) -> Path:
    """A CLC+ Backbone AOI raster package built by the sandbox's own builders."""
    grid = backbone_grid(size)
    data = class_array(grid, "cog-tests")
    if nodata_corner:  # a clipped AOI: the upper-left triangle is outside
        rows, cols = np.indices(data.shape)
        data[rows + cols < size // 2] = NODATA
    base = f"Raster_{ORDER_ID}"
    entries = raster_entries(base, data, grid, folder / "work")
    path = folder / f"{base}.zip"
    path.write_bytes(build_zip(entries))
    return path


def official_legend() -> dict[int, tuple[str, str]]:
    return {c.value: (c.name, c.hex.removeprefix("#")) for c in LEGEND}


def make_zip(path: Path, entries: dict[str, bytes], *, modes: dict[str, int] | None = None) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (modes or {}).get(name, stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data)
    path.write_bytes(buffer.getvalue())
    return path


def item_for(archive_href: str, *, item_id: str = "clcplus-bb-2018-raster-test") -> dict[str, Any]:
    """A harvested Item before pull: an approximate geometry and the zip as its only asset."""
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": ["https://stac-extensions.github.io/projection/v1.1.0/schema.json"],
        "id": item_id,
        "collection": "clcplus-backbone-raster",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[9.0, 51.0], [11.0, 51.0], [11.0, 53.0], [9.0, 53.0], [9.0, 51.0]]],
        },
        "bbox": [9.0, 51.0, 11.0, 53.0],
        "properties": {"datetime": "2018-01-01T00:00:00Z", "proj:epsg": 3035},
        "links": [{"rel": "collection", "href": "../collection.json", "type": "application/json"}],
        "assets": {
            "data": {
                "href": archive_href,
                "type": "application/zip",
                "roles": ["data"],
                "title": "Raster package",
            }
        },
    }
