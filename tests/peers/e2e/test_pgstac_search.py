"""A real STAC API serves the demo catalogue: stac-fastapi-pgstac searched with pystac-client.

The collections and items ``stacsync demo`` wrote are loaded as they are into
stac-fastapi-pgstac (PostgreSQL + PostGIS, loaded with ``pypgstac``), and pystac-client
searches them by collection, bbox, datetime interval, ids and combinations of these. Each
search must return exactly the items the demo's own metadata say it should: the expected ids
are computed here from the item files (bboxes, ``datetime`` / ``start_datetime`` /
``end_datetime``) with plain arithmetic, and each expected set is non-empty and a strict subset
of the catalogue, so a search that ignores its filter fails. GET and POST searches agree, item
for item, also across pages. The test proves that the demo's items carry geometry, bbox and
temporal fields a STAC API indexes correctly.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pystac_client import Client
from pystac_client.stac_api_io import StacApiIO

from tests.peers.e2e.conftest import DemoCatalog
from tests.peers.pgstac_server import PgstacApi

NDVI = "terrascope-s2-ndvi-v2"
BACKBONE = "clc-backbone-2018-raster"
TCD = "tree-cover-density-2018"
PAGE = 3  # small pages: most searches span several

# The demo's footprints: two Sentinel-2 tiles in the western Alps (31TGM west of 32TLS), the
# Backbone and tree cover AOIs near Lake Geneva inside both, and the Switzerland-wide
# imperviousness file (its footprint read from the raster when pulled). Each box is decisive
# for every item (see ``test_bbox_queries_are_decisive``).
WEST = (5.5, 45.8, 6.0, 47.0)  # 31TGM's western edge only
EAST = (7.7, 45.9, 8.0, 47.0)  # 32TLS's eastern edge, inside the imperviousness footprint
BEYOND_THE_TILES = (9.0, 47.0, 9.5, 47.5)  # only the imperviousness footprint

SEARCHES: dict[str, dict[str, Any]] = {
    "one collection": {"collections": [NDVI]},
    "two collections": {"collections": [BACKBONE, TCD]},
    "bbox west": {"bbox": WEST},
    "bbox east": {"bbox": EAST},
    "bbox beyond the tiles": {"bbox": BEYOND_THE_TILES},
    "summer 2024": {"datetime": "2024-06-01T00:00:00Z/2024-07-31T23:59:59Z"},
    "2019 only": {"datetime": "2019-01-01T00:00:00Z/2019-12-31T23:59:59Z"},
    "open end": {"datetime": "2024-07-01T00:00:00Z/.."},
    "open start": {"datetime": "../2018-06-30T00:00:00Z"},
    "collection + bbox + datetime": {
        "collections": [NDVI],
        "bbox": WEST,
        "datetime": "2024-06-01T00:00:00Z/2024-07-31T23:59:59Z",
    },
    "bbox + datetime": {"bbox": EAST, "datetime": "2024-06-01T00:00:00Z/2024-07-31T23:59:59Z"},
    "ids": {"ids": "FIRST_NDVI_AND_BACKBONE"},
    "ids + collection": {"ids": "FIRST_NDVI_AND_BACKBONE", "collections": [NDVI]},
}


def read(paths: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in paths]


def instant(value: str | None) -> datetime | None:
    return None if value in (None, "", "..") else datetime.fromisoformat(str(value))


def interval(item: dict[str, Any]) -> tuple[datetime, datetime]:
    """The item's time span: start/end_datetime, else its datetime."""
    props = item["properties"]
    start = instant(props.get("start_datetime") or props.get("datetime"))
    end = instant(props.get("end_datetime") or props.get("datetime"))
    assert start is not None and end is not None, item["id"]
    return start, end


def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two (west, south, east, north) boxes intersect."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def vertices(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    """Every vertex of a Polygon or MultiPolygon."""
    polygons = [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    return [(x, y) for polygon in polygons for ring in polygon for x, y, *_ in ring]


def is_its_bbox(item: dict[str, Any]) -> bool:
    """Whether the footprint is exactly the rectangle of the item's bbox."""
    west, south, east, north = item["bbox"]
    corners = {(west, south), (east, south), (east, north), (west, north)}
    return item["geometry"]["type"] == "Polygon" and set(vertices(item["geometry"])) == corners


def inside(point: tuple[float, float], geometry: dict[str, Any]) -> bool:
    """Whether ``point`` lies inside a Polygon's outer ring (even-odd ray casting)."""
    if geometry["type"] != "Polygon":
        return False
    x, y = point
    ring = geometry["coordinates"][0]
    crossings = 0
    for (x1, y1, *_), (x2, y2, *_) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings += 1
    return crossings % 2 == 1


def surely_intersects(item: dict[str, Any], box: tuple[float, ...]) -> bool:
    """True only if the footprint certainly meets ``box``.

    That is: the footprint is its bbox rectangle, or one of its vertices lies in the box, or
    the box's centre lies in the footprint.
    """
    if is_its_bbox(item):
        return overlaps(tuple(item["bbox"]), box)
    west, south, east, north = box
    geometry = item["geometry"]
    if any(west <= x <= east and south <= y <= north for x, y in vertices(geometry)):
        return True
    return inside(((west + east) / 2, (south + north) / 2), geometry)


def expected_ids(items: list[dict[str, Any]], search: dict[str, Any]) -> list[str]:
    """The ids ``search`` must return, from the items' own metadata."""
    found = []
    for item in items:
        if "collections" in search and item["collection"] not in search["collections"]:
            continue
        if "ids" in search and item["id"] not in search["ids"]:
            continue
        if "bbox" in search and not overlaps(tuple(item["bbox"]), search["bbox"]):
            continue
        if "datetime" in search:
            start, end = interval(item)
            low, _, high = search["datetime"].partition("/")
            begin, finish = instant(low), instant(high)
            if (finish is not None and start > finish) or (begin is not None and end < begin):
                continue
        found.append(item["id"])
    return sorted(found)


@pytest.fixture(scope="module")
def demo_items(demo_catalog: DemoCatalog) -> list[dict[str, Any]]:
    return read(demo_catalog.items())


@pytest.fixture(scope="module")
def api(pgstac_api: PgstacApi, demo_catalog: DemoCatalog) -> PgstacApi:
    """The API holding exactly the demo catalogue."""
    pgstac_api.reset()
    pgstac_api.load(read(demo_catalog.collections()), read(demo_catalog.items()))
    return pgstac_api


@pytest.fixture
def client(api: PgstacApi) -> Iterator[Client]:
    stac_io = StacApiIO()
    yield Client.open(api.url, stac_io=stac_io)
    stac_io.session.close()


def resolve(search: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """``search`` with the placeholder ids replaced by real ones."""
    if search.get("ids") != "FIRST_NDVI_AND_BACKBONE":
        return search
    first = {cid: min(i["id"] for i in items if i["collection"] == cid) for cid in (NDVI, BACKBONE)}
    return search | {"ids": sorted(first.values())}


def found(client: Client, search: dict[str, Any], method: str) -> list[dict[str, Any]]:
    result = client.search(**search, method=method, limit=PAGE)
    return list(result.items_as_dicts())


def test_api_lists_the_demo_collections_and_items(
    client: Client, demo_catalog: DemoCatalog, demo_items: list[dict[str, Any]]
) -> None:
    assert client.conforms_to("ITEM_SEARCH")
    expected = sorted(c["id"] for c in read(demo_catalog.collections()))
    assert sorted(c.id for c in client.get_collections()) == expected
    served = {item["id"]: item for item in found(client, {}, "GET")}
    assert sorted(served) == sorted(item["id"] for item in demo_items)
    for item in demo_items:
        copy = served[item["id"]]
        assert copy["collection"] == item["collection"]
        assert copy["bbox"] == pytest.approx(item["bbox"])
        assert copy["geometry"]["type"] == item["geometry"]["type"]
        assert sorted(copy["assets"]) == sorted(item["assets"])
        assert interval(copy) == interval(item)


def test_bbox_queries_are_decisive(demo_items: list[dict[str, Any]]) -> None:
    """Each test box meets an item's bbox only where it surely meets its footprint too."""
    for box in (WEST, EAST, BEYOND_THE_TILES):
        for item in demo_items:
            if overlaps(tuple(item["bbox"]), box):
                assert surely_intersects(item, box), (item["id"], box)


@pytest.mark.parametrize("name", list(SEARCHES))
def test_search_returns_exactly_the_expected_items(
    client: Client, demo_items: list[dict[str, Any]], name: str
) -> None:
    search = resolve(SEARCHES[name], demo_items)
    expected = expected_ids(demo_items, search)
    everything = sorted(item["id"] for item in demo_items)
    assert expected and len(expected) < len(everything), expected  # the filter must matter
    if len(SEARCHES[name]) > 1:  # a combination narrows down each of its parts
        for key, value in search.items():
            assert len(expected) < len(expected_ids(demo_items, {key: value})), key

    by_get = found(client, search, "GET")
    by_post = found(client, search, "POST")

    assert sorted(item["id"] for item in by_get) == expected
    assert sorted(item["id"] for item in by_post) == expected
    assert len(by_get) == len(by_post) == len(expected)  # no duplicates across pages
    assert by_get == by_post  # the same items, in the same order
