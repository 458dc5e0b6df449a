"""Where each STAC object lives in a static catalogue, and which ids are allowed.

::

    <root>/catalog.json
    <root>/<collection-id>/collection.json
    <root>/<collection-id>/<item-id>/<item-id>.json

Every href between these files is relative, so the tree can be moved, copied or served
from anywhere (a "self-contained" catalogue in STAC terms).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from stacsync.errors import InvalidIdError

CATALOG_FILE = "catalog.json"
COLLECTION_FILE = "collection.json"
STATE_DIR = ".stacsync"
"""The catalogue's state folder (sync state, harvest ledger, indexes); not part of the STAC tree."""
MAX_ID_BYTES = 200
"""Longest id in UTF-8 bytes: the item file name adds ``.json`` and must stay under 255."""

_FORBIDDEN = frozenset("/\\\x00")
_ASCII_BAD_START = frozenset(". ")


def check_id(kind: str, value: object) -> str:
    """Return ``value`` if it is a safe id for a folder and file name, else raise.

    Refused: non-strings, empty ids, ``.`` and ``..``, ids starting with a dot (hidden
    files, and the store's temporary names), path separators, NUL and other control
    characters (C0 and C1), and ids longer than :data:`MAX_ID_BYTES` UTF-8 bytes.
    """
    if (  # the common case, printable ASCII, settled by string methods implemented in C
        isinstance(value, str)
        and 0 < len(value) <= MAX_ID_BYTES
        and value.isascii()
        and value.isprintable()  # ASCII and printable: no control characters
        and value[0] not in _ASCII_BAD_START
        and value[-1] != " "
        and "/" not in value
        and "\\" not in value
    ):
        return value
    if not isinstance(value, str):
        raise InvalidIdError(kind, repr(value), "ids must be strings")
    if not value:
        raise InvalidIdError(kind, value, "ids must not be empty")
    if value.startswith("."):
        raise InvalidIdError(kind, value, "ids must not start with '.'")
    bad = sorted({c for c in value if c in _FORBIDDEN or unicodedata.category(c) == "Cc"})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise InvalidIdError(kind, value, f"contains forbidden characters ({shown})")
    if value != value.strip():
        raise InvalidIdError(kind, value, "ids must not start or end with whitespace")
    size = len(value.encode("utf-8", errors="surrogatepass"))
    if size > MAX_ID_BYTES:
        raise InvalidIdError(kind, value, f"{size} bytes long, the limit is {MAX_ID_BYTES}")
    return value


def catalog_path(root: Path) -> Path:
    """The root catalogue file."""
    return root / CATALOG_FILE


def collection_path(root: Path, collection_id: str) -> Path:
    """The file of collection ``collection_id``."""
    return root / collection_id / COLLECTION_FILE


def item_path(root: Path, collection_id: str, item_id: str) -> Path:
    """The file of item ``item_id`` in collection ``collection_id``."""
    return root / collection_id / item_id / f"{item_id}.json"


def collection_href(collection_id: str) -> str:
    """The href of a collection, relative to the root catalogue."""
    return f"./{collection_id}/{COLLECTION_FILE}"


def item_href(item_id: str) -> str:
    """The href of an item, relative to its collection."""
    return f"./{item_id}/{item_id}.json"
