"""Every captured CLMS sample, requested from the emulator and compared in shape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from stacsync.sandbox import ProviderOptions, Sandbox, SandboxOptions, running_sandbox
from stacsync.sandbox.clms.constants import (
    DATASET_FORMATS,
    DATASET_SOURCES,
    FORMAT_CONVERSION_TABLE,
    GCS,
    MESSAGES,
    NUTS_COUNTRY_PREFIXES,
    OTHER_AVAILABLE_GCS,
    STATUS_LIST,
)
from tests.sandbox.clms_helpers import (
    CLC2018,
    DATA,
    GRANT_TYPE,
    IMD,
    LC2019,
    LC2019_DDI,
    TIMESERIES,
    WAW,
    WAW_DDI,
    call,
    fetch_token,
    grant,
    load_key,
    sample,
    shape_problems,
)

DELAY = 100.0
SEARCH_QUERY = (
    "portal_type=DataSet&metadata_fields=UID&metadata_fields=dataset_full_format"
    "&&metadata_fields=dataset_download_information"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    options = SandboxOptions(providers=("clms",), clms=ProviderOptions(order_delay=DELAY))
    with running_sandbox(options) as sb:
        yield sb


@pytest.fixture(scope="module")
def api(sandbox: Sandbox) -> str:
    return sandbox.endpoints()["clms"]["api"]


@pytest.fixture(scope="module")
def key(sandbox: Sandbox) -> dict[str, Any]:
    return load_key(sandbox.credentials()["clms"]["service_key_file"])


@pytest.fixture
def token(key: dict[str, Any]) -> str:
    return fetch_token(key)


def assert_shape(expected: Any, actual: Any, **kwargs: Any) -> None:
    problems = shape_problems(expected, actual, **kwargs)
    assert not problems, "\n".join(problems)


def test_token_response(key: dict[str, Any]) -> None:
    reply = call("POST", key["token_uri"], form={"grant_type": GRANT_TYPE, "assertion": grant(key)})
    assert reply.status == 200
    body = reply.json()
    assert_shape(sample("token_response.json"), body)
    assert body["expires_in"] == 3600 and body["token_type"] == "Bearer"
    assert len(body["access_token"]) == 88 and body["access_token"].endswith("==")
    assert reply.headers["Cache-Control"] == "no-store"


def test_service_key_file(key: dict[str, Any]) -> None:
    expected = sample("service_key_example.redacted.json")
    assert_shape(expected, key)
    assert set(key) == set(expected)
    assert key["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert re.fullmatch(r"[0-9a-f]{32}", key["client_id"])
    assert re.fullmatch(r"[0-9a-f]{40}", key["key_id"])
    assert key["token_uri"].endswith("/@@oauth2-token")


def test_search_response(api: str) -> None:
    reply = call("GET", f"{api}/@search?{SEARCH_QUERY}")
    assert reply.status == 200
    body = reply.json()
    expected = sample("search_response.json")
    assert_shape(expected, body)
    assert set(body["batching"]) == set(expected["batching"])  # first page: no prev
    assert body["items"][0] == {
        **expected["items"][0],
        "@id": body["items"][0]["@id"],
    }
    assert body["@id"] == f"{api}/@search?" + SEARCH_QUERY.replace("&&", "&")
    assert body["batching"]["next"].startswith(f"{api}/@search?b_start=25&portal_type=DataSet")


def test_search_item_dataset_download_information(api: str) -> None:
    expected = sample("search_item_dataset_download_information.json")
    query = f"UID={expected['UID']}&metadata_fields=UID&metadata_fields=dataset_full_format"
    body = call("GET", f"{api}/@search?{query}&metadata_fields=dataset_download_information").json()
    assert body["items_total"] == 1 and "batching" not in body
    assert_shape(expected, body["items"][0])
    assert (
        body["items"][0]["dataset_download_information"] == expected["dataset_download_information"]
    )


def test_search_downloadable_files(api: str) -> None:
    expected = sample("search_downloadable_files_excerpt.json")
    query = "portal_type=DataSet&metadata_fields=UID&metadata_fields=downloadable_files"
    body = call("GET", f"{api}/@search?{query}").json()
    assert_shape(expected, body, extra=frozenset({"schema", "uiSchema", "file"}))
    clc = next(i for i in body["items"] if i["UID"] == CLC2018)
    wanted = next(i for i in expected["items"] if i["UID"] == CLC2018)
    assert clc["downloadable_files"]["items"] == wanted["downloadable_files"]["items"]
    assert "properties" in clc["downloadable_files"]["schema"]


def test_format_conversion_table(api: str, token: str) -> None:
    reply = call("GET", f"{api}/@format_conversion_table", token=token)
    assert reply.status == 200
    assert reply.json() == sample("format_conversion_table_response.json")


def test_projections(api: str, token: str) -> None:
    reply = call("GET", f"{api}/@projections?uid={CLC2018}", token=token)
    assert reply.status == 200
    assert reply.json() == sample("projections_response.json")


def test_time_series_metadata(api: str, token: str) -> None:
    reply = call("GET", f"{api}/@get-time-series-metadata?dataset={TIMESERIES}", token=token)
    assert reply.status == 200
    assert reply.json() == sample("get_time_series_metadata_response.json")


def test_download_file_urls_legacy(api: str, token: str) -> None:
    query = (
        "dataset_uid=58b4d790fc6b435d9e61c48d14bc06bb"
        "&download_information_id=27062663-bba6-43c1-8c73-c7ed82814956"
        "&date_from=2017-01-01&date_to=2017-03-07"
    )
    reply = call("GET", f"{api}/@get-download-file-urls?{query}", token=token)
    assert reply.status == 200
    assert reply.json() == sample("get_download_file_urls_legacy_response.json")


def test_download_file_urls_wekeo(api: str, token: str) -> None:
    query = (
        "dataset_uid=8d14c6a2ba7946faaaf50e4e8241fe1c"
        "&download_information_id=2c51dd60-0e70-4ff8-88c0-bd8cb6c58123"
    )
    reply = call("GET", f"{api}/@get-download-file-urls?{query}", token=token)
    assert reply.status == 200
    assert reply.json() == sample("get_download_file_urls_wekeo_response.json")


def nuts_request(*codes: str, dataset: str = LC2019, info: str = LC2019_DDI) -> dict[str, Any]:
    return {
        "Datasets": [
            {
                "DatasetID": dataset,
                "DatasetDownloadInformationID": info,
                "OutputFormat": "Geotiff",
                "OutputGCS": "EPSG:4326",
                "NUTS": code,
            }
            for code in codes
        ]
    }


def timeseries_request(sandbox: Sandbox) -> dict[str, Any]:
    dataset = sandbox.emulator("clms").catalogue.by_uid(TIMESERIES)  # type: ignore[attr-defined]
    item = {
        "DatasetID": TIMESERIES,
        "DatasetDownloadInformationID": dataset.download_information[0]["@id"],
        "OutputFormat": "Netcdf",
        "OutputGCS": "EPSG:4326",
        "BoundingBox": [6.488, 46.416, 6.798, 46.314],
        "TemporalFilter": {"StartDate": 1546333200000, "EndDate": 1559289600000},
    }
    return {"Datasets": [item]}


def test_datarequest_post_and_task_records(sandbox: Sandbox, api: str, token: str) -> None:
    reply = call(
        "POST", f"{api}/@datarequest_post", json_body=nuts_request("ITC11", "ITC1"), token=token
    )
    assert reply.status == 201
    body = reply.json()
    assert_shape(sample("datarequest_post_response.json"), body)
    task_id = body["TaskIds"][0]["TaskID"]
    assert re.fullmatch(r"\d{1,11}", task_id)
    series = call(
        "POST", f"{api}/@datarequest_post", json_body=timeseries_request(sandbox), token=token
    )
    assert series.status == 201
    series_id = series.json()["TaskIds"][0]["TaskID"]

    sandbox.clock.advance(DELAY * 1.1)
    in_progress = call("GET", f"{api}/@datarequest_search?status=In_progress", token=token).json()
    assert {task_id, series_id} <= set(in_progress)
    expected = sample("datarequest_search_in_progress_response.json")
    # The sample's items have no area; ours must (NUTS / BoundingBox are the optional extras).
    assert_shape(
        expected,
        {series_id: in_progress[series_id]},
        keyed=frozenset({"$"}),
        extra=frozenset({"BoundingBox"}),
    )
    assert in_progress[series_id]["Datasets"][0]["TemporalFilter"] == {
        "EndDate": "2019-05-31 08:00:00",
        "StartDate": "2019-01-01 09:00:00",
    }

    sandbox.clock.advance(DELAY)
    status = call("GET", f"{api}/@datarequest_status_get?TaskID={task_id}", token=token)
    assert status.status == 200
    record = status.json()
    assert_shape(sample("datarequest_status_get_response.json"), record)
    assert record["Status"] == "Finished_ok"
    assert [d["NUTSName"] for d in record["Datasets"]] == ["Torino", "Piemonte"]

    finished = call("GET", f"{api}/@datarequest_search?status=Finished_ok", token=token).json()
    expected = sample("datarequest_search_finished_response.json")
    assert_shape(expected, finished, keyed=frozenset({"$"}))
    assert finished[task_id] == record


def test_datarequest_post_401(api: str) -> None:
    reply = call("POST", f"{api}/@datarequest_post", json_body=nuts_request("ITC11"))
    assert reply.status == 401
    assert reply.json() == sample("datarequest_post_401_response.json")


def test_datarequest_post_400_full_not_eea(api: str, token: str) -> None:
    item = {"DatasetID": LC2019, "DatasetDownloadInformationID": LC2019_DDI}
    item |= {"OutputFormat": "Geotiff", "OutputGCS": "EPSG:4326"}
    reply = call("POST", f"{api}/@datarequest_post", json_body={"Datasets": [item]}, token=token)
    assert reply.status == 400
    assert reply.json() == sample("datarequest_post_400_full_not_eea_response.json")


def test_datarequest_post_400_full_eea(api: str, token: str) -> None:
    raw = (DATA / "datarequest_post_400_full_eea_response.raw.txt").read_text()
    expected_msg = re.search(r'"msg": "([^"]*)"', raw)
    assert expected_msg is not None
    item = {"DatasetID": WAW, "DatasetDownloadInformationID": WAW_DDI}
    item |= {"OutputFormat": "Geotiff", "OutputGCS": "EPSG:3035"}
    reply = call("POST", f"{api}/@datarequest_post", json_body={"Datasets": [item]}, token=token)
    assert reply.status == 400
    assert reply.json() == {"msg": expected_msg.group(1), "status": "error"}


def test_datarequest_post_400_must_have_area(api: str, token: str, sandbox: Sandbox) -> None:
    dataset = sandbox.emulator("clms").catalogue.by_uid(TIMESERIES)  # type: ignore[attr-defined]
    info = dataset.download_information[0]["@id"]
    item = {"DatasetID": TIMESERIES, "DatasetDownloadInformationID": info}
    item |= {"OutputFormat": "Netcdf", "OutputGCS": "EPSG:4326"}
    item["TemporalFilter"] = {"StartDate": 1546333200000, "EndDate": 1559289600000}
    reply = call("POST", f"{api}/@datarequest_post", json_body={"Datasets": [item]}, token=token)
    assert reply.status == 400
    assert reply.json() == sample("datarequest_post_400_must_have_area_response.json")


def test_downloadtool_constants() -> None:
    constants = sample("downloadtool_constants.json")
    assert list(STATUS_LIST) == constants["STATUS_LIST"]
    assert list(GCS) == constants["GCS"]
    assert set(constants["OTHER_AVAILABLE_GCS"]) == OTHER_AVAILABLE_GCS
    assert list(DATASET_FORMATS) == constants["DATASET_FORMATS"]
    assert list(DATASET_SOURCES) == constants["DATASET_SOURCES"]
    assert json.loads(json.dumps(FORMAT_CONVERSION_TABLE)) == constants["FORMAT_CONVERSION_TABLE"]
    assert dict(MESSAGES) == constants["MESSAGES"]
    assert set(constants["NUTS_COUNTRY_PREFIXES"]) == NUTS_COUNTRY_PREFIXES


def test_error_messages_come_from_the_constants(api: str, token: str) -> None:
    messages = sample("downloadtool_constants.json")["MESSAGES"]
    cases = [
        ({}, "UNDEFINED_DATASET_ID"),
        ({"DatasetID": "nope"}, "INVALID_DATASET_ID"),
        ({"DatasetID": IMD, "FileID": "nope"}, "INVALID_FILE_ID"),
        ({"DatasetID": IMD, "NUTS": "XX1"}, "NUTS_COUNTRY_ERROR"),
    ]
    for item, key in cases:
        reply = call(
            "POST", f"{api}/@datarequest_post", json_body={"Datasets": [item]}, token=token
        )
        assert (reply.status, reply.json()) == (400, {"msg": messages[key], "status": "error"})
