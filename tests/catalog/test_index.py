"""The collection index: a cache of item ids, used only while it describes the collection file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stacsync.catalog import CatalogInfo, CatalogStore, index

from .test_store import CID, coll_file, make_collection, make_item, read

INFO = CatalogInfo(id="demo", description="Copernicus land data")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "cat"
    with CatalogStore.open(path, create=INFO) as store:
        store.upsert_collection(make_collection(title="Indexed"))
        store.upsert_items([make_item(f"i{n}", x=n) for n in range(5)])
    return path


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Collections whose file the store parses."""
    seen: list[str] = []
    real = CatalogStore._parse_collection

    def spy(self: CatalogStore, cid: str) -> Any:
        seen.append(cid)
        return real(self, cid)

    monkeypatch.setattr(CatalogStore, "_parse_collection", spy)
    return seen


def test_the_index_lists_the_items_and_the_stored_extent(root: Path) -> None:
    known = index.load(root, CID)
    assert known is not None
    assert known.item_ids == {f"i{n}" for n in range(5)}
    assert known.extent == read(coll_file(root))["extent"]
    assert index.index_path(root, CID).parent == root / ".stacsync" / "index"


def test_reopening_reads_the_index_not_the_collection(root: Path, parses: list[str]) -> None:
    parses.clear()
    with CatalogStore.open(root) as store:
        assert store.item_ids(CID) == [f"i{n}" for n in range(5)]
        report = store.upsert_items([make_item("i2", x=2, extra={"changed": True})])
    assert (report.updated, report.files_written) == (1, [root / CID / "i2" / "i2.json"])
    assert parses == []


def test_a_new_item_after_an_indexed_open_keeps_the_collection(
    root: Path, parses: list[str]
) -> None:
    before = read(coll_file(root))
    with CatalogStore.open(root) as store:
        store.upsert_items([make_item("new", x=9)])
    after = read(coll_file(root))
    assert parses == [CID]  # its own fields were needed to rewrite it
    assert after["title"] == "Indexed" and after["license"] == before["license"]
    assert after["extent"]["spatial"]["bbox"] == [[0.0, 50.0, 10.0, 51.0]]
    hrefs = [link["href"] for link in after["links"] if link["rel"] == "item"]
    assert "./new/new.json" in hrefs and len(hrefs) == 6
    known = index.load(root, CID)
    assert known is not None and "new" in known.item_ids


def test_a_collection_edited_behind_the_index_is_read_again(root: Path) -> None:
    path = coll_file(root)
    raw = path.read_bytes()
    assert b'"./i4/i4.json"' in raw
    with path.open("r+b") as file:  # in place, same size, maybe in the same clock tick
        file.write(raw.replace(b'"./i4/i4.json"', b'"./z4/z4.json"'))
    assert index.load(root, CID) is None
    with CatalogStore.open(root) as store:
        assert store.item_ids(CID) == ["i0", "i1", "i2", "i3", "z4"]


@pytest.mark.parametrize(
    "content",
    [b"", b"not json\ni0", b'{"version": 99}\ni0', b"\xff\xfe", None],
    ids=["empty", "garbage", "other-version", "not-utf8", "missing"],
)
def test_a_broken_or_missing_index_is_ignored_and_rebuilt(
    root: Path, content: bytes | None
) -> None:
    path = index.index_path(root, CID)
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)
    with CatalogStore.open(root) as store:
        assert store.item_ids(CID) == [f"i{n}" for n in range(5)]
    assert index.load(root, CID) is not None  # rebuilt


def test_a_truncated_index_is_ignored(root: Path) -> None:
    path = index.index_path(root, CID)
    head, _, body = path.read_bytes().partition(b"\n")
    path.write_bytes(head + b"\n" + body.rsplit(b"\n", 1)[0])  # the last id lost
    assert index.load(root, CID) is None
    with CatalogStore.open(root) as store:
        assert len(store.item_ids(CID)) == 5
