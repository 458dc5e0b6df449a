"""A small catalogue, a stand-in STAC Browser build, and ``stacsync browse`` serving them."""

from __future__ import annotations

import http.client
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stacsync import api
from stacsync.browse import BrowseServer
from stacsync.config import Settings

ITEM = "coll/item-1/item-1.json"
DATA = "coll/item-1/item-1.tif"
DATA_SIZE = 50_000
INDEX_HTML = (
    '<!doctype html><html><head><script defer="defer" src="/config.js"></script>'
    "</head><body>stand-in STAC Browser</body></html>\n"
)


def _write_json(path: Path, document: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """catalog.json -> coll/collection.json -> coll/item-1/item-1.json with a data file,
    plus the state a stacsync catalogue carries (.stacsync/, .stacsync.lock)."""
    root = tmp_path / "cat"
    _write_json(
        root / "catalog.json",
        {
            "type": "Catalog",
            "id": "cat",
            "stac_version": "1.1.0",
            "description": "test",
            "links": [{"rel": "child", "href": "./coll/collection.json"}],
        },
    )
    _write_json(
        root / "coll" / "collection.json",
        {
            "type": "Collection",
            "id": "coll",
            "links": [{"rel": "item", "href": "./item-1/item-1.json"}],
        },
    )
    _write_json(root / ITEM, {"type": "Feature", "id": "item-1", "assets": {}, "links": []})
    (root / DATA).write_bytes(random.Random(7).randbytes(DATA_SIZE))
    (root / ".stacsync").mkdir()
    (root / ".stacsync" / "state.sqlite").write_bytes(b"SQLite format 3\0secret state")
    (root / ".stacsync.lock").write_text("")
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file next to the catalogue, which must never be served."""
    path = tmp_path / "outside.txt"
    path.write_text("not part of the catalogue\n")
    return path


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A stand-in for a built STAC Browser: an index.html loading /config.js and one asset."""
    folder = tmp_path / "dist"
    (folder / "js").mkdir(parents=True)
    (folder / "index.html").write_text(INDEX_HTML)
    (folder / "js" / "app.js").write_text("console.log('app');\n")
    return folder


@pytest.fixture
def served(catalogue: Path, dist: Path) -> Iterator[BrowseServer]:
    """``stacsync browse`` on a free port of 127.0.0.1 with the stand-in build."""
    with api.browse(catalogue, Settings(), port=0, browser=dist) as server:
        yield server


@pytest.fixture
def served_without_browser(catalogue: Path) -> Iterator[BrowseServer]:
    """``stacsync browse`` with no STAC Browser built (an empty cache)."""
    with api.browse(catalogue, Settings(), port=0) as server:
        yield server


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(
    server: BrowseServer, path: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> Reply:
    """One request with the path sent exactly as given (no normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


def symlink(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)
