"""Deterministic JSON for catalogue files: sorted keys, two-space indent, final newline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from stacsync.errors import CorruptCatalogError

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def dumps(obj: object) -> bytes:
    """The canonical bytes of a catalogue object."""
    return orjson.dumps(obj, option=_OPTIONS)


def loads(data: bytes, path: Path) -> dict[str, Any]:
    """Parse a catalogue file's bytes, naming ``path`` if they are not a JSON object."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise CorruptCatalogError(path, f"not valid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise CorruptCatalogError(path, "not a JSON object")
    return obj


def read_bytes(path: Path) -> bytes:
    """The bytes of a catalogue file, naming ``path`` if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CorruptCatalogError(path, f"cannot be read ({exc.strerror or exc})") from exc


def read(path: Path) -> dict[str, Any]:
    """Read and parse a catalogue file."""
    return loads(read_bytes(path), path)
