"""A real STAC API (stac-fastapi-pgstac on PostgreSQL/PostGIS) loaded with Terrascope-shaped
items answers pystac-client searches by collection, bbox, datetime and ids, and pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pystac_client import Client
from pystac_client.stac_api_io import StacApiIO

from tests.peers.pgstac_server import PgstacApi
from tests.peers.terrascope_items import S2_TOC, item_id, terrascope_collection, terrascope_item

pytestmark = pytest.mark.peers

OTHER = "terrascope-s2-ndvi-v2"
SQUARES = ["CN", "DN", "EN", "FN", "GN", "HN"]
# S2_TOC: 2026-08-01..06, one square each, footprints 2 degrees apart eastwards.
TOC_IDS = [item_id(date(2026, 8, 1 + i), SQUARES[i]) for i in range(6)]
# OTHER: 2026-08-10..12, 10 degrees further south.
OTHER_IDS = [item_id(date(2026, 8, 10 + i), SQUARES[i]) for i in range(3)]


def toc_items() -> list[dict[str, Any]]:
    return [terrascope_item(date(2026, 8, 1 + i), square=SQUARES[i], dx=2.0 * i) for i in range(6)]


def other_items() -> list[dict[str, Any]]:
    return [
        terrascope_item(date(2026, 8, 10 + i), square=SQUARES[i], dy=-10.0, collection=OTHER)
        for i in range(3)
    ]


class CountingStacApiIO(StacApiIO):
    """Records every request pystac-client makes."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []

    def request(
        self,
        href: str,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        self.requests.append((method or "GET", href))
        return super().request(href, method=method, headers=headers, parameters=parameters)

    def searches(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[1].split("?")[0].endswith("/search")]


@pytest.fixture(scope="module")
def api(pgstac_api: PgstacApi) -> PgstacApi:
    pgstac_api.reset()
    pgstac_api.load(
        [terrascope_collection(), terrascope_collection(OTHER, title="NDVI")],
        toc_items() + other_items(),
    )
    return pgstac_api


@pytest.fixture
def io() -> Iterator[CountingStacApiIO]:
    stac_io = CountingStacApiIO()
    yield stac_io
    stac_io.session.close()


@pytest.fixture
def client(api: PgstacApi, io: CountingStacApiIO) -> Client:
    return Client.open(api.url, stac_io=io)


def ids(search: Any) -> list[str]:
    return sorted(item.id for item in search.items())


def test_server_is_postgis_backed_pgstac(api: PgstacApi) -> None:
    versions = api.versions()
    assert versions["postgresql"].startswith("PostgreSQL ")
    assert versions["postgis"].split(".")[0] == "3"
    assert versions["pgstac"] == "0.10.0"


def test_landing_page_advertises_item_search(client: Client) -> None:
    assert client.conforms_to("ITEM_SEARCH")
    assert sorted(c.id for c in client.get_collections()) == sorted([S2_TOC, OTHER])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_collection_filter(client: Client, method: str) -> None:
    assert ids(client.search(collections=[OTHER], method=method)) == sorted(OTHER_IDS)
    assert ids(client.search(collections=[S2_TOC], method=method)) == sorted(TOC_IDS)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bbox_filter(client: Client, method: str) -> None:
    # Only the 3rd and 4th S2_TOC footprints (shifted +4 and +6 degrees) reach 4.5..7.0 E.
    found = ids(client.search(bbox=[4.5, 47.0, 7.0, 47.5], method=method))
    assert found == sorted([TOC_IDS[2], TOC_IDS[3]])
    assert ids(client.search(bbox=[0.0, 30.0, 1.0, 38.0], method=method)) == sorted(OTHER_IDS)
    assert ids(client.search(bbox=[-50.0, -50.0, -40.0, -40.0], method=method)) == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_datetime_filter(client: Client, method: str) -> None:
    closed = "2026-08-02T00:00:00Z/2026-08-04T23:59:59Z"
    assert ids(client.search(datetime=closed, method=method)) == sorted(TOC_IDS[1:4])
    assert ids(client.search(datetime="2026-08-10T00:00:00Z/..", method=method)) == sorted(
        OTHER_IDS
    )
    day = client.search(datetime="2026-08-06", collections=[S2_TOC], method=method)
    assert ids(day) == [TOC_IDS[5]]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_ids_and_combined_filters(client: Client, method: str) -> None:
    wanted = [TOC_IDS[0], OTHER_IDS[1]]
    assert ids(client.search(ids=wanted, method=method)) == sorted(wanted)
    combined = client.search(
        collections=[S2_TOC],
        bbox=[4.5, 47.0, 7.0, 47.5],
        datetime="2026-08-04T00:00:00Z/..",
        method=method,
    )
    assert ids(combined) == [TOC_IDS[3]]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_paging_follows_next_links(client: Client, io: CountingStacApiIO, method: str) -> None:
    found = [
        item.id for item in client.search(collections=[S2_TOC], limit=2, method=method).items()
    ]
    assert sorted(found) == sorted(TOC_IDS)
    assert len(found) == len(set(found)) == 6
    pages = io.searches()
    assert len(pages) == 3
    assert {m for m, _ in pages} == {method}
    if method == "GET":
        assert all("token=" in href for _, href in pages[1:])

    io.requests.clear()
    everything = [item.id for item in client.search(limit=4, method=method).items()]
    assert sorted(everything) == sorted(TOC_IDS + OTHER_IDS)
    assert len(io.searches()) == 3  # 4 + 4 + 1


def test_collection_items_endpoint_pages(client: Client) -> None:
    collection = client.get_collection(S2_TOC)
    assert collection is not None
    assert sorted(item.id for item in collection.get_items()) == sorted(TOC_IDS)


def test_items_round_trip_unchanged(client: Client) -> None:
    loaded = toc_items()[2]
    (served,) = client.search(ids=[loaded["id"]], collections=[S2_TOC]).items()
    got = served.to_dict()
    assert got["collection"] == S2_TOC
    assert got["bbox"] == pytest.approx(loaded["bbox"])
    assert got["stac_extensions"] == loaded["stac_extensions"]
    for key in ("datetime", "proj:code", "grid:code", "mgrs:grid_square", "auth:schemes"):
        assert got["properties"][key] == loaded["properties"][key], key
    assert {k: a["href"] for k, a in got["assets"].items()} == {
        k: a["href"] for k, a in loaded["assets"].items()
    }
    assert got["assets"]["AOT"]["alternate"] == loaded["assets"]["AOT"]["alternate"]
    self_link = next(link["href"] for link in got["links"] if link["rel"] == "self")
    assert self_link.startswith(client.self_href.rstrip("/"))


def test_load_upserts(api: PgstacApi) -> None:
    probe = "terrascope-probe"
    item = terrascope_item(date(2026, 9, 1), collection=probe)
    try:
        api.load([terrascope_collection(probe)], [item])
        item["properties"]["eo:cloud_cover"] = 42
        api.load([terrascope_collection(probe, title="Probe")], [item])  # upsert: no duplicate
        rows = api.sql(
            "SELECT id, content->'properties'->>'eo:cloud_cover' FROM pgstac.items "
            f"WHERE collection = '{probe}';"
        )
        assert rows.strip() == f"{item['id']}|42"
        title = api.sql(f"SELECT content->>'title' FROM pgstac.collections WHERE id = '{probe}';")
        assert title.strip() == "Probe"
    finally:
        api.sql(
            f"DELETE FROM pgstac.items WHERE collection = '{probe}'; "
            f"DELETE FROM pgstac.collections WHERE id = '{probe}';"
        )
    assert api.sql("SELECT count(*) FROM pgstac.collections;").strip() == "2"
