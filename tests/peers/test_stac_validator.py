"""stac-validator, an independent implementation, accepts catalogues written by CatalogStore
offline, rejects broken objects naming the failing schema, and never downloads a schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from stacsync.catalog import CatalogInfo, CatalogStore
from stacsync.validation import SchemaStore, StacValidator
from tests.peers.stac_validator_cli import StacValidatorReport
from tests.peers.terrascope_items import S2_TOC, terrascope_collection, terrascope_item

pytestmark = pytest.mark.peers

PROJ = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
FILE = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
RASTER = "https://stac-extensions.github.io/raster/v1.1.0/schema.json"
NDVI = "clms-ndvi-300m-v2"

Validate = Callable[..., StacValidatorReport]


def ndvi_collection() -> dict[str, Any]:
    return {
        "type": "Collection",
        "stac_version": "1.1.0",
        "id": NDVI,
        "title": "NDVI 300 m",
        "description": "Normalised Difference Vegetation Index, global, 300 m",
        "license": "CC-BY-4.0",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [["2024-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }


def ndvi_item(iid: str, day: int, x: float) -> dict[str, Any]:
    ring = [[x, 50.0], [x + 1, 50.0], [x + 1, 51.0], [x, 51.0], [x, 50.0]]
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [PROJ, FILE, RASTER],
        "id": iid,
        "collection": NDVI,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [x, 50.0, x + 1, 51.0],
        "properties": {
            "datetime": f"2024-01-{day:02d}T00:00:00Z",
            "proj:code": "EPSG:4326",
            "proj:shape": [336, 336],
            "proj:transform": [1 / 336, 0.0, x, 0.0, -1 / 336, 51.0],
        },
        "assets": {
            "ndvi": {
                "href": f"./{iid}.tif",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
                "file:size": 123456,
                "raster:bands": [{"data_type": "uint8", "scale": 0.004, "offset": -0.08}],
            }
        },
        "links": [],
    }


def build_catalogue(root: Path) -> Path:
    info = CatalogInfo(id="demo", description="Copernicus land data", title="Demo")
    with CatalogStore.open(root, create=info) as store:
        store.upsert_collection(ndvi_collection())
        store.upsert_collection(terrascope_collection())
        store.upsert_items([ndvi_item("ndvi-20240101", 1, 4.0), ndvi_item("ndvi-20240102", 2, 5.0)])
        store.upsert_items([terrascope_item(date(2026, 8, 7))])
    return root / "catalog.json"


def item_file(root: Path, cid: str, iid: str) -> Path:
    return root / cid / iid / f"{iid}.json"


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    return build_catalogue(tmp_path / "cat")


def test_catalogue_from_store_is_valid_offline(stac_validator: Validate, catalogue: Path) -> None:
    report = stac_validator(catalogue)
    assert report.valid, report.failures or report.output
    root = catalogue.parent
    written = sorted(p for p in root.rglob("*.json"))
    assert sorted(report.paths) == written  # every object reached through the links
    assert len(written) == 1 + 2 + 3
    kinds = sorted(entry["asset_type"] for entry in report.entries)
    assert kinds == ["CATALOG", "COLLECTION", "COLLECTION", "ITEM", "ITEM", "ITEM"]
    ndvi = next(e for e in report.entries if e["path"].endswith("ndvi-20240101.json"))
    used = " ".join(ndvi["schema"])
    # Schemas come from the local store, never from their URLs.
    assert "stac-extensions.github.io/projection/v2.0.0/schema.json" in used
    assert all(not s.startswith("http") for s in ndvi["schema"])


def test_broken_projection_field_fails_naming_the_schema(
    stac_validator: Validate, catalogue: Path
) -> None:
    root = catalogue.parent
    broken = item_file(root, NDVI, "ndvi-20240102")
    edit(broken, lambda d: d["properties"].__setitem__("proj:shape", "bad"))

    report = stac_validator(catalogue)

    assert not report.valid
    assert report.returncode == 1
    (failure,) = report.failures
    assert Path(failure["path"]).resolve() == broken
    assert failure["error_type"] == "JSONSchemaValidationError"
    assert report.failed_schemas == [PROJ]


def test_single_item_non_recursive(stac_validator: Validate, catalogue: Path) -> None:
    path = item_file(catalogue.parent, S2_TOC, "S2C_20260807T104621_31TCN_TOC_V220")
    report = stac_validator(path, recursive=False)
    assert report.valid, report.failures or report.output
    assert report.paths == [path]

    edit(path, lambda d: d["properties"].__setitem__("proj:code", 32631))
    report = stac_validator(path, recursive=False)
    assert not report.valid
    assert report.failed_schemas == [PROJ]


def test_schema_missing_from_store_is_an_error_not_a_download(
    stac_validator: Validate, catalogue: Path
) -> None:
    path = item_file(catalogue.parent, NDVI, "ndvi-20240101")
    missing = "https://stac-extensions.github.io/not-a-real-extension/v9.9.9/schema.json"
    edit(path, lambda d: d["stac_extensions"].append(missing))
    for target, recursive in [(path, False), (catalogue, True)]:
        report = stac_validator(target, recursive=recursive)
        assert not report.valid
        (failure,) = report.failures
        assert Path(failure["path"]).resolve() == path
        assert missing in failure["schema"]
        # The download was attempted and refused: no schema ever comes from the network.
        assert "Unable to connect to proxy" in failure["error_message"]


def test_agrees_with_stacsync_validator(
    stac_validator: Validate, catalogue: Path, schema_dir: Path
) -> None:
    ours = StacValidator(SchemaStore(store=schema_dir))
    path = item_file(catalogue.parent, NDVI, "ndvi-20240101")
    for change, valid in [
        (lambda d: None, True),
        (lambda d: d["properties"].__setitem__("proj:transform", "north-up"), False),
        (lambda d: d["assets"]["ndvi"].__setitem__("file:size", "big"), False),
    ]:
        edit(path, change)
        theirs = stac_validator(path, recursive=False)
        problems = ours.validate(json.loads(path.read_text()))
        assert theirs.valid is valid, theirs.failures
        assert (not problems) is valid, problems
