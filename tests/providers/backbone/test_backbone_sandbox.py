"""Drive the Backbone sandbox over HTTP (token, orders, polling) and map the real answers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from stacsync.errors import OrderFailedError, RequestRejectedError
from stacsync.providers.backbone import records, stac
from stacsync.providers.backbone.constants import AOI_TOO_BIG
from stacsync.providers.backbone.requests import (
    OrderKind,
    OrderRequest,
    check_order,
    order_payload,
)
from stacsync.providers.payload import decode_json
from stacsync.sandbox import ProviderOptions, Sandbox, SandboxOptions, running_sandbox
from stacsync.validation import StacValidator

from .conftest import load

DELAY = 20.0
AOI = load("gen1_get_product_request_example.json")["aoi"]


def call(url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, ctype, raw = (
                response.status,
                response.headers.get("Content-Type"),
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        with exc:
            status, ctype, raw = exc.code, exc.headers.get("Content-Type"), exc.read()
    return status, decode_json("backbone", raw, content_type=ctype, url=url, status=status)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    options = SandboxOptions(
        providers=("backbone",), raster_size=16, backbone=ProviderOptions(order_delay=DELAY)
    )
    with running_sandbox(options) as sb:
        yield sb


@pytest.fixture(scope="module")
def endpoints(sandbox: Sandbox) -> dict[str, str]:
    return sandbox.endpoints()["backbone"]


@pytest.fixture(scope="module")
def user(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.credentials()["backbone"]


@pytest.fixture(scope="module")
def token(endpoints: dict[str, str], user: dict[str, Any]) -> str:
    body = {"user_id": user["user_id"], "client_secret": user["client_secret"]}
    status, answer = call(endpoints["token"], body)
    assert status == 200
    parsed = records.parse_token(answer, url=endpoints["token"])
    assert parsed.expires_in == 8640000  # sent as the string "8640000"
    return parsed.access_token


@pytest.fixture(scope="module")
def storage(endpoints: dict[str, str], user: dict[str, Any]) -> stac.S3Storage:
    return stac.S3Storage(
        endpoint=endpoints["s3"], bucket=user["s3_bucket"], region=user["s3_region"]
    )


def order(endpoints: dict[str, str], token: str, user_id: str, request: OrderRequest) -> Any:
    check_order(request)
    url = endpoints["api"] + request.kind.endpoint
    return call(url, order_payload(request, user_id), token)


def poll(
    sandbox: Sandbox, endpoints: dict[str, str], token: str, order_id: str
) -> records.OrderStatus:
    seen = []
    for _ in range(8):
        url = f"{endpoints['order_status']}/{order_id}"
        status, body = call(url, token=token)
        assert status == 200
        parsed = records.parse_order_status(body, url=url)
        seen.append(parsed.status)
        if parsed.state is not records.OrderState.PENDING:
            break
        sandbox.clock.advance(DELAY)
    assert seen[:3] == ["RECEIVED", "QUEUED", "RUNNING"]
    return parsed


def test_aoi_order_end_to_end(
    sandbox: Sandbox,
    endpoints: dict[str, str],
    user: dict[str, Any],
    token: str,
    storage: stac.S3Storage,
    validator: StacValidator,
) -> None:
    request = OrderRequest(kind=OrderKind.AOI, aoi=AOI)
    status, body = order(endpoints, token, user["user_id"], request)
    assert status == 202
    receipt = records.parse_order_receipt(body)
    assert receipt.area_km2 == 7766.19
    final = poll(sandbox, endpoints, token, receipt.order_id)
    assert final.state is records.OrderState.SUCCEEDED
    item = stac.item_from_order(request, final, storage=storage)
    assert validator.validate(item) == []
    assert item["properties"]["order:id"] == receipt.order_id
    asset = item["assets"]["data"]
    with urllib.request.urlopen(asset["href"], timeout=30) as response:
        assert response.status == 200 and response.read(2) == b"PK"
    s3 = asset["alternate"]["s3"]["href"]
    bucket, key = s3.removeprefix("s3://").split("/", 1)
    client = boto3.client(
        "s3",
        endpoint_url=storage.endpoint,
        region_name=storage.region,
        aws_access_key_id=user["s3_access_key_id"],
        aws_secret_access_key=user["s3_secret_access_key"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    finally:
        client.close()
    assert head["ContentLength"] > 0
    assert (
        item["properties"]["storage:schemes"]["cloudferro"]["platform"]
        == f"{storage.endpoint}/{{bucket}}"
    )


def test_national_and_europe_orders(
    endpoints: dict[str, str], user: dict[str, Any], token: str, validator: StacValidator
) -> None:
    national = OrderRequest(kind=OrderKind.NATIONAL, nation="Austria")
    status, body = order(endpoints, token, user["user_id"], national)
    assert status == 200
    item = stac.item_from_order(national, records.parse_product_result(body))
    assert validator.validate(item) == []
    assert item["properties"]["proj:code"] == "EPSG:31287"
    europe = OrderRequest(kind=OrderKind.EUROPE)
    status, body = order(endpoints, token, user["user_id"], europe)
    assert status == 200
    item = stac.item_from_order(europe, records.parse_product_result(body))
    assert validator.validate(item) == []
    assert item["properties"]["proj:code"] == "EPSG:3035"
    status, body = call(endpoints["api"] + "/products/nations", token=token)
    assert "Austria" in records.parse_nations(body)


def test_failed_order_and_provider_errors(
    sandbox: Sandbox, endpoints: dict[str, str], user: dict[str, Any], token: str
) -> None:
    sandbox.emulator("backbone").fail_next_order("FAILED")
    request = OrderRequest(kind=OrderKind.AOI, product="Vector", aoi=AOI)
    status, body = order(endpoints, token, user["user_id"], request)
    receipt = records.parse_order_receipt(body)
    final = poll(sandbox, endpoints, token, receipt.order_id)
    assert final.status == "FAILED" and final.result is None
    with pytest.raises(OrderFailedError, match=receipt.order_id):
        stac.item_from_order(request, final)
    big = "POLYGON ((-10 35, 30 35, 30 70, -10 70, -10 35))"
    url = endpoints["api"] + OrderKind.AOI.endpoint
    status, body = call(url, {"product": "Raster", "aoi": big, "user_id": user["user_id"]}, token)
    assert status == 404 and records.error_message(body) == AOI_TOO_BIG
    with pytest.raises(RequestRejectedError, match="too big"):
        check_order(OrderRequest(kind=OrderKind.AOI, aoi=big))
    status, body = call(f"{endpoints['order_status']}/nope", token=token)
    assert status == 404
    assert records.error_message(body) == "No database entry found for order ID: nope"
