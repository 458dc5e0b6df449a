"""Asset fields from files: statistics (approximate and exact), footprint, checksum."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import rasterio

from stacsync.cog.convert import to_cog
from stacsync.cog.describe import (
    band_fields,
    file_fields,
    footprint,
    open_raster,
    projection_fields,
)
from tests.cog.helpers import categorical_spec, continuous_spec, write


def test_exact_statistics_match_numpy(tmp_path: Path) -> None:
    cog = to_cog(write(tmp_path / "c.tif", continuous_spec(700)), tmp_path / "cog.tif").path
    with rasterio.open(cog) as ds:
        data = ds.read(1, masked=True)
    valid = data.compressed().astype("float64")
    with open_raster(cog) as ds:
        (exact,) = band_fields(ds, exact=True)
        (approx,) = band_fields(ds, stats_pixels=40_000)
    stats = exact["statistics"]
    assert stats["minimum"] == pytest.approx(valid.min())
    assert stats["maximum"] == pytest.approx(valid.max())
    assert stats["mean"] == pytest.approx(valid.mean(), rel=1e-9)
    assert stats["stddev"] == pytest.approx(valid.std(), rel=1e-6)
    assert stats["valid_percent"] == pytest.approx(100 * valid.size / data.size, abs=1e-3)
    assert sum(exact["histogram"]["buckets"]) == valid.size
    assert exact["histogram"]["count"] == 256
    assert approx["statistics"]["mean"] == pytest.approx(valid.mean(), rel=0.02)
    assert approx["statistics"]["valid_percent"] == pytest.approx(80, abs=2)
    assert sum(approx["histogram"]["buckets"]) < valid.size / 4  # read from an overview
    assert exact["data_type"] == "float32" and exact["nodata"] == -9999
    assert exact["spatial_resolution"] == 20


def test_categorical_histogram_has_one_bucket_per_value(tmp_path: Path) -> None:
    path = write(tmp_path / "c.tif", categorical_spec(300, nodata_fraction=0.0))
    with open_raster(path) as ds:
        (band,) = band_fields(ds, exact=True)
        counts = np.bincount(ds.read(1).ravel(), minlength=5)
    assert band["histogram"]["min"] == 0.5 and band["histogram"]["max"] == 4.5
    assert band["histogram"]["buckets"] == counts[1:5].tolist()


def test_footprint_follows_the_valid_data(tmp_path: Path) -> None:
    spec = continuous_spec(400, nodata_fraction=0.5)  # the left half is nodata
    path = write(tmp_path / "half.tif", spec)
    with open_raster(path) as ds:
        geometry, bbox = footprint(ds)
        proj = projection_fields(ds)
        full_west = rasterio.warp.transform_bounds(ds.crs, "EPSG:4326", *ds.bounds)[0]
    ring = geometry["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) > 8
    west, south, east, north = bbox
    assert west > full_west + 0.01  # the nodata half is not in the footprint
    assert west < east and south < north
    assert proj["proj:code"] == "EPSG:32633"
    assert proj["proj:shape"] == [437, 400]


def test_file_fields(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"hello")
    assert file_fields(path) == {
        "file:size": 5,
        "file:checksum": "1220" + hashlib.sha256(b"hello").hexdigest(),
    }
