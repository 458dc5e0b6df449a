from __future__ import annotations

from typing import Any

import pytest

from stacsync.providers.terrascope.assets import (
    looks_like_file_name,
    normalize_alternates,
    rekey_assets,
    stable_key,
)
from stacsync.providers.terrascope.bands import merge_bands, migrate_fields, migrate_summaries


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("S2A_20230220T074941_38SKG_TOC-B04_10M_V210.tif", "B04"),
        ("S2A_20230220T074941_38SKG_TOC-B8A_20M_V210.tif", "B8A"),
        ("S2A_20230220T074941_38SKG_SCENECLASSIFICATION_20M_V210.tif", "SCL"),
        ("S2A_20230220T074941_38SKG_CLOUDMASK_20M_V210.tif", "CLOUDMASK"),
        ("S2A_20230220T074941_38SKG_TOC_QUICKLOOK_V210.tif", "QUICKLOOK"),
        ("S2A_20230220T074941_38SKG_WVP_60M_V210.tif", "WVP"),
        ("S2B_20240819T103021_31TGM_NDVI_10M_V210.tif", "NDVI"),
        ("S1A_IW_GRDH_SIGMA0_DV_20200315T055849_DESCENDING_110_22F3_V110_VH.tif", "VH"),
        ("ESA_WorldCover_10m_2021_v200_N45E006_Map.tif", "MAP"),
        ("S2A_20230220T074941_38SKG_TOC_V210.xml", "metadata"),
        ("B04", "B04"),
        ("metadata", "metadata"),
    ],
)
def test_stable_keys(key: str, expected: str) -> None:
    assert stable_key(key, {"href": key}) == expected


def test_unknown_file_names_use_title_then_band_then_key() -> None:
    assert stable_key("LCFM_thing.tif", {"title": "LCM"}) == "LCM"
    assert stable_key("LCFM_thing.tif", {"title": "A long title"}) == "LCFM_thing.tif"
    band = {"title": "A long title", "eo:bands": [{"name": "TCD"}]}
    assert stable_key("LCFM_thing.tif", band) == "TCD"
    assert looks_like_file_name("x/y") and not looks_like_file_name("B8A")


def test_rekey_keeps_order_and_never_overwrites() -> None:
    assets: dict[str, dict[str, Any]] = {
        "B04": {"href": "a"},
        "S2A_X_TOC-B04_10M_V210.tif": {"href": "b"},
        "S2A_X_TOC-B03_10M_V210.tif": {"href": "c"},
        "S2A_Y_TOC-B03_10M_V210.tif": {"href": "d"},
    }
    out = rekey_assets(assets)
    assert list(out) == ["B04", "S2A_X_TOC-B04_10M_V210.tif", "B03", "S2A_Y_TOC-B03_10M_V210.tif"]
    assert out["B03"]["href"] == "c"


def test_alternates() -> None:
    assert normalize_alternates({"alternate": {"MEP": {"href": "/data/MTDA/x.tif"}}}) == {
        "alternate": {"local": {"href": "file:///data/MTDA/x.tif"}}
    }
    assert normalize_alternates(
        {"alternate": {"MEP": "/data/x.tif", "s3": {"href": "s3://b/x"}}}
    ) == {"alternate": {"local": {"href": "file:///data/x.tif"}, "s3": {"href": "s3://b/x"}}}
    current = {"alternate": {"local": {"href": "file:///a"}, "MEP": {"href": "/b"}}}
    assert normalize_alternates(current) == {"alternate": {"local": {"href": "file:///a"}}}
    untouched = {"alternate": {"local": {"href": "file:///a"}}}
    assert normalize_alternates(untouched) == untouched


def test_band_migration() -> None:
    assert merge_bands(
        [{"name": "VV"}, {"name": "VH", "description": "cross"}],
        [{"data_type": "float32", "unit": "dB"}],
    ) == [
        {"name": "VV", "data_type": "float32", "unit": "dB"},
        {"name": "VH", "description": "cross"},
    ]
    multi = migrate_fields({"eo:bands": [{"name": "a"}, {"name": "b"}]}, lift=True)
    assert multi == {"bands": [{"name": "a"}, {"name": "b"}]}
    assert migrate_fields({"proj:epsg": None}, lift=False) == {"proj:code": None}
    assert migrate_fields({"proj:epsg": 4326, "proj:code": "EPSG:4326"}, lift=False) == {
        "proj:code": "EPSG:4326"
    }
    assert migrate_summaries({"proj:epsg": [32631], "eo:bands": [{"common_name": "red"}]}) == {
        "proj:code": ["EPSG:32631"],
        "bands": [{"eo:common_name": "red"}],
    }


def test_lift_keeps_conflicting_values_in_the_band() -> None:
    asset = migrate_fields(
        {"nodata": 0, "raster:bands": [{"nodata": 255, "data_type": "uint8"}]}, lift=True
    )
    assert asset == {"nodata": 0, "data_type": "uint8", "bands": [{"nodata": 255}]}
