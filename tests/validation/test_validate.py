"""Validating catalogues offline: the store, the cache with an injected fetch, the report."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacsync import api
from stacsync.catalog import CatalogStore
from stacsync.errors import SchemaUnavailableError
from stacsync.events import ObjectValidated
from stacsync.validation import SchemaStore, StacValidator, walk
from stacsync.validation.schemas import MAP_FILE
from tests.catalog.test_store import CID, FILE, INFO, PROJ, make_collection, make_item

CORE_ITEM = "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"
UNKNOWN_EXT = "https://stac-extensions.github.io/not-a-real-extension/v9.9.9/schema.json"


def build(root: Path, items: list[dict[str, Any]]) -> Path:
    with CatalogStore.open(root, create=INFO) as store:
        store.upsert_collection(make_collection())
        store.upsert_items(items)
    return root / "catalog.json"


def item_path(root: Path, iid: str) -> Path:
    return root / CID / iid / f"{iid}.json"


def edit_item(root: Path, iid: str, change: Callable[[dict[str, Any]], None]) -> Path:
    path = item_path(root, iid)
    data = json.loads(path.read_bytes())
    change(data)
    path.write_text(json.dumps(data))
    return path


def items(n: int) -> list[dict[str, Any]]:
    return [make_item(f"item-{i:03d}", x=i % 90, day=1 + i % 28) for i in range(n)]


class Fetcher:
    """Plays the web from the offline store (by map URL, or by a schema's ``$id`` as a
    redirect would), counting every call."""

    def __init__(self, schema_dir: Path, *, fail: bool = False) -> None:
        self.dir = schema_dir
        self.map: dict[str, str] = json.loads((schema_dir / MAP_FILE).read_bytes())
        self.by_id: dict[str, str] = {}
        for rel in self.map.values():
            sid = json.loads((schema_dir / rel).read_bytes()).get("$id")
            if isinstance(sid, str):
                self.by_id.setdefault(sid.split("#", 1)[0], rel)
        self.calls: list[str] = []
        self.fail = fail

    def file(self, url: str) -> Path:
        return self.dir / (self.map.get(url) or self.by_id[url])

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if self.fail:
            raise SchemaUnavailableError(url, "download failed (no network in tests)")
        if url not in self.map and url not in self.by_id:
            raise SchemaUnavailableError(url, "not in the test store")
        return self.file(url).read_bytes()


class CountingStore(SchemaStore):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gets: Counter[str] = Counter()

    def get(self, url: str) -> dict[str, Any]:
        self.gets[url] += 1
        return super().get(url)


def never_fetch(url: str) -> bytes:
    raise AssertionError(f"fetched {url}")


# -- offline store -------------------------------------------------------------------------


def test_valid_catalogue(tmp_path: Path, schema_dir: Path) -> None:
    root = tmp_path / "cat"
    catalog = build(root, items(4))
    events: list[ObjectValidated] = []
    report = api.validate(catalog, schemas=SchemaStore(store=schema_dir), on_event=events.append)
    assert report.invalid == []
    assert report.ok
    assert report.checked == len(list(root.rglob("*.json"))) == 6
    assert [e.valid for e in events] == [True] * 6
    assert {e.path.resolve() for e in events} == {p.resolve() for p in root.rglob("*.json")}
    assert str(schema_dir) in report.schema_source
    as_dict = report.as_dict()
    assert (as_dict["valid"], as_dict["checked"], as_dict["invalid"]) == (True, 6, [])


def test_single_item_file_can_be_validated(tmp_path: Path, schema_dir: Path) -> None:
    root = tmp_path / "cat"
    build(root, items(2))
    report = api.validate(item_path(root, "item-001"), schemas=SchemaStore(store=schema_dir))
    assert (report.ok, report.checked) == (True, 1)


def test_broken_proj_shape_invalidates_exactly_that_item(tmp_path: Path, schema_dir: Path) -> None:
    root = tmp_path / "cat"
    catalog = build(root, items(5))
    bad = edit_item(root, "item-002", lambda d: d["properties"].update({"proj:shape": "bad"}))
    report = api.validate(catalog, schemas=SchemaStore(store=schema_dir))
    assert not report.ok
    assert report.checked == 7
    assert len(report.invalid) == 1
    invalid = report.invalid[0]
    assert invalid.path == bad
    assert (invalid.id, invalid.type) == ("item-002", "Feature")
    assert invalid.problems
    for problem in invalid.problems:
        assert problem.location == "$.properties['proj:shape']"
        assert problem.rule.startswith(PROJ + "#/")
        assert "proj:shape" in problem.rule
    assert any("'bad' is not of type 'array'" in p.message for p in invalid.problems)
    data = report.as_dict()
    assert data["valid"] is False
    assert data["invalid"][0]["path"] == str(bad)
    assert data["invalid"][0]["problems"][0]["rule"].startswith(PROJ)


def test_missing_linked_file_and_invalid_json(tmp_path: Path, schema_dir: Path) -> None:
    root = tmp_path / "cat"
    catalog = build(root, items(4))
    missing = item_path(root, "item-001")
    missing.unlink()
    garbled = item_path(root, "item-003")
    garbled.write_bytes(b'{"type": "Feature", "id": ')
    report = api.validate(catalog, schemas=SchemaStore(store=schema_dir))
    assert report.checked == 6
    by_path = {obj.path.resolve(): obj for obj in report.invalid}
    assert set(by_path) == {missing.resolve(), garbled.resolve()}
    gone = by_path[missing.resolve()].problems
    assert len(gone) == 1
    assert "linked file does not exist" in gone[0].message
    assert str(root / CID / "collection.json") in gone[0].message
    assert gone[0].rule == "readable JSON"
    broken = by_path[garbled.resolve()].problems
    assert "not valid JSON" in broken[0].message
    assert by_path[garbled.resolve()].id is None


def test_non_stac_json_is_reported(tmp_path: Path, schema_dir: Path) -> None:
    root = tmp_path / "cat"
    build(root, items(1))
    edit_item(root, "item-000", lambda d: d.update({"type": "Banana"}))
    report = api.validate(root / "catalog.json", schemas=SchemaStore(store=schema_dir))
    assert len(report.invalid) == 1
    assert "not a STAC Item" in report.invalid[0].problems[0].message


def test_unknown_extension_is_schema_unavailable_not_a_pass(
    tmp_path: Path, schema_dir: Path
) -> None:
    root = tmp_path / "cat"
    catalog = build(root, items(3))
    path = edit_item(root, "item-000", lambda d: d["stac_extensions"].append(UNKNOWN_EXT))
    report = api.validate(catalog, schemas=SchemaStore(store=schema_dir))
    assert not report.ok
    assert [obj.path for obj in report.invalid] == [path]
    problems = report.invalid[0].problems
    assert len(problems) == 1
    assert problems[0].rule == UNKNOWN_EXT
    assert problems[0].message.startswith("schema unavailable")
    assert problems[0].location == "$"


def test_validator_directly(schema_dir: Path) -> None:
    validator = StacValidator(SchemaStore(store=schema_dir))
    item = make_item("loose")
    item["links"] = [{"rel": "collection", "href": "./c.json"}]
    assert validator.validate(item) == []
    assert validator.schema_urls(item) == [CORE_ITEM, PROJ, FILE]
    del item["stac_version"]
    assert validator.validate(item)[0].message == "no stac_version"


def test_walk_visits_each_file_once(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    build(root, items(3))
    visits = list(walk(root / "catalog.json"))
    assert [v.path.name for v in visits] == [
        "catalog.json",
        "collection.json",
        "item-000.json",
        "item-001.json",
        "item-002.json",
    ]
    assert all(v.error is None and v.obj is not None for v in visits)
    assert visits[2].linked_from == root / CID / "collection.json"


def test_offline_store_refuses_missing_map(tmp_path: Path) -> None:
    store = SchemaStore(store=tmp_path)
    with pytest.raises(SchemaUnavailableError, match=MAP_FILE):
        store.get(CORE_ITEM)
    with pytest.raises(ValueError, match="store folder or a cache folder"):
        SchemaStore()


# -- cache with an injected fetch ------------------------------------------------------------


def test_cache_fetches_each_url_once_and_persists(tmp_path: Path, schema_dir: Path) -> None:
    root = tmp_path / "cat"
    catalog = build(root, items(3))
    cache = tmp_path / "schema-cache"
    fetch = Fetcher(schema_dir)
    store = SchemaStore(cache=cache, fetch=fetch)
    assert not store.offline
    assert str(cache) in store.describe()
    report = api.validate(catalog, schemas=store)
    assert report.ok, report.as_dict()
    assert report.checked == 5
    counts = Counter(fetch.calls)
    assert counts[CORE_ITEM] == 1
    assert counts[PROJ] == 1
    assert counts[FILE] == 1
    assert all(n == 1 for n in counts.values()), counts
    written = json.loads((cache / MAP_FILE).read_bytes())
    assert set(written) == set(counts)
    for url, rel in written.items():
        assert (cache / rel).read_bytes() == fetch.file(url).read_bytes()

    again = SchemaStore(cache=cache, fetch=never_fetch)
    second = api.validate(catalog, schemas=again)
    assert second.ok
    assert second.checked == 5


def test_failing_fetch_makes_objects_invalid(tmp_path: Path, schema_dir: Path) -> None:
    root = tmp_path / "cat"
    catalog = build(root, items(2))
    fetch = Fetcher(schema_dir, fail=True)
    report = api.validate(catalog, schemas=SchemaStore(cache=tmp_path / "c", fetch=fetch))
    assert not report.ok
    assert report.checked == 4
    assert len(report.invalid) == 4
    for obj in report.invalid:
        assert any(p.message.startswith("schema unavailable") for p in obj.problems)
    assert not (tmp_path / "c" / MAP_FILE).exists()


def test_fetch_failure_for_one_extension_only(tmp_path: Path, schema_dir: Path) -> None:
    root = tmp_path / "cat"
    catalog = build(root, items(2))
    edit_item(root, "item-001", lambda d: d["stac_extensions"].append(UNKNOWN_EXT))
    fetch = Fetcher(schema_dir)
    report = api.validate(catalog, schemas=SchemaStore(cache=tmp_path / "c", fetch=fetch))
    assert [obj.id for obj in report.invalid] == ["item-001"]
    problem = report.invalid[0].problems[0]
    assert problem.rule == UNKNOWN_EXT
    assert "schema unavailable" in problem.message
    assert UNKNOWN_EXT in fetch.calls


def test_validator_compiles_once(tmp_path: Path, schema_dir: Path) -> None:
    fetch = Fetcher(schema_dir)
    store = CountingStore(cache=tmp_path / "c", fetch=fetch)
    validator = StacValidator(store)
    for iid, item in enumerate(items(50)):
        item["links"] = [{"rel": "collection", "href": "../collection.json"}]
        assert validator.validate(item) == [], iid
        if iid == 0:
            first = Counter(store.gets)
    assert Counter(fetch.calls)[PROJ] == 1
    assert all(n == 1 for n in Counter(fetch.calls).values())
    # nothing is looked up again after the first item: validators and refs are reused
    assert store.gets == first
    assert store.gets[PROJ] <= 2
