"""Planning a pull (pure): catalogue items and stored state in, asset tasks out.

Nothing here touches the network or the disk. :func:`asset_tasks` turns the items (already
filtered by collection and item id) into one :class:`AssetTask` per asset that has a remote
source, and :func:`decide` compares each task with what the state database recorded last time
to choose an :class:`Action`: transfer, skip, relink the item only, ask the remote with a
conditional request, or order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from stacsync.sync.state import AssetKey, AssetState, Status
from stacsync.transport.redact import redact_url

REMOTE = "remote"
"""The alternate (alternate-assets extension) that keeps an asset's original remote href."""
SCHEMES = frozenset({"http", "https", "s3", "file"})
MAX_NAME_BYTES = 200
PART_SUFFIX = ".part"


class Action(StrEnum):
    """What the engine does with an asset task."""

    FETCH = "fetch"
    """Transfer the bytes (resuming a partial file where possible)."""
    CHECK = "check"
    """Ask the remote with a conditional request; transfer only if it changed."""
    RELINK = "relink"
    """The copy is current; only the item needs to point at it again."""
    SKIP = "skip"
    """The copy is current and the item points at it."""
    ORDER = "order"
    """The asset must be ordered before it can be fetched."""
    INVALID = "invalid"
    """The asset cannot be pulled (no href, unknown scheme, unsafe name)."""


@dataclass(frozen=True, kw_only=True)
class PullOptions:
    """What to pull and how.

    Attributes:
        collections: Only these collection ids (empty: all).
        items: Only these item ids (empty: all).
        asset_keys: Only these asset keys (empty: all).
        roles: Only assets with at least one of these roles (empty: all).
        media_types: Only assets whose media type starts with one of these (empty: all).
        bbox: Only items whose bbox intersects (west, south, east, north).
        datetime: Only items within this RFC 3339 instant or ``start/end`` interval (``..``
            for an open end).
        dest: ``None`` (next to each item), a folder, or an object store URL (``s3://``,
            ``gs://``, ``az://``, ``file://``).
        dest_options: Options of the object store (endpoint, credentials, ``allow_http``);
            left out of the repr, as they may hold secrets.
        concurrency: Assets transferred at the same time (rate limits apply separately).
        cog: Convert raster deliveries to COGs after the transfer.
        cog_concurrency: Conversions at the same time.
        check_remote: Ask the remote (conditional request) even when nothing suggests a change.
        fail_fast: Stop at the first failed asset.
        durable: fsync every finished file before it is moved into place.
        lock_timeout: Seconds to wait for another writer of the catalogue.
        chunk_size: Bytes read per chunk.
        item_batch: Finished items written to the catalogue per batch.
    """

    collections: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    asset_keys: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    media_types: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    datetime: str | None = None
    dest: str | None = None
    dest_options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    concurrency: int = 8
    cog: bool = True
    cog_concurrency: int = 1
    check_remote: bool = False
    fail_fast: bool = False
    durable: bool = False
    lock_timeout: float = 0.5
    chunk_size: int = 1 << 20
    item_batch: int = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetTask:
    """One asset to make local: where from, where to, what to expect."""

    collection: str
    item: str
    key: str
    href: str
    """The remote source (the asset's href, or its ``remote`` alternate once pulled)."""
    name: str
    """File name of the copy, next to the item (or under ``<collection>/<item>/`` in --dest)."""
    media_type: str | None = None
    roles: tuple[str, ...] = ()
    expected_size: int | None = None
    """``file:size`` as the provider declared it (None once the asset describes our copy)."""
    expected_checksum: str | None = None
    fingerprint: str = ""
    """The item's and asset's ``updated`` values: a change means the remote may have changed."""
    orderable: bool = False
    expires: str | None = None
    pulled: bool = False
    """The asset already points at a copy (its href is not the remote one)."""
    current_href: str | None = None
    action: Action = Action.FETCH
    reason: str | None = None

    @property
    def ident(self) -> AssetKey:
        """The state database key."""
        return (self.collection, self.item, self.key)

    @property
    def what(self) -> str:
        """A short name for messages: ``collection/item:asset``."""
        return f"{self.collection}/{self.item}:{self.key}"

    @property
    def target(self) -> str:
        """The copy's path relative to the destination root."""
        return f"{self.collection}/{self.item}/{self.name}"

    @property
    def shown_href(self) -> str:
        """The source href without secrets."""
        return redact_url(self.href)


@dataclass(frozen=True, slots=True)
class Plan:
    """Every task of a pull, with its action."""

    tasks: tuple[AssetTask, ...]
    items: int

    def count(self, *actions: Action) -> int:
        """Tasks with any of ``actions``."""
        return sum(1 for t in self.tasks if t.action in actions)

    @property
    def bytes_known(self) -> int:
        """Declared bytes of the tasks that transfer data."""
        moving = (Action.FETCH, Action.CHECK)
        return sum(t.expected_size or 0 for t in self.tasks if t.action in moving)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (for ``--dry-run --json``)."""
        return {
            "items": self.items,
            "assets": len(self.tasks),
            "counts": {a.value: self.count(a) for a in Action},
            "bytes_known": self.bytes_known,
            "tasks": [
                {
                    "collection": t.collection,
                    "item": t.item,
                    "asset": t.key,
                    "href": t.shown_href,
                    "target": t.target,
                    "action": t.action.value,
                    "size": t.expected_size,
                    **({"reason": t.reason} if t.reason else {}),
                }
                for t in self.tasks
            ],
        }


# -- item filters ------------------------------------------------------------------------


def _parse_instant(value: str) -> datetime | None:
    value = value.strip()
    if value in ("", ".."):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_interval(value: str) -> tuple[datetime | None, datetime | None]:
    """``start/end`` (either side may be ``..`` or empty) or one instant, as aware datetimes."""
    if "/" in value:
        start, end = value.split("/", 1)
        return _parse_instant(start), _parse_instant(end)
    instant = _parse_instant(value)
    return instant, instant


def _item_interval(properties: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    start = properties.get("start_datetime") or properties.get("datetime")
    end = properties.get("end_datetime") or properties.get("datetime")
    try:
        return (
            _parse_instant(start) if isinstance(start, str) else None,
            _parse_instant(end) if isinstance(end, str) else None,
        )
    except ValueError:
        return None, None


def item_matches(item: Mapping[str, Any], options: PullOptions) -> bool:
    """Whether ``item`` passes the collection, id, bbox and datetime filters."""
    if options.collections and item.get("collection") not in options.collections:
        return False
    if options.items and item.get("id") not in options.items:
        return False
    if options.bbox is not None:
        box = item.get("bbox")
        if not isinstance(box, list) or len(box) not in (4, 6):
            return False
        west, south, east, north = (
            (box[0], box[1], box[2], box[3])
            if len(box) == 4
            else (
                box[0],
                box[1],
                box[3],
                box[4],
            )
        )
        w, s, e, n = options.bbox
        if west > e or east < w or south > n or north < s:
            return False
    if options.datetime is not None:
        low, high = parse_interval(options.datetime)
        start, end = _item_interval(item.get("properties") or {})
        if start is None and end is None:
            return False
        if high is not None and start is not None and start > high:
            return False
        if low is not None and end is not None and end < low:
            return False
    return True


def asset_matches(key: str, asset: Mapping[str, Any], options: PullOptions) -> bool:
    """Whether an asset passes the key, role and media-type filters."""
    if options.asset_keys and key not in options.asset_keys:
        return False
    if options.roles and not set(asset.get("roles") or ()) & set(options.roles):
        return False
    if options.media_types:
        kind = str(asset.get("type") or "")
        if not any(kind.startswith(m) for m in options.media_types):
            return False
    return True


# -- asset tasks -------------------------------------------------------------------------


def safe_name(name: str) -> str | None:
    """``name`` if it is a safe single file name, else ``None``."""
    if not name or name in (".", "..") or name.startswith("."):
        return None
    if any(c in "/\\\x00" or unicodedata.category(c) == "Cc" for c in name):
        return None
    if name != name.strip() or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return None
    if name.endswith(PART_SUFFIX):
        return None
    return name


def remote_href(asset: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The asset's remote source and whether the asset already points at a copy."""
    alternate = asset.get("alternate")
    if isinstance(alternate, Mapping):
        remote = alternate.get(REMOTE)
        if isinstance(remote, Mapping) and isinstance(remote.get("href"), str):
            return str(remote["href"]), True
    href = asset.get("href")
    return (href if isinstance(href, str) and href else None), False


def _is_local(href: str) -> bool:
    """A relative href (a file inside the catalogue), not a remote source."""
    return "://" not in href and not href.startswith("/")


def _is_copy(href: str, places: Collection[str]) -> bool:
    """An href inside the item's folder of an object-store destination (a COG step output)."""
    return any(href.startswith(place) for place in places)


def store_places(dest: str | None, collection: str, item_id: str) -> set[str]:
    """The item's folder in the object store ``dest`` (empty for local destinations)."""
    if dest is None or "://" not in dest or dest.lower().startswith("file:"):
        return set()
    return {f"{dest.rstrip('/')}/{collection}/{item_id}/"}


def _fingerprint(item: Mapping[str, Any], asset: Mapping[str, Any]) -> str:
    properties = item.get("properties") or {}
    return f"{properties.get('updated') or ''}|{asset.get('updated') or ''}"


def _orderable(item: Mapping[str, Any], asset: Mapping[str, Any]) -> bool:
    properties = item.get("properties") or {}
    status = asset.get("order:status", properties.get("order:status"))
    return bool(status == "orderable")


def name_for(key: str, href: str, taken: set[str], item_id: str) -> str | None:
    """A safe file name for an asset's copy: the href's file name, else one made from the key."""
    path = unquote(urlsplit(href).path)
    base = path.rsplit("/", 1)[-1]
    name = safe_name(base)
    if name is not None and name != f"{item_id}.json" and name not in taken:
        return name
    safe_key = safe_name(key)
    if safe_key is None:
        return None
    suffix = PurePosixPath(base).suffix if name is not None else ""
    candidate = f"{safe_key}-{name}" if name is not None else f"{safe_key}{suffix}"
    candidate = safe_name(candidate) or safe_key
    return None if candidate in taken or candidate == f"{item_id}.json" else candidate


def asset_tasks(
    item: Mapping[str, Any], options: PullOptions, *, copies: Collection[str] = ()
) -> list[AssetTask]:
    """The tasks of one item's assets (filters applied; invalid assets become INVALID tasks).

    Assets whose href is relative, or starts with one of ``copies`` (the item's folders in an
    object-store destination), are files the COG step made: they have no task.
    """
    collection = str(item.get("collection"))
    item_id = str(item.get("id"))
    assets = item.get("assets") or {}
    tasks: list[AssetTask] = []
    taken: set[str] = set()
    for key, asset in assets.items():
        if not isinstance(asset, Mapping) or not asset_matches(key, asset, options):
            continue
        href, pulled = remote_href(asset)
        base = AssetTask(
            collection=collection,
            item=item_id,
            key=key,
            href=href or "",
            name="",
            media_type=asset.get("type"),
            roles=tuple(asset.get("roles") or ()),
            current_href=asset.get("href") if isinstance(asset.get("href"), str) else None,
        )
        if href is None:
            tasks.append(replace(base, action=Action.INVALID, reason="the asset has no href"))
            continue
        if not pulled and (_is_local(href) or _is_copy(href, copies)):
            continue  # a file that lives in the catalogue or the store (a COG, a thumbnail)
        scheme = urlsplit(href).scheme.lower()
        if scheme not in SCHEMES:
            reason = f"unsupported href scheme {scheme or href!r} (expected http(s), s3 or file)"
            tasks.append(replace(base, action=Action.INVALID, reason=reason))
            continue
        name = name_for(key, href, taken, item_id)
        if name is None:
            reason = "the href or asset key would write outside the item's folder"
            tasks.append(replace(base, action=Action.INVALID, reason=reason))
            continue
        taken.add(name)
        size = asset.get("file:size")
        checksum = asset.get("file:checksum")
        tasks.append(
            replace(
                base,
                name=name,
                expected_size=size if isinstance(size, int) and not pulled else None,
                expected_checksum=checksum if isinstance(checksum, str) and not pulled else None,
                fingerprint=_fingerprint(item, asset),
                orderable=_orderable(item, asset),
                expires=asset.get("expires") if isinstance(asset.get("expires"), str) else None,
                pulled=pulled,
            )
        )
    return tasks


def decide(task: AssetTask, row: AssetState | None, options: PullOptions) -> AssetTask:
    """Choose the task's action from what the state database recorded for it."""
    if task.action is Action.INVALID:
        return task
    if task.orderable and (row is None or row.status is not Status.SYNCED):
        return replace(task, action=Action.ORDER)
    if row is None or row.status is not Status.SYNCED:
        reason = None if row is None else f"state {row.status.value}"
        return replace(task, action=Action.FETCH, reason=reason)
    if row.remote_href != redact_url(task.href):
        return replace(task, action=Action.FETCH, reason="the remote href changed")
    if task.expected_checksum is not None and task.expected_checksum != row.checksum:
        return replace(task, action=Action.FETCH, reason="file:checksum changed")
    if task.expected_size is not None and task.expected_size != row.size:
        return replace(task, action=Action.FETCH, reason="file:size changed")
    if options.check_remote:
        return replace(task, action=Action.CHECK, reason="--check-remote")
    if task.fingerprint != (row.fingerprint or ""):
        return replace(task, action=Action.CHECK, reason="the item was updated")
    if not task.pulled:
        return replace(task, action=Action.RELINK)
    return replace(task, action=Action.SKIP)


def build_plan(
    items: Iterable[Mapping[str, Any]],
    options: PullOptions,
    state: Mapping[AssetKey, AssetState],
) -> Plan:
    """Tasks for every matching asset of ``items``, each with its action."""
    tasks: list[AssetTask] = []
    count = 0
    rows = StateIndex(state)
    for item in items:
        if not item_matches(item, options):
            continue
        count += 1
        collection, item_id = str(item.get("collection")), str(item.get("id"))
        places = rows.places(collection, item_id) | store_places(options.dest, collection, item_id)
        for task in asset_tasks(item, options, copies=places):
            tasks.append(decide(task, rows.row(task), options))
    return Plan(tuple(tasks), count)


class StateIndex:
    """State rows by asset, and by remote href for assets the COG step renamed.

    Converting a delivery makes the COG the ``data`` asset and moves the archive it came from
    to another key (``archive``); its row is still filed under the old key, with the same
    remote href, and stands for it.
    """

    def __init__(self, state: Mapping[AssetKey, AssetState]) -> None:
        self.state = state
        self.by_href = {(r.collection, r.item, r.remote_href): r for r in state.values()}
        self.folders: dict[tuple[str, str], set[str]] = {}
        for r in state.values():
            if r.local and "://" in r.local:
                folder = r.local.rsplit("/", 1)[0] + "/"
                self.folders.setdefault((r.collection, r.item), set()).add(folder)

    def places(self, collection: str, item_id: str) -> set[str]:
        """The object-store folders where the item's copies were put."""
        return self.folders.get((collection, item_id), set())

    def row(self, task: AssetTask) -> AssetState | None:
        """The row that records ``task``'s asset, if any."""
        found = self.state.get(task.ident)
        if found is None:
            found = self.by_href.get((task.collection, task.item, redact_url(task.href)))
        return found
