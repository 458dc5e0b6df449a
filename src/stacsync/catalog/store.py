"""The static catalogue store: create, open and update a self-contained STAC catalogue.

Writes are incremental and atomic. An upsert rewrites only the items whose bytes change
and the collection and catalogue files whose links or extents change; everything else is
left untouched (mtime preserved). Files are written items first, then collections, then
the root, so a link never points to a file that is not there yet: a crash leaves at worst
an item file that no collection links to, which the next upsert adopts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pystac

from stacsync.atomic import read_if_exists, sync_directory, write_atomic
from stacsync.catalog import encoding, index, layout
from stacsync.catalog.extent import ExtentAccumulator, Footprint
from stacsync.catalog.lock import DEFAULT_LOCK_TIMEOUT, CatalogLock
from stacsync.catalog.writer import ItemOutcome, ItemWrite, ItemWriter
from stacsync.errors import CatalogError, CorruptCatalogError

STAC_VERSION = "1.1.0"
JSON = "application/json"
GEOJSON = "application/geo+json"
STRUCTURAL_RELS = frozenset({"self", "root", "parent", "child", "item", "collection"})
_ITEM_LINKS = (
    {"rel": "root", "href": f"../../{layout.CATALOG_FILE}", "type": JSON},
    {"rel": "parent", "href": f"../{layout.COLLECTION_FILE}", "type": JSON},
    {"rel": "collection", "href": f"../{layout.COLLECTION_FILE}", "type": JSON},
)
"""The structural links of every item (shared, never mutated: they are only serialised)."""

ItemLike = pystac.Item | Mapping[str, Any]
CollectionLike = pystac.Collection | Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class CatalogInfo:
    """The root catalogue's own metadata."""

    id: str
    description: str
    title: str | None = None


@dataclass(kw_only=True)
class UpsertReport:
    """What an upsert did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    files_written: list[Path] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether any file was written."""
        return bool(self.files_written)


@dataclass(kw_only=True)
class _Collection:
    meta: dict[str, Any] | None
    """The collection's own fields; None until needed when it was opened from its index."""
    links: list[dict[str, Any]]
    item_ids: set[str]
    extent: ExtentAccumulator
    extent_stale: bool = False
    saved_item_count: int = -1
    """How many items the collection file links (as last read or written)."""
    saved_extent: Any = None
    """The extent in the collection file (as last read or written)."""
    indexed: str | None = None
    """The digest of the collection file its index describes."""

    def extent_to_store(self) -> Any:
        """The extent the collection file should hold."""
        if self.item_ids:
            return self.extent.as_stac()
        return self.saved_extent if self.meta is None else self.meta.get("extent")

    def needs_writing(self) -> bool:
        """Whether items or the extent changed since the file was last read or written."""
        return (
            self.extent_stale
            or len(self.item_ids) != self.saved_item_count
            or self.extent_to_store() != self.saved_extent
        )


def _plain(obj: Mapping[str, Any] | pystac.STACObject) -> dict[str, Any]:
    if isinstance(obj, pystac.STACObject):
        return obj.to_dict(include_self_link=False, transform_hrefs=False)
    return dict(obj)


def _other_links(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    links = obj.get("links") or []
    return [dict(link) for link in links if link.get("rel") not in STRUCTURAL_RELS]


class CatalogStore:
    """A static STAC catalogue on disk, opened for writing under an exclusive lock.

    Use it as a context manager::

        with CatalogStore.open(root, create=CatalogInfo(id="demo", description="...")) as store:
            store.upsert_collection(collection)
            store.upsert_items(items)
    """

    def __init__(
        self,
        root: Path,
        *,
        create: CatalogInfo | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        durable: bool = False,
    ) -> None:
        self.root = Path(root)
        self._root_str = os.fspath(self.root)
        self._root_prefix = os.path.join(self._root_str, "")  # noqa: PTH118 (hot path)
        self._create = create
        self._durable = durable
        self._lock = CatalogLock(self.root, timeout=lock_timeout)
        self._catalog: dict[str, Any] = {}
        self._collections: dict[str, _Collection] = {}

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        create: CatalogInfo | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        durable: bool = False,
    ) -> CatalogStore:
        """A store for the catalogue at ``root``; ``create`` makes (or updates) its root."""
        return cls(root, create=create, lock_timeout=lock_timeout, durable=durable)

    def __enter__(self) -> CatalogStore:
        if not layout.catalog_path(self.root).exists() and self._create is None:
            raise CatalogError(f"no catalogue at {self.root} (expected {layout.CATALOG_FILE})")
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        try:
            self._load_root()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()

    # -- reading -----------------------------------------------------------------------

    @property
    def collection_ids(self) -> list[str]:
        """Ids of the catalogue's collections, sorted."""
        return sorted(self._child_ids())

    def item_ids(self, collection_id: str) -> list[str]:
        """Ids of a collection's items, sorted."""
        return sorted(self._collection(collection_id).item_ids)

    def read_item(self, collection_id: str, item_id: str) -> dict[str, Any]:
        """An item as stored."""
        return encoding.read(layout.item_path(self.root, collection_id, item_id))

    def read_collection(self, collection_id: str) -> dict[str, Any]:
        """A collection as stored."""
        return encoding.read(layout.collection_path(self.root, collection_id))

    def iter_items(self, collection_id: str) -> Iterator[dict[str, Any]]:
        """Every item of a collection, in id order."""
        for item_id in self.item_ids(collection_id):
            yield self.read_item(collection_id, item_id)

    # -- writing -----------------------------------------------------------------------

    def upsert_collection(self, collection: CollectionLike) -> UpsertReport:
        """Add or update a collection's metadata (its items and extent are managed here)."""
        data = _plain(collection)
        if data.get("type") != "Collection":
            raise CatalogError(f"expected a STAC Collection, got type {data.get('type')!r}")
        cid = layout.check_id("collection", data.get("id"))
        report = UpsertReport()
        meta = {k: v for k, v in data.items() if k != "links"}
        if cid in self._child_ids():
            state = self._collection(cid)
            state.meta, state.links = meta, _other_links(data)
        else:
            state = _Collection(
                meta=meta, links=_other_links(data), item_ids=set(), extent=ExtentAccumulator()
            )
            self._collections[cid] = state
        self._write_collection(cid, state, report)
        self._write_root(report)
        return report

    def upsert_items(self, items: Iterable[ItemLike]) -> UpsertReport:
        """Add new items and rewrite changed ones; unchanged item files are not touched."""
        report = UpsertReport()
        touched: set[str] = set()
        try:
            expected = len(items) if isinstance(items, Sized) else None
            with ItemWriter(durable=self._durable, expected_items=expected) as writer:
                for item in items:
                    for outcome in writer.add(self._prepare_item(item, touched)):
                        self._settle(outcome, report)
                for outcome in writer.finish():
                    self._settle(outcome, report)
        except BaseException:
            # The disk is the truth: forget the in-memory links and extents of this batch.
            for cid in touched:
                self._collections.pop(cid, None)
            raise
        for cid in sorted(touched):
            state = self._collections[cid]
            if not state.needs_writing():
                continue  # same links, same extent: the file is as it should be
            if self._durable:  # new item folders are entries of the collection folder
                sync_directory(os.path.join(self._root_str, cid))  # noqa: PTH118
            self._write_collection(cid, state, report)
        return report

    def _prepare_item(self, item: ItemLike, touched: set[str]) -> ItemWrite:
        """Check an item, give it its links and bytes, and account for it in its collection."""
        data = _plain(item)
        cid = data.get("collection")
        iid = layout.check_id("item", data.get("id"))
        if not isinstance(cid, str) or (
            cid not in self._collections and cid not in self._child_ids()
        ):
            raise CatalogError(
                f"item {iid!r} belongs to collection {cid!r}, which is not in the "
                "catalogue: upsert the collection first"
            )
        touched.add(cid)
        state = self._collection(cid)
        others = _other_links(data)
        data["links"] = [*_ITEM_LINKS, *others] if others else list(_ITEM_LINKS)
        data.setdefault("stac_version", STAC_VERSION)
        known = iid in state.item_ids
        state.item_ids.add(iid)
        footprint = Footprint.of(data)
        state.extent.add(footprint)
        return ItemWrite(
            collection=cid,
            item=iid,
            path=f"{self._root_prefix}{cid}/{iid}/{iid}.json",
            blob=encoding.dumps(data),
            known=known,
            footprint=footprint,
        )

    def _settle(self, outcome: ItemOutcome, report: UpsertReport) -> None:
        if not outcome.written:
            report.unchanged += 1
            return
        entry = outcome.write
        report.files_written.append(Path(entry.path))
        if not entry.known:
            report.created += 1
            return
        report.updated += 1
        if outcome.old is not None:
            state = self._collections[entry.collection]
            previous = Footprint.of(encoding.loads(outcome.old, Path(entry.path)))
            if previous != entry.footprint and state.extent.touches(previous):
                state.extent_stale = True

    # -- internals ---------------------------------------------------------------------

    def _load_root(self) -> None:
        path = layout.catalog_path(self.root)
        if path.exists():
            self._catalog = encoding.read(path)
            if self._catalog.get("type") != "Catalog":
                raise CorruptCatalogError(path, "the root file is not a STAC Catalog")
        if self._create is not None:
            info = self._create
            layout.check_id("catalog", info.id)
            self._catalog.update(
                {"type": "Catalog", "id": info.id, "description": info.description}
            )
            self._catalog.setdefault("stac_version", STAC_VERSION)
            if info.title is not None:
                self._catalog["title"] = info.title
            self._write_root(UpsertReport())

    def _child_ids(self) -> set[str]:
        ids = set(self._collections)
        for link in self._catalog.get("links", []):
            if link.get("rel") == "child":
                href = str(link.get("href", ""))
                parts = href.removeprefix("./").split("/")
                if len(parts) == 2 and parts[1] == layout.COLLECTION_FILE:
                    ids.add(parts[0])
        return ids

    def _collection(self, cid: str) -> _Collection:
        if cid in self._collections:
            return self._collections[cid]
        if cid not in self._child_ids():
            raise CatalogError(f"collection {cid!r} is not in the catalogue at {self.root}")
        known = index.load(self.root, cid)
        if known is not None:  # the collection file is as indexed: no need to parse it
            state = _Collection(
                meta=None,
                links=[],
                item_ids=known.item_ids,
                extent=self._extent_of(known.item_ids, known.extent),
                saved_item_count=len(known.item_ids),
                saved_extent=known.extent,
                indexed=known.digest,
            )
        else:
            meta, links, item_ids, raw = self._parse_collection(cid)
            state = _Collection(
                meta=meta,
                links=links,
                item_ids=item_ids,
                extent=self._extent_of(item_ids, meta.get("extent")),
                saved_item_count=len(item_ids),
                saved_extent=meta.get("extent"),
            )
            self._index(cid, state, raw)
        self._collections[cid] = state
        return state

    @staticmethod
    def _extent_of(item_ids: Sized, stored: Any) -> ExtentAccumulator:
        return ExtentAccumulator.from_stac(stored or {}) if item_ids else ExtentAccumulator()

    def _parse_collection(
        self, cid: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]], set[str], bytes]:
        """A collection file's own fields, its non-structural links, its item ids, its bytes."""
        path = layout.collection_path(self.root, cid)
        raw = encoding.read_bytes(path)
        data = encoding.loads(raw, path)
        item_ids: set[str] = set()
        links: list[dict[str, Any]] = []
        for link in data.get("links") or []:  # one pass: collections can link 100,000s of items
            rel = link.get("rel")
            if rel == "item":
                parts = str(link.get("href", "")).removeprefix("./").split("/")
                if len(parts) == 2:
                    item_ids.add(parts[0])
            elif rel not in STRUCTURAL_RELS:
                links.append(dict(link))
        return {k: v for k, v in data.items() if k != "links"}, links, item_ids, raw

    def _index(self, cid: str, state: _Collection, stored: bytes) -> None:
        """Make the collection's index describe its file (``stored``), if it does not yet."""
        sha256 = index.digest(stored)
        if sha256 != state.indexed:
            index.save(self.root, cid, sha256, state.item_ids, state.saved_extent)
            state.indexed = sha256

    def _recompute_extent(self, cid: str, state: _Collection) -> None:
        extent = ExtentAccumulator()
        for iid in sorted(state.item_ids):
            path = layout.item_path(self.root, cid, iid)
            extent.add(Footprint.of(encoding.read(path)))
        state.extent = extent
        state.extent_stale = False

    def _write_collection(self, cid: str, state: _Collection, report: UpsertReport) -> None:
        if state.extent_stale:
            self._recompute_extent(cid, state)
        if state.meta is None:  # opened from its index: now its own fields are needed
            state.meta, state.links, _, _ = self._parse_collection(cid)
        data = dict(state.meta)
        data.setdefault("stac_version", STAC_VERSION)
        extent = state.extent_to_store()
        if state.item_ids:
            data["extent"] = extent
        data["links"] = [
            {"rel": "root", "href": f"../{layout.CATALOG_FILE}", "type": JSON},
            {"rel": "parent", "href": f"../{layout.CATALOG_FILE}", "type": JSON},
            *state.links,
            *[
                {"rel": "item", "href": layout.item_href(iid), "type": GEOJSON}
                for iid in sorted(state.item_ids)
            ],
        ]
        stored = self._write_if_changed(layout.collection_path(self.root, cid), data, report)
        state.saved_item_count, state.saved_extent = len(state.item_ids), extent
        self._index(cid, state, stored)

    def _write_root(self, report: UpsertReport) -> None:
        data = {k: v for k, v in self._catalog.items() if k != "links"}
        data["links"] = [
            {"rel": "root", "href": f"./{layout.CATALOG_FILE}", "type": JSON},
            *_other_links(self._catalog),
            *(
                {"rel": "child", "href": layout.collection_href(cid), "type": JSON}
                for cid in sorted(self._child_ids())
            ),
        ]
        self._catalog = data
        self._write_if_changed(layout.catalog_path(self.root), data, report)

    def _write_if_changed(self, path: Path, data: dict[str, Any], report: UpsertReport) -> bytes:
        """Write ``data`` to ``path`` unless it holds it already; returns the file's bytes."""
        blob = encoding.dumps(data)
        if read_if_exists(path) == blob:
            return blob
        write_atomic(path, blob, durable=self._durable)
        report.files_written.append(path)
        return blob
