"""The CLMS emulator: the Living Earth workflow, task life cycle, downloads, auth and errors."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from stacsync.sandbox import ProviderOptions, Sandbox, SandboxOptions, running_sandbox
from stacsync.sandbox.clms.constants import MESSAGES
from stacsync.sandbox.rasters import read_profile
from tests.sandbox.clms_helpers import (
    DLT,
    FTY,
    FTY_DDI,
    GRA,
    GRA_DDI,
    GRANT_TYPE,
    HRL,
    IMD,
    IMD_DDI_NOTEBOOK,
    IMD_FILE,
    LC2019,
    LC2019_DDI,
    TCD,
    TCD_DDI,
    WAW,
    WAW_DDI,
    WAW_FILE,
    call,
    fetch_token,
    grant,
    load_key,
)

DELAY = 60.0
SIZE = 64


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    options = SandboxOptions(
        providers=("clms",), raster_size=SIZE, clms=ProviderOptions(order_delay=DELAY)
    )
    with running_sandbox(options) as sb:
        yield sb


@pytest.fixture(scope="module")
def emulator(sandbox: Sandbox) -> Any:
    return sandbox.emulator("clms")


@pytest.fixture(scope="module")
def api(sandbox: Sandbox) -> str:
    return sandbox.endpoints()["clms"]["api"]


@pytest.fixture(scope="module")
def key(sandbox: Sandbox) -> dict[str, Any]:
    return load_key(sandbox.credentials()["clms"]["service_key_file"])


@pytest.fixture
def token(key: dict[str, Any]) -> str:
    return fetch_token(key)


def extraction(dataset: str, info: str, **area: Any) -> dict[str, Any]:
    item = {"DatasetID": dataset, "DatasetDownloadInformationID": info}
    item |= {"OutputFormat": "Geotiff", "OutputGCS": "EPSG:4326"}
    return item | (area or {"NUTS": "ITF5"})


def post(api: str, token: str, *items: dict[str, Any]) -> Any:
    return call(
        "POST", f"{api}/@datarequest_post", json_body={"Datasets": list(items)}, token=token
    )


def task_ids(reply: Any) -> list[str]:
    assert reply.status == 201, reply.body
    return [t["TaskID"] for t in reply.json()["TaskIds"]]


def status(api: str, token: str, task_id: str) -> dict[str, Any]:
    reply = call("GET", f"{api}/@datarequest_status_get?TaskID={task_id}", token=token)
    assert reply.status == 200
    record: dict[str, Any] = reply.json()
    return record


def finish(sandbox: Sandbox) -> None:
    sandbox.clock.advance(2 * DELAY + 1)


def error(reply: Any) -> tuple[int, str]:
    body = reply.json()
    return reply.status, body.get("msg", body.get("message", ""))


# -- the Living Earth notebook (seed 002) ------------------------------------------------


def test_notebook_extractions_of_the_six_hrl_layers(sandbox: Sandbox, api: str, token: str) -> None:
    ids = []
    for dataset, info in HRL.items():
        ids += task_ids(post(api, token, extraction(dataset, info)))
    assert len(set(ids)) == 6
    finish(sandbox)
    found = call("GET", f"{api}/@datarequest_search?status=Finished_ok", token=token).json()
    assert set(ids) <= set(found)
    for task_id in ids:
        [item] = found[task_id]["Datasets"]
        assert (item["NUTSID"], item["NUTSName"], item["DatasetSource"]) == (
            "ITF5",
            "Basilicata",
            "EEA",
        )
        assert found[task_id]["DownloadURL"].startswith(sandbox.endpoints()["clms"]["download"])


def test_notebook_misspelled_imperviousness_info_id_is_rejected(api: str, token: str) -> None:
    reply = post(api, token, extraction(IMD, IMD_DDI_NOTEBOOK))
    assert error(reply) == (400, MESSAGES["NOT_DOWNLOADABLE"])


def test_notebook_prepackaged_files(sandbox: Sandbox, api: str, token: str) -> None:
    waw = task_ids(post(api, token, {"DatasetID": WAW, "FileID": WAW_FILE}))
    imd = task_ids(post(api, token, {"DatasetID": IMD, "FileID": IMD_FILE}))
    # The notebook passes the DatasetDownloadInformationID as FileID for Forest Type & co.
    reply = post(api, token, {"DatasetID": FTY, "FileID": FTY_DDI})
    assert error(reply) == (400, MESSAGES["INVALID_FILE_ID"])
    finish(sandbox)
    record = status(api, token, waw[0])
    assert record["Datasets"][0]["FileID"] == WAW_FILE
    assert record["Datasets"][0]["DatasetPath"] == ""
    archive = zipfile.ZipFile(io.BytesIO(call("GET", record["DownloadURL"]).body))
    [name] = archive.namelist()
    assert name == "WAW_2018_010m_ch_03035_v020.zip"
    inner = zipfile.ZipFile(io.BytesIO(archive.read(name)))
    profile = read_profile(inner.read("WAW_2018_010m_ch_03035_v020.tif"))
    assert profile["crs"].to_epsg() == 3035 and profile["nodata"] == 255
    assert status(api, token, imd[0])["Status"] == "Finished_ok"


# -- task life cycle ----------------------------------------------------------------------


def test_life_cycle_and_result_zip(sandbox: Sandbox, api: str, token: str) -> None:
    bbox = [6.488023408101995, 46.416664011458344, 6.798387177633245, 46.31431816468718]
    [task_id] = task_ids(post(api, token, extraction(TCD, TCD_DDI, BoundingBox=bbox)))
    record = status(api, token, task_id)
    assert record["Status"] == "Queued"
    assert "FMETaskId" not in record and "FinalizationDateTime" not in record
    sandbox.clock.advance(DELAY * 0.6)
    record = status(api, token, task_id)
    assert (record["Status"], type(record["FMETaskId"])) == ("Queued", int)
    sandbox.clock.advance(DELAY * 0.6)
    assert status(api, token, task_id)["Status"] == "In_progress"
    sandbox.clock.advance(DELAY)
    record = status(api, token, task_id)
    assert record["Status"] == "Finished_ok"
    assert record["Message"] == "Download process finished successfully"
    assert record["FinalizationDateTime"] > record["RegistrationDateTime"]
    assert record["DownloadURL"].endswith(f"/clmsdatadownload/results/{record['FMETaskId']}.zip")
    download = call("GET", record["DownloadURL"])
    assert download.status == 200 and len(download.body) == record["FileSize"]
    archive = zipfile.ZipFile(io.BytesIO(download.body))
    assert archive.namelist() == ["TCD_2018_010m_eu_03035_V2_0_bbox_1.tif"]
    profile = read_profile(archive.read(archive.namelist()[0]))
    assert profile["crs"].to_epsg() == 4326
    assert (profile["width"], profile["height"], profile["dtype"]) == (SIZE, SIZE, "uint8")
    west, south, east, north = profile["bounds"]  # type: ignore[misc]
    assert west == pytest.approx(6.488, abs=1e-3) and north == pytest.approx(46.4167, abs=1e-3)
    assert east >= 6.798 and south <= 46.3144
    partial = call("GET", record["DownloadURL"], headers={"Range": "bytes=0-9"})
    assert partial.status == 206 and partial.body == download.body[:10]


def test_results_are_deterministic_and_follow_output_gcs(
    sandbox: Sandbox, api: str, token: str
) -> None:
    item = extraction(DLT, HRL[DLT], NUTS="FRK28") | {"OutputGCS": "EPSG:3035"}
    first = task_ids(post(api, token, item))[0]
    finish(sandbox)
    second = task_ids(post(api, token, item))[0]  # allowed again: the first one is finished
    finish(sandbox)
    blobs = [call("GET", status(api, token, t)["DownloadURL"]).body for t in (first, second)]
    assert blobs[0] == blobs[1]
    archive = zipfile.ZipFile(io.BytesIO(blobs[0]))
    profile = read_profile(archive.read("DLT_2018_010m_eu_03035_V2_0_FRK28_1.tif"))
    assert profile["crs"].to_epsg() == 3035


def test_forced_states_and_unknown_nuts(
    sandbox: Sandbox, emulator: Any, api: str, token: str
) -> None:
    [nok] = task_ids(post(api, token, extraction(WAW, WAW_DDI, NUTS="FRZZ9")))
    [rejected] = task_ids(post(api, token, extraction(WAW, WAW_DDI, NUTS="CH013")))
    emulator.force_status(rejected, "Rejected", "FME rejected the job")
    admin = sandbox.endpoints()["clms"]["admin"]
    [other] = task_ids(post(api, token, extraction(WAW, WAW_DDI, NUTS="ITC11")))
    forced = call("POST", f"{admin}/tasks/{other}", json_body={"Status": "Finished_nok"})
    assert forced.status == 200 and forced.json()["Status"] == "Finished_nok"
    finish(sandbox)
    record = status(api, token, nok)
    assert record["Status"] == "Finished_nok" and "DownloadURL" not in record
    assert record["Datasets"][0]["NUTSName"] == "FRZZ9"
    record = status(api, token, rejected)
    assert (record["Status"], record["Message"]) == ("Rejected", "FME rejected the job")
    assert "FinalizationDateTime" in record
    assert status(api, token, other)["Status"] == "Finished_nok"


def test_delete(sandbox: Sandbox, emulator: Any, api: str, token: str) -> None:
    [task_id] = task_ids(
        post(
            api,
            token,
            extraction(GRA, GRA_DDI, NUTS="CH"),
        )
    )
    url = f"{api}/@datarequest_delete"
    reply = call("DELETE", url, json_body={"TaskID": int(task_id)}, token=token)
    assert reply.status == 204 and reply.body == b""
    record = status(api, token, task_id)
    assert record["Status"] == "Cancelled" and "FinalizationDateTime" in record
    assert error(call("DELETE", url, json_body={}, token=token)) == (
        400,
        "Error, TaskID not defined",
    )
    unknown = call("DELETE", url, json_body={"TaskID": "1"}, token=token)
    assert error(unknown) == (403, "Error, TaskID not registered")
    other = emulator.issue_service_key("someoneelse")
    other_token = fetch_token(load_key(str(emulator.service_key_path(other))))
    foreign = call("DELETE", url, json_body={"TaskID": task_id}, token=other_token)
    assert error(foreign) == (404, "Error, permission denied")
    # status_get has no ownership check; search only lists the caller's tasks
    assert status(api, other_token, task_id)["UserID"] == "n0sandbox"
    assert call("GET", f"{api}/@datarequest_search", token=other_token).json() == {}


def test_fme_failures(emulator: Any, api: str, token: str) -> None:
    emulator.fme_available = False
    try:
        reply = post(api, token, extraction(FTY, FTY_DDI, NUTS="AT"))
        assert error(reply) == (500, "Error, all requests failed")
    finally:
        emulator.fme_available = True


# -- downloads ------------------------------------------------------------------------------


def test_link_expiry_and_user_agent_check(
    sandbox: Sandbox, emulator: Any, api: str, key: dict[str, Any]
) -> None:
    token = fetch_token(key)
    [task_id] = task_ids(post(api, token, extraction(FTY, FTY_DDI, NUTS="DE")))
    finish(sandbox)
    url = status(api, token, task_id)["DownloadURL"]
    emulator.ua_check = True
    try:
        assert call("GET", url).status == 403
        browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}
        assert call("GET", url, headers=browser).status == 200
    finally:
        emulator.ua_check = False
    sandbox.clock.advance(72 * 3600)
    assert call("GET", url).status == 404
    token = fetch_token(key)
    assert status(api, token, task_id)["DownloadURL"] == url  # the record keeps the dead link


# -- auth -------------------------------------------------------------------------------------


def test_token_expiry_and_revocation(
    sandbox: Sandbox, emulator: Any, api: str, key: dict[str, Any]
) -> None:
    token = fetch_token(key)
    assert call("GET", f"{api}/@projections", token=token).status == 200
    sandbox.clock.advance(3600)
    expired = call("GET", f"{api}/@search?portal_type=DataSet", token=token)
    assert expired.status == 401
    assert expired.json() == {"error": "invalid_token", "error_description": "Access token expired"}
    token = fetch_token(key)
    emulator.revoke_tokens()
    anonymous = call("GET", f"{api}/@projections", token=token)
    assert anonymous.status == 401 and anonymous.json()["type"] == "Unauthorized"
    assert call("GET", f"{api}/@search?portal_type=DataSet", token=token).status == 200


@pytest.mark.parametrize(
    ("form", "status_code", "error_type", "description"),
    [
        (
            {"grant_type": "password"},
            400,
            "invalid_request",
            "Only grant type 'urn:ietf:params:oauth:grant-type:jwt-bearer' is supported",
        ),
        ({}, 400, "invalid_request", "Missing 'grant_type'"),
        ({"grant_type": GRANT_TYPE}, 400, "invalid_request", "Missing 'assertion'"),
        (
            {"aud": "https://land.copernicus.eu/@@oauth2-token"},
            400,
            "invalid_grant",
            "Audience doesn't match",
        ),
        ({"iss": "0" * 32}, 400, "invalid_grant", "No associated key found"),
        ({"exp": 1000}, 400, "invalid_grant", "Signature has expired"),
        ({"exp": "+2d"}, 400, "invalid_grant", "JWT expiration is more than a day in the future"),
        ({"iat": "-2h"}, 400, "invalid_grant", "JWT was issued more than an hour in the past"),
        ({"iat": "+2h"}, 400, "invalid_grant", "JWT issue time is in the future"),
        ({"nbf": "-1h"}, 400, "invalid_grant", "The 'nbf' claim is not suppported"),
        ({"scope": "all"}, 400, "invalid_grant", "Scopes are not supported yet"),
        ({"exp": None}, 400, "invalid_grant", "Missing 'exp' claim"),
    ],
)
def test_grant_errors(
    key: dict[str, Any], form: dict[str, Any], status_code: int, error_type: str, description: str
) -> None:
    import time

    now = int(time.time())
    claims = {k: v for k, v in form.items() if k != "grant_type"}
    for name, value in list(claims.items()):
        if isinstance(value, str) and value[0] in "+-":
            unit = 86400 if value.endswith("d") else 3600
            claims[name] = now + int(value[:-1]) * unit
    body = {"grant_type": form.get("grant_type", GRANT_TYPE), "assertion": grant(key, **claims)}
    if not form or form == {"grant_type": GRANT_TYPE}:
        body = form
    reply = call("POST", key["token_uri"], form=body)
    assert reply.status == status_code
    assert reply.json() == {"error": error_type, "error_description": description}


def test_token_endpoint_rejects_get_and_hs256(key: dict[str, Any]) -> None:
    import jwt

    reply = call("GET", key["token_uri"])
    assert (reply.status, reply.json()["error_description"]) == (405, "POST only")
    forged = jwt.encode({"iss": key["client_id"]}, "s" * 32, algorithm="HS256")
    reply = call("POST", key["token_uri"], form={"grant_type": GRANT_TYPE, "assertion": forged})
    assert reply.json()["error_description"] == "Only RS256 signature algorithm is supported"


# -- search -----------------------------------------------------------------------------------


def test_search_paging(api: str) -> None:
    first = call("GET", f"{api}/@search?portal_type=DataSet&metadata_fields=UID").json()
    total = first["items_total"]
    assert len(first["items"]) == 25 and total > 25 and "prev" not in first["batching"]
    second = call("GET", first["batching"]["next"]).json()
    assert set(second["batching"]) == {"@id", "first", "last", "prev"}
    assert second["batching"]["prev"].startswith(f"{api}/@search?b_start=0&")
    uids = [i["UID"] for i in first["items"] + second["items"]]
    assert len(set(uids)) == total and set(HRL) <= set(uids)
    everything = call("GET", f"{api}/@search?portal_type=DataSet&b_size=100").json()
    assert "batching" not in everything and everything["items_total"] == total
    assert "UID" not in everything["items"][0]


def test_search_fullobjects_and_object(api: str) -> None:
    body = call("GET", f"{api}/@search?portal_type=DataSet&UID={WAW}&fullobjects=1").json()
    [item] = body["items"]
    assert item["UID"] == WAW and item["id"] == "water-and-wetness-2018"
    assert item["geographicBoundingBox"]["items"][0]["west"] == "-31.285"
    assert {"items", "schema", "uiSchema"} <= set(item["downloadable_files"])
    assert WAW_FILE in [f["@id"] for f in item["downloadable_files"]["items"]]
    assert call("GET", item["@id"]).json()["UID"] == WAW
    missing = call("GET", f"{api}/en/products/nothing-here")
    assert missing.status == 404 and missing.json()["type"] == "NotFound"


def test_accept_header_is_required(api: str) -> None:
    reply = call("GET", f"{api}/@search?portal_type=DataSet", accept=None)
    assert reply.status == 404 and reply.headers["Content-Type"].startswith("text/html")


# -- @datarequest_post validation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            extraction(WAW, WAW_DDI, NUTS="ITF5", BoundingBox=[1, 2, 3, 4]),
            MESSAGES["NUTS_ALSO_DEFINED"],
        ),
        (extraction(WAW, WAW_DDI, BoundingBox=[1, 2, 3]), MESSAGES["INVALID_BOUNDINGBOX"]),
        (
            extraction(WAW, WAW_DDI, BoundingBox=[-10, 35, 30, 70]),
            "Error, the requested BoundingBox is too big. The limit is 1600000000000.",
        ),
        (extraction(WAW, WAW_DDI) | {"OutputGCS": "EPSG:2154"}, MESSAGES["UNDEFINED_GCS"]),
        (
            {k: v for k, v in extraction(WAW, WAW_DDI).items() if k != "OutputGCS"},
            MESSAGES["MISSING_GCS"],
        ),
        (
            {
                k: v
                for k, v in extraction(WAW, WAW_DDI).items()
                if k != "DatasetDownloadInformationID"
            },
            MESSAGES["UNDEFINED_INFO_ID"],
        ),
        (extraction(WAW, WAW_DDI) | {"OutputFormat": "SHP"}, MESSAGES["INVALID_OUTPUT"]),
        (extraction(WAW, WAW_DDI) | {"OutputFormat": "GPKG"}, MESSAGES["NOT_COMPATIBLE"]),
        (
            extraction(WAW, WAW_DDI) | {"TemporalFilter": {"StartDate": 0, "EndDate": 1}},
            MESSAGES["TEMP_REST_NOT_ALLOWED"],
        ),
        (extraction(LC2019, LC2019_DDI) | {"NUTS": "IT-1"}, MESSAGES["NUTS_COUNTRY_ERROR"]),
    ],
)
def test_validation_errors(api: str, token: str, item: dict[str, Any], message: str) -> None:
    assert error(post(api, token, item)) == (400, message)


def test_request_limits_and_duplicates(api: str, token: str) -> None:
    codes = ["CH", "FR", "IT", "DE", "AT", "ES"]
    items = [extraction(LC2019, LC2019_DDI, NUTS=c) for c in codes]
    assert error(post(api, token, *items)) == (400, MESSAGES["DOWNLOAD_LIMIT"])
    assert error(post(api, token, items[0], items[0])) == (400, MESSAGES["DUPLICATED"])
    task_ids(post(api, token, items[1]))
    assert error(post(api, token, items[1])) == (400, MESSAGES["DUPLICATED"])
    # pre-packaged items are not counted and split into their own task, created first
    mixed = post(api, token, *items[2:], {"DatasetID": WAW, "FileID": WAW_FILE})
    assert len(task_ids(mixed)) == 2


def test_bodies_the_server_chokes_on(api: str, token: str) -> None:
    reply = call(
        "POST",
        f"{api}/@datarequest_post",
        raw=b"{nope",
        token=token,
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 400 and reply.json()["type"] == "DeserializationError"
    reply = call("POST", f"{api}/@datarequest_post", json_body={"datasets": []}, token=token)
    assert reply.status == 500 and reply.json()["type"] == "TypeError"
    empty = call("POST", f"{api}/@datarequest_post", json_body={"Datasets": []}, token=token)
    assert (empty.status, empty.json()) == (201, {"ErrorTaskIds": [], "TaskIds": []})


def test_search_and_status_errors(api: str, token: str) -> None:
    bad = call("GET", f"{api}/@datarequest_search?status=finished", token=token)
    assert error(bad) == (400, "Error, status not recognized")
    assert error(call("GET", f"{api}/@datarequest_status_get", token=token)) == (
        400,
        "Error, TaskID not defined",
    )
    missing = call("GET", f"{api}/@datarequest_status_get?TaskID=1", token=token)
    assert error(missing) == (404, "Error, the task does not exist")


def test_admin_request_log(sandbox: Sandbox) -> None:
    admin = sandbox.endpoints()["clms"]["admin"]
    entries = json.loads(call("GET", f"{admin}/requests").body)["entries"]
    assert any(e["path"] == "/api/@datarequest_post" and e["status"] == 201 for e in entries)
    assert {e["server"] for e in entries} <= {"clms.api", "clms.download"}
