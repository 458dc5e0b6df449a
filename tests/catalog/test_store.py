"""The static catalogue store: layout, relative links, extents, incremental and atomic writes,
determinism and locking."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pystac
import pytest

from stacsync import atomic
from stacsync.atomic import TEMP_SUFFIX, temp_path, write_atomic
from stacsync.catalog import CatalogInfo, CatalogStore, UpsertReport, writer
from stacsync.errors import CatalogError, CatalogLockedError, CorruptCatalogError, InvalidIdError

PROJ = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
FILE = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
CID = "clms-ndvi-300m-v2"
INFO = CatalogInfo(id="demo", description="Copernicus land data", title="Demo")


def make_item(
    iid: str,
    *,
    cid: str = CID,
    x: float = 4.0,
    y: float = 50.0,
    day: int = 1,
    shape: Any = (256, 256),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A realistic CLMS-like item with projection and file fields."""
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
    props: dict[str, Any] = {
        "datetime": f"2024-01-{day:02d}T00:00:00Z",
        "proj:code": "EPSG:4326",
        "proj:shape": list(shape) if isinstance(shape, tuple) else shape,
        "proj:transform": [1 / 256, 0.0, x, 0.0, -1 / 256, y + 1],
        "platform": "sentinel-3a",
    }
    props.update(extra or {})
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [PROJ, FILE],
        "id": iid,
        "collection": cid,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [x, y, x + 1, y + 1],
        "properties": props,
        "assets": {
            "ndvi": {
                "href": f"https://land.copernicus.example/{iid}.tif",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
                "file:size": 123456,
                "file:checksum": "1220" + "ab" * 32,
            }
        },
        "links": [
            {"rel": "license", "href": "https://land.copernicus.eu/en/data-policy"},
            {"rel": "self", "href": "/somewhere/else.json"},
        ],
    }


def make_pystac_item(iid: str, *, cid: str = CID, x: float = 10.0, day: int = 5) -> pystac.Item:
    data = make_item(iid, cid=cid, x=x, day=day)
    item = pystac.Item(
        id=iid,
        geometry=data["geometry"],
        bbox=data["bbox"],
        datetime=datetime(2024, 1, day, tzinfo=UTC),
        properties={k: v for k, v in data["properties"].items() if k != "datetime"},
        stac_extensions=[PROJ, FILE],
        collection=cid,
    )
    item.add_asset(
        "ndvi",
        pystac.Asset(
            href=f"https://land.copernicus.example/{iid}.tif",
            media_type=pystac.MediaType.COG,
            roles=["data"],
            extra_fields={"file:size": 99, "file:checksum": "1220" + "cd" * 32},
        ),
    )
    return item


def make_collection(cid: str = CID, *, title: str = "NDVI 300 m") -> pystac.Collection:
    return pystac.Collection(
        id=cid,
        description=f"The {cid} collection",
        title=title,
        license="CC-BY-4.0",
        extent=pystac.Extent(
            pystac.SpatialExtent([[-180.0, -90.0, 180.0, 90.0]]),
            pystac.TemporalExtent([[None, None]]),
        ),
    )


def build(root: Path, items: Iterable[Any], collections: Iterable[str] = (CID,)) -> None:
    with CatalogStore.open(root, create=INFO) as store:
        for cid in collections:
            store.upsert_collection(make_collection(cid))
        store.upsert_items(items)


def json_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


def catalogue_files(root: Path) -> list[Path]:
    """Every file of the catalogue, leaving out its state folder (machine-local caches)."""
    state = root / ".stacsync"
    return [p for p in sorted(root.rglob("*")) if p.is_file() and state not in p.parents]


def signature(root: Path) -> dict[Path, tuple[int, int]]:
    """(inode, mtime_ns) of every file: a replaced file gets a new inode."""
    out = {}
    for p in catalogue_files(root):
        st = p.stat()
        out[p] = (st.st_ino, st.st_mtime_ns)
    return out


def temps(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.name.endswith(TEMP_SUFFIX))


def read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_bytes())
    assert isinstance(data, dict)
    return data


def coll_file(root: Path, cid: str = CID) -> Path:
    return root / cid / "collection.json"


def item_file(root: Path, iid: str, cid: str = CID) -> Path:
    return root / cid / iid / f"{iid}.json"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "catalogue"


@pytest.fixture(autouse=True, params=["unnamed-files", "temporary-files", "child-processes"])
def write_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs three ways: new files written as unnamed files (O_TMPFILE, Linux);
    with the portable fallback (a temporary file renamed into place), forced by hiding
    O_TMPFILE; and with item files written by child processes from the first chunk on."""
    mode = str(request.param)
    if mode == "temporary-files":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    elif mode == "child-processes":
        monkeypatch.setattr(writer, "CHUNK_ITEMS", 2)
        monkeypatch.setattr(writer, "PROCESS_THRESHOLD", 0)
        monkeypatch.setattr(writer, "default_processes", lambda: 2)
    elif not atomic.unnamed_files_available():
        pytest.skip("no unnamed files (O_TMPFILE) on this system")
    return mode


@pytest.fixture
def in_process_writes(write_mode: str) -> None:
    """For tests that patch os functions: item files must be written by this process."""
    if write_mode == "child-processes":
        pytest.skip("item files are written by child processes, out of the patch's reach")


# -- layout and links ------------------------------------------------------------------


def test_layout_on_disk(root: Path) -> None:
    items = [make_item(f"item-{i}", x=i) for i in range(3)]
    build(root, [*items, make_pystac_item("py-item")])
    names = {p.relative_to(root).as_posix() for p in json_files(root)}
    assert names == {
        "catalog.json",
        f"{CID}/collection.json",
        f"{CID}/item-0/item-0.json",
        f"{CID}/item-1/item-1.json",
        f"{CID}/item-2/item-2.json",
        f"{CID}/py-item/py-item.json",
    }
    cat = read(root / "catalog.json")
    assert cat["type"] == "Catalog"
    assert (cat["id"], cat["description"], cat["title"]) == ("demo", INFO.description, "Demo")
    assert cat["stac_version"] == "1.1.0"
    stored = read(item_file(root, "item-1"))
    assert stored["properties"]["proj:shape"] == [256, 256]
    assert stored["assets"]["ndvi"]["file:size"] == 123456
    assert stored["stac_extensions"] == [PROJ, FILE]
    py = read(item_file(root, "py-item"))
    assert py["assets"]["ndvi"]["file:checksum"] == "1220" + "cd" * 32
    assert py["properties"]["datetime"].startswith("2024-01-05T00:00:00")
    assert py["collection"] == CID


def test_every_href_is_relative_and_resolves(root: Path) -> None:
    build(root, [make_item(f"i{i}", x=i) for i in range(4)] + [make_pystac_item("p")])
    structural = {"root", "parent", "child", "item", "collection", "self"}
    for path in json_files(root):
        for link in read(path)["links"]:
            href = link["href"]
            if link["rel"] not in structural:
                continue
            assert link["rel"] != "self", f"{path} has a self link"
            assert "://" not in href and not href.startswith("/"), (path, href)
            assert (path.parent / href).resolve().is_file(), (path, href)
    # the caller's own non-structural links survive, its self link does not
    links = read(item_file(root, "i0"))["links"]
    assert {"rel": "license", "href": "https://land.copernicus.eu/en/data-policy"} in links
    assert [lk["rel"] for lk in links if lk["rel"] in structural] == [
        "root",
        "parent",
        "collection",
    ]


def test_catalogue_is_readable_by_pystac(root: Path) -> None:
    build(
        root,
        [make_item(f"a{i}", cid="coll-a", x=i) for i in range(5)]
        + [make_item(f"b{i}", cid="coll-b", x=i) for i in range(3)]
        + [make_pystac_item("b-py", cid="coll-b")],
        collections=("coll-a", "coll-b"),
    )
    cat = pystac.Catalog.from_file(str(root / "catalog.json"))
    assert cat.id == "demo"
    assert sorted(c.id for c in cat.get_children()) == ["coll-a", "coll-b"]
    walked = {(parent.id, item.id) for parent, _, items in cat.walk() for item in items}
    assert len(walked) == 9
    assert ("coll-b", "b-py") in walked
    items = list(cat.get_items(recursive=True))
    assert len(items) == 9
    by_id = {i.id: i for i in items}
    assert by_id["a3"].bbox == [3.0, 50.0, 4.0, 51.0]
    assert by_id["a3"].collection_id == "coll-a"
    assert Path(by_id["a3"].get_self_href() or "") == item_file(root, "a3", "coll-a")
    assert by_id["b-py"].assets["ndvi"].extra_fields["file:size"] == 99


def test_pystac_objects_and_dicts_are_not_mutated(root: Path) -> None:
    data = make_item("keep")
    before = json.dumps(data, sort_keys=True)
    item = make_pystac_item("keep-py")
    item_before = item.to_dict(include_self_link=False)
    build(root, [data, item])
    assert json.dumps(data, sort_keys=True) == before
    assert item.to_dict(include_self_link=False) == item_before


def test_reopen_reads_what_was_written(root: Path) -> None:
    build(root, [make_item("b", x=1), make_item("a", x=0)])
    with CatalogStore.open(root) as store:
        assert store.collection_ids == [CID]
        assert store.item_ids(CID) == ["a", "b"]
        assert store.read_item(CID, "b")["bbox"] == [1.0, 50.0, 2.0, 51.0]
        assert [i["id"] for i in store.iter_items(CID)] == ["a", "b"]
        assert store.read_collection(CID)["title"] == "NDVI 300 m"
        with pytest.raises(CatalogError, match="'nope' is not in the catalogue"):
            store.item_ids("nope")


def test_files_are_canonical_json(root: Path) -> None:
    build(root, [make_item("a")])
    for path in json_files(root):
        raw = path.read_bytes()
        assert raw.endswith(b"}\n")
        obj = json.loads(raw)
        assert (
            raw == (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        )


# -- extents -----------------------------------------------------------------------------


def extent_of(root: Path, cid: str = CID) -> tuple[list[float], list[str | None]]:
    ext = read(coll_file(root, cid))["extent"]
    return ext["spatial"]["bbox"][0], ext["temporal"]["interval"][0]


def test_extent_is_computed_from_items(root: Path) -> None:
    items = [
        make_item("west", x=-10.5, y=40.0, day=3),
        make_item("north", x=2.0, y=60.25, day=7),
        make_item("late", x=0.0, y=45.0, day=20),
    ]
    ranged = make_item("ranged", x=5.0, y=42.0, day=10)
    ranged["properties"].update(
        {
            "datetime": None,
            "start_datetime": "2023-12-25T00:00:00Z",
            "end_datetime": "2024-01-10T12:00:00Z",
        }
    )
    build(root, [*items, ranged])
    bbox, interval = extent_of(root)
    assert bbox == [-10.5, 40.0, 6.0, 61.25]
    assert interval == ["2023-12-25T00:00:00Z", "2024-01-20T00:00:00Z"]


def test_extent_with_3d_bbox(root: Path) -> None:
    item = make_item("tall", x=1.0, y=2.0)
    item["bbox"] = [1.0, 2.0, -5.0, 2.0, 3.0, 100.0]
    build(root, [item])
    assert extent_of(root)[0] == [1.0, 2.0, 2.0, 3.0]


def test_collection_without_items_keeps_its_extent(root: Path) -> None:
    build(root, [])
    bbox, interval = extent_of(root)
    assert bbox == [-180.0, -90.0, 180.0, 90.0]
    assert interval == [None, None]
    assert [lk["rel"] for lk in read(coll_file(root))["links"]] == ["root", "parent"]


# -- incremental writes ------------------------------------------------------------------


def three_items() -> list[dict[str, Any]]:
    return [make_item(f"item-{i}", x=float(i), day=i + 1) for i in range(3)]


def test_identical_upsert_writes_nothing(root: Path) -> None:
    build(root, three_items())
    before = signature(root)
    contents = {p: p.read_bytes() for p in json_files(root)}
    with CatalogStore.open(root, create=INFO) as store:
        assert not store.upsert_collection(make_collection()).changed
        report = store.upsert_items(three_items())
    assert report.unchanged == 3
    assert (report.created, report.updated) == (0, 0)
    assert report.files_written == []
    assert not report.changed
    assert signature(root) == before
    assert {p: p.read_bytes() for p in json_files(root)} == contents


def test_property_change_rewrites_only_that_item(root: Path) -> None:
    build(root, three_items())
    before = signature(root)
    changed = three_items()
    changed[1]["properties"]["proj:shape"] = [512, 512]
    with CatalogStore.open(root) as store:
        report = store.upsert_items(changed)
    target = item_file(root, "item-1")
    assert report.files_written == [target]
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    after = signature(root)
    assert after[target] != before[target]
    assert read(target)["properties"]["proj:shape"] == [512, 512]
    for path in before:
        if path != target:
            assert after[path] == before[path], f"{path} was rewritten"


def test_extent_growth_rewrites_item_and_collection_only(root: Path) -> None:
    build(root, three_items())
    before = signature(root)
    changed = three_items()
    changed[2] = make_item("item-2", x=7.0, day=15)
    with CatalogStore.open(root) as store:
        report = store.upsert_items(changed)
    assert report.files_written == [item_file(root, "item-2"), coll_file(root)]
    assert extent_of(root) == (
        [0.0, 50.0, 8.0, 51.0],
        ["2024-01-01T00:00:00Z", "2024-01-15T00:00:00Z"],
    )
    after = signature(root)
    assert after[root / "catalog.json"] == before[root / "catalog.json"]
    assert after[item_file(root, "item-0")] == before[item_file(root, "item-0")]


@pytest.mark.parametrize("reopen", [False, True], ids=["same-session", "new-session"])
def test_extent_shrinks_when_boundary_items_move_inward(root: Path, reopen: bool) -> None:
    moved = [make_item("item-2", x=0.5, day=2), make_item("item-0", x=1.0, day=2)]
    with CatalogStore.open(root, create=INFO) as store:
        store.upsert_collection(make_collection())
        store.upsert_items(three_items())
        assert extent_of(root) == (
            [0.0, 50.0, 3.0, 51.0],
            ["2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"],
        )
        if not reopen:
            report = store.upsert_items(moved)
    if reopen:
        with CatalogStore.open(root) as store:
            report = store.upsert_items(moved)
    assert report.updated == 2
    assert coll_file(root) in report.files_written
    # item-0 -> [1, 2], item-1 stays [1, 2], item-2 -> [0.5, 1.5]; all on 2 January
    assert extent_of(root) == (
        [0.5, 50.0, 2.0, 51.0],
        ["2024-01-02T00:00:00Z", "2024-01-02T00:00:00Z"],
    )


def test_interior_move_keeps_collection(root: Path) -> None:
    items = [make_item(f"i{i}", x=float(i), day=i + 1) for i in range(5)]
    build(root, items)
    before = signature(root)
    with CatalogStore.open(root) as store:
        report = store.upsert_items([make_item("i2", x=2.5, day=3)])
    assert report.files_written == [item_file(root, "i2")]
    assert signature(root)[coll_file(root)] == before[coll_file(root)]


def test_new_item_adds_a_sorted_link(root: Path) -> None:
    build(root, [make_item("b"), make_item("d")])
    before = signature(root)
    with CatalogStore.open(root) as store:
        report = store.upsert_items([make_item("c"), make_item("a")])
        assert store.item_ids(CID) == ["a", "b", "c", "d"]
    assert (report.created, report.unchanged) == (2, 0)
    hrefs = [lk["href"] for lk in read(coll_file(root))["links"] if lk["rel"] == "item"]
    assert hrefs == ["./a/a.json", "./b/b.json", "./c/c.json", "./d/d.json"]
    after = signature(root)
    assert after[item_file(root, "b")] == before[item_file(root, "b")]
    assert after[root / "catalog.json"] == before[root / "catalog.json"]


def test_new_collection_adds_a_sorted_child(root: Path) -> None:
    build(root, [], collections=("zeta",))
    with CatalogStore.open(root) as store:
        report = store.upsert_collection(make_collection("alpha"))
    assert report.files_written == [coll_file(root, "alpha"), root / "catalog.json"]
    children = [lk["href"] for lk in read(root / "catalog.json")["links"] if lk["rel"] == "child"]
    assert children == ["./alpha/collection.json", "./zeta/collection.json"]


def test_collection_metadata_update_keeps_items_and_extent(root: Path) -> None:
    build(root, three_items())
    with CatalogStore.open(root) as store:
        report = store.upsert_collection(make_collection(title="Renamed"))
    assert report.files_written == [coll_file(root)]
    data = read(coll_file(root))
    assert data["title"] == "Renamed"
    assert data["extent"]["spatial"]["bbox"] == [[0.0, 50.0, 3.0, 51.0]]
    assert len([lk for lk in data["links"] if lk["rel"] == "item"]) == 3


def test_same_item_twice_in_one_batch_last_wins(root: Path) -> None:
    build(root, [])
    with CatalogStore.open(root) as store:
        store.upsert_items([make_item("dup", day=1), make_item("dup", day=9)])
    assert read(item_file(root, "dup"))["properties"]["datetime"] == "2024-01-09T00:00:00Z"
    assert extent_of(root)[1] == ["2024-01-09T00:00:00Z", "2024-01-09T00:00:00Z"]


def test_many_items_in_one_batch(root: Path) -> None:
    items = [make_item(f"n{i:04d}", x=(i % 50) * 0.1, day=1 + i % 28) for i in range(700)]
    build(root, items)
    with CatalogStore.open(root) as store:
        report = store.upsert_items(items)
        assert len(store.item_ids(CID)) == 700
    assert report.unchanged == 700
    assert len(json_files(root)) == 702


# -- determinism -------------------------------------------------------------------------


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in catalogue_files(root)}


def test_builds_are_byte_identical_whatever_the_order(tmp_path: Path) -> None:
    def content() -> list[Any]:
        return (
            [make_item(f"a{i}", cid="coll-a", x=i * 0.5, day=1 + i) for i in range(12)]
            + [make_item(f"b{i}", cid="coll-b", x=-i, day=20 - i) for i in range(6)]
            + [make_pystac_item("b-py", cid="coll-b")]
        )

    first, second = tmp_path / "one", tmp_path / "nested" / "two"
    build(first, content(), collections=("coll-a", "coll-b"))

    shuffled = content()
    random.Random(7).shuffle(shuffled)
    with CatalogStore.open(second, create=INFO) as store:
        store.upsert_collection(make_collection("coll-b"))
        store.upsert_collection(make_collection("coll-a"))
        store.upsert_items(shuffled[:7])
        store.upsert_items(reversed(shuffled[7:]))

    one, two = tree(first), tree(second)
    assert sorted(one) == sorted(two)
    assert len([k for k in one if k.endswith(".json")]) == 1 + 2 + 19
    for name in one:
        assert one[name] == two[name], f"{name} differs"


# -- atomicity ---------------------------------------------------------------------------


class Crash(OSError):
    pass


def crash_once(monkeypatch: pytest.MonkeyPatch, target: Path) -> list[str]:
    """Make the first publication of ``target`` fail, as if the process died just before it.

    A file is published by ``os.replace`` of its temporary file or, when it is new, by
    ``os.link`` of an unnamed file; returns the source of the failed call.
    """
    calls: list[str] = []

    def failing(real: Any) -> Any:
        def publish(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            if os.fspath(dst) == os.fspath(target) and not calls:
                calls.append(os.fspath(src))
                raise Crash("simulated crash just before the file gets its name")
            real(src, dst, *args, **kwargs)

        return publish

    monkeypatch.setattr(os, "replace", failing(os.replace))
    monkeypatch.setattr(os, "link", failing(os.link))
    return calls


def test_crash_before_replace_keeps_old_item(
    root: Path, monkeypatch: pytest.MonkeyPatch, in_process_writes: None
) -> None:
    build(root, three_items())
    target = item_file(root, "item-1")
    old = target.read_bytes()
    changed = three_items()
    changed[1]["properties"]["proj:shape"] = [1, 1]
    calls = crash_once(monkeypatch, target)
    with CatalogStore.open(root) as store:
        with pytest.raises(Crash):
            store.upsert_items(changed)
        assert calls == [temp_path(target)]
        assert target.read_bytes() == old
        json.loads(target.read_bytes())
        assert temps(root) == []
        report = store.upsert_items(changed)
    assert report.files_written == [target]
    assert read(target)["properties"]["proj:shape"] == [1, 1]
    assert temps(root) == []
    assert (
        len(list(pystac.Catalog.from_file(str(root / "catalog.json")).get_items(recursive=True)))
        == 3
    )


def test_crash_writing_collection_is_adopted_next_time(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(root, three_items())
    coll = coll_file(root)
    old = coll.read_bytes()
    crash_once(monkeypatch, coll)
    new = make_item("item-9", x=9.0, day=9)
    with CatalogStore.open(root) as store, pytest.raises(Crash):
        store.upsert_items([new])
    # the new item is on disk, but nothing links to it yet, and the collection is intact
    assert item_file(root, "item-9").is_file()
    assert coll.read_bytes() == old
    assert temps(root) == []
    assert (
        len(list(pystac.Catalog.from_file(str(root / "catalog.json")).get_items(recursive=True)))
        == 3
    )
    # a new session (as after a restart) adopts the orphan without rewriting it
    with CatalogStore.open(root) as store:
        report = store.upsert_items([*three_items(), new])
    assert report.unchanged == 4
    assert report.files_written == [coll]
    assert extent_of(root)[0] == [0.0, 50.0, 10.0, 51.0]
    items = list(pystac.Catalog.from_file(str(root / "catalog.json")).get_items(recursive=True))
    assert len(items) == 4


def test_crash_writing_root_keeps_old_root(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(root, [])
    cat = root / "catalog.json"
    old = cat.read_bytes()
    crash_once(monkeypatch, cat)
    with CatalogStore.open(root) as store, pytest.raises(Crash):
        store.upsert_collection(make_collection("second"))
    assert cat.read_bytes() == old
    assert temps(root) == []
    with CatalogStore.open(root) as store:
        store.upsert_collection(make_collection("second"))
    assert pystac.Catalog.from_file(str(cat)).get_child("second") is not None


def test_failed_new_item_is_not_linked_by_the_next_upsert(
    root: Path, monkeypatch: pytest.MonkeyPatch, in_process_writes: None
) -> None:
    build(root, three_items())
    ghost = make_item("ghost", x=90.0)
    crash_once(monkeypatch, item_file(root, "ghost"))
    with CatalogStore.open(root) as store:
        with pytest.raises(Crash):
            store.upsert_items([ghost])
        store.upsert_items([make_item("item-3", x=3.0, day=4)])
    assert not item_file(root, "ghost").exists()
    hrefs = [lk["href"] for lk in read(coll_file(root))["links"] if lk["rel"] == "item"]
    assert "./ghost/ghost.json" not in hrefs
    assert extent_of(root)[0] == [0.0, 50.0, 4.0, 51.0]


def test_leftover_temp_file_is_harmless_and_replaced(root: Path) -> None:
    build(root, three_items())
    target = item_file(root, "item-0")
    leftover = Path(temp_path(target))
    assert leftover == target.parent / ".item-0.json.stacsync-tmp"
    leftover.write_bytes(b'{"type": "Feature", "id": "item-0", "half')
    root_leftover = Path(temp_path(root / "catalog.json"))
    root_leftover.write_bytes(b"{")
    # readers never follow it
    cat = pystac.Catalog.from_file(str(root / "catalog.json"))
    assert len(list(cat.get_items(recursive=True))) == 3
    changed = three_items()
    changed[0]["properties"]["platform"] = "sentinel-3b"
    with CatalogStore.open(root) as store:
        report = store.upsert_items(changed)
        store.upsert_collection(make_collection("other"))
    assert report.files_written == [target]
    assert read(target)["properties"]["platform"] == "sentinel-3b"
    assert not leftover.exists()
    assert not root_leftover.exists()
    assert temps(root) == []


def test_item_folder_left_by_a_crash_is_filled_next_time(
    root: Path, monkeypatch: pytest.MonkeyPatch, in_process_writes: None
) -> None:
    build(root, three_items())
    late = make_item("late", x=5.0)
    with monkeypatch.context() as patch:
        crash_once(patch, item_file(root, "late"))
        with CatalogStore.open(root) as store, pytest.raises(Crash):
            store.upsert_items([late])
    assert item_file(root, "late").parent.is_dir()
    assert list(item_file(root, "late").parent.iterdir()) == []
    with CatalogStore.open(root) as store:
        report = store.upsert_items([late])
    assert (report.created, report.files_written[0]) == (1, item_file(root, "late"))
    assert read(item_file(root, "late"))["bbox"] == [5.0, 50.0, 6.0, 51.0]
    assert temps(root) == []


def test_stale_temporary_in_an_unlinked_folder_is_replaced(root: Path) -> None:
    build(root, three_items())
    folder = item_file(root, "new").parent
    folder.mkdir()
    Path(temp_path(item_file(root, "new"))).write_bytes(b'{"half')
    with CatalogStore.open(root) as store:
        report = store.upsert_items([make_item("new")])
    assert report.created == 1
    assert read(item_file(root, "new"))["id"] == "new"
    assert sorted(p.name for p in folder.iterdir()) == ["new.json"]


def spy_file_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record reads (os.open read-only), publications (os.link, os.replace) and os.fsync."""
    log: list[tuple[str, str]] = []
    real_open, real_link, real_replace, real_fsync = os.open, os.link, os.replace, os.fsync

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_ACCMODE == os.O_RDONLY:
            log.append(("read", os.fspath(path)))
        return real_open(path, flags, *args, **kwargs)

    def link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        real_link(src, dst, *args, **kwargs)
        log.append(("publish", os.fspath(dst)))

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        real_replace(src, dst, *args, **kwargs)
        log.append(("publish", os.fspath(dst)))

    def fsync(fd: int) -> None:
        log.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    return log


def test_a_new_catalogue_reads_no_item_file(
    root: Path, monkeypatch: pytest.MonkeyPatch, write_mode: str, in_process_writes: None
) -> None:
    log = spy_file_calls(monkeypatch)
    links: list[str] = []
    spied_link = os.link

    def link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        spied_link(src, dst, *args, **kwargs)
        links.append(os.fspath(dst))

    monkeypatch.setattr(os, "link", link)
    build(root, [make_item(f"n{i:03d}", x=i * 0.1) for i in range(200)])
    item_paths = {str(item_file(root, f"n{i:03d}")) for i in range(200)}
    assert not [path for what, path in log if what == "read" and path in item_paths]
    published = [path for what, path in log if what == "publish" and path in item_paths]
    assert sorted(published) == sorted(item_paths)  # each item file once
    if write_mode == "unnamed-files":
        assert sorted(links) == sorted(item_paths)  # linked in place, never renamed
    else:
        assert links == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="fsync'ed files named via /proc")
def test_durable_items_reach_the_disk_before_the_collection_links_them(
    root: Path, monkeypatch: pytest.MonkeyPatch, in_process_writes: None
) -> None:
    with CatalogStore.open(root, create=INFO, durable=True) as store:
        store.upsert_collection(make_collection())
        log = spy_file_calls(monkeypatch)
        store.upsert_items([make_item(f"d{i}", x=i) for i in range(40)])
    collection = str(coll_file(root))
    folder = str(coll_file(root).parent)
    position = {event: n for n, event in enumerate(log)}  # last occurrence of each event
    linked = position[("publish", collection)]
    assert ("fsync", temp_path(collection)) in position
    assert position[("fsync", temp_path(collection))] < linked < position[("fsync", folder)]
    first_folder_sync = log.index(("fsync", folder))
    assert first_folder_sync < linked  # the new item folders' entries
    for i in range(40):
        path = str(item_file(root, f"d{i}"))
        published = log.index(("publish", path))
        data_synced = [
            n
            for n, (what, name) in enumerate(log[:published])
            if what == "fsync"
            and (name == temp_path(path) or name.startswith(f"{Path(path).parent}/#"))
        ]
        assert data_synced, f"{path}: data not flushed before it got its name"
        assert published < log.index(("fsync", str(Path(path).parent))) < first_folder_sync


def test_write_atomic_creates_folders_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.json"
    write_atomic(target, b"one")
    assert target.read_bytes() == b"one"
    write_atomic(str(target), b"two", durable=True)
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.json"]
    assert temp_path(target) == str(target.parent / ".x.json.stacsync-tmp")


def test_write_atomic_write_error_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "new.json", object())  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]


def test_write_atomic_replace_error_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.json"
    target.write_bytes(b"old")
    crash_once(monkeypatch, target)
    with pytest.raises(Crash):
        write_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"


# -- locking -----------------------------------------------------------------------------


def test_second_writer_in_process_is_refused(root: Path) -> None:
    build(root, [])
    with CatalogStore.open(root):
        with pytest.raises(CatalogLockedError) as info, CatalogStore.open(root, lock_timeout=0.2):
            pass
        assert info.value.root == root
        assert str(root) in str(info.value)
        assert isinstance(info.value, CatalogError)
    with CatalogStore.open(root, lock_timeout=0.2) as store:
        assert store.collection_ids == [CID]


HOLDER = """
import sys
from pathlib import Path
from stacsync.catalog import CatalogStore
with CatalogStore.open(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


@pytest.fixture
def lock_holder(root: Path) -> Iterator[subprocess.Popen[str]]:
    build(root, [])
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_second_writer_across_processes_is_refused(
    root: Path, lock_holder: subprocess.Popen[str]
) -> None:
    assert lock_holder.stdout is not None and lock_holder.stdin is not None
    assert lock_holder.stdout.readline().strip() == "locked"
    with (
        pytest.raises(CatalogLockedError, match=re.escape(str(root))),
        CatalogStore.open(root, lock_timeout=0.2),
    ):
        pass
    lock_holder.stdin.write("\n")
    lock_holder.stdin.flush()
    assert lock_holder.stdout.readline().strip() == "released"
    assert lock_holder.wait(timeout=10) == 0
    with CatalogStore.open(root, lock_timeout=0.2) as store:
        assert store.collection_ids == [CID]


# -- errors ------------------------------------------------------------------------------


def test_items_of_unknown_collection_are_refused(root: Path) -> None:
    build(root, [])
    with CatalogStore.open(root) as store:
        with pytest.raises(CatalogError, match="'nowhere'"):
            store.upsert_items([make_item("x", cid="nowhere")])
        orphan = make_item("y")
        del orphan["collection"]
        with pytest.raises(CatalogError, match="upsert the collection first"):
            store.upsert_items([orphan])
    assert not (root / "nowhere").exists()
    assert not item_file(root, "y").exists()


def test_non_collection_is_refused(root: Path) -> None:
    build(root, [])
    with CatalogStore.open(root) as store:
        with pytest.raises(CatalogError, match="expected a STAC Collection"):
            store.upsert_collection(make_item("not-a-collection"))
        with pytest.raises(CatalogError, match="'Catalog'"):
            store.upsert_collection(pystac.Catalog(id="cat", description="d"))
        with pytest.raises(CatalogError):
            store.upsert_collection({"id": "typeless"})
        bad = make_collection().to_dict()
        bad["id"] = "../escape"
        with pytest.raises(InvalidIdError, match="escape"):
            store.upsert_collection(bad)
    assert not (root.parent / "escape").exists()
    assert [lk["href"] for lk in read(root / "catalog.json")["links"] if lk["rel"] == "child"] == [
        f"./{CID}/collection.json"
    ]


@pytest.mark.parametrize("iid", ["../../evil", ".hidden", "a/b", ""])
def test_hostile_item_ids_are_refused(root: Path, iid: str) -> None:
    build(root, [])
    before = tree(root.parent)
    with CatalogStore.open(root) as store, pytest.raises(InvalidIdError):
        store.upsert_items([make_item(iid)])
    assert tree(root.parent) == before


def test_opening_a_folder_without_catalogue(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no catalogue at"), CatalogStore.open(tmp_path):
        pass
    assert not (tmp_path / "catalog.json").exists()
    missing = tmp_path / "missing"
    with pytest.raises(CatalogError), CatalogStore.open(missing):
        pass
    assert not missing.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"type": "Catalog", "id": ', "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "Collection", "id": "x"}', "not a STAC Catalog"),
    ],
    ids=["truncated", "array", "wrong-type"],
)
def test_corrupt_catalog_names_the_path(root: Path, content: bytes, reason: str) -> None:
    build(root, [])
    path = root / "catalog.json"
    path.write_bytes(content)
    for create in (None, INFO):
        with (
            pytest.raises(CorruptCatalogError) as info,
            CatalogStore.open(root, create=create, lock_timeout=0.2),
        ):
            pass
        assert info.value.path == path
        assert str(path) in str(info.value)
        assert reason in str(info.value)
    assert path.read_bytes() == content


def test_corrupt_collection_names_the_path(root: Path) -> None:
    build(root, [make_item("a")])
    coll_file(root).write_bytes(b"{oops")
    with CatalogStore.open(root) as store, pytest.raises(CorruptCatalogError) as info:
        store.upsert_items([make_item("b")])
    assert info.value.path == coll_file(root)


def test_upsert_report_changed() -> None:
    assert not UpsertReport().changed
    assert UpsertReport(files_written=[Path("x")]).changed
