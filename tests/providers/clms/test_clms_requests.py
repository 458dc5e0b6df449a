"""@datarequest_post builders: payloads, request keys and the provider's validation rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from stacsync.errors import RequestRejectedError
from stacsync.providers.clms import records, requests
from stacsync.providers.clms.constants import MESSAGES
from stacsync.providers.clms.requests import ExtractionSpec, PrepackagedSpec
from stacsync.providers.clms.tasks import TaskDataset

UID = "0acef4675a4c4a548896cca00281f434"
INFO = "d170eb21-c4b4-47f5-88c7-958359704542"
INFO_LAYERS = "835009d6-470e-5b54-99a3-39d206920cc6"


@pytest.fixture
def dataset(full_dataset: dict[str, Any]) -> records.Dataset:
    return records.parse_dataset(full_dataset)


def spec(**changes: Any) -> ExtractionSpec:
    values: dict[str, Any] = {"dataset_uid": UID, "download_information_id": INFO, "nuts": "ITC11"}
    values.update(changes)
    return ExtractionSpec(**values)


def test_payload_of_an_extraction_and_a_file() -> None:
    body = requests.build_datarequest(
        [
            spec(nuts=None, bbox=(2.35, 45.88, 4.64, 46.85), output_gcs="EPSG:3035"),
            PrepackagedSpec(dataset_uid=UID, file_id="fb1ca4a2-bcd1-4ddb-b0ba-fadc222d685c"),
        ]
    )
    assert body == {
        "Datasets": [
            {
                "DatasetID": UID,
                "DatasetDownloadInformationID": INFO,
                "OutputFormat": "Geotiff",
                "OutputGCS": "EPSG:3035",
                "BoundingBox": [2.35, 46.85, 4.64, 45.88],
            },
            {"DatasetID": UID, "FileID": "fb1ca4a2-bcd1-4ddb-b0ba-fadc222d685c"},
        ]
    }


def test_temporal_filter_is_epoch_milliseconds() -> None:
    item = requests.datarequest_item(
        spec(start=date(2019, 1, 1), end=datetime(2019, 5, 31, 10, tzinfo=UTC), layer="B01")
    )
    assert item["TemporalFilter"] == {"StartDate": 1546300800000, "EndDate": 1559296800000}
    assert item["Layer"] == "B01"


def test_request_key_is_stable_and_normalised() -> None:
    a = spec(nuts=None, bbox=(2.35, 45.88, 4.64, 46.85))
    b = spec(nuts=None, bbox=(4.64, 46.85, 2.35, 45.880000001), dataset_uid=UID.upper())
    assert requests.request_key(a) == requests.request_key(b)
    assert requests.request_key(a) == "110b4e37b9c898de"  # pinned: ids must not drift
    assert requests.request_key(a) != requests.request_key(spec())
    assert requests.request_key(spec()) != requests.request_key(spec(output_gcs="EPSG:3035"))
    assert requests.request_key(spec(start=date(2019, 1, 1), end=date(2019, 2, 1))) == (
        requests.request_key(
            spec(start=datetime(2019, 1, 1, tzinfo=UTC), end=datetime(2019, 2, 1, tzinfo=UTC))
        )
    )


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"dataset_uid": ""}, "UNDEFINED_DATASET_ID"),
        ({"dataset_uid": "ffffffffffffffffffffffffffffffff"}, "INVALID_DATASET_ID"),
        ({"nuts": "QQ12"}, "NUTS_COUNTRY_ERROR"),
        ({"nuts": "IT-C1"}, "NUTS_COUNTRY_ERROR"),
        ({"bbox": (1.0, 2.0, 3.0, 4.0)}, "NUTS_ALSO_DEFINED"),
        ({"nuts": None, "bbox": (1.0, 2.0, 3.0, float("nan"))}, "INVALID_BOUNDINGBOX"),
        ({"nuts": None, "bbox": (1.0, 2.0, 3.0)}, "INVALID_BOUNDINGBOX"),
        ({"nuts": None, "bbox": (1.0, 95.0, 3.0, 40.0)}, "INVALID_BOUNDINGBOX"),
        ({"start": date(2018, 1, 1), "end": date(2018, 2, 1)}, "TEMP_REST_NOT_ALLOWED"),
        ({"output_gcs": "EPSG:32633"}, "UNDEFINED_GCS"),
        ({"output_gcs": ""}, "MISSING_GCS"),
        ({"download_information_id": ""}, "UNDEFINED_INFO_ID"),
        ({"download_information_id": "9a55a6d-c98a"}, "NOT_DOWNLOADABLE"),
        ({"output_format": "GeoTIFF"}, "INVALID_OUTPUT"),
        ({"output_format": "GPKG"}, "NOT_COMPATIBLE"),
        ({"download_information_id": INFO_LAYERS, "layer": "NDVI"}, "INVALID_LAYER"),
        ({"nuts": None}, "FULL_EEA"),
    ],
)
def test_provider_rules_with_the_dataset(
    dataset: records.Dataset, changes: dict[str, Any], key: str
) -> None:
    with pytest.raises(RequestRejectedError) as caught:
        requests.build_datarequest([spec(**changes)], {UID: dataset})
    assert caught.value.provider == "clms"
    assert MESSAGES[key] in caught.value.reason


def test_time_series_rules(dataset: records.Dataset) -> None:
    series = records.Dataset(
        **{**dataset.__dict__, "is_time_series": True, "temporal_limit_days": 31}
    )
    with pytest.raises(RequestRejectedError, match="specific date range"):
        requests.check_spec(spec(), series)
    with pytest.raises(RequestRejectedError, match="allowed range of 31 days"):
        requests.check_spec(spec(start=date(2019, 1, 1), end=date(2019, 3, 1)), series)
    with pytest.raises(RequestRejectedError, match="not coherent"):
        requests.check_spec(spec(start=date(2019, 3, 1), end=date(2019, 1, 1)), series)
    with pytest.raises(RequestRejectedError, match="StartDate or EndDate"):
        requests.check_spec(spec(start=date(2019, 3, 1)), series)
    requests.check_spec(spec(start=date(2019, 1, 1), end=date(2019, 1, 20)), series)


def test_non_eea_sources_need_an_area(dataset: records.Dataset) -> None:
    info = records.DownloadInformation(
        id="x",
        name="RASTER",
        collection="100m",
        full_format="Geotiff",
        full_path="v3.0.1/2019",
        full_source="LANDCOVER",
    )
    other = records.Dataset(**{**dataset.__dict__, "download_information": (info,)})
    with pytest.raises(RequestRejectedError, match="not an EEA dataset"):
        requests.check_spec(spec(download_information_id="x", nuts=None), other)


def test_prepackaged_rules(dataset: records.Dataset) -> None:
    requests.check_spec(
        PrepackagedSpec(dataset_uid=UID, file_id="fb1ca4a2-bcd1-4ddb-b0ba-fadc222d685c"), dataset
    )
    for file_id in ("27e4e333-149c-49c4-a11e-96a1d0d1b6ff", "nope", ""):
        with pytest.raises(RequestRejectedError, match="FileID is not valid"):
            requests.check_spec(PrepackagedSpec(dataset_uid=UID, file_id=file_id), dataset)


def test_request_level_rules() -> None:
    many = [spec(nuts=code) for code in ("ITC11", "ITC1", "ITC", "IT", "FR", "DE")]
    with pytest.raises(RequestRejectedError, match="5 items at a time"):
        requests.build_datarequest(many)
    with pytest.raises(RequestRejectedError, match="same thing at least twice"):
        requests.build_datarequest([spec(), spec()])
    assert len(requests.build_datarequest(many[:5])["Datasets"]) == 5


def test_without_a_dataset_only_generic_rules_apply() -> None:
    requests.check_spec(spec(output_gcs="EPSG:32633"))
    with pytest.raises(RequestRejectedError, match="GCS not in the list"):
        requests.check_spec(spec(output_gcs="EPSG:2154"))


def test_matches_a_stored_task_entry() -> None:
    s = spec(
        nuts=None, bbox=(2.35, 45.88, 4.64, 46.85), start=date(2019, 1, 1), end=date(2019, 5, 31)
    )
    stored = TaskDataset(
        dataset_id=UID,
        bounding_box=(2.35, 46.85, 4.64, 45.88),
        start=datetime(2019, 1, 1, tzinfo=UTC),
        end=datetime(2019, 5, 31, tzinfo=UTC),
        output_format="Geotiff",
        output_gcs="EPSG:4326",
    )
    assert requests.matches(s, stored)
    assert not requests.matches(spec(), stored)
    assert not requests.matches(PrepackagedSpec(dataset_uid=UID, file_id="f"), stored)
