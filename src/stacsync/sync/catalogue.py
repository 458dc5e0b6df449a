"""Reading a catalogue's items for a pull, and pointing their assets at the copies (pure edits).

Items are read straight from the static layout (``catalog.json`` -> ``collection.json`` ->
item files), so planning and ``stacsync status`` need no writer lock. :func:`point_at_copy`
is the asset edit made after a transfer: the href becomes the copy, the remote href moves to
the ``remote`` alternate (alternate-assets extension; other alternates such as Terrascope's
``local`` are kept), and ``file:size`` / ``file:checksum`` describe the copy.
"""

from __future__ import annotations

import asyncio
import copy
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from stacsync.catalog import CatalogStore, encoding, layout
from stacsync.errors import CatalogError
from stacsync.sync.plan import REMOTE

FILE = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
ALTERNATE = "https://stac-extensions.github.io/alternate-assets/v1.2.0/schema.json"
_FAMILY = re.compile(r"^https://stac-extensions\.github\.io/([a-z-]+)/v[^/]+/schema\.json$")
REMOTE_FIELDS = ("auth:refs", "storage:refs", "alternate:name", "expires")
"""Asset fields that describe the remote file, not the copy: they move to the alternate."""
REMOTE_NAME = "Remote"

Item = dict[str, Any]
ItemEdit = Callable[[Item], Item]
ItemKey = tuple[str, str]


def _children(path: Path, rel: str) -> list[str]:
    data = encoding.read(path)
    ids = []
    for link in data.get("links", []):
        if link.get("rel") != rel:
            continue
        parts = str(link.get("href", "")).removeprefix("./").split("/")
        if len(parts) == 2:
            ids.append(parts[0])
    return ids


def collection_ids(root: Path) -> list[str]:
    """The collections the root catalogue links to."""
    path = layout.catalog_path(root)
    if not path.exists():
        raise CatalogError(f"no catalogue at {root} (expected {layout.CATALOG_FILE})")
    return sorted(_children(path, "child"))


def item_ids(root: Path, collection: str) -> list[str]:
    """The items a collection links to."""
    return sorted(_children(layout.collection_path(root, collection), "item"))


def iter_items(
    root: Path, *, collections: Iterable[str] = (), items: Iterable[str] = ()
) -> Iterator[Item]:
    """Every item of the catalogue (only the given collections / item ids when not empty)."""
    wanted_collections = set(collections)
    wanted_items = set(items)
    for cid in collection_ids(root):
        if wanted_collections and cid not in wanted_collections:
            continue
        for iid in item_ids(root, cid):
            if wanted_items and iid not in wanted_items:
                continue
            yield encoding.read(layout.item_path(root, cid, iid))


def with_extensions(item: Item, *urls: str) -> None:
    """Declare ``urls`` on ``item``, replacing other versions of the same extensions."""
    families = {m.group(1) for u in urls if (m := _FAMILY.match(u))}
    kept = [
        u
        for u in item.get("stac_extensions", [])
        if not ((m := _FAMILY.match(u)) and m.group(1) in families)
    ]
    item["stac_extensions"] = sorted({*kept, *urls})


def point_at_copy(
    asset: Mapping[str, Any],
    *,
    href: str,
    remote: str,
    size: int | None,
    checksum: str | None,
    media_type: str | None = None,
) -> dict[str, Any]:
    """The asset pointing at its copy, the remote href kept as the ``remote`` alternate."""
    new = copy.deepcopy(dict(asset))
    alternates = dict(new.get("alternate") or {})
    previous = alternates.get(REMOTE)
    if isinstance(previous, Mapping):
        remote_alt = dict(previous)
    else:
        remote_alt = {}
        for field in REMOTE_FIELDS:
            if field in new:
                remote_alt[field] = new.pop(field)
        remote_alt.setdefault("alternate:name", REMOTE_NAME)
    remote_alt["href"] = remote
    alternates[REMOTE] = remote_alt
    new["alternate"] = alternates
    new["href"] = href
    if size is not None:
        new["file:size"] = size
    if checksum is not None:
        new["file:checksum"] = checksum
    if media_type is not None:
        new["type"] = media_type
    return new


def apply_copy(item: Item, key: str, **fields: Any) -> Item:
    """``item`` with asset ``key`` pointing at its copy (see :func:`point_at_copy`)."""
    assets = item.get("assets") or {}
    if key not in assets:
        return item
    assets[key] = point_at_copy(assets[key], **fields)
    item["assets"] = assets
    with_extensions(item, FILE, ALTERNATE)
    return item


class ItemUpdates:
    """Pending item edits, written in batches through the catalogue store.

    An item is written when all its assets are done and a batch is full, when ``interval``
    seconds passed since the last write (then every pending item, finished or not), and at
    the end of the run. Each write reads the item as stored, applies its edits in order and
    upserts it (atomic; unchanged files are not touched).
    """

    def __init__(self, store: CatalogStore, *, batch: int, interval: float) -> None:
        self.store = store
        self.batch = batch
        self.interval = interval
        self.edits: dict[ItemKey, list[ItemEdit]] = {}
        self.ready: set[ItemKey] = set()
        self.lock = asyncio.Lock()
        self.last = time.monotonic()

    def add(self, key: ItemKey, edit: ItemEdit) -> None:
        """Queue an edit of item ``key`` (collection id, item id)."""
        self.edits.setdefault(key, []).append(edit)

    def item_done(self, key: ItemKey) -> None:
        """Every asset of ``key`` is done: it may be written with the next batch."""
        if key in self.edits:
            self.ready.add(key)

    async def flush(self, *, force: bool = False) -> None:
        """Write what is due (everything when ``force``)."""
        if force or (self.edits and time.monotonic() - self.last > self.interval):
            keys = set(self.edits)
        elif len(self.ready) >= self.batch:
            keys = set(self.ready)
        else:
            return
        async with self.lock:
            batch = {k: self.edits.pop(k) for k in keys if k in self.edits}
            self.ready -= set(batch)
            if batch:
                await asyncio.to_thread(self._write, batch)
            self.last = time.monotonic()

    def _write(self, batch: Mapping[ItemKey, list[ItemEdit]]) -> None:
        items = []
        for (collection, item_id), edits in sorted(batch.items()):
            item = self.store.read_item(collection, item_id)
            for edit in edits:
                item = edit(item)
            items.append(item)
        self.store.upsert_items(items)
