"""The static catalogue store: create, open and update a self-contained STAC catalogue.

Writes are incremental and atomic. An upsert rewrites only the items whose bytes change
and the collection and catalogue files whose links or extents change; everything else is
left untouched (mtime preserved). Files are written items first, then collections, then
the root, so a link never points to a file that is not there yet: a crash leaves at worst
an item file that no collection links to, which the next upsert adopts.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pystac

from stacsync.atomic import read_if_exists, write_atomic
from stacsync.catalog import encoding, layout
from stacsync.catalog.extent import ExtentAccumulator, Footprint
from stacsync.catalog.lock import DEFAULT_LOCK_TIMEOUT, CatalogLock
from stacsync.errors import CatalogError, CorruptCatalogError

STAC_VERSION = "1.1.0"
JSON = "application/json"
GEOJSON = "application/geo+json"
STRUCTURAL_RELS = frozenset({"self", "root", "parent", "child", "item", "collection"})
WRITE_THREADS = 4
"""File syscalls release the GIL: a few threads overlap mkdir/open/replace latencies."""
MAX_PENDING_WRITES = 512
"""Bound on queued item writes, so memory stays flat however many items are upserted."""

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


def _sync_file(path: str, blob: bytes, durable: bool) -> tuple[bool, bytes | None]:
    """Write ``blob`` to ``path`` unless it already holds exactly that; return (written, old)."""
    old = read_if_exists(path)
    if old == blob:
        return False, None
    write_atomic(path, blob, durable=durable)
    return True, old


@dataclass(frozen=True, slots=True)
class _PendingItem:
    collection: str
    item: str
    path: str
    known: bool
    footprint: Footprint
    future: Future[tuple[bool, bytes | None]]


@dataclass(kw_only=True)
class _Collection:
    meta: dict[str, Any]
    links: list[dict[str, Any]]
    item_ids: set[str]
    extent: ExtentAccumulator
    extent_stale: bool = False


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
        pending: deque[_PendingItem] = deque()
        in_flight: dict[tuple[str, str], _PendingItem] = {}
        with ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="stacsync-write") as pool:
            try:
                for item in items:
                    data = _plain(item)
                    cid = data.get("collection")
                    iid = layout.check_id("item", data.get("id"))
                    if not isinstance(cid, str) or cid not in self._child_ids():
                        raise CatalogError(
                            f"item {iid!r} belongs to collection {cid!r}, which is not in the "
                            "catalogue: upsert the collection first"
                        )
                    touched.add(cid)
                    earlier = in_flight.get((cid, iid))
                    if earlier is not None:  # the same item twice in one batch: last one wins
                        earlier.future.result()
                    entry = self._submit_item(pool, cid, iid, data)
                    in_flight[(cid, iid)] = entry
                    pending.append(entry)
                    while len(pending) > MAX_PENDING_WRITES:
                        self._settle(pending.popleft(), in_flight, report)
                while pending:
                    self._settle(pending.popleft(), in_flight, report)
            except BaseException:
                for entry in pending:  # let started writes finish; their errors are secondary
                    entry.future.exception()
                # The disk is the truth: forget the in-memory links and extents of this batch.
                for cid in touched:
                    self._collections.pop(cid, None)
                raise
        for cid in sorted(touched):
            self._write_collection(cid, self._collections[cid], report)
        return report

    def _submit_item(
        self, pool: ThreadPoolExecutor, cid: str, iid: str, data: dict[str, Any]
    ) -> _PendingItem:
        state = self._collection(cid)
        data["links"] = [
            {"rel": "root", "href": f"../../{layout.CATALOG_FILE}", "type": JSON},
            {"rel": "parent", "href": f"../{layout.COLLECTION_FILE}", "type": JSON},
            {"rel": "collection", "href": f"../{layout.COLLECTION_FILE}", "type": JSON},
            *_other_links(data),
        ]
        data.setdefault("stac_version", STAC_VERSION)
        path = os.path.join(self._root_str, cid, iid, f"{iid}.json")  # noqa: PTH118 (hot path)
        known = iid in state.item_ids
        state.item_ids.add(iid)
        footprint = Footprint.of(data)
        state.extent.add(footprint)
        future = pool.submit(_sync_file, path, encoding.dumps(data), self._durable)
        return _PendingItem(
            collection=cid, item=iid, path=path, known=known, footprint=footprint, future=future
        )

    def _settle(
        self,
        entry: _PendingItem,
        in_flight: dict[tuple[str, str], _PendingItem],
        report: UpsertReport,
    ) -> None:
        if in_flight.get((entry.collection, entry.item)) is entry:
            del in_flight[(entry.collection, entry.item)]
        written, old = entry.future.result()
        if not written:
            report.unchanged += 1
            return
        report.files_written.append(Path(entry.path))
        if not entry.known:
            report.created += 1
            return
        report.updated += 1
        if old is not None:
            state = self._collections[entry.collection]
            previous = Footprint.of(encoding.loads(old, Path(entry.path)))
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
        path = layout.collection_path(self.root, cid)
        data = encoding.read(path)
        item_ids = set()
        for link in data.get("links", []):
            if link.get("rel") == "item":
                parts = str(link.get("href", "")).removeprefix("./").split("/")
                if len(parts) == 2:
                    item_ids.add(parts[0])
        meta = {k: v for k, v in data.items() if k != "links"}
        extent = (
            ExtentAccumulator.from_stac(meta.get("extent") or {})
            if item_ids
            else ExtentAccumulator()
        )
        state = _Collection(meta=meta, links=_other_links(data), item_ids=item_ids, extent=extent)
        self._collections[cid] = state
        return state

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
        data = dict(state.meta)
        data.setdefault("stac_version", STAC_VERSION)
        if state.item_ids:
            data["extent"] = state.extent.as_stac()
        data["links"] = [
            {"rel": "root", "href": f"../{layout.CATALOG_FILE}", "type": JSON},
            {"rel": "parent", "href": f"../{layout.CATALOG_FILE}", "type": JSON},
            *state.links,
            *(
                {"rel": "item", "href": layout.item_href(iid), "type": GEOJSON}
                for iid in sorted(state.item_ids)
            ),
        ]
        self._write_if_changed(layout.collection_path(self.root, cid), data, report)

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

    def _write_if_changed(self, path: Path, data: dict[str, Any], report: UpsertReport) -> None:
        blob = encoding.dumps(data)
        try:
            if path.read_bytes() == blob:
                return
        except FileNotFoundError:
            pass
        write_atomic(path, blob, durable=self._durable)
        report.files_written.append(path)
