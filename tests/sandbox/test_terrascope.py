"""Terrascope emulator: fidelity against the captured samples, and the documented flows."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import jwt
import orjson
import pytest
from rasterio.io import MemoryFile

from stacsync.sandbox import ProviderOptions, Sandbox, SandboxOptions, running_sandbox
from stacsync.sandbox.rasters import read_profile
from tests.sandbox.terrascope_helpers import DATA, basic, bearer, http, load, shape_diff

TOC = "terrascope-s2-toc-v2"
NDVI = "terrascope-s2-ndvi-v2"
WC2021 = "esa-worldcover-map-10m-2021-v2"
AOI = "6.4,46.3,6.8,46.5"
TOC_ID = "S2B_20240819T103021_31TGM_TOC_V210"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(SandboxOptions(providers=("terrascope",), raster_size=64)) as sb:
        yield sb


@pytest.fixture(scope="module")
def ep(sandbox: Sandbox) -> dict[str, str]:
    return sandbox.endpoints()["terrascope"]


@pytest.fixture(scope="module")
def creds(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.credentials()["terrascope"]


def login(ep: dict[str, str], creds: dict[str, Any], client_id: str = "public") -> dict[str, Any]:
    reply = http(
        ep["token_url"],
        form={
            "grant_type": "password",
            "client_id": client_id,
            "username": creds["username"],
            "password": creds["password"],
        },
    )
    assert reply.status == 200, reply.body
    return reply.json()


def refresh(ep: dict[str, str], token: str, client_id: str = "public") -> Any:
    return http(
        ep["token_url"],
        form={"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token},
    )


# -- fidelity: one test per captured sample -----------------------------------------------


def test_token_response_matches_sample(ep, creds):
    body = login(ep, creds)
    assert shape_diff(body, load("token_response.json")) == []
    assert body["expires_in"] == 300
    assert body["refresh_expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "profile email"
    assert body["access_token"].startswith("eyJhb")


def test_search_response_matches_sample(ep):
    url = (
        f"{ep['stac_api']}/search?collections={TOC}&bbox=6.5,46.35,6.6,46.4&limit=200"
        "&datetime=2024-08-19T00:00:00Z/2024-08-19T23:59:59Z"
    )
    reply = http(url)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/geo+json")
    body = reply.json()
    assert shape_diff(body, load("stac_search_response_s2_toc.json")) == []
    assert body["numberMatched"] == body["numberReturned"] == 2
    assert [link["rel"] for link in body["links"]] == ["root", "self"]
    assert body["links"][1]["href"] == url


def test_item_matches_sample(ep):
    reply = http(f"{ep['stac_api']}/collections/{TOC}/items/{TOC_ID}")
    assert reply.status == 200
    item, sample = reply.json(), load("stac_item_s2_toc.json")
    assert shape_diff(item, sample) == []
    assert item["stac_extensions"] == sample["stac_extensions"]
    assert list(item["assets"]) == list(sample["assets"])
    for key, asset in item["assets"].items():
        assert list(asset) == list(sample["assets"][key]), key
    assert item["properties"]["proj:code"] == "EPSG:32631"
    assert [link["rel"] for link in item["links"]] == ["self", "parent", "collection", "root"]


def test_collection_matches_terra_stac_api_fixture(ep):
    reply = http(f"{ep['stac_api']}/collections/{TOC}")
    assert reply.status == 200
    sample = load("terra_stac_api_fixture_collection_terrascope_s2_toc_v2.json")
    sample.pop("_auth")  # terra-stac-api strips "_" keys from responses
    body = reply.json()
    assert shape_diff(body, sample) == []
    assert body["id"] == TOC
    assert {"self", "root", "items"} <= {link["rel"] for link in body["links"]}


def test_collection_list_matches_live_ids(ep):
    ids = (DATA / "stac_collection_ids_from_notebook.txt").read_text().split()
    body = http(f"{ep['stac_api']}/collections").json()
    assert [c["id"] for c in body["collections"]] == ids
    assert [link["rel"] for link in body["links"]] == ["root", "parent", "self"]


def _opensearch_products(ep: dict[str, str], **extra: str) -> Any:
    params = {
        "collection": "urn:eop:VITO:TERRASCOPE_S2_TOC_V2",
        "bbox": "6.5,46.35,6.6,46.4",
        "sortKeys": "title",
        "startIndex": "1",
        "accessedFrom": "MEP",
        "clientId": "",
        "start": "2024-08-19T00:00:00Z",
        "end": "2024-08-19T23:59:59.999999999Z",
        **extra,
    }
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return http(f"{ep['opensearch']}products?{query}")


def test_opensearch_products_match_sample(ep):
    reply = _opensearch_products(ep)
    assert reply.status == 200
    body = reply.json()
    assert shape_diff(body, load("opensearch_products_response_mep.json")) == []
    assert body["totalResults"] == 2
    assert body["features"][0]["id"].startswith("urn:eop:VITO:TERRASCOPE_S2_TOC_V2:")


def test_opensearch_mep_data_link_matches_doc_example(ep):
    feature = _opensearch_products(ep).json()["features"][0]
    link = feature["properties"]["links"]["data"][0]
    assert shape_diff(link, load("opensearch_data_link_mep_example.json")) == []
    assert link["href"].startswith("file:///data/MTDA/TERRASCOPE_Sentinel2/TOC_V2/2024/08/19/")


def test_opensearch_http_links_download_with_lengths(ep, creds):
    feature = _opensearch_products(ep, accessedFrom="").json()["features"][0]
    link = feature["properties"]["links"]["data"][0]
    assert link["href"].startswith(ep["download"])
    reply = http(link["href"], method="HEAD", headers=basic(creds["username"], creds["password"]))
    assert int(reply.headers["Content-Length"]) == link["length"]


def test_opensearch_collections_match_sample(ep):
    reply = http(f"{ep['opensearch']}collections")
    assert reply.status == 200
    body = reply.json()
    assert shape_diff(body, load("opensearch_collections_response_trimmed.json")) == []
    assert "urn:eop:VITO:TERRASCOPE_S2_TOC_V2" in [f["id"] for f in body["features"]]


def test_opensearch_paging(ep):
    url = f"{ep['opensearch']}products?collection=urn:eop:VITO:TERRASCOPE_S2_NDVI_V2&count=7"
    titles: list[str] = []
    while url:
        body = http(url).json()
        assert body["totalResults"] == 18
        titles += [f["properties"]["title"] for f in body["features"]]
        url = body["properties"]["links"].get("next", [{}])[0].get("href")
    assert len(titles) == len(set(titles)) == 18
    assert http(f"{ep['opensearch']}products").status == 400


# -- OIDC -----------------------------------------------------------------------------------


def test_discovery_and_jwks_verify_access_token(ep, creds):
    discovery = http(ep["oidc_discovery"]).json()
    assert discovery["token_endpoint"] == ep["token_url"]
    assert discovery["issuer"] == ep["issuer"]
    jwks = http(discovery["jwks_uri"]).json()
    token = login(ep, creds)["access_token"]
    key = jwt.PyJWK(jwks["keys"][0])
    assert jwt.get_unverified_header(token)["kid"] == jwks["keys"][0]["kid"]
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="account", issuer=ep["issuer"])
    assert claims["exp"] - claims["iat"] == 300
    assert claims["azp"] == "public"
    assert claims["preferred_username"] == creds["username"]


def test_refresh_rotates_and_old_refresh_token_dies(ep, creds):
    first = login(ep, creds)
    second = refresh(ep, first["refresh_token"])
    assert second.status == 200
    body = second.json()
    assert shape_diff(body, load("token_response.json")) == []
    assert body["refresh_token"] != first["refresh_token"]
    assert body["session_state"] == first["session_state"]
    reused = refresh(ep, first["refresh_token"])
    assert reused.status == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Maximum allowed refresh token reuse exceeded",
    }
    assert refresh(ep, body["refresh_token"]).status == 200


def test_expired_refresh_token_is_not_active(sandbox, ep, creds):
    token = login(ep, creds)["refresh_token"]
    sandbox.clock.advance(3601)
    reply = refresh(ep, token)
    assert reply.status == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "Token is not active"}


@pytest.mark.parametrize(
    ("form", "status", "body"),
    [
        (
            {"grant_type": "password", "client_id": "public", "username": "x", "password": "y"},
            401,
            {"error": "invalid_grant", "error_description": "Invalid user credentials"},
        ),
        (
            {"grant_type": "password", "client_id": "nope", "username": "x", "password": "y"},
            401,
            {"error": "invalid_client",
             "error_description": "Invalid client or Invalid client credentials"},
        ),
        (
            {"grant_type": "client_credentials", "client_id": "public"},
            400,
            {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"},
        ),
        (
            {"grant_type": "refresh_token", "client_id": "public", "refresh_token": "garbage"},
            400,
            {"error": "invalid_grant", "error_description": "Invalid refresh token"},
        ),
        (
            {"grant_type": "refresh_token", "client_id": "public"},
            400,
            {"error": "invalid_request", "error_description": "Missing parameter: refresh_token"},
        ),
        (
            {"client_id": "public"},
            400,
            {"error": "invalid_request", "error_description": "Missing form parameter: grant_type"},
        ),
    ],
)  # fmt: skip
def test_token_endpoint_errors(ep, form, status, body):
    reply = http(ep["token_url"], form=form)
    assert (reply.status, reply.json()) == (status, body)


def test_refresh_token_bound_to_client(ep, creds):
    token = login(ep, creds, client_id="terracatalogueclient")["refresh_token"]
    reply = refresh(ep, token, client_id="public")
    assert reply.status == 400
    assert reply.json()["error"] == "invalid_grant"


# -- STAC API -------------------------------------------------------------------------------


def test_landing_and_conformance(ep):
    landing = http(f"{ep['stac_api']}/").json()
    assert landing["type"] == "Catalog"
    conformance = http(f"{ep['stac_api']}/conformance").json()["conformsTo"]
    for needed in ("core", "item-search", "collections", "ogcapi-features", "item-search#filter"):
        assert any(c.endswith(needed) for c in conformance), needed


def test_search_default_limit_and_get_paging(ep):
    url = f"{ep['stac_api']}/search?collections={TOC},{NDVI}"
    first = http(url).json()
    assert first["numberReturned"] == 10
    assert first["numberMatched"] == 36
    seen: list[tuple[str, str]] = []
    keys: list[tuple[str, str]] = []
    while url:
        body = http(url).json()
        seen += [(f["collection"], f["id"]) for f in body["features"]]
        keys += [(f["properties"]["datetime"], f["id"]) for f in body["features"]]
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        assert all(link["method"] == "GET" for link in nxt)
        url = nxt[0]["href"] if nxt else None
    assert len(seen) == len(set(seen)) == 36
    assert keys == sorted(keys, reverse=True)


def test_next_token_is_base64_json_of_sort_keys(ep):
    body = http(f"{ep['stac_api']}/search?collections={TOC}&limit=1").json()
    token = next(link for link in body["links"] if link["rel"] == "next")["href"]
    token = token.split("token=")[1]
    values = orjson.loads(base64.urlsafe_b64decode(token))
    last = body["features"][0]
    assert values[1:] == [last["id"], TOC]
    assert isinstance(values[0], int)


def test_post_search_paging_uses_body_token(ep):
    url = f"{ep['stac_api']}/search"
    payload: dict[str, Any] | None = {"collections": [WC2021], "limit": 3, "bbox": [0, 40, 10, 50]}
    ids: list[str] = []
    while payload is not None:
        body = http(url, payload=payload).json()
        assert body["numberMatched"] == 4
        ids += [f["id"] for f in body["features"]]
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        if nxt:
            assert nxt[0]["method"] == "POST" and nxt[0]["href"] == url
            assert nxt[0]["body"]["collections"] == [WC2021]
        payload = nxt[0]["body"] if nxt else None
    assert len(ids) == len(set(ids)) == 4


def test_bbox_and_datetime_filters(ep):
    body = http(
        f"{ep['stac_api']}/search?bbox={AOI}&datetime=2024-07-01T00:00:00Z/..&limit=100"
    ).json()
    pairs = {(f["collection"], f["properties"]["grid:code"]) for f in body["features"]}
    assert pairs == {
        (TOC, "MGRS-31TGM"), (TOC, "MGRS-32TLS"), (NDVI, "MGRS-31TGM"), (NDVI, "MGRS-32TLS")
    }  # fmt: skip
    assert all(f["properties"]["datetime"] >= "2024-07-01" for f in body["features"])
    assert body["numberMatched"] == 16
    worldcover = http(f"{ep['stac_api']}/search?collections={WC2021}&bbox={AOI}").json()
    assert [f["id"] for f in worldcover["features"]] == ["ESA_WorldCover_10m_2021_v200_N45E006_Map"]


def test_items_endpoint_and_ids_filter(ep):
    body = http(f"{ep['stac_api']}/collections/{NDVI}/items?limit=2").json()
    assert body["numberMatched"] == 18
    assert {link["rel"] for link in body["links"]} >= {"next", "collection", "parent"}
    ids = f"{TOC_ID},S2A_20240516T103021_32TLR_TOC_V210"
    found = http(f"{ep['stac_api']}/search?ids={ids}").json()
    assert sorted(f["id"] for f in found["features"]) == sorted(ids.split(","))


def test_cql2_cloud_cover_filter(ep):
    expression = {"op": "<=", "args": [{"property": "properties.eo:cloud_cover"}, 20]}
    body = http(
        f"{ep['stac_api']}/search",
        payload={"collections": [TOC], "filter": expression, "filter-lang": "cql2-json"},
    ).json()
    everything = http(f"{ep['stac_api']}/search?collections={TOC}&limit=100").json()
    expected = [f["id"] for f in everything["features"] if f["properties"]["eo:cloud_cover"] <= 20]
    assert [f["id"] for f in body["features"]] == expected[:10]
    assert body["numberMatched"] == len(expected) < 18


@pytest.mark.parametrize(
    ("query", "status", "body"),
    [
        ("bbox=a,b,c,d", 400, {"detail": "invalid bbox: a,b,c,d"}),
        ("bbox=1,2,3", 400, {"detail": "BBox '1,2,3' must have 4 or 6 values."}),
        ("datetime=2024-05-01", 400, {"detail": "Invalid RFC3339 datetime."}),
        ("datetime=../..", 400, {"detail": "Double open-ended intervals are not allowed."}),
        (
            "datetime=2024-06-01T00:00:00Z/2024-05-01T00:00:00Z",
            400,
            {"detail": "Start datetime cannot be before end datetime."},
        ),
        ("collections=nope", 401,
         {"code": "UnauthorizedError", "description": "Unauthorized, please authenticate"}),
    ],
)  # fmt: skip
def test_search_errors(ep, query, status, body):
    reply = http(f"{ep['stac_api']}/search?{query}")
    assert (reply.status, reply.json()) == (status, body)


def test_limit_validation_error_body(ep):
    reply = http(f"{ep['stac_api']}/search?limit=0")
    assert reply.status == 400
    body = reply.json()
    assert body["body"] is None
    assert body["detail"][0]["type"] == "greater_than"
    assert body["detail"][0]["loc"] == ["query", "limit"]
    post = http(f"{ep['stac_api']}/search", payload={"limit": "x"})
    assert post.status == 400 and post.json()["detail"][0]["loc"] == ["body", "limit"]


def test_bad_token_gives_stac_fastapi_500_body(ep):
    reply = http(f"{ep['stac_api']}/search?token=notbase64json")
    assert reply.status == 500
    assert set(reply.json()) == {"code", "description"}


def test_not_found_bodies(ep):
    api = ep["stac_api"]
    cases = {
        f"{api}/collections/nope": {"code": "NotFoundError",
                                     "description": "Collection nope not found"},
        f"{api}/collections/nope/items": {"detail": "Collection not found"},
        f"{api}/collections/{TOC}/items/nope": {
            "code": "NotFoundError",
            "description": f"Item nope does not exist inside Collection {TOC}",
        },
        f"{api}/nowhere": {"detail": "Not Found"},
    }  # fmt: skip
    for url, body in cases.items():
        reply = http(url)
        assert (reply.status, reply.json()) == (404, body), url


def test_invalid_bearer_refused_everywhere_valid_bearer_gets_403(ep, creds):
    reply = http(f"{ep['stac_api']}/collections", headers=bearer("not-a-token"))
    assert reply.status == 401
    assert reply.json() == {"detail": "Invalid token"}
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    token = login(ep, creds)["access_token"]
    reply = http(f"{ep['stac_api']}/search?collections=nope", headers=bearer(token))
    assert reply.status == 403
    assert reply.json() == {"code": "ForbiddenError", "description": "Insufficient permissions"}


# -- download service --------------------------------------------------------------------------


def _item(ep: dict[str, str], collection: str, item_id: str) -> dict[str, Any]:
    return http(f"{ep['stac_api']}/collections/{collection}/items/{item_id}").json()


def test_every_file_size_matches_served_bytes(ep, creds):
    auth = basic(creds["username"], creds["password"])
    item = _item(ep, TOC, TOC_ID)
    for key, asset in item["assets"].items():
        if "file:size" not in asset:
            continue
        assert asset["href"].startswith(ep["download"]), key
        reply = http(asset["href"], headers=auth)
        assert reply.status == 200, key
        assert len(reply.body) == asset["file:size"], key
        assert reply.headers["ETag"] and reply.headers["Last-Modified"]
        assert asset["alternate"]["local"]["href"].startswith("file:///data/MTDA/")


def test_geotiffs_match_their_stac_metadata(sandbox, ep):
    emulator: Any = sandbox.emulator("terrascope")
    toc = _item(ep, TOC, TOC_ID)
    for key in ("B04", "B05", "B01", "SCL", "WVP"):
        asset = toc["assets"][key]
        profile = read_profile(emulator.asset_bytes(urlsplit(asset["href"]).path))
        assert profile["dtype"] == asset["data_type"], key
        assert profile["nodata"] == asset.get("nodata"), key
        assert [profile["height"], profile["width"]] == asset["proj:shape"], key
        assert list(profile["transform"])[:6] == asset["proj:transform"][:6], key
        assert profile["crs"].to_epsg() == 32631
    left, bottom, right, top = toc["properties"]["proj:bbox"]
    assert (right - left, top - bottom) == (109800, 109800)
    ndvi = _item(ep, NDVI, "S2B_20240819T103021_31TGM_NDVI_10M_V210")["assets"]["NDVI"]
    assert (ndvi["data_type"], ndvi["nodata"], ndvi["raster:scale"]) == ("uint8", 255, 0.004)
    assert ndvi["raster:offset"] == -0.08
    wc = _item(ep, WC2021, "ESA_WorldCover_10m_2021_v200_N45E006_Map")
    data = emulator.asset_bytes(urlsplit(wc["assets"]["MAP"]["href"]).path)
    with MemoryFile(data) as memfile, memfile.open() as src:
        assert tuple(src.bounds) == tuple(wc["bbox"]) == (6.0, 45.0, 9.0, 48.0)
        assert src.dtypes[0] == "uint8" and src.nodata == 0
        assert src.colormap(1)[80][:3] == (0, 100, 200)
        values = set(src.read(1).ravel().tolist()) - {0}
        assert values <= {10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100}


def test_download_auth_flows(sandbox, ep, creds):
    href = _item(ep, TOC, TOC_ID)["assets"]["B04"]["href"]
    assert http(href).status == 401
    assert http(href, headers=basic(creds["username"], "wrong")).status == 401
    assert http(href, headers=bearer("garbage")).status == 401
    token = login(ep, creds)["access_token"]
    assert http(href, headers=bearer(token)).status == 200
    sandbox.clock.advance(301)
    expired = http(href, headers=bearer(token))
    assert expired.status == 401
    assert "Bearer" in expired.headers.get_all("WWW-Authenticate")[-1]
    fresh = login(ep, creds)
    assert http(href, headers=bearer(fresh["access_token"])).status == 200
    emulator: Any = sandbox.emulator("terrascope")
    assert emulator.revoke_tokens() >= 2
    assert http(href, headers=bearer(fresh["access_token"])).status == 401
    reply = refresh(ep, fresh["refresh_token"])
    assert reply.json()["error_description"] == "Session not active"


def test_head_range_and_validators(ep, creds):
    auth = basic(creds["username"], creds["password"])
    asset = _item(ep, TOC, TOC_ID)["assets"]["B08"]
    head = http(asset["href"], method="HEAD", headers=auth)
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) == asset["file:size"]
    assert head.headers["Accept-Ranges"] == "bytes"
    full = http(asset["href"], headers=auth).body
    part = http(asset["href"], headers={**auth, "Range": "bytes=100-199"})
    assert part.status == 206
    assert part.body == full[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{asset['file:size']}"
    cached = http(asset["href"], headers={**auth, "If-None-Match": head.headers["ETag"]})
    assert cached.status == 304
    missing = http(asset["href"].replace("B08", "B99"), headers=auth)
    assert missing.status == 404


def test_preview_is_public_png(ep):
    asset = _item(ep, TOC, TOC_ID)["assets"]["preview"]
    reply = http(asset["href"])
    assert reply.status == 200 and reply.body.startswith(b"\x89PNG")


def test_admin_routes_and_redirect_mode(ep, creds):
    admin = ep["admin"]
    href = _item(ep, TOC, TOC_ID)["assets"]["B02"]["href"]
    assert http(f"{admin}unauthenticated?mode=302", method="POST").status == 200
    try:
        opener = urllib.request.build_opener(_NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as info:
            opener.open(href, timeout=10)
        with info.value as error:
            assert error.code == 302
            assert "/protocol/openid-connect/auth?" in error.headers["Location"]
    finally:
        assert http(f"{admin}unauthenticated?mode=401", method="POST").status == 200
    log = http(f"{admin}requests?path_prefix=/download/").json()["requests"]
    assert any(row["status"] == 302 for row in log)
    assert all(row["path"].startswith("/download/") for row in log)
    assert http(f"{admin}revoke", method="POST").json()["revoked"] >= 0
    assert http(f"{admin}rate-limits/reset", method="POST").status == 200


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_token_lifetimes_follow_options():
    options = SandboxOptions(
        providers=("terrascope",),
        terrascope=ProviderOptions(token_lifetime=30, refresh_lifetime=90),
    )
    with running_sandbox(options) as sb:
        ep, creds = sb.endpoints()["terrascope"], sb.credentials()["terrascope"]
        body = login(ep, creds)
        assert (body["expires_in"], body["refresh_expires_in"]) == (30, 90)
        sb.clock.advance(91)
        assert refresh(ep, body["refresh_token"]).status == 400


def test_generated_files_are_deterministic():
    from stacsync.sandbox.terrascope.files import FileStore
    from stacsync.sandbox.terrascope.sentinel2 import sentinel2_products
    from stacsync.sandbox.terrascope.worldcover import worldcover_products

    def digest(seed: int) -> list[bytes]:
        products = [*sentinel2_products(seed, 32)[:2], *worldcover_products(seed, 32)[:1]]
        files = FileStore(products)
        return [files.data(path) for path in sorted(files.paths())]

    first = digest(7)
    assert first == digest(7)
    assert first != digest(8)


# the core fault middleware stores a str key on the request, which aiohttp warns about
@pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
def test_injected_faults_use_nginx_pages():
    from stacsync.sandbox import FaultOptions

    options = SandboxOptions(
        providers=("terrascope",),
        raster_size=32,
        terrascope=ProviderOptions(faults=FaultOptions(error_rate=1.0, path_prefix="/download/")),
    )
    with running_sandbox(options) as sb:
        ep, creds = sb.endpoints()["terrascope"], sb.credentials()["terrascope"]
        reply = http(f"{ep['download']}x.tif", headers=basic(creds["username"], creds["password"]))
        assert reply.status == 503
        assert b"<center><h1>503 Service Temporarily Unavailable</h1></center>" in reply.body
        assert http(f"{ep['stac_api']}/conformance").status == 200


# -- bulk_items: a generated archive for harvest-scale runs --------------------------------

BULK = 1010  # 25 overpasses of the 40 tiles, and 10 tiles of a 26th
BEFORE_MAY = "../2024-04-30T23:59:59Z"  # the generated period; hand-made items start in May


@pytest.fixture(scope="module")
def bulk() -> Iterator[Sandbox]:
    options = SandboxOptions(
        providers=("terrascope",), raster_size=16, terrascope=ProviderOptions(bulk_items=BULK)
    )
    with running_sandbox(options) as sb:
        yield sb


def _all_pages(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every feature, every page body) following ``next`` links."""
    features: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        body = http(next_url).json()
        pages.append(body)
        features += body["features"]
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        next_url = nxt[0]["href"] if nxt else None
    return features, pages


def test_bulk_items_page_like_the_api(bulk):
    stac = bulk.endpoints()["terrascope"]["stac_api"]
    features, pages = _all_pages(f"{stac}/search?collections={TOC}&datetime={BEFORE_MAY}&limit=100")
    assert [p["numberReturned"] for p in pages] == [100] * 10 + [10]
    assert {p["numberMatched"] for p in pages} == {BULK}
    assert all(
        link["method"] == "GET" and "token=" in link["href"]
        for page in pages[:-1]
        for link in page["links"]
        if link["rel"] == "next"
    )
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)) == BULK
    keys = [(f["properties"]["datetime"], f["id"]) for f in features]
    assert keys == sorted(keys, reverse=True)
    assert {f["collection"] for f in features} == {TOC}
    assert len({f["properties"]["grid:code"] for f in features}) == 40
    # the hand-made items come first (newer), then the generated ones, in one paging
    everything = http(f"{stac}/search?collections={TOC}&limit=30").json()
    assert everything["numberMatched"] == BULK + 18
    assert [f["id"] for f in everything["features"][18:]] == ids[:12]


def test_bulk_items_have_the_captured_shape_and_real_sizes(bulk):
    stac = bulk.endpoints()["terrascope"]["stac_api"]
    found = http(f"{stac}/search?collections={TOC}&datetime={BEFORE_MAY}&limit=3").json()
    sample = load("stac_item_s2_toc.json")
    for feature in found["features"]:
        assert shape_diff(feature, sample) == []
        assert list(feature["assets"]) == list(sample["assets"])
        single = http(f"{stac}/collections/{TOC}/items/{feature['id']}").json()
        assert single == feature  # the page renderer and the full model agree
    b04 = found["features"][0]["assets"]["B04"]
    assert b04["proj:shape"] == [10980, 10980]
    assert 0.5 * 10980**2 * 2 < b04["file:size"] < 0.9 * 10980**2 * 2  # int16, compressed
    assert found["features"][0]["assets"]["B01"]["proj:shape"] == [1830, 1830]


def test_bulk_items_filters(bulk):
    stac = bulk.endpoints()["terrascope"]["stac_api"]
    features, _ = _all_pages(f"{stac}/search?collections={TOC}&datetime={BEFORE_MAY}&limit=500")
    wanted = [features[0]["id"], features[777]["id"], "S2A_20990101T103021_31UES_TOC_V210"]
    by_ids = http(f"{stac}/search?ids={','.join(wanted)}").json()
    assert sorted(f["id"] for f in by_ids["features"]) == sorted(wanted[:2])
    brussels = (4.3, 50.8, 4.4, 50.9)
    boxed, _ = _all_pages(
        f"{stac}/search?collections={TOC}&datetime={BEFORE_MAY}&limit=100"
        f"&bbox={','.join(map(str, brussels))}"
    )
    expected = [
        f["id"]
        for f in features
        if f["bbox"][0] <= brussels[2] and brussels[0] <= f["bbox"][2]
        and f["bbox"][1] <= brussels[3] and brussels[1] <= f["bbox"][3]
    ]  # fmt: skip
    assert 0 < len(boxed) < BULK
    assert [f["id"] for f in boxed] == expected
    window = http(
        f"{stac}/search?collections={TOC}&datetime=2024-01-01T00:00:00Z/2024-02-01T00:00:00Z"
    ).json()
    assert window["numberMatched"] == 6 * 40  # one overpass every five days
    expression = {"op": "<=", "args": [{"property": "properties.eo:cloud_cover"}, 5]}
    payload: dict[str, Any] | None = {
        "collections": [TOC], "datetime": BEFORE_MAY, "limit": 50,
        "filter": expression, "filter-lang": "cql2-json",
    }  # fmt: skip
    clear: list[str] = []
    while payload is not None:
        body = http(f"{stac}/search", payload=payload).json()
        clear += [f["id"] for f in body["features"]]
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        payload = nxt[0]["body"] if nxt else None
    assert clear == [f["id"] for f in features if f["properties"]["eo:cloud_cover"] <= 5]
    assert clear


def test_bulk_items_are_listed_not_served(bulk):
    ep, creds = bulk.endpoints()["terrascope"], bulk.credentials()["terrascope"]
    feature = http(f"{ep['stac_api']}/search?datetime={BEFORE_MAY}&limit=1").json()["features"][0]
    reply = http(
        feature["assets"]["B04"]["href"], headers=basic(creds["username"], creds["password"])
    )
    assert reply.status == 404


def test_bulk_items_are_logged_per_page(bulk):
    stac = bulk.endpoints()["terrascope"]["stac_api"]
    since = bulk.clock.now()
    _all_pages(f"{stac}/search?collections={TOC}&datetime={BEFORE_MAY}&limit=250")
    pages = [
        e for e in bulk.log.entries(server="terrascope.stac", path_prefix="/search")
        if e.time >= since
    ]  # fmt: skip
    assert [e.status for e in pages] == [200] * 5
    assert [e.time for e in pages] == sorted(e.time for e in pages)


def test_stac_rate_limited_option():
    options = SandboxOptions(
        providers=("terrascope",),
        raster_size=16,
        terrascope=ProviderOptions(stac_rate_limited=True, rate_limits=((5, 10.0),)),
    )
    with running_sandbox(options) as sb:
        stac = sb.endpoints()["terrascope"]["stac_api"]
        since = sb.clock.now()
        replies = [http(f"{stac}/search?collections={NDVI}&limit=1") for _ in range(8)]
        assert [r.status for r in replies] == [200] * 5 + [429] * 3
        assert replies[-1].json() == {"error": "Rate limit exceeded: 5 per 10 second"}
        assert "Retry-After" not in replies[-1].headers
        assert sb.log.max_in_window(10.0, server="terrascope.stac") == 8
        admitted = [e for e in sb.log.entries(server="terrascope.stac") if e.status != 429]
        assert len([e for e in admitted if e.time >= since]) == 5
        sb.clock.advance(10.1)
        assert http(f"{stac}/conformance").status == 200  # every route counts
        sb.emulator("terrascope").reset_rate_limits()  # type: ignore[attr-defined]
        assert [http(f"{stac}/").status for _ in range(5)] == [200] * 5


def test_stac_api_is_not_rate_limited_by_default(ep):
    assert {http(f"{ep['stac_api']}/conformance").status for _ in range(100)} == {200}


def test_bulk_and_stac_limit_settings():
    from stacsync.sandbox.options import build_options

    options = build_options(
        settings={"terrascope.bulk_items": "25", "terrascope.stac_rate_limited": "yes"}
    )
    assert (options.terrascope.bulk_items, options.terrascope.stac_rate_limited) == (25, True)
    off = build_options(settings={"terrascope.stac_rate_limited": "0"})
    assert off.terrascope.stac_rate_limited is False
    with pytest.raises(ValueError, match="stac_rate_limited"):
        build_options(settings={"terrascope.stac_rate_limited": "maybe"})
    with pytest.raises(ValueError, match="bulk_items"):
        build_options(settings={"terrascope.bulk_items": "many"})
    with pytest.raises(ValueError, match="bulk_items"):
        build_options(settings={"terrascope.bulk_items": "-1"})
