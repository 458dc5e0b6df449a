"""No-op pulls, --check-remote, relinking, status, dry-run plans and orders."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stacsync.catalog import CatalogStore
from stacsync.sync import Action, Outcome, PullOptions, plan, pull, status
from stacsync.sync.plan import build_plan
from tests.sync.helpers import TOC, configs, make_catalog, read_item, sandbox_items


def test_check_remote_uses_conditional_requests(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    root = make_catalog(tmp_path / "cat", sandbox_items(sb, 1, keys=("B04", "SCL")))
    assert asyncio.run(pull(root, configs(sb), PullOptions(cog=False))).ok
    sb.log.clear()
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False, check_remote=True)))
    assert report.count(Outcome.UNCHANGED) == 2
    assert [e.status for e in sb.log.entries(path_prefix="/download/")] == [304, 304]


def test_reharvested_item_is_relinked_without_requests(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    items = sandbox_items(sb, 1, keys=("B04", "SCL"))
    root = make_catalog(tmp_path / "cat", items)
    assert asyncio.run(pull(root, configs(sb), PullOptions(cog=False))).ok
    pulled = read_item(root, TOC, items[0]["id"])
    with CatalogStore.open(root) as store:
        store.upsert_items(copy.deepcopy(items))  # a harvest writes the remote hrefs again
    sb.log.clear()
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert report.count(Outcome.RELINKED) == 2
    assert sb.log.entries(path_prefix="/download/") == []
    assert read_item(root, TOC, items[0]["id"]) == pulled


def test_updated_item_is_checked(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    items = sandbox_items(sb, 1, keys=("B04",))
    root = make_catalog(tmp_path / "cat", items)
    assert asyncio.run(pull(root, configs(sb), PullOptions(cog=False))).ok
    item = read_item(root, TOC, items[0]["id"])
    item["properties"]["updated"] = "2030-01-01T00:00:00Z"
    with CatalogStore.open(root) as store:
        store.upsert_items([item])
    assert plan(root, PullOptions()).tasks[0].action is Action.CHECK
    sb.log.clear()
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert report.count(Outcome.UNCHANGED) == 1
    assert [e.status for e in sb.log.entries(path_prefix="/download/")] == [304]
    assert plan(root, PullOptions()).tasks[0].action is Action.SKIP


def test_status_and_dry_run(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    items = sandbox_items(sb, 2, keys=("B04", "SCL"))
    items[1]["assets"]["SCL"]["href"] = "ftp://example.org/x.tif"
    root = make_catalog(tmp_path / "cat", items)
    dry = plan(root, PullOptions(asset_keys=("B04",)))
    assert dry.as_dict()["counts"]["fetch"] == 2 and dry.bytes_known > 0
    assert status(root).counts["missing"] == 3
    asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    report = status(root)
    assert report.counts["synced"] == 3 and report.counts["invalid"] == 1
    copy_file = next((root / TOC / items[0]["id"]).glob("*B04*.tif"))
    copy_file.unlink()
    assert status(root).counts["stale"] == 1
    again = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert again.fetched == 1 and copy_file.exists()


def test_filters() -> None:
    item = {
        "id": "a",
        "collection": "c",
        "bbox": [0, 0, 1, 1],
        "properties": {"datetime": "2024-06-01T00:00:00Z"},
        "assets": {
            "x": {"href": "https://h/x.tif", "roles": ["data"], "type": "image/tiff"},
            "y": {"href": "https://h/y.xml", "roles": ["metadata"]},
            "z": {"href": "./local.png", "roles": ["thumbnail"]},
        },
    }
    count = lambda **kw: len(build_plan([item], PullOptions(**kw), {}).tasks)  # noqa: E731
    assert count() == 2  # the relative href is a file of the catalogue already
    assert count(roles=("data",)) == 1
    assert count(media_types=("image/tiff",)) == 1
    assert count(bbox=(2, 2, 3, 3)) == 0
    assert count(bbox=(0.5, 0.5, 3, 3)) == 2
    assert count(datetime="2024-01-01T00:00:00Z/2024-12-31T00:00:00Z") == 2
    assert count(datetime="2025-01-01T00:00:00Z/..") == 0
    assert count(collections=("other",)) == 0


class FakeOrderer:
    def __init__(self, href: str) -> None:
        self.href = href
        self.calls = 0

    async def order(self, item: dict, asset_key: str) -> str:
        self.calls += 1
        return self.href


def test_orders(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    item = sandbox_items(sb, 1, keys=("B04", "SCL"))[0]
    real = item["assets"]["B04"]["href"]
    item["assets"]["B04"] = {
        "href": "https://land.example/product-page",
        "roles": ["data"],
        "order:status": "orderable",
    }
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    item["assets"]["SCL"]["href"] = item["assets"]["SCL"]["href"] + ".gone"
    item["assets"]["SCL"]["expires"] = past
    item["assets"]["SCL"].pop("file:size", None)
    root = make_catalog(tmp_path / "cat", [item])
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert report.count(Outcome.NEEDS_ORDER) == 1
    ((what, error),) = report.failures
    assert what.endswith(":SCL") and "expired" in str(error)
    assert status(root).counts["ordered"] == 1
    orderer = FakeOrderer(real)
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False), orderer=orderer))
    # B04 is ordered; SCL's expired link is ordered again (the fake gives B04's file).
    assert report.ok and report.fetched == 2 and orderer.calls == 2
    stored = read_item(root, TOC, item["id"])["assets"]["B04"]
    assert stored["alternate"]["remote"]["href"] == real


def test_a_vanished_order_link_is_ordered_again_before_its_expiry(
    tmp_path: Path, terrascope
) -> None:
    sb = terrascope()
    item = sandbox_items(sb, 1, keys=("SCL",))[0]
    real = item["assets"]["SCL"]["href"]
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat().replace("+00:00", "Z")
    item["assets"]["SCL"]["href"] = real + ".gone"  # the provider lost the finished order
    item["assets"]["SCL"]["expires"] = future
    item["assets"]["SCL"].pop("file:size", None)
    root = make_catalog(tmp_path / "cat", [item])
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    ((what, error),) = report.failures
    assert what.endswith(":SCL") and "HTTP 404 before its expiry" in str(error)
    orderer = FakeOrderer(real)
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False), orderer=orderer))
    assert report.ok and report.fetched == 1 and orderer.calls == 1
