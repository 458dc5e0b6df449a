"""Building small catalogues from the sandbox's Terrascope items for the sync tests."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stacsync.catalog import CatalogInfo, CatalogStore
from stacsync.sandbox import Sandbox
from stacsync.transport import ProviderConfig
from tests.transport.conftest import configs_for

TOC = "terrascope-s2-toc-v2"


def collection(cid: str) -> dict[str, Any]:
    return {
        "type": "Collection",
        "id": cid,
        "stac_version": "1.1.0",
        "description": f"{cid} for tests",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [[None, None]]},
        },
        "links": [],
    }


def sandbox_items(sandbox: Sandbox, count: int, *, keys: tuple[str, ...] = ()) -> list[dict]:
    em = sandbox.emulator("terrascope")
    ids = sorted(em.stac.by_collection[TOC])[:count]  # type: ignore[attr-defined]
    items = []
    for iid in ids:
        item = copy.deepcopy(em.item(TOC, iid))  # type: ignore[attr-defined]
        item["links"] = []
        if keys:
            item["assets"] = {k: v for k, v in item["assets"].items() if k in keys}
        items.append(item)
    return items


def make_catalog(root: Path, items: list[dict]) -> Path:
    with CatalogStore.open(root, create=CatalogInfo(id="test", description="sync tests")) as store:
        for cid in sorted({i["collection"] for i in items}):
            store.upsert_collection(collection(cid))
        store.upsert_items(items)
    return root


def read_item(root: Path, collection_id: str, item_id: str) -> dict:
    import json

    return json.loads((root / collection_id / item_id / f"{item_id}.json").read_text())


def all_items(root: Path) -> list[dict]:
    import json

    return [
        json.loads(p.read_text())
        for p in sorted(root.glob("*/*/*.json"))
        if p.name not in ("collection.json",)
    ]


def configs(sandbox: Sandbox, **overrides: Any) -> dict[str, ProviderConfig]:
    base = {"rate_limits": (), **overrides}
    return configs_for(sandbox, **base)


def sha256_multihash(data: bytes) -> str:
    return "1220" + hashlib.sha256(data).hexdigest()


def remote_path(href: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(href).path


@contextmanager
def moto_requests(folder: Path) -> Iterator[Callable[[], list[str]]]:
    """Record every request the moto servers of this process receive, as ``METHOD url``."""
    from moto.moto_api import recorder

    saved = recorder._location, recorder._user_enabled
    recorder._location = str(folder / "moto-requests.jsonl")
    recorder.reset_recording()
    recorder.start_recording()

    def entries() -> list[str]:
        lines = recorder.download_recording().splitlines()
        return [f"{e['method']} {e['url']}" for e in map(json.loads, lines)]

    try:
        yield entries
    finally:
        recorder.stop_recording()
        recorder._location, recorder._user_enabled = saved
