"""Whole deliveries: Backbone and CLMS zips in, COGs and a valid rewritten Item out."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from stacsync.cog import ArchiveLimits, CogProfile, convert_delivery, rewrite_item
from stacsync.cog.describe import COG_MEDIA_TYPE, multihash_sha256
from stacsync.errors import ArchiveError
from stacsync.sandbox.backbone.nations import NATIONS
from stacsync.sandbox.backbone.packages import national_package
from stacsync.sandbox.clms.packaging import zip_bytes
from stacsync.sandbox.rasters import make_geotiff
from stacsync.validation import StacValidator
from tests.cog.helpers import (
    assert_same_pixels,
    backbone_zip,
    categorical_spec,
    continuous_spec,
    item_for,
    make_zip,
    official_legend,
)


def href_for(item_dir: Path) -> Callable[[Path], str]:
    return lambda path: Path(os.path.relpath(path, item_dir)).as_posix()


def assert_valid(item: dict[str, Any], validator: StacValidator) -> None:
    problems = validator.validate(json.loads(json.dumps(item)))
    assert problems == [], problems


def unpacked_leftovers(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name.startswith(".unpack-")]


def test_backbone_package(tmp_path: Path, validator: StacValidator) -> None:
    archive = backbone_zip(tmp_path)
    out = tmp_path / "item"
    delivery = convert_delivery(archive, out)
    assert delivery.errors == ()
    assert archive.exists()
    assert unpacked_leftovers(out) == []
    (raster,) = delivery.rasters
    assert raster.key == "data"
    assert raster.result.categorical and raster.result.resampling == "nearest"
    with rasterio.open(raster.path) as cog:
        assert cog.crs.to_epsg() == 3035
    # the kept files: INSPIRE metadata and the QGIS style; the rest is inside the COG
    assert {f.key: f.path.name for f in delivery.files} == {
        "metadata": f"{archive.stem}.xml",
        "style": f"{archive.stem}.qml",
    }
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            f"{archive.stem}.tif",
            f"{archive.stem}.xml",
            f"{archive.stem}.qml",
            f"{archive.stem}.thumbnail.png",
        ]
    )

    item = item_for(f"https://example.test/products/{archive.name}")
    new = rewrite_item(item, delivery, href_for(out.parent))
    assert item["assets"]["data"]["type"] == "application/zip"  # the input is untouched
    data = new["assets"]["data"]
    assert data["href"] == f"item/{archive.stem}.tif"
    assert data["type"] == COG_MEDIA_TYPE
    assert data["roles"] == ["data"]
    assert data["proj:code"] == "EPSG:3035"
    assert data["proj:shape"] == [260, 300]
    assert data["proj:transform"] == [10.0, 0.0, 4321000.0, 0.0, -10.0, 3210000.0]
    assert data["proj:bbox"] == [4321000.0, 3207400.0, 4324000.0, 3210000.0]
    assert data["file:size"] == raster.path.stat().st_size
    assert data["file:checksum"] == multihash_sha256(raster.path)
    assert data["file:checksum"].startswith("1220") and len(data["file:checksum"]) == 68
    (band,) = data["raster:bands"]
    assert band["data_type"] == "uint8" and band["nodata"] == 255
    assert band["spatial_resolution"] == 10
    assert 1 <= band["statistics"]["minimum"] <= band["statistics"]["maximum"] <= 11
    assert 70 < band["statistics"]["valid_percent"] < 95
    assert band["histogram"]["count"] == 11
    classes = {c["value"]: c for c in data["classification:classes"]}
    for value, (title, colour) in official_legend().items():
        assert classes[value]["title"] == title
        assert classes[value]["color_hint"] == colour
    assert classes[2]["name"] == "woody-needle-leaved-trees"
    assert classes[255].get("nodata") is True and "nodata" not in classes[1]

    archive_asset = new["assets"]["archive"]
    assert archive_asset["href"] == archive.name
    assert archive_asset["roles"] == ["archive", "source"]
    assert archive_asset["title"] == "Raster package"
    assert archive_asset["file:checksum"] == multihash_sha256(archive)
    assert new["assets"]["thumbnail"]["type"] == "image/png"
    assert new["assets"]["metadata"]["roles"] == ["metadata"]
    assert new["assets"]["style"]["roles"] == ["style"]
    assert "proj:epsg" not in new["properties"]
    assert new["properties"]["proj:code"] == "EPSG:3035"
    assert (
        "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
        not in new["stac_extensions"]
    )
    # footprint: the clipped corner is gone, and it lies within the approximate bbox of the grid
    west, south, east, north = new["bbox"]
    assert new["geometry"]["type"] == "Polygon"
    assert 9.0 < west < east < 11.0 and 51.0 < south < north < 53.0
    assert new["geometry"] != item["geometry"]
    assert_valid(new, validator)
    assert rewrite_item(new, delivery, href_for(out.parent)) == new  # idempotent


def test_thumbnail_uses_the_colour_table(tmp_path: Path) -> None:
    delivery = convert_delivery(backbone_zip(tmp_path), tmp_path / "out")
    assert delivery.thumbnail is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        png = rasterio.open(delivery.thumbnail)
    with png:
        assert png.driver == "PNG"
        assert png.count == 4 and max(png.width, png.height) <= 256
        rgba = png.read()
    colours = {
        tuple(int(v) for v in rgba[:3, y, x]) for y in range(0, 200, 7) for x in range(150, 250, 7)
    }
    assert (255, 0, 0) in colours or (34, 139, 34) in colours  # legend colours, not grey
    assert rgba[3, 0, 0] == 0  # the nodata corner is transparent


def test_national_package_in_a_national_crs(tmp_path: Path, validator: StacValidator) -> None:
    nation = NATIONS["CZECH REPUBLIC"]
    archive = tmp_path / nation.file_name("Raster")
    archive.write_bytes(
        national_package(nation, "Raster", seed=3, raster_size=200, workdir=tmp_path / "w")
    )
    out = tmp_path / "out"
    delivery = convert_delivery(archive, out)
    (raster,) = delivery.rasters
    assert raster.fields["proj:code"] == "EPSG:5514"
    lon, lat = nation.centre
    west, south, east, north = raster.bbox
    assert west < lon < east and south < lat < north
    new = rewrite_item(item_for(archive.name), delivery, href_for(out))
    assert_valid(new, validator)


def test_custom_crs_without_a_code_gets_wkt2(tmp_path: Path, validator: StacValidator) -> None:
    spec = categorical_spec(300, epsg=32633)
    tif = tmp_path / "custom.tif"
    tif.write_bytes(make_geotiff(spec))
    custom = (
        "+proj=tmerc +lat_0=0 +lon_0=19.3 +k=0.9993 +x_0=500123 +y_0=-5300000 +ellps=GRS80 +units=m"
    )
    with rasterio.open(tif, "r+") as ds:
        ds.crs = rasterio.crs.CRS.from_string(custom)
    archive = make_zip(tmp_path / "custom.zip", {"custom.tif": tif.read_bytes()})
    delivery = convert_delivery(archive, tmp_path / "out", thumbnail=False)
    fields = delivery.rasters[0].fields
    assert fields["proj:code"] is None
    assert fields["proj:wkt2"].startswith("PROJCRS[")
    assert delivery.thumbnail is None
    new = rewrite_item(item_for("custom.zip"), delivery, href_for(tmp_path / "out"))
    assert_valid(new, validator)


def test_clms_delivery_with_two_rasters_and_a_corrupt_one(
    tmp_path: Path, validator: StacValidator
) -> None:
    a = make_geotiff(continuous_spec(600))
    b = make_geotiff(categorical_spec(520, colormap=None, values=[10, 20, 30]))
    bad = a[:300] + b"\x00" * 500
    archive = tmp_path / "4050.zip"
    archive.write_bytes(
        zip_bytes(
            [
                ("20210101/hrl_bbox_1.tif", a),
                ("20210101/hrl_bbox_2.tif", b),
                ("20210101/hrl_bbox_3.tif", bad),
            ]
        )
    )
    out = tmp_path / "out"
    delivery = convert_delivery(archive, out, CogProfile(compression="lzw"), workers=2)
    assert [r.key for r in delivery.rasters] == [
        "data-20210101-hrl-bbox-1",
        "data-20210101-hrl-bbox-2",
    ]
    (error,) = delivery.errors
    assert "4050.zip!20210101/hrl_bbox_3.tif" in str(error)
    assert ".unpack-" not in str(error)
    with pytest.raises(type(error)):
        delivery.raise_first_error()
    for raster, source in zip(delivery.rasters, (a, b), strict=True):
        ref = tmp_path / f"ref-{raster.key}.tif"
        ref.write_bytes(source)
        assert_same_pixels(ref, raster.path)
    first, second = delivery.rasters
    assert first.result.resampling == "average"
    assert second.result.resampling == "average"  # no colour table, no legend: continuous
    assert "classification:classes" not in second.fields  # no legend: no invented names
    assert archive.exists() and unpacked_leftovers(out) == []
    new = rewrite_item(item_for("4050.zip"), delivery, href_for(out))
    assert set(new["assets"]) == {
        "data-20210101-hrl-bbox-1",
        "data-20210101-hrl-bbox-2",
        "thumbnail",
        "archive",
    }
    assert new["assets"]["data-20210101-hrl-bbox-1"]["href"] == "20210101/hrl_bbox_1.tif"
    assert new["assets"]["archive"]["href"] == "../4050.zip"
    assert_valid(new, validator)


def test_nested_zip_and_vector_delivery(tmp_path: Path, validator: StacValidator) -> None:
    inner = zip_bytes([("tile.tif", make_geotiff(categorical_spec(200)))])
    gpkg = b"SQLite format 3\x00" + bytes(100)
    archive = make_zip(tmp_path / "d.zip", {"pack.zip": inner, "PU1/units.gpkg": gpkg})
    out = tmp_path / "out"
    delivery = convert_delivery(archive, out)
    assert [r.path.relative_to(out).as_posix() for r in delivery.rasters] == ["pack/tile.tif"]
    (vector,) = delivery.files
    assert vector.key == "vector"
    assert vector.fields["type"] == "application/geopackage+sqlite3"
    assert vector.fields["roles"] == ["data"]
    assert (out / "PU1" / "units.gpkg").read_bytes() == gpkg
    new = rewrite_item(item_for("d.zip"), delivery, href_for(out))
    assert_valid(new, validator)


def test_unsafe_delivery_is_refused_and_cleaned(tmp_path: Path) -> None:
    good = make_geotiff(categorical_spec(200))
    archive = make_zip(tmp_path / "slip.zip", {"a.tif": good, "../../escape.tif": good})
    out = tmp_path / "dest" / "out"
    with pytest.raises(ArchiveError) as caught:
        convert_delivery(archive, out)
    assert caught.value.entry == "../../escape.tif"
    assert list(out.iterdir()) == []
    assert not (tmp_path / "escape.tif").exists()
    assert archive.exists()


def test_zip_bomb_delivery_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", {"a.tif": np.zeros(5_000_000, "uint8").tobytes()})
    out = tmp_path / "out"
    with pytest.raises(ArchiveError, match="zip bomb"):
        convert_delivery(archive, out, limits=ArchiveLimits(max_total_bytes=1_000_000))
    assert list(out.iterdir()) == []
