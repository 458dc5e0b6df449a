"""A sidecar index of each collection's item ids, so opening a large collection is cheap.

A collection of 100,000 items is a 13 MB file; parsing it and walking its links takes
~0.15 s, most of the time of a small update to a large catalogue. Next to the catalogue, in
its state folder, the store keeps for each collection::

    <root>/.stacsync/index/<collection-id>.ids

a first line with a JSON header (format version, the SHA-256 of the collection file the
index describes, the extent that file holds, how many items it links), then the item ids,
one per line (ids cannot hold a line break: :func:`stacsync.catalog.layout.check_id`
refuses control characters).

The collection file stays the truth. The index is used only if the collection file's bytes
still hash to the recorded digest (reading and hashing 13 MB takes ~20 ms, against ~150 ms
to parse it); a missing, unreadable, malformed or outdated index means the collection file
is parsed as before and a new index written. Deleting the index is always safe.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from stacsync.atomic import read_if_exists, write_atomic
from stacsync.catalog import layout

VERSION = 1
INDEX_DIR = "index"
SUFFIX = ".ids"


@dataclass(frozen=True, slots=True)
class CollectionIndex:
    """What the store needs of a collection file without parsing it."""

    digest: str
    item_ids: set[str]
    """Handed over to the caller, who may change it."""
    extent: Any
    """The ``extent`` the collection file holds (None if it has none)."""


def digest(data: bytes) -> str:
    """The digest an index records for a collection file's bytes."""
    return hashlib.sha256(data).hexdigest()


def index_path(root: Path, collection_id: str) -> Path:
    """Where the index of ``collection_id`` lives."""
    return root / layout.STATE_DIR / INDEX_DIR / f"{collection_id}{SUFFIX}"


def load(root: Path, collection_id: str) -> CollectionIndex | None:
    """The index of a collection, if there is one and it describes the collection file."""
    try:
        raw = read_if_exists(index_path(root, collection_id))
        data = read_if_exists(layout.collection_path(root, collection_id))
    except OSError:
        return None
    if raw is None or data is None:
        return None
    head, _, body = raw.partition(b"\n")
    try:
        header = orjson.loads(head)
        recorded, version, extent = header["sha256"], header["version"], header["extent"]
        ids = set(body.decode("utf-8").split("\n")) if body else set()
    except (orjson.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if version != VERSION or len(ids) != header.get("items"):
        return None
    current = digest(data)
    if recorded != current:
        return None
    return CollectionIndex(digest=current, item_ids=ids, extent=extent)


def save(root: Path, collection_id: str, sha256: str, item_ids: set[str], extent: Any) -> None:
    """Record the item ids and extent of the collection file whose digest is ``sha256``."""
    header = {"version": VERSION, "sha256": sha256, "extent": extent, "items": len(item_ids)}
    lines = "\n".join(sorted(item_ids))
    write_atomic(index_path(root, collection_id), orjson.dumps(header) + b"\n" + lines.encode())
