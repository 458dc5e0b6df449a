"""CLMS records: every sample parses; bad payloads name the offending field."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from stacsync.errors import PayloadError, ProviderWarning
from stacsync.providers.clms import records, tasks

from .conftest import load


def test_search_page_with_batching() -> None:
    page = records.parse_search(load("search_response.json"), url="https://x/@search")
    assert page.total == 198
    assert len(page.datasets) == 25
    assert page.next_url is not None and "b_start=25" in page.next_url
    first = page.datasets[0]
    assert first.uid == "a8d945f0edd143a0a5240c28bafa23da"
    assert first.slug == (
        "copernicus-global-land-service-land-cover-100m-collection-3-epoch-2019-globe"
    )
    info = first.download_information[0]
    assert (info.id, info.full_format, info.full_source, info.collection) == (
        "f328dbcc-9069-4240-b8bb-6d5df918671a",
        "Geotiff",
        "LANDCOVER",
        "100m",
    )


def test_search_item_with_download_information() -> None:
    dataset = records.parse_dataset(load("search_item_dataset_download_information.json"))
    assert [i.name for i in dataset.download_information] == ["RASTER", "RASTER"]
    assert [i.collection for i in dataset.download_information] == ["20m", "100m"]


def test_downloadable_files_excerpt() -> None:
    page = records.parse_search(load("search_downloadable_files_excerpt.json"))
    clc = next(d for d in page.datasets if d.slug == "clc2018")
    assert [f.format for f in clc.downloadable_files] == ["Geotiff", "GDB", "GPKG"]
    assert clc.downloadable_files[0].stem == "u2018_clc2018_v2020_20u1_raster100m"
    assert all(f.orderable for f in clc.downloadable_files)
    empty = page.datasets[0].downloadable_files[0]
    assert not empty.orderable


def test_full_object(full_dataset: dict[str, Any]) -> None:
    ds = records.parse_dataset(full_dataset)
    assert ds.bbox == (-61.9, 14.3, 44.807, 71.165)
    assert (ds.temporal_start, ds.temporal_end) == (date(2018, 1, 1), date(2018, 12, 31))
    assert ds.download_information[0].full_format == "Geotiff"  # the {"token"} form
    assert ds.download_information[1].layers == ("WAW", "QL")
    assert ds.downloadable_files[0].year == "2018"
    assert ds.doi == "10.2909/7ee532ae-daaf-524c-a29c-ff061131ad1f"
    assert ds.access_constraints == "Free & open."
    assert ds.metadata_urls == (
        "https://sdi.eea.europa.eu/catalogue/copernicus/api/records/"
        "7ee532ae-daaf-524c-a29c-ff061131ad1f/formatters/xml?approved=true",
    )
    assert ds.created == datetime(2022, 1, 24, 14, 32, 24, tzinfo=UTC)
    assert ds.page_url.startswith("https://land.copernicus.eu/en/products/")


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda o: o["items"][3].pop("UID"), "items[3].UID", "missing"),
        (lambda o: o["items"][1].update(title=42), "items[1].title", "expected a string"),
        (lambda o: o.update(items={"a": 1}), "items", "expected a list"),
        (lambda o: o.pop("items_total"), "items_total", "missing"),
        (
            lambda o: o["items"][0]["dataset_download_information"]["items"][0].pop("@id"),
            "items[0].dataset_download_information.items[0].@id",
            "missing",
        ),
        (
            lambda o: o["items"][2]["dataset_download_information"].update(items="x"),
            "items[2].dataset_download_information.items",
            "expected a list",
        ),
    ],
)
def test_bad_search_payloads(mutate: Any, field: str, reason: str) -> None:
    payload = copy.deepcopy(load("search_response.json"))
    mutate(payload)
    with pytest.raises(PayloadError) as caught:
        records.parse_search(payload, url="https://land.copernicus.eu/api/@search")
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert "https://land.copernicus.eu/api/@search" in str(caught.value)


def test_odd_but_usable_dataset_fields_warn(full_dataset: dict[str, Any]) -> None:
    full_dataset["temporalExtentStart"] = "sometime"
    full_dataset["geographicBoundingBox"]["items"][1]["west"] = "n/a"
    with pytest.warns(ProviderWarning) as caught:
        ds = records.parse_dataset(full_dataset)
    messages = [str(w.message) for w in caught]
    assert any("temporalExtentStart" in m for m in messages)
    assert any("geographicBoundingBox.items[1]" in m for m in messages)
    assert ds.temporal_start is None
    assert ds.bbox == (-31.285, 27.642, 44.807, 71.165)


def test_tokens() -> None:
    token = tasks.parse_token(load("token_response.json"))
    assert token.expires_in == 3600
    assert "READACTED" not in repr(token)
    with pytest.raises(PayloadError, match="expires_in"):
        tasks.parse_token({"access_token": "x", "expires_in": "soon"})


def test_submission() -> None:
    sub = tasks.parse_submission(load("datarequest_post_response.json"))
    assert sub.task_ids == ("14909741217",)
    assert sub.errors == ()
    failed = tasks.parse_submission({"TaskIds": [], "ErrorTaskIds": [{"TaskID": "7"}]})
    assert failed.errors[0].task_id == "7"
    assert "failed" in failed.errors[0].message
    with pytest.raises(PayloadError) as caught:
        tasks.parse_submission({"TaskIds": [{"TaskId": "1"}]})
    assert caught.value.field == "TaskIds[0].TaskID"


def test_task_search_finished() -> None:
    found = tasks.parse_task_search(load("datarequest_search_finished_response.json"))
    assert sorted(found) == ["14909741217", "31833063043", "94519134409"]
    task = found["14909741217"]
    assert task.state is tasks.TaskState.SUCCEEDED and task.final
    assert task.file_size == 12874380
    assert task.download_url == (
        "https://copernicus-fme.eea.europa.eu/clmsdatadownload/results/4050.zip"
    )
    assert task.registered == datetime(2022, 9, 29, 13, 10, 17, 80461, tzinfo=UTC)
    assert [d.nuts_id for d in task.datasets] == ["ITC11", "ITC1"]
    bbox_task = found["31833063043"]
    assert bbox_task.datasets[0].start == datetime(2019, 1, 1, 10, tzinfo=UTC)
    assert bbox_task.datasets[0].bounding_box == (
        2.354736328128108,
        46.852958688910306,
        4.639892578127501,
        45.88264619696234,
    )


def test_task_in_progress_and_status_get() -> None:
    running = tasks.parse_task_search(load("datarequest_search_in_progress_response.json"))
    assert running["2570221043"].state is tasks.TaskState.PENDING
    assert running["2570221043"].fme_task_id == 4052
    one = tasks.parse_task(load("datarequest_status_get_response.json"), task_id="14909741217")
    assert one.message == "Download process finished successfully"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Queued", tasks.TaskState.PENDING),
        ("Finished_nok", tasks.TaskState.FAILED),
        ("Rejected", tasks.TaskState.FAILED),
        ("Cancelled", tasks.TaskState.CANCELLED),
        ("QUEUED", tasks.TaskState.PENDING),
    ],
)
def test_statuses(status: str, state: tasks.TaskState) -> None:
    record = {"Status": status, "Datasets": [], "RegistrationDateTime": "2022-09-29T13:10:17"}
    if state is not tasks.TaskState.PENDING:
        record["FinalizationDateTime"] = "2022-09-29T13:11:17+00:00"
    assert tasks.parse_task(record, task_id="1").state is state


def test_unknown_status_warns() -> None:
    record = {"Status": "Timed_out", "Datasets": [], "RegistrationDateTime": "2022-09-29T13:10:17"}
    with pytest.warns(ProviderWarning, match="Timed_out"):
        task = tasks.parse_task(record, task_id="5")
    assert task.state is tasks.TaskState.PENDING


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda t: t.pop("DownloadURL"), "14909741217.DownloadURL"),
        (lambda t: t.update(FileSize="big"), "14909741217.FileSize"),
        (lambda t: t.update(RegistrationDateTime="yesterday"), "14909741217.RegistrationDateTime"),
        (lambda t: t["Datasets"][1].pop("DatasetID"), "14909741217.Datasets[1].DatasetID"),
        (lambda t: t.pop("Status"), "14909741217.Status"),
    ],
)
def test_bad_task_records(mutate: Any, field: str) -> None:
    payload = copy.deepcopy(load("datarequest_search_finished_response.json"))
    mutate(payload["14909741217"])
    with pytest.raises(PayloadError) as caught:
        tasks.parse_task_search(payload, url="https://x/@datarequest_search")
    assert caught.value.field == field


@pytest.mark.parametrize(
    "name",
    [
        "datarequest_post_400_full_not_eea_response.json",
        "datarequest_post_400_must_have_area_response.json",
        "datarequest_post_401_response.json",
    ],
)
def test_error_bodies(name: str) -> None:
    body = load(name)
    assert tasks.error_message(body) == body.get("msg", body.get("message"))
    assert (
        tasks.error_message({"error": "invalid_token", "error_description": "Access token expired"})
        == "Access token expired"
    )
    assert tasks.error_message(["not", "an", "object"]) is None


def test_task_search_error_body_with_200() -> None:
    body = {"status": "error", "msg": "Error, status not recognized"}
    with pytest.raises(PayloadError, match="status not recognized"):
        tasks.parse_task_search(body, url="https://x/@datarequest_search")
