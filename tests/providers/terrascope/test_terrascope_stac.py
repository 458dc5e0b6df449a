from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from stacsync.catalog.store import CatalogInfo, CatalogStore
from stacsync.errors import PayloadError, ProviderWarning
from stacsync.providers.terrascope.stac import (
    check_id,
    clean_links,
    normalize_collection,
    normalize_item,
)
from stacsync.validation import SchemaStore, StacValidator

DATA = Path(__file__).resolve().parents[2] / "data" / "terrascope"
EXT = "https://stac-extensions.github.io/{}/schema.json"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema_dir: Path) -> StacValidator:
    return StacValidator(SchemaStore(store=schema_dir))


def write_and_validate(
    tmp_path: Path,
    validator: StacValidator,
    collection: dict[str, Any],
    items: list[dict[str, Any]],
) -> None:
    """Store the objects as harvest does and validate the files the store wrote."""
    root = tmp_path / "catalog"
    with CatalogStore.open(root, create=CatalogInfo(id="t", description="test")) as store:
        store.upsert_collection(collection)
        store.upsert_items(items)
    written = sorted(root.rglob("*.json"))
    assert len(written) == 2 + len(items)
    for path in written:
        problems = validator.validate(json.loads(path.read_text(encoding="utf-8")))
        assert problems == [], (path, problems)


def fixture_collection() -> dict[str, Any]:
    return normalize_collection(load("terra_stac_api_fixture_collection_terrascope_s2_toc_v2.json"))


# --- current shape -------------------------------------------------------------------------


def test_current_item_keeps_everything_but_api_links() -> None:
    raw = load("stac_item_s2_toc.json")
    item = normalize_item(raw)
    assert item["links"] == []  # self, parent, collection, root: all API links
    assert item["assets"] == raw["assets"]
    assert item["properties"] == raw["properties"]
    assert item["stac_extensions"] == raw["stac_extensions"]
    assert item["collection"] == "terrascope-s2-toc-v2"
    b04 = item["assets"]["B04"]
    assert b04["alternate"]["local"]["href"].startswith("file:///data/MTDA/TERRASCOPE_Sentinel2/")
    assert b04["auth:refs"] == ["oidc"]
    assert "auth:refs" not in item["assets"]["QUICKLOOK"]
    assert item["properties"]["auth:schemes"]["oidc"]["type"] == "openIdConnect"


def test_search_response_items_validate_when_written(
    tmp_path: Path, validator: StacValidator
) -> None:
    page = load("stac_search_response_s2_toc.json")
    items = [normalize_item(feature) for feature in page["features"]]
    assert [i["id"] for i in items] == ["S2C_20260807T104621_31TCN_TOC_V220"]
    write_and_validate(tmp_path, validator, fixture_collection(), items)


def test_collection_fixture_is_cleaned() -> None:
    raw = load("terra_stac_api_fixture_collection_terrascope_s2_toc_v2.json")
    collection = normalize_collection(raw)
    assert "_auth" not in collection
    assert collection["id"] == "terrascope-s2-toc-v2"
    assert collection["stac_version"] == "1.1.0"
    assert collection["extent"] == raw["extent"]
    assert collection["summaries"] == raw["summaries"]
    assert collection["license"] == "license"
    assert "_auth" in raw  # input untouched


def test_collection_links_cleaned_and_others_kept() -> None:
    raw = load("terra_stac_api_fixture_collection_terrascope_s2_toc_v2.json")
    raw["links"] = [
        {"rel": "self", "href": "https://stac.terrascope.be/collections/x"},
        {"rel": "items", "href": "https://stac.terrascope.be/collections/x/items"},
        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "href": "https://q"},
        {"rel": "license", "href": "https://example.org/licence"},
        {"rel": "derived_from", "href": "https://example.org/source"},
    ]
    raw["providers"] = [{"name": "VITO", "roles": ["host"]}]
    collection = normalize_collection(raw)
    assert [link["rel"] for link in collection["links"]] == ["license", "derived_from"]
    assert collection["providers"] == [{"name": "VITO", "roles": ["host"]}]


# --- older shape ---------------------------------------------------------------------------


def test_old_shape_becomes_current_shape(tmp_path: Path, validator: StacValidator) -> None:
    raw = load("old-shape-s2-toc-item.json")
    item = normalize_item(raw)
    assert item["stac_version"] == "1.1.0"
    assert item["collection"] == "terrascope-s2-toc-v2"
    assert list(item["assets"]) == ["B04", "B8A", "SCL", "AOT", "QUICKLOOK", "metadata"]
    b04 = item["assets"]["B04"]
    assert b04["alternate"] == {
        "local": {
            "href": "file:///data/MTDA/TERRASCOPE_Sentinel2/TOC_V2/2023/02/20/"
            "S2A_20230220T074941_38SKG_TOC_V210/S2A_20230220T074941_38SKG_TOC-B04_10M_V210.tif"
        }
    }
    assert b04["href"] == raw["assets"]["S2A_20230220T074941_38SKG_TOC-B04_10M_V210.tif"]["href"]
    # the layout of the current items: raster fields on the asset, name + eo:* in bands
    assert b04["bands"] == [
        {
            "name": "B04",
            "eo:common_name": "red",
            "eo:center_wavelength": 0.665,
            "eo:full_width_half_max": 0.038,
        }
    ]
    assert (b04["data_type"], b04["nodata"], b04["raster:scale"]) == ("int16", 32767, 0.0001)
    assert "eo:bands" not in b04 and "raster:bands" not in b04
    assert item["properties"]["proj:code"] == "EPSG:32638"
    assert "proj:epsg" not in item["properties"]
    assert item["stac_extensions"] == [
        EXT.format("eo/v2.0.0"),
        EXT.format("sat/v1.0.0"),
        EXT.format("projection/v2.0.0"),
        EXT.format("raster/v2.0.0"),
        EXT.format("processing/v1.2.0"),
        EXT.format("alternate-assets/v1.2.0"),
    ]
    assert [link["rel"] for link in item["links"]] == ["license"]
    assert "auth:refs" not in b04  # the older shape has no auth fields; none are invented
    write_and_validate(tmp_path, validator, fixture_collection(), [item])


def test_old_shape_and_current_shape_share_a_collection() -> None:
    old = normalize_item(load("old-shape-s2-toc-item.json"))
    new = normalize_item(load("stac_item_s2_toc.json"))
    assert old["collection"] == new["collection"] == fixture_collection()["id"]
    assert set(old["assets"]) <= set(new["assets"])


def test_normalizing_is_idempotent_deterministic_and_pure() -> None:
    for name in ("old-shape-s2-toc-item.json", "stac_item_s2_toc.json"):
        raw = load(name)
        before = copy.deepcopy(raw)
        once = normalize_item(raw)
        assert raw == before
        assert json.dumps(normalize_item(raw)) == json.dumps(once)
        assert normalize_item(once) == once
        once["assets"][next(iter(once["assets"]))]["href"] = "changed"
        assert raw == before  # the output shares nothing with the input


# --- extension versions --------------------------------------------------------------------


def item_declaring(*extensions: str, **properties: Any) -> dict[str, Any]:
    raw = load("stac_item_s2_toc.json")
    raw["stac_extensions"] = [EXT.format(e) for e in extensions]
    raw["properties"].update(properties)
    return raw


def test_missing_extension_versions_are_upgraded_or_dropped() -> None:
    raw = item_declaring(
        "eo/v1.1.0", "processing/v1.0.0", "product/v0.1.0", "authentication/v1.0.0", "grid/v1.1.0"
    )
    assert normalize_item(raw)["stac_extensions"] == [
        EXT.format("eo/v2.0.0"),
        EXT.format("processing/v1.2.0"),
        EXT.format("product/v0.1.0"),
        EXT.format("authentication/v1.1.0"),
        EXT.format("grid/v1.1.0"),
        EXT.format("alternate-assets/v1.2.0"),  # the assets carry alternate hrefs
    ]


def test_extension_without_compatible_stored_version_is_dropped_with_a_warning() -> None:
    raw = item_declaring("sat/v1.1.0", "mgrs/v1.0.0", "made-up/v1.0.0")
    raw["stac_extensions"].append("https://example.org/private/schema.json")
    with pytest.warns(ProviderWarning) as record:
        item = normalize_item(raw)
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 3
    assert "sat/v1.1.0" in messages[2] and "made-up" in messages[1] and "example.org" in messages[0]
    assert EXT.format("mgrs/v1.0.0") in item["stac_extensions"]
    assert not any("sat/" in url or "example.org" in url for url in item["stac_extensions"])
    assert item["properties"]["sat:relative_orbit"] == 51  # fields stay


def test_file_v1_kept_when_its_removed_fields_are_used() -> None:
    raw = item_declaring("file/v1.0.0")
    raw["assets"]["B04"]["file:data_type"] = "int16"
    assert EXT.format("file/v1.0.0") in normalize_item(raw)["stac_extensions"]
    raw = item_declaring("file/v1.0.0")
    assert EXT.format("file/v2.1.0") in normalize_item(raw)["stac_extensions"]


# --- malformed input -----------------------------------------------------------------------


def broken(path: str, value: Any) -> dict[str, Any]:
    raw = load("stac_item_s2_toc.json")
    *parents, last = path.split(".")
    target = raw
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("type", "FeatureCollection", "type"),
        ("stac_version", "0.9.0", "stac_version"),
        ("id", KeyError, "id"),
        ("id", "../escape", "id"),
        ("id", ".hidden", "id"),
        ("id", 42, "id"),
        ("collection", "a/b", "collection"),
        ("geometry", KeyError, "geometry"),
        ("geometry", "POINT (1 2)", "geometry"),
        ("bbox", [1, 2, 3], "bbox"),
        ("properties", None, "properties"),
        ("properties.datetime", "yesterday", "properties.datetime"),
        ("properties.datetime", "2026-08-07T10:46:21", "properties.datetime"),
        ("properties.datetime", KeyError, "properties.datetime"),
        ("properties.auth:schemes", ["oidc"], "properties.auth:schemes"),
        ("assets", [], "assets"),
        ("assets.B04", "https://x", "assets.B04"),
        ("assets.B04.href", KeyError, "assets.B04.href"),
        ("assets.B04.href", 7, "assets.B04.href"),
        ("assets.B04.auth:refs", "oidc", "assets.B04.auth:refs"),
        ("assets.B04.alternate", "file:///x", "assets.B04.alternate"),
        ("links", {"rel": "self"}, "links"),
        ("stac_extensions", "eo", "stac_extensions"),
    ],
)
def test_malformed_items_name_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        normalize_item(broken(path, value))
    assert caught.value.provider == "terrascope"
    assert caught.value.field == field
    assert "terrascope" in str(caught.value) and field in str(caught.value)


def test_malformed_link_names_its_index() -> None:
    raw = load("stac_item_s2_toc.json")
    raw["links"][2] = {"rel": "collection"}
    with pytest.raises(PayloadError) as caught:
        normalize_item(raw)
    assert caught.value.field == "links[2].href"


def test_null_datetime_needs_a_range() -> None:
    raw = broken("properties.datetime", None)
    normalize_item(raw)  # start/end are present
    del raw["properties"]["end_datetime"]
    with pytest.raises(PayloadError) as caught:
        normalize_item(raw)
    assert caught.value.field == "properties.end_datetime"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("id", "", "id"),
        ("description", None, "description"),
        ("license", 1, "license"),
        ("extent", None, "extent"),
        ("extent.spatial.bbox", [[0, 0, 1]], "extent.spatial.bbox[0]"),
        ("extent.temporal.interval", [["2020-01-01", None]], "extent.temporal.interval[0][0]"),
        ("summaries", [], "summaries"),
    ],
)
def test_malformed_collections_name_the_field(path: str, value: Any, field: str) -> None:
    raw = load("terra_stac_api_fixture_collection_terrascope_s2_toc_v2.json")
    *parents, last = path.split(".")
    target = raw
    for part in parents:
        target = target[part]
    target[last] = value
    with pytest.raises(PayloadError) as caught:
        normalize_collection(raw)
    assert caught.value.field == field


def test_check_id_and_clean_links_helpers() -> None:
    assert check_id("item", "S2A_20240516T103021_31TGM_TOC_V210", "id") == (
        "S2A_20240516T103021_31TGM_TOC_V210"
    )
    with pytest.raises(PayloadError, match="folder name"):
        check_id("item", "a\x00b", "features[3].id")
    assert clean_links(None) == []
    assert clean_links([{"rel": "next", "href": "x"}, {"rel": "via", "href": "y"}]) == [
        {"rel": "via", "href": "y"}
    ]
