"""CLMS STAC mapping: collections and items validate offline, ids and dates are deterministic."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from stacsync.catalog import CatalogInfo, CatalogStore
from stacsync.catalog.layout import check_id
from stacsync.errors import OrderFailedError, ProviderWarning
from stacsync.providers.clms import records, stac, tasks
from stacsync.providers.clms.requests import ExtractionSpec, PrepackagedSpec
from stacsync.validation import StacValidator

from .conftest import load

UID = "0acef4675a4c4a548896cca00281f434"
INFO = "d170eb21-c4b4-47f5-88c7-958359704542"
FILE = "fb1ca4a2-bcd1-4ddb-b0ba-fadc222d685c"


@pytest.fixture
def dataset(full_dataset: dict[str, Any]) -> records.Dataset:
    return records.parse_dataset(full_dataset)


def finished_task() -> tasks.Task:
    return tasks.parse_task(load("datarequest_status_get_response.json"), task_id="14909741217")


def test_collection(dataset: records.Dataset, validator: StacValidator) -> None:
    collection = stac.collection_from_dataset(dataset)
    assert validator.validate(collection) == []
    assert collection["id"] == "water-and-wetness-2018"
    assert collection["extent"]["spatial"]["bbox"] == [[-61.9, 14.3, 44.807, 71.165]]
    assert collection["extent"]["temporal"]["interval"] == [
        ["2018-01-01T00:00:00Z", "2018-12-31T23:59:59Z"]
    ]
    assert collection["summaries"] == {"proj:code": ["EPSG:3035"], "gsd": [10.0, 100.0]}
    assert collection["license"] == "other"
    rels = {link["rel"]: link["href"] for link in collection["links"]}
    assert rels["license"] == "https://land.copernicus.eu/en/data-policy"
    assert rels["about"].startswith("https://land.copernicus.eu/en/products/")
    assert rels["cite-as"] == "https://doi.org/10.2909/7ee532ae-daaf-524c-a29c-ff061131ad1f"
    assert "formatters/xml" in rels["describedby"]
    assert collection["sci:doi"] == "10.2909/7ee532ae-daaf-524c-a29c-ff061131ad1f"
    assert collection["created"] == "2022-01-24T14:32:24Z"
    assert collection["updated"] == "2023-03-01T08:00:00Z"
    assert collection["stac_extensions"] == [stac.PROJECTION, stac.SCIENTIFIC]
    assert collection["providers"][0]["roles"] == ["licensor", "host"]


def test_collections_of_every_search_sample_validate(validator: StacValidator) -> None:
    page = records.parse_search(load("search_response.json"))
    with pytest.warns(ProviderWarning, match="geographicBoundingBox"):
        collections = [stac.collection_from_dataset(ds) for ds in page.datasets]
    assert len({c["id"] for c in collections}) == 25
    for collection in collections:
        assert validator.validate(collection) == [], collection["id"]
        assert collection["stac_extensions"] == []
        assert "/" not in collection["id"]


def test_prepackaged_item(dataset: records.Dataset, validator: StacValidator) -> None:
    item = stac.item_from_prepackaged(dataset, dataset.downloadable_files[0])
    assert validator.validate(item) == []
    assert item["id"] == "water-and-wetness-2018-waw_2018_010m_ch_03035_v020"
    assert item["properties"]["order:status"] == "orderable"
    assert item["assets"]["data"]["order:status"] == "orderable"
    assert item["properties"]["proj:code"] == "EPSG:3035"
    assert item["properties"]["start_datetime"] == "2018-01-01T00:00:00Z"
    assert item["properties"]["created"] == "2022-01-24T14:32:24Z"
    assert item["collection"] == "water-and-wetness-2018"


def test_extraction_item(dataset: records.Dataset, validator: StacValidator) -> None:
    spec = ExtractionSpec(
        dataset_uid=UID,
        download_information_id=INFO,
        bbox=(7.0, 45.0, 8.0, 46.0),
        output_gcs="EPSG:3035",
    )
    item = stac.item_from_task(dataset, spec, finished_task())
    assert validator.validate(item) == []
    props = item["properties"]
    assert item["id"] == f"water-and-wetness-2018-{stac.request_key(spec)}"
    assert "14909741217" not in item["id"]
    assert props["order:id"] == "14909741217"
    assert props["order:status"] == "succeeded"
    assert props["order:date"] == "2022-09-29T13:10:17.080461Z"
    assert props["created"] == "2022-09-29T13:10:17.080461Z"
    assert props["updated"] == "2022-09-29T13:11:39.986121Z"
    assert props["proj:code"] == "EPSG:3035"
    assert props["start_datetime"] == "2018-01-01T00:00:00Z"
    asset = item["assets"]["data"]
    assert asset["href"] == "https://copernicus-fme.eea.europa.eu/clmsdatadownload/results/4050.zip"
    assert asset["file:size"] == 12874380
    assert asset["expires"] == "2022-10-02T13:11:39.986121Z"
    assert item["bbox"] == [7.0, 45.0, 8.0, 46.0]
    assert set(item["stac_extensions"]) == {stac.ORDER, stac.PROJECTION, stac.FILE, stac.TIMESTAMPS}


def test_nuts_item_uses_the_known_region(
    dataset: records.Dataset, validator: StacValidator
) -> None:
    spec = ExtractionSpec(
        dataset_uid=UID,
        download_information_id=INFO,
        nuts="ITC11",
        start=date(2018, 3, 1),
        end=date(2018, 4, 1),
    )
    item = stac.item_from_task(dataset, spec, finished_task(), region=(6.6, 44.6, 8.1, 45.6))
    assert validator.validate(item) == []
    assert item["bbox"] == [6.6, 44.6, 8.1, 45.6]
    assert item["properties"]["start_datetime"] == "2018-03-01T00:00:00Z"
    with pytest.warns(ProviderWarning, match="NUTS 'ITC11'"):
        bare = stac.item_from_task(dataset, spec, finished_task())
    assert bare["geometry"] is None and "bbox" not in bare
    assert validator.validate(bare) == []


def test_delivered_file_replaces_the_orderable_item(
    dataset: records.Dataset, validator: StacValidator
) -> None:
    orderable = stac.item_from_prepackaged(dataset, dataset.downloadable_files[0])
    delivered = stac.item_from_task(
        dataset, PrepackagedSpec(dataset_uid=UID, file_id=FILE), finished_task()
    )
    assert validator.validate(delivered) == []
    assert delivered["id"] == orderable["id"]
    assert delivered["properties"]["order:status"] == "succeeded"


@pytest.mark.parametrize("status", ["Finished_nok", "Rejected", "Cancelled", "In_progress"])
def test_unfinished_tasks_raise_with_the_provider_message(
    dataset: records.Dataset, status: str
) -> None:
    record = copy.deepcopy(load("datarequest_status_get_response.json"))
    record.update(Status=status, Message="FME: clip failed")
    record.pop("DownloadURL")
    task = tasks.parse_task(record, task_id="42")
    spec = ExtractionSpec(dataset_uid=UID, download_information_id=INFO, nuts="ITC11")
    with pytest.raises(OrderFailedError) as caught:
        stac.item_from_task(dataset, spec, task)
    assert caught.value.order_id == "42"
    assert status in str(caught.value) and "FME: clip failed" in str(caught.value)


def test_mapping_is_deterministic(full_dataset: dict[str, Any]) -> None:
    def build() -> str:
        ds = records.parse_dataset(copy.deepcopy(full_dataset))
        spec = ExtractionSpec(dataset_uid=UID, download_information_id=INFO, bbox=(7, 45, 8, 46))
        out = [
            stac.collection_from_dataset(ds),
            stac.item_from_prepackaged(ds, ds.downloadable_files[0]),
            stac.item_from_task(ds, spec, finished_task()),
        ]
        return json.dumps(out, sort_keys=True)

    assert build() == build()


def test_invalid_output_is_caught_by_the_validator(
    dataset: records.Dataset, validator: StacValidator
) -> None:
    spec = ExtractionSpec(dataset_uid=UID, download_information_id=INFO, bbox=(7, 45, 8, 46))
    item = stac.item_from_task(dataset, spec, finished_task())
    item["properties"]["order:date"] = "2022-09-29T13:10:17"  # no UTC designator
    assert validator.validate(item) != []


def test_long_ids_are_shortened_stably(dataset: records.Dataset) -> None:
    long = records.Dataset(**{**dataset.__dict__, "slug": "x" * 300})
    file = dataset.downloadable_files[0]
    first = stac.item_from_prepackaged(long, file)["id"]
    assert len(first.encode()) <= 200
    assert first == stac.item_from_prepackaged(long, file)["id"]


def test_items_go_into_the_catalogue_store(
    dataset: records.Dataset, tmp_path: Path, validator: StacValidator
) -> None:
    spec = ExtractionSpec(dataset_uid=UID, download_information_id=INFO, bbox=(7, 45, 8, 46))
    items = [
        stac.item_from_prepackaged(dataset, dataset.downloadable_files[0]),
        stac.item_from_task(dataset, spec, finished_task()),
    ]
    for item in items:
        check_id("item", item["id"])
    with CatalogStore.open(tmp_path, create=CatalogInfo(id="t", description="t")) as store:
        store.upsert_collection(stac.collection_from_dataset(dataset))
        assert store.upsert_items(items).created == 2
        stored = store.read_item("water-and-wetness-2018", items[1]["id"])
    assert validator.validate(stored) == []
    assert stored["assets"] == items[1]["assets"]
