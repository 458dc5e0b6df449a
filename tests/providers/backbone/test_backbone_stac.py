"""Backbone STAC mapping: every collection and item validates offline; output is stable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacsync.catalog import CatalogInfo, CatalogStore
from stacsync.catalog.layout import check_id
from stacsync.errors import OrderFailedError
from stacsync.providers.backbone import records, stac
from stacsync.providers.backbone.requests import OrderKind, OrderRequest, request_key
from stacsync.validation import StacValidator

from .conftest import SWIFT, load

AOI = load("gen1_get_product_request_example.json")["aoi"]
AOI_ORDER = OrderRequest(kind=OrderKind.AOI, aoi=AOI)


def aoi_status() -> records.OrderStatus:
    return records.parse_order_status(load("gen1_order_status_success_example.json"))


@pytest.mark.parametrize("key", stac.COLLECTIONS)
def test_collections(key: str, validator: StacValidator) -> None:
    collection = stac.collection_for(key)
    assert validator.validate(collection) == []
    assert collection["id"] == f"clc-backbone-2018-{key}"
    assert collection["extent"]["temporal"]["interval"] == [
        ["2017-07-01T00:00:00Z", "2019-06-30T23:59:59Z"]
    ]
    assert collection["created"] == "2023-01-23T00:00:00Z"
    if key in {"raster", "europe"}:
        assert collection["sci:doi"] == "10.2909/cd534ebf-f553-42f0-9ac1-62c1dc36d32c"
        classes = collection["item_assets"]["data"]["classification:classes"]
        assert len(classes) == 13
    if key == "national":
        assert "EPSG:31287" in collection["summaries"]["proj:code"]
    with pytest.raises(ValueError, match="unknown"):
        stac.collection_id("tiles")


def test_aoi_item(validator: StacValidator) -> None:
    item = stac.item_from_order(AOI_ORDER, aoi_status())
    assert validator.validate(item) == []
    assert item["id"] == f"clc-backbone-2018-raster-{request_key(AOI_ORDER)}"
    props = item["properties"]
    assert props["proj:code"] == "EPSG:3035"
    assert props["order:id"] == "d371e64324033b2d8cd0a35a9d693975"
    assert props["order:status"] == "succeeded"
    assert props["sci:doi"] == "10.2909/cd534ebf-f553-42f0-9ac1-62c1dc36d32c"
    assert props["created"] == props["updated"] == "2023-01-23T00:00:00Z"
    assert props["storage:schemes"] == {
        "cloudferro": {
            "type": "custom-s3",
            "platform": "https://cf2.cloudferro.com:8080/{bucket}",
            "bucket": "dissemination",
            "region": "eu-central-1",
            "requester_pays": False,
        }
    }
    asset = item["assets"]["data"]
    assert asset["href"].startswith("https://s3.waw2-1.cloudferro.com/swift/")
    assert asset["alternate"]["s3"] == {
        "href": "s3://dissemination/Raster_d371e64324033b2d8cd0a35a9d693975.zip",
        "alternate:name": "S3",
        "storage:refs": ["cloudferro"],
    }
    sealed = asset["classification:classes"][0]
    assert sealed == {"value": 1, "name": "sealed", "title": "Sealed", "color_hint": "FF0000"}
    assert [c["value"] for c in asset["classification:classes"]][-2:] == [254, 255]
    assert item["geometry"]["type"] == "Polygon"
    assert set(item["stac_extensions"]) == {
        stac.PROJECTION,
        stac.CLASSIFICATION,
        stac.SCIENTIFIC,
        stac.ORDER,
        stac.ALTERNATE,
        stac.STORAGE,
    }


def test_vector_aoi_item(validator: StacValidator) -> None:
    request = OrderRequest(kind=OrderKind.AOI, product="Vector", aoi=AOI)
    status = records.OrderStatus(
        "abc", "SUCCESS", records.OrderState.SUCCEEDED, f"{SWIFT}/Vector_abc.zip"
    )
    item = stac.item_from_order(request, status)
    assert validator.validate(item) == []
    assert item["collection"] == "clc-backbone-2018-vector"
    assert stac.CLASSIFICATION not in item["stac_extensions"]
    assert "sci:doi" not in item["properties"]


def test_national_and_europe_items(validator: StacValidator) -> None:
    national = OrderRequest(kind=OrderKind.NATIONAL, nation="Austria")
    url = f"{SWIFT}/national/CLMS_CLCplus_RASTER_2018_010m_at_31287_V1_1.zip"
    item = stac.item_from_order(national, records.parse_product_result({"result": url}))
    assert validator.validate(item) == []
    assert item["properties"]["proj:code"] == "EPSG:31287"
    assert item["geometry"] is None
    assert "order:id" not in item["properties"]
    assert stac.STORAGE not in item["stac_extensions"]
    turkey = OrderRequest(kind=OrderKind.NATIONAL, product="Vector", nation="Turkey")
    url = f"{SWIFT}/national/CLMS_CLCplus_VECTOR_2018_TR_00000_V1_0.zip"
    item = stac.item_from_order(turkey, records.parse_product_result({"result": url}))
    assert item["properties"]["proj:code"] is None
    assert validator.validate(item) == []
    europe = OrderRequest(kind=OrderKind.EUROPE, product="Vector")
    url = f"{SWIFT}/CLMS_CLCplus_RASTER_2018_010m_eu_03035_V1_1.tif"
    item = stac.item_from_order(europe, records.parse_product_result({"result": url}))
    assert validator.validate(item) == []
    assert item["assets"]["data"]["type"] == "image/tiff; application=geotiff"
    assert item["properties"]["clcplus:product"] == "Raster"


def test_failed_orders_raise() -> None:
    failed = records.parse_order_status({"order_id": "f00", "status": "FAILED", "result": None})
    with pytest.raises(OrderFailedError, match="FAILED") as caught:
        stac.item_from_order(AOI_ORDER, failed)
    assert caught.value.order_id == "f00"


def test_provider_dates_and_storage_options(validator: StacValidator) -> None:
    from datetime import UTC, datetime

    storage = stac.S3Storage(endpoint="http://127.0.0.1:9000", name="local")
    item = stac.item_from_order(
        AOI_ORDER,
        aoi_status(),
        storage=storage,
        updated=datetime(2024, 5, 1, 12, tzinfo=UTC),
        ordered=datetime(2024, 5, 1, 11, tzinfo=UTC),
    )
    assert validator.validate(item) == []
    assert item["properties"]["updated"] == "2024-05-01T12:00:00Z"
    assert item["properties"]["order:date"] == "2024-05-01T11:00:00Z"
    assert (
        item["properties"]["storage:schemes"]["local"]["platform"]
        == "http://127.0.0.1:9000/{bucket}"
    )


def test_deterministic_and_checked_by_the_validator(validator: StacValidator) -> None:
    first = json.dumps(stac.item_from_order(AOI_ORDER, aoi_status()), sort_keys=True)
    assert first == json.dumps(stac.item_from_order(AOI_ORDER, aoi_status()), sort_keys=True)
    broken = json.loads(first)
    broken["assets"]["data"]["classification:classes"][0]["color_hint"] = "#FF0000"
    assert validator.validate(broken) != []
    no_scheme = json.loads(first)
    del no_scheme["properties"]["storage:schemes"]
    assert validator.validate(no_scheme) != []


def test_items_go_into_the_catalogue_store(tmp_path: Path, validator: StacValidator) -> None:
    items = [
        stac.item_from_order(AOI_ORDER, aoi_status()),
        stac.item_from_order(
            OrderRequest(kind=OrderKind.AOI, aoi=AOI.replace("17.227309445590443", "17.3", 2)),
            aoi_status(),
        ),
    ]
    for item in items:
        check_id("item", item["id"])
    with CatalogStore.open(tmp_path, create=CatalogInfo(id="t", description="t")) as store:
        store.upsert_collection(stac.collection_for("raster"))
        report = store.upsert_items(items)
        assert report.created == 2
        stored = store.read_item("clc-backbone-2018-raster", items[0]["id"])
    assert validator.validate(stored) == []
    assert stored["properties"] == items[0]["properties"]
