"""The CLC+ Backbone gen-1 emulator over real HTTP: fidelity to the samples and the order flow."""

from __future__ import annotations

import copy
import io
import re
import string
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from stacsync.sandbox import ProviderOptions, SandboxOptions, running_sandbox
from stacsync.sandbox.backbone import BackboneEmulator
from stacsync.sandbox.runner import Sandbox
from tests.sandbox.backbone_http import DATA, Reply, call, same_shape, sample

AOI = sample("gen1_get_product_request_example.json")["aoi"]
DELAY = 5.0
ALNUM = set(string.ascii_letters + string.digits)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    options = SandboxOptions(providers=("backbone",), backbone=ProviderOptions(order_delay=DELAY))
    with running_sandbox(options) as box:
        yield box


@pytest.fixture
def ep(sandbox: Sandbox) -> dict[str, str]:
    return sandbox.endpoints()["backbone"]


@pytest.fixture
def creds(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.credentials()["backbone"]


@pytest.fixture
def emulator(sandbox: Sandbox) -> BackboneEmulator:
    emu = sandbox.emulator("backbone")
    assert isinstance(emu, BackboneEmulator)
    return emu


@pytest.fixture
def token(ep: dict[str, str], creds: dict[str, Any]) -> str:
    reply = call(
        "POST", ep["token"], {"user_id": creds["user_id"], "client_secret": creds["client_secret"]}
    )
    assert reply.status == 200
    value: str = reply.json()["access_token"]
    return value


def order(
    ep: dict[str, str], token: str, user_id: str, product: str = "Raster", aoi: str = AOI
) -> Reply:
    body = {"product": product, "aoi": aoi, "user_id": user_id}
    return call("POST", ep["api"] + "/products/get_product", body, token=token)


def order_id_of(reply: Reply) -> str:
    match = re.fullmatch(r"/services/order_status/([0-9a-f]{32})", reply.json()["links"]["href"])
    assert match, reply.body
    return match.group(1)


def status(ep: dict[str, str], token: str, order_id: str) -> dict[str, Any]:
    reply = call("GET", f"{ep['api']}/services/order_status/{order_id}", token=token)
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.json()
    return body


def error_case(name: str) -> dict[str, Any]:
    for case in sample("gen1_error_responses_inferred.json")["cases"]:
        if case["case"].startswith(name):
            found: dict[str, Any] = case
            return found
    raise KeyError(name)


def assert_error(
    reply: Reply, case: str, message: str | None = None, *, any_payload: bool = False
) -> dict[str, Any]:
    expected = copy.deepcopy(error_case(case))
    assert reply.status == expected["http_status"], reply.body
    body: dict[str, Any] = reply.json()
    if any_payload:  # the sample's payload is one example request; others have other keys
        expected["body"]["message"]["error_definition"]["payload"] = {"<request payload>": "..."}
    same_shape(expected["body"], body)
    definition = body["message"]["error_definition"]
    assert body["message"]["error_description"] == expected["body"]["message"]["error_description"]
    if message is not None:
        assert definition["message"] == message
    elif "<" not in expected["body"]["message"]["error_definition"]["message"]:
        assert definition["message"] == expected["body"]["message"]["error_definition"]["message"]
    return body


# -- description ------------------------------------------------------------------------------


def test_endpoints_and_credentials(ep: dict[str, str], creds: dict[str, Any]) -> None:
    assert set(ep) == {"api", "token", "order_status", "swagger", "files", "s3", "admin"}
    assert ep["api"].endswith("/v1")
    assert ep["files"].endswith(
        "/swift/v1/AUTH_b9657821e4364f88862ca20a180dc485/clcplus-public/products"
    )
    assert len(creds["user_id"]) == 24 and set(creds["user_id"]) <= ALNUM
    assert len(creds["client_secret"]) == 48 and set(creds["client_secret"]) <= ALNUM
    assert creds["s3_bucket"] == "dissemination" and creds["s3_region"] == "eu-central-1"
    assert creds["s3_access_key_id"] and creds["s3_secret_access_key"]


# -- token ------------------------------------------------------------------------------------


def test_token_response_matches_sample(ep: dict[str, str], creds: dict[str, Any]) -> None:
    reply = call(
        "POST", ep["token"], {"user_id": creds["user_id"], "client_secret": creds["client_secret"]}
    )
    expected = sample("gen1_get_bearer_token_response_example.json")
    assert reply.status == 200
    body = reply.json()
    same_shape(expected, body)
    assert list(body) == list(expected)  # key order of the screenshot
    assert body["expires_in"] == "8640000"
    assert body["scope"] == "user" and body["token_type"] == "Bearer"
    assert len(body["access_token"]) == 42 and set(body["access_token"]) <= ALNUM
    assert len(body["refresh_token"]) == 48 and set(body["refresh_token"]) <= ALNUM


def test_token_errors(ep: dict[str, str], creds: dict[str, Any]) -> None:
    reply = call(
        "POST", ep["token"], {"user_id": "x" * 24, "client_secret": creds["client_secret"]}
    )
    assert_error(reply, "POST /auth/get_bearer_token, unknown user_id")
    reply = call("POST", ep["token"], {"user_id": creds["user_id"], "client_secret": "nope"})
    assert_error(reply, "POST /auth/get_bearer_token, unknown client_secret")
    reply = call("POST", ep["token"], {"user_id": creds["user_id"]})
    body = assert_error(reply, "POST /auth/get_bearer_token, missing key")
    definition = body["message"]["error_definition"]
    assert definition["payload"] == ""  # the secret is never echoed
    assert definition["traceback"].startswith("Traceback (most recent call last):")
    assert "KeyError: 'client_secret'" in definition["traceback"]


def test_bad_json_and_unknown_routes(ep: dict[str, str]) -> None:
    reply = call("POST", ep["token"], raw=b"{not json")
    assert reply.status == 400
    assert reply.json()["message"]["error_definition"]["message"].startswith(
        "Failed to decode JSON object"
    )
    reply = call("POST", ep["token"], [1, 2])
    assert reply.status == 500
    assert reply.json()["message"]["error_definition"]["message"] == "Unexpected error occurred"
    reply = call("GET", ep["api"] + "/products/nation")
    assert reply.status == 404
    assert reply.json()["message"].endswith("did you mean /v1/products/nations ?")
    reply = call("GET", ep["api"] + "/products/get_product")
    assert reply.status == 405 and "message" in reply.json()


# -- authorisation ------------------------------------------------------------------------------


def test_authorisation_runs_before_body_checks(
    ep: dict[str, str], emulator: BackboneEmulator
) -> None:
    url = ep["api"] + "/products/get_product"
    assert_error(
        call("POST", url, raw=b"garbage"), "any protected endpoint, no Authorization header"
    )
    assert_error(call("POST", url, {}, token="x" * 42), "any protected endpoint, unknown/expired")
    guest = emulator.issue_token(scope="guest")["access_token"]
    assert_error(call("POST", url, {}, token=guest), "token scope lacks")
    status_url = ep["order_status"] + "/" + "0" * 32
    assert_error(call("GET", status_url), "any protected endpoint, no Authorization header")


def test_lower_case_bearer_is_accepted(ep: dict[str, str], token: str) -> None:
    reply = call(
        "GET", ep["api"] + "/products/nations", headers={"Authorization": f"bearer {token}"}
    )
    assert reply.status == 200


def test_revoked_tokens_are_rejected(
    ep: dict[str, str], creds: dict[str, Any], emulator: BackboneEmulator
) -> None:
    fresh = call(
        "POST", ep["token"], {"user_id": creds["user_id"], "client_secret": creds["client_secret"]}
    ).json()
    assert call("GET", ep["api"] + "/products/nations", token=fresh["access_token"]).status == 200
    assert emulator.revoke_tokens() >= 1
    reply = call("GET", ep["api"] + "/products/nations", token=fresh["access_token"])
    assert_error(reply, "any protected endpoint, unknown/expired")


# -- get_product and the order life cycle ---------------------------------------------------------


def test_get_product_matches_sample(ep: dict[str, str], token: str, creds: dict[str, Any]) -> None:
    reply = order(ep, token, creds["user_id"])
    assert reply.status == 202
    expected = sample("gen1_get_product_response_example.json")
    same_shape(expected, reply.json())
    assert reply.json()["message"] == expected["message"]
    assert reply.json()["links"]["area"] == "7766.19 km2"
    assert "order_id" not in reply.json()
    order_id_of(reply)


def test_raster_order_life_cycle(
    sandbox: Sandbox, ep: dict[str, str], token: str, creds: dict[str, Any]
) -> None:
    order_id = order_id_of(order(ep, token, creds["user_id"]))
    seen = []
    for _ in range(3):
        body = status(ep, token, order_id)
        assert body["result"] is None
        seen.append(body["status"])
        url = f"{ep['files']}/Raster_{order_id}.zip"
        assert call("GET", url).status == 404  # not produced yet
        sandbox.clock.advance(DELAY)
    assert seen == ["RECEIVED", "QUEUED", "RUNNING"]
    body = status(ep, token, order_id)
    expected = sample("gen1_order_status_success_example.json")
    same_shape(expected, body)
    same_shape(sample("gen1_order_status_swagger_model_example.json"), body)
    assert body["status"] == "SUCCESS" and body["order_id"] == order_id
    assert body["result"] == f"{ep['files']}/Raster_{order_id}.zip"
    assert body["result"].endswith(
        expected["result"]
        .split("/swift", 1)[1]
        .replace("d371e64324033b2d8cd0a35a9d693975", order_id)
    )

    download = call("GET", body["result"])
    assert download.status == 200
    assert download.headers["Content-Type"] == "application/zip"
    head = call("HEAD", body["result"])
    assert head.status == 200 and int(head.headers["Content-Length"]) == len(download.body)
    part = call("GET", body["result"], headers={"Range": "bytes=0-99"})
    assert part.status == 206 and part.body == download.body[:100]

    s3 = boto3.client(
        "s3",
        endpoint_url=ep["s3"],
        region_name=creds["s3_region"],
        aws_access_key_id=creds["s3_access_key_id"],
        aws_secret_access_key=creds["s3_secret_access_key"],
    )
    try:
        obj = s3.get_object(Bucket=creds["s3_bucket"], Key=f"Raster_{order_id}.zip")
        with obj["Body"] as stream:
            assert stream.read() == download.body
    finally:
        s3.close()


def test_vector_orders_run_longer_and_hold_geopackages(
    sandbox: Sandbox, ep: dict[str, str], token: str, creds: dict[str, Any]
) -> None:
    order_id = order_id_of(order(ep, token, creds["user_id"], product="Vector"))
    sandbox.clock.advance(3 * DELAY)
    assert status(ep, token, order_id)["status"] == "RUNNING"
    sandbox.clock.advance(DELAY)
    body = status(ep, token, order_id)
    assert body["status"] == "SUCCESS"
    assert body["result"].endswith(f"/clcplus-public/products/Vector_{order_id}.zip")
    archive = zipfile.ZipFile(io.BytesIO(call("GET", body["result"]).body))
    names = archive.namelist()
    assert names == sorted(names)
    folders = {n.split("/")[0] for n in names}
    assert folders and all(re.fullmatch(rf"Vector_{order_id}_PU\d+", f) for f in folders)
    for folder in folders:
        assert {n.split("/")[1].split(".", 1)[1] for n in names if n.startswith(folder + "/")} == {
            "gpkg",
            "xml",
            "sld",
        }
        assert archive.read(f"{folder}/{folder}.gpkg")[:16] == b"SQLite format 3\x00"


def test_unknown_order_id(ep: dict[str, str], token: str) -> None:
    reply = call("GET", f"{ep['order_status']}/{'a' * 32}", token=token)
    assert_error(
        reply,
        "GET /services/order_status/{order_id}, unknown order id",
        message=f"No database entry found for order ID: {'a' * 32}",
    )


def test_forced_and_planned_failures(
    sandbox: Sandbox,
    ep: dict[str, str],
    token: str,
    creds: dict[str, Any],
    emulator: BackboneEmulator,
) -> None:
    first = order_id_of(order(ep, token, creds["user_id"]))
    assert emulator.force_status(first, "FAILED")
    assert status(ep, token, first) == {"order_id": first, "status": "FAILED", "result": None}
    second = order_id_of(order(ep, token, creds["user_id"]))
    reply = call("POST", f"{ep['admin']}/orders/{second}/status", {"status": "INVALID"})
    assert reply.status == 200
    assert status(ep, token, second)["status"] == "INVALID"
    emulator.fail_next_order()
    third = order_id_of(order(ep, token, creds["user_id"]))
    lowercase = order_id_of(order(ep, token, creds["user_id"], product="raster"))
    outside = order_id_of(
        order(ep, token, creds["user_id"], aoi="POLYGON ((-80 10, -79 10, -79 11, -80 11, -80 10))")
    )
    sandbox.clock.advance(10 * DELAY)
    for order_id in (third, lowercase, outside):
        assert status(ep, token, order_id) == {
            "order_id": order_id,
            "status": "FAILED",
            "result": None,
        }
    assert call("GET", f"{ep['files']}/Raster_{third}.zip").status == 404


def test_get_product_errors(ep: dict[str, str], token: str, creds: dict[str, Any]) -> None:
    url = ep["api"] + "/products/get_product"
    reply = call("POST", url, {"product": "Raster", "user_id": creds["user_id"]}, token=token)
    body = assert_error(
        reply, "POST /products/*, missing key", message="Key error resulted in a BadRequest: 'aoi'"
    )
    assert body["message"]["error_definition"]["payload"] == {
        "product": "Raster",
        "user_id": creds["user_id"],
    }
    reply = call("POST", url, {"product": 5, "aoi": AOI, "user_id": creds["user_id"]}, token=token)
    body = assert_error(reply, "POST /products/*, payload fails")
    assert body["message"]["error_definition"]["message"].startswith(
        "Payload failed the GeoVille standards: "
    )
    reply = call(
        "POST",
        url,
        {"product": "Raster", "aoi": AOI, "user_id": "S6aIHB1NOSbaj1ghq99pXq9a"},
        token=token,
    )
    assert_error(reply, "POST /products/*, user_id not in customer table")
    reply = call(
        "POST",
        url,
        {"product": "Raster", "aoi": "POLYGON ((1 2, 3 4", "user_id": creds["user_id"]},
        token=token,
    )
    body = assert_error(reply, "POST /products/*, any other exception")
    assert body["message"]["error_definition"]["payload"]["aoi"] == "POLYGON ((1 2, 3 4"
    big = "POLYGON ((-30 30, 60 30, 60 75, -30 75, -30 30))"
    reply = call(
        "POST", url, {"product": "Raster", "aoi": big, "user_id": creds["user_id"]}, token=token
    )
    expected = error_case("POST /products/get_product, AOI area")
    assert reply.status == expected["http_status"] and reply.json() == expected["body"]


# -- synchronous products ---------------------------------------------------------------------


def test_nations_match_sample(ep: dict[str, str], token: str) -> None:
    reply = call("GET", ep["api"] + "/products/nations", token=token)
    assert reply.status == 200
    assert reply.json() == sample("gen1_national_info.json")["nations_endpoint_response_derived"]


def test_national_products(ep: dict[str, str], token: str, creds: dict[str, Any]) -> None:
    url = ep["api"] + "/products/get_national_product"
    table = sample("gen1_national_info.json")["national_info_used_by_get_national_product"]
    for name, info in table.items():
        reply = call(
            "POST",
            url,
            {"product": "Raster", "nation": name.title(), "user_id": creds["user_id"]},
            token=token,
        )
        assert reply.status == 200 and list(reply.json()) == ["result"]
        expected = (
            f"CLMS_CLCplus_RASTER_2018_010m_{info['country_code'].lower()}_{info['epsg']}_V1_1.zip"
        )
        assert reply.json()["result"] == f"{ep['files']}/national/{expected}"
    reply = call(
        "POST",
        url,
        {"product": "raster", "nation": "austria", "user_id": creds["user_id"]},
        token=token,
    )
    result = reply.json()["result"]
    assert result.endswith("/national/CLMS_CLCplus_VECTOR_2018_AT_31287_V1_0.zip")
    archive = zipfile.ZipFile(io.BytesIO(call("GET", result).body))
    assert "CLMS_CLCplus_VECTOR_2018_AT_31287_V1_0.gpkg" in archive.namelist()
    reply = call(
        "POST",
        url,
        {"product": "Raster", "nation": "Atlantis", "user_id": creds["user_id"]},
        token=token,
    )
    body = assert_error(
        reply,
        "POST /products/*, missing key",
        message="Key error resulted in a BadRequest: 'ATLANTIS'",
        any_payload=True,
    )
    assert "KeyError: 'ATLANTIS'" in body["message"]["error_definition"]["traceback"]
    assert body["message"]["error_definition"]["payload"]["nation"] == "Atlantis"


def test_europe_is_constant(ep: dict[str, str], token: str, creds: dict[str, Any]) -> None:
    url = ep["api"] + "/products/get_product_europe"
    results = {
        call("POST", url, {"product": p, "user_id": creds["user_id"]}, token=token).json()["result"]
        for p in ("Raster", "Vector", "whatever")
    }
    assert results == {f"{ep['files']}/CLMS_CLCplus_RASTER_2018_010m_eu_03035_V1_1.tif"}
    tif = call("GET", results.pop())
    assert tif.status == 200 and tif.body[:4] == b"II*\x00"


# -- admin routes and swagger ----------------------------------------------------------------------


def test_admin_routes_and_swagger(ep: dict[str, str], token: str, creds: dict[str, Any]) -> None:
    assert order(ep, token, creds["user_id"]).status == 202
    entries = call("GET", ep["admin"] + "/requests").json()["entries"]
    assert entries and all(e["server"].startswith("backbone.") for e in entries)
    assert token not in str(entries)
    orders = call("GET", ep["admin"] + "/orders").json()["orders"]
    assert {"order_id", "service", "product", "status", "published", "reason"} <= set(orders[0])
    assert call("POST", ep["admin"] + "/orders/nope/status", {"status": "FAILED"}).status == 404
    assert call("POST", ep["admin"] + "/fail_next", {"status": "BOGUS"}).status == 400
    doc = call("GET", ep["api"] + "/swagger.json").json()
    assert doc["info"]["title"] == "CLCplus Backbone API" and doc["basePath"] == "/v1"
    assert "/services/order_status/{order_id}" in doc["paths"]


def test_samples_are_local() -> None:
    assert (DATA / "gen1_error_responses_inferred.json").is_file()
