"""Classification v1 classes on v2-declaring items get v2 names (WorldCover maps)."""

from __future__ import annotations

import copy

from stacsync.providers.terrascope.classification import class_name, name_classes
from stacsync.providers.terrascope.stac import normalize_item


def test_v1_classes_get_a_name_and_a_title():
    asset = {
        "href": "x.tif",
        "classification:classes": [
            {"value": 60, "description": "Bare / sparse vegetation", "color_hint": "B4B4B4"},
            {"value": 7, "description": "  "},
            {"value": 80, "name": "water", "description": "Permanent water bodies"},
        ],
    }
    before = copy.deepcopy(asset)
    classes = name_classes(asset)["classification:classes"]
    assert classes[0] == {
        "value": 60,
        "description": "Bare / sparse vegetation",
        "color_hint": "B4B4B4",
        "name": "bare-sparse-vegetation",
        "title": "Bare / sparse vegetation",
    }
    assert classes[1]["name"] == "class-7"
    assert classes[2] == before["classification:classes"][2]  # already v2: untouched
    assert asset == before  # input not modified


def test_classes_inside_bands_are_named_too():
    band = {"name": "MAP", "classification:classes": [{"value": 10, "description": "Tree cover"}]}
    assert name_classes({"bands": [band]})["bands"][0]["classification:classes"][0]["name"] == (
        "tree-cover"
    )
    assert class_name({"value": 95}) == "class-95"


def test_normalized_worldcover_like_item_names_its_classes():
    raw = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": ["https://stac-extensions.github.io/classification/v2.0.0/schema.json"],
        "id": "ESA_WorldCover_10m_2021_v200_N45E006_Map",
        "collection": "esa-worldcover-map-10m-2021-v2",
        "geometry": None,
        "properties": {"datetime": "2021-01-01T00:00:00Z"},
        "links": [],
        "assets": {
            "MAP": {
                "href": "https://example.test/map.tif",
                "classification:classes": [{"value": 50, "description": "Built-up"}],
            }
        },
    }
    item = normalize_item(raw)
    (entry,) = next(iter(item["assets"].values()))["classification:classes"]
    assert entry["name"] == "built-up" and entry["title"] == "Built-up"
