"""Where STAC JSON schemas come from: a local schema store, or the web once and then a cache.

A schema store is a folder with a ``schema-map.json`` that maps schema URLs to file paths
relative to the map (the layout of the offline store the tests use). The user cache is a
store of the same shape that stacsync fills itself: each schema is fetched once, written
atomically, and read from disk ever after.
"""

from __future__ import annotations

import hashlib
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from stacsync.atomic import write_atomic
from stacsync.errors import SchemaUnavailableError

MAP_FILE = "schema-map.json"
FETCH_TIMEOUT = 30.0

Fetch = Callable[[str], bytes]
"""Downloads a URL's bytes (injected so tests never touch the network)."""


def normalize(url: str) -> str:
    """A schema URL without its fragment or a trailing ``#``."""
    return url.split("#", 1)[0]


def fetch_url(url: str) -> bytes:
    """Download ``url`` over HTTP(S)."""
    if not url.startswith(("https://", "http://")):
        raise SchemaUnavailableError(url, "only http(s) schema URLs can be fetched")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            data: bytes = response.read()
            return data
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SchemaUnavailableError(url, f"download failed ({exc})") from exc


BUNDLED_STORE = Path(__file__).resolve().parent / "store"
"""The schemas shipped with stacsync (STAC core, GeoJSON, PROJJSON, the extensions it writes)."""


class SchemaStore:
    """Schemas by URL, from a read-only store folder or a self-filling cache folder.

    With ``store`` set, only that folder is used (fully offline): a schema missing from its
    map is an error. Otherwise schemas are read from ``cache`` and, when missing there,
    downloaded with ``fetch`` and added to it.
    """

    def __init__(
        self,
        *,
        store: Path | None = None,
        cache: Path | None = None,
        fetch: Fetch = fetch_url,
    ) -> None:
        if store is None and cache is None:
            raise ValueError("a schema store needs a store folder or a cache folder")
        self.store = store
        self.cache = cache
        self._fetch = fetch
        self._folder = store if store is not None else cache
        self._map: dict[str, str] | None = None
        self._schemas: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def offline(self) -> bool:
        """Whether schemas only come from a local store."""
        return self.store is not None

    def describe(self) -> str:
        """Where schemas come from, for messages."""
        if self.store is not None:
            return f"schema store {self.store}"
        return f"schema cache {self.cache} (missing schemas are downloaded once)"

    def _mapping(self) -> dict[str, str]:
        if self._map is not None:
            return self._map
        assert self._folder is not None
        path = self._folder / MAP_FILE
        mapping: dict[str, str] = {}
        if path.exists():
            try:
                raw = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                raise SchemaUnavailableError(str(path), f"unreadable schema map ({exc})") from exc
            if not isinstance(raw, dict):
                raise SchemaUnavailableError(str(path), "the schema map is not a JSON object")
            mapping = {normalize(str(k)): str(v) for k, v in raw.items()}
        elif self.store is not None:
            raise SchemaUnavailableError(str(path), f"no {MAP_FILE} in the schema store")
        self._map = mapping
        return mapping

    def get(self, url: str) -> dict[str, Any]:
        """The schema at ``url``; raises :class:`SchemaUnavailableError` if it cannot be had."""
        key = normalize(url)
        with self._lock:
            if key in self._schemas:
                return self._schemas[key]
            schema = self._load(key)
            self._schemas[key] = schema
            sid = schema.get("$id")
            if isinstance(sid, str):  # some schemas are referenced by their $id
                self._schemas.setdefault(normalize(sid), schema)
            return schema

    def _load(self, key: str) -> dict[str, Any]:
        mapping = self._mapping()
        assert self._folder is not None
        if key in mapping:
            return self._parse(key, (self._folder / mapping[key]).read_bytes())
        if self.store is not None:
            alias = self._find_by_id(key)
            if alias is not None:
                return alias
            raise SchemaUnavailableError(key, f"not in the offline schema store {self.store}")
        data = self._fetch(key)
        schema = self._parse(key, data)
        self._remember(key, data)
        return schema

    def _find_by_id(self, key: str) -> dict[str, Any] | None:
        """A stored schema whose ``$id`` (rather than its map URL) is ``key``."""
        assert self._folder is not None
        for url, rel in self._mapping().items():
            if url in self._schemas:
                continue
            schema = self._parse(url, (self._folder / rel).read_bytes())
            self._schemas[url] = schema
            sid = schema.get("$id")
            if isinstance(sid, str) and normalize(sid) == key:
                return schema
        return None

    def _parse(self, key: str, data: bytes) -> dict[str, Any]:
        try:
            schema = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise SchemaUnavailableError(key, f"not valid JSON ({exc})") from exc
        if not isinstance(schema, dict):
            raise SchemaUnavailableError(key, "not a JSON object")
        return schema

    def _remember(self, key: str, data: bytes) -> None:
        assert self.cache is not None
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        rel = f"schemas/{digest}.json"
        write_atomic(self.cache / rel, data)
        mapping = self._mapping()
        mapping[key] = rel
        write_atomic(self.cache / MAP_FILE, orjson.dumps(mapping, option=orjson.OPT_INDENT_2))
