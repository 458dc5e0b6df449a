"""Drive the CLMS sandbox over HTTP and map its real responses to valid STAC."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from stacsync.errors import OrderFailedError, PayloadError, RequestRejectedError
from stacsync.providers.clms import records, requests, stac, tasks
from stacsync.providers.payload import decode_json
from stacsync.sandbox import ProviderOptions, Sandbox, SandboxOptions, running_sandbox
from stacsync.validation import StacValidator

DELAY = 30.0
WAW = "0acef4675a4c4a548896cca00281f434"
WAW_INFO = "d170eb21-c4b4-47f5-88c7-958359704542"
WAW_FILE = "fb1ca4a2-bcd1-4ddb-b0ba-fadc222d685c"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def call(
    url: str,
    *,
    body: Any = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    accept: str | None = "application/json",
) -> tuple[int, str | None, bytes]:
    headers = {"Accept": accept} if accept else {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("Content-Type"), exc.read()


def get_json(url: str, **kwargs: Any) -> tuple[int, Any]:
    status, content_type, raw = call(url, **kwargs)
    return status, decode_json("clms", raw, content_type=content_type, url=url, status=status)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    options = SandboxOptions(
        providers=("clms",), raster_size=16, clms=ProviderOptions(order_delay=DELAY)
    )
    with running_sandbox(options) as sb:
        yield sb


@pytest.fixture(scope="module")
def api(sandbox: Sandbox) -> str:
    return sandbox.endpoints()["clms"]["api"]


@pytest.fixture(scope="module")
def token(sandbox: Sandbox) -> str:
    key = json.loads(Path(sandbox.credentials()["clms"]["service_key_file"]).read_text())
    now = int(time.time())
    claims = {
        "iss": key["client_id"],
        "sub": key["user_id"],
        "aud": key["token_uri"],
        "iat": now,
        "exp": now + 3600,
    }
    assertion = jwt.encode(claims, key["private_key"], algorithm="RS256")
    status, body = get_json(key["token_uri"], form={"grant_type": GRANT, "assertion": assertion})
    assert status == 200
    parsed = tasks.parse_token(body, url=key["token_uri"])
    assert parsed.expires_in == 3600
    return parsed.access_token


@pytest.fixture(scope="module")
def datasets(api: str) -> dict[str, records.Dataset]:
    found: dict[str, records.Dataset] = {}
    url: str | None = f"{api}/@search?portal_type=DataSet&fullobjects=1&b_size=10"
    pages = 0
    while url is not None:
        status, body = get_json(url)
        assert status == 200
        page = records.parse_search(body, url=url)
        found.update({d.uid: d for d in page.datasets})
        url, pages = page.next_url, pages + 1
    assert pages == 4 and len(found) == page.total == 34
    return found


def submit(api: str, token: str, spec: requests.Spec, ds: records.Dataset) -> str:
    body = requests.build_datarequest([spec], {ds.uid: ds})
    status, answer = get_json(f"{api}/@datarequest_post", body=body, token=token)
    assert status == 201, answer
    submission = tasks.parse_submission(answer)
    assert submission.errors == ()
    (task_id,) = submission.task_ids
    return task_id


def poll(sandbox: Sandbox, api: str, token: str, task_id: str, first: str = "Queued") -> tasks.Task:
    states = []
    for _ in range(6):
        url = f"{api}/@datarequest_status_get?TaskID={task_id}"
        status, body = get_json(url, token=token)
        assert status == 200
        task = tasks.parse_task(body, task_id=task_id, url=url)
        states.append(task.status)
        if task.final:
            break
        sandbox.clock.advance(DELAY)
    assert states[0] == first
    return task


def test_every_collection_validates(
    datasets: dict[str, records.Dataset], validator: StacValidator
) -> None:
    waw = stac.collection_from_dataset(datasets[WAW])
    assert waw["id"] == "water-and-wetness-2018"
    assert waw["created"] == "2022-01-24T14:32:24Z"
    for ds in datasets.values():
        if ds.bbox is None:
            continue
        assert validator.validate(stac.collection_from_dataset(ds)) == [], ds.slug


def test_extraction_end_to_end(
    sandbox: Sandbox,
    api: str,
    token: str,
    datasets: dict[str, records.Dataset],
    validator: StacValidator,
) -> None:
    ds = datasets[WAW]
    spec = requests.ExtractionSpec(
        dataset_uid=WAW,
        download_information_id=WAW_INFO,
        bbox=(7.1, 46.1, 7.3, 46.3),
        output_gcs="EPSG:3035",
    )
    task_id = submit(api, token, spec, ds)
    task = poll(sandbox, api, token, task_id)
    assert task.state is tasks.TaskState.SUCCEEDED
    assert requests.matches(spec, task.datasets[0])
    item = stac.item_from_task(ds, spec, task)
    assert validator.validate(item) == []
    assert item["id"] == f"water-and-wetness-2018-{requests.request_key(spec)}"
    assert item["properties"]["order:id"] == task_id
    assert item["properties"]["proj:code"] == "EPSG:3035"
    status, _type, raw = call(item["assets"]["data"]["href"], accept=None)
    assert status == 200 and len(raw) == item["assets"]["data"]["file:size"]
    # the search of finished tasks finds it again (restart bookkeeping)
    url = f"{api}/@datarequest_search?status=Finished_ok"
    _status, body = get_json(url, token=token)
    again = tasks.parse_task_search(body, url=url)
    assert [t for t, rec in again.items() if requests.matches(spec, rec.datasets[0])] == [task_id]


def test_prepackaged_end_to_end(
    sandbox: Sandbox,
    api: str,
    token: str,
    datasets: dict[str, records.Dataset],
    validator: StacValidator,
) -> None:
    ds = datasets[WAW]
    file = ds.file(WAW_FILE)
    assert file is not None
    orderable = stac.item_from_prepackaged(ds, file)
    assert validator.validate(orderable) == []
    spec = requests.PrepackagedSpec(dataset_uid=WAW, file_id=WAW_FILE)
    task = poll(sandbox, api, token, submit(api, token, spec, ds))
    delivered = stac.item_from_task(ds, spec, task)
    assert validator.validate(delivered) == []
    assert delivered["id"] == orderable["id"]


def test_failed_task_and_rejections(
    sandbox: Sandbox, api: str, token: str, datasets: dict[str, records.Dataset]
) -> None:
    ds = datasets[WAW]
    spec = requests.ExtractionSpec(dataset_uid=WAW, download_information_id=WAW_INFO, nuts="FRK28")
    task_id = submit(api, token, spec, ds)
    sandbox.emulator("clms").force_status(task_id, "Rejected", "FME could not clip")
    task = poll(sandbox, api, token, task_id, first="Rejected")
    with pytest.raises(OrderFailedError, match="Rejected: FME could not clip"):
        stac.item_from_task(ds, spec, task)
    # what the local checks would refuse, the portal refuses with the same message
    bad = {"Datasets": [requests.datarequest_item(spec) | {"NUTS": "QQ1"}]}
    status, body = get_json(f"{api}/@datarequest_post", body=bad, token=token)
    assert status == 400
    local_spec = requests.ExtractionSpec(
        dataset_uid=WAW, download_information_id=WAW_INFO, nuts="QQ1"
    )
    with pytest.raises(RequestRejectedError) as local:
        requests.check_spec(local_spec, ds)
    assert tasks.error_message(body) in str(local.value)


def test_html_answer_is_a_payload_error(api: str) -> None:
    url = f"{api}/@search?portal_type=DataSet"
    with pytest.raises(PayloadError, match="HTML page") as caught:
        get_json(url, accept="text/html")
    assert caught.value.url == url
