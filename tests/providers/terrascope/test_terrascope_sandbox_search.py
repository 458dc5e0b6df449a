from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pystac_client
import pytest

from stacsync.catalog.store import CatalogInfo, CatalogStore
from stacsync.providers.terrascope.stac import normalize_collection, normalize_item
from stacsync.sandbox import Sandbox, SandboxOptions, running_sandbox
from stacsync.validation import SchemaStore, StacValidator

LAKE_GENEVA = (6.488, 46.314, 6.798, 46.417)
SEASON = "2024-05-01T00:00:00Z/2024-10-31T23:59:59Z"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(SandboxOptions(providers=("terrascope",), raster_size=32)) as sb:
        yield sb


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> pystac_client.Client:
    url = sandbox.endpoints()["terrascope"]["stac_api"]
    assert url.startswith("http://127.0.0.1:")
    return pystac_client.Client.open(url)


def search_dicts(client: pystac_client.Client, **query: Any) -> list[dict[str, Any]]:
    return list(client.search(**query).items_as_dicts())


def test_search_results_normalize_and_validate(
    client: pystac_client.Client, schema_dir: Path, tmp_path: Path
) -> None:
    raw_items = search_dicts(
        client,
        collections=["terrascope-s2-ndvi-v2"],
        bbox=LAKE_GENEVA,
        datetime=SEASON,
        limit=4,  # several pages: the next links are followed
    )
    items = [normalize_item(raw) for raw in raw_items]
    # 2 tiles cover the lake, 6 overpasses in the season
    assert len(items) == 12
    assert {i["collection"] for i in items} == {"terrascope-s2-ndvi-v2"}
    assert {i["id"][20:25] for i in items} == {"31TGM", "32TLS"}
    assert all(list(i["assets"]) == ["NDVI", "metadata"] for i in items)
    assert all(i["links"] == [] for i in items)
    ndvi = items[0]["assets"]["NDVI"]
    assert ndvi["auth:refs"] == ["oidc"]
    assert ndvi["alternate"]["local"]["href"].startswith("file:///data/MTDA/TERRASCOPE_Sentinel2/")

    collection = normalize_collection(
        client.get_collection("terrascope-s2-ndvi-v2").to_dict(transform_hrefs=False)
    )
    assert collection["links"] == []
    root = tmp_path / "catalog"
    with CatalogStore.open(root, create=CatalogInfo(id="t", description="t")) as store:
        store.upsert_collection(collection)
        store.upsert_items(items)
    validator = StacValidator(SchemaStore(store=schema_dir))
    written = sorted(root.rglob("*.json"))
    assert len(written) == 2 + 12
    for path in written:
        assert validator.validate(json.loads(path.read_text(encoding="utf-8"))) == []


def test_ids_filter_and_max_items(client: pystac_client.Client) -> None:
    cql2 = {"op": "<=", "args": [{"property": "properties.eo:cloud_cover"}, 30]}
    filtered = [
        normalize_item(raw)
        for raw in search_dicts(
            client, collections=["terrascope-s2-toc-v2"], bbox=LAKE_GENEVA, datetime=SEASON,
            filter=cql2, filter_lang="cql2-json",
        )
    ]  # fmt: skip
    everything = search_dicts(
        client, collections=["terrascope-s2-toc-v2"], bbox=LAKE_GENEVA, datetime=SEASON
    )
    assert 0 < len(filtered) < len(everything)
    assert all(i["properties"]["eo:cloud_cover"] <= 30 for i in filtered)
    assert all(len(i["assets"]) == 21 for i in filtered)

    wanted = sorted(raw["id"] for raw in everything)[:2]
    by_id = search_dicts(client, collections=["terrascope-s2-toc-v2"], ids=wanted)
    assert sorted(normalize_item(raw)["id"] for raw in by_id) == wanted

    capped = search_dicts(client, collections=["esa-worldcover-map-10m-2021-v2"], max_items=3)
    assert len(capped) == 3
    worldcover = normalize_item(
        search_dicts(client, collections=["esa-worldcover-map-10m-2021-v2"], bbox=LAKE_GENEVA)[0]
    )
    assert worldcover["id"] == "ESA_WorldCover_10m_2021_v200_N45E006_Map"
    assert list(worldcover["assets"]) == ["MAP"]


def test_search_sends_no_token(sandbox: Sandbox, client: pystac_client.Client) -> None:
    search_dicts(client, collections=["terrascope-s2-ndvi-v2"], max_items=1)
    log = sandbox.emulator("terrascope").request_log("/search")
    assert log
    assert {entry.auth for entry in log} == {"none"}
