"""Rasters to COGs: categorical, continuous, already-COG, multi-band, odd CRS, corrupt."""

from __future__ import annotations

from pathlib import Path

import pytest
import rasterio
from rio_cogeo.cogeo import cog_info, cog_validate

from stacsync.cog.convert import CogJob, convert_many, is_acceptable_cog, to_cog
from stacsync.cog.profile import CogProfile
from stacsync.errors import ConfigError, ConversionError
from tests.cog.helpers import (
    PALETTE,
    assert_same_pixels,
    categorical_spec,
    continuous_spec,
    write,
)


def valid(path: Path) -> bool:
    ok, errors, warnings = cog_validate(str(path), quiet=True)
    return ok and not errors and not warnings


def test_categorical_raster_keeps_classes_and_colours(tmp_path: Path) -> None:
    src = write(tmp_path / "in" / "classes.tif", categorical_spec(700))
    result = to_cog(src, tmp_path / "out" / "classes.tif")
    assert result.action == "converted"
    assert result.categorical is True
    assert result.resampling == "nearest"
    assert valid(result.path)
    assert_same_pixels(src, result.path)
    info = cog_info(str(result.path))
    assert info.Compression.upper() == "DEFLATE"
    with rasterio.open(result.path) as cog:
        assert cog.overviews(1) == [2]
        assert cog.block_shapes[0] == (512, 512)
        assert cog.colormap(1)[3] == PALETTE[3]
        assert cog.tags(ns="IMAGE_STRUCTURE").get("PREDICTOR") in (None, "1")
        overview = cog.read(1, out_shape=(350, 350))
    assert set(overview.ravel().tolist()) <= {1, 2, 3, 4, 255}  # nearest: no invented classes
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["classes.tif"]


def test_continuous_raster_gets_average_overviews_and_float_predictor(tmp_path: Path) -> None:
    src = write(tmp_path / "dem.tif", continuous_spec(600))
    result = to_cog(src, tmp_path / "dem_cog.tif", CogProfile(compression="zstd", level=9))
    assert (result.action, result.categorical, result.resampling) == ("converted", False, "average")
    assert valid(result.path)
    assert_same_pixels(src, result.path)
    with rasterio.open(result.path) as cog:
        assert cog.nodata == -9999.0
        assert cog.compression.value.upper() == "ZSTD"
        assert cog.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "3"
        assert cog.tags(1, ns="IMAGE_STRUCTURE").get("RESAMPLING", "AVERAGE") == "AVERAGE"


def test_lzw_and_forced_categorical_mode(tmp_path: Path) -> None:
    src = write(tmp_path / "c.tif", categorical_spec(600, colormap=None))
    profile = CogProfile(compression="lzw", categorical_resampling="mode")
    result = to_cog(src, tmp_path / "o.tif", profile, categorical=True)
    assert result.resampling == "mode"
    assert valid(result.path)
    assert_same_pixels(src, result.path)


def test_a_valid_cog_is_not_rewritten(tmp_path: Path) -> None:
    first = to_cog(write(tmp_path / "a.tif", categorical_spec(600)), tmp_path / "cog.tif")
    before = first.path.read_bytes()
    stamp = first.path.stat().st_mtime_ns
    again = to_cog(first.path, first.path)
    assert again.action == "kept"
    assert first.path.stat().st_mtime_ns == stamp
    copied = to_cog(first.path, tmp_path / "elsewhere" / "cog.tif")
    assert copied.action == "copied"
    assert copied.path.read_bytes() == before
    assert is_acceptable_cog(first.path, CogProfile())
    assert not is_acceptable_cog(first.path, CogProfile(accept_compressions=frozenset({"zstd"})))


def test_a_cog_with_an_unaccepted_codec_is_rewritten(tmp_path: Path) -> None:
    src = write(tmp_path / "a.tif", categorical_spec(600))
    packbits = tmp_path / "pb.tif"
    with rasterio.open(src) as ds:
        rasterio.shutil.copy(ds, packbits, driver="COG", COMPRESS="PACKBITS")
    assert valid(packbits)
    result = to_cog(packbits, tmp_path / "out.tif")
    assert result.action == "converted"
    with rasterio.open(result.path) as cog:
        assert cog.compression.value.upper() == "DEFLATE"


def test_multiband_raster_keeps_band_descriptions(tmp_path: Path) -> None:
    spec = continuous_spec(
        520,
        dtype="uint16",
        count=3,
        nodata=0,
        value_range=(1, 4000),
        band_descriptions=("red", "green", "nir"),
    )
    src = write(tmp_path / "rgbn.tif", spec)
    result = to_cog(src, tmp_path / "rgbn_cog.tif")
    assert valid(result.path)
    assert_same_pixels(src, result.path)
    with rasterio.open(result.path) as cog:
        assert cog.count == 3
        assert cog.descriptions == ("red", "green", "nir")
        assert cog.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "2"


def test_unusual_crs_is_preserved(tmp_path: Path) -> None:
    src = write(
        tmp_path / "krovak.tif", categorical_spec(300, epsg=5514, origin=(-700_000.0, -1_000_000.0))
    )
    result = to_cog(src, tmp_path / "krovak_cog.tif")
    assert_same_pixels(src, result.path)
    with rasterio.open(result.path) as cog:
        assert cog.crs.to_epsg() == 5514


def test_corrupt_tiff_raises_and_leaves_nothing(tmp_path: Path) -> None:
    good = write(tmp_path / "good.tif", categorical_spec(300)).read_bytes()
    bad = tmp_path / "bad.tif"
    bad.write_bytes(good[:200] + b"\x00garbage" * 50)
    out = tmp_path / "out"
    with pytest.raises(ConversionError) as caught:
        to_cog(bad, out / "bad.tif")
    assert caught.value.source == bad
    assert "bad.tif" in str(caught.value)
    assert not out.exists() or list(out.iterdir()) == []


def test_convert_many_returns_failures_in_order(tmp_path: Path) -> None:
    a = write(tmp_path / "a.tif", categorical_spec(300))
    b = tmp_path / "b.tif"
    b.write_bytes(b"II*\x00not really")
    c = write(tmp_path / "c.tif", continuous_spec(300))
    jobs = [CogJob(p, tmp_path / "out" / p.name) for p in (a, b, c)]
    results = convert_many(jobs, workers=2)
    assert [type(r).__name__ for r in results] == ["CogResult", "ConversionError", "CogResult"]
    assert_same_pixels(c, tmp_path / "out" / "c.tif")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.tif", "c.tif"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"compression": "jpeg"},
        {"level": 40},
        {"blocksize": 100},
        {"overview_resampling": "x"},
        {"categorical_resampling": "average"},
        {"threads": 0},
    ],
)
def test_profile_rejects_bad_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        CogProfile(**kwargs)  # type: ignore[arg-type]
