"""stac-validator, an independent implementation, accepts the whole demo catalogue offline.

``stac-valid --recursive`` walks the catalogue ``stacsync demo`` built from its root, through
every collection to every item, and validates each object against the core schema and every
extension schema it declares, all taken from the offline schema store (a schema missing from
the store is an error, never a download). The test proves that:

* every object is valid, and stac-validator checked exactly the JSON objects of the tree
  (catalogue + collections + items), each once, so nothing is skipped silently;
* it used, for each object, the core schema and precisely the extensions the object declares;
* stacsync's own validator (``stacsync.api.validate``) agrees, object for object;
* the check has teeth: in a copy of the catalogue with one item's ``proj:shape`` of the wrong
  type, stac-validator reports that item, and only it, against the projection schema, and
  stacsync's validator reports the same file.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacsync import api
from stacsync.validation import SchemaStore, StacValidator
from tests.peers.e2e.conftest import DemoCatalog
from tests.peers.stac_validator_cli import StacValidatorReport

PROJ = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
CORE = "https://schemas.stacspec.org/v{version}/{kind}-spec/json-schema/{kind}.json"
KINDS = {"Catalog": "catalog", "Collection": "collection", "Feature": "item"}

Validate = Callable[..., StacValidatorReport]


def tree(root: Path) -> list[Path]:
    """Every STAC JSON file under ``root`` (stacsync's own state folder left out)."""
    return sorted(p for p in root.rglob("*.json") if not any(s.startswith(".") for s in p.parts))


def schema_urls(schema_dir: Path) -> dict[Path, str]:
    """Schema file in the store -> the URL it stands for."""
    mapping: dict[str, str] = json.loads((schema_dir / "schema-map.json").read_text())
    return {(schema_dir / rel).resolve(): url for url, rel in mapping.items()}


def expected_schemas(obj: dict[str, Any]) -> set[str]:
    """The schemas an object must be checked against: its core schema and its extensions."""
    core = CORE.format(version=obj["stac_version"], kind=KINDS[obj["type"]])
    return {core, *obj.get("stac_extensions", [])}


@pytest.fixture(scope="module")
def demo_report(stac_validator: Validate, demo_catalog: DemoCatalog) -> StacValidatorReport:
    """stac-validator's recursive report on the demo catalogue."""
    return stac_validator(demo_catalog.catalog_json, recursive=True)


def test_every_object_of_the_demo_catalogue_is_valid(
    demo_report: StacValidatorReport, demo_catalog: DemoCatalog, schema_dir: Path
) -> None:
    collections, items = demo_catalog.collections(), demo_catalog.items()
    objects = sorted([demo_catalog.catalog_json, *collections, *items])
    assert tree(demo_catalog.root) == objects  # the fixture's view misses no JSON file
    assert len(collections) >= 2 and len(items) > len(collections)
    report = demo_report

    assert report.valid, report.failures or report.output
    assert len(report.entries) == len(objects)
    assert sorted(report.paths) == objects  # each object once, none skipped
    kinds = Counter(entry["asset_type"] for entry in report.entries)
    assert kinds == {"CATALOG": 1, "COLLECTION": len(collections), "ITEM": len(items)}
    assert demo_catalog.report["validation"]["checked"] == len(objects)

    urls = schema_urls(schema_dir)
    for entry, path in zip(report.entries, report.paths, strict=True):
        used = {urls.get(Path(schema).resolve(), schema) for schema in entry["schema"]}
        assert used == expected_schemas(json.loads(path.read_text())), path


def test_stacsync_validator_agrees(
    demo_report: StacValidatorReport, demo_catalog: DemoCatalog, schema_dir: Path
) -> None:
    ours = api.validate(demo_catalog.catalog_json, schemas=SchemaStore(store=schema_dir))
    assert ours.ok, [obj.as_dict() for obj in ours.invalid]
    assert ours.checked == len(demo_report.entries) == len(tree(demo_catalog.root))

    validator = StacValidator(SchemaStore(store=schema_dir))
    for entry, path in zip(demo_report.entries, demo_report.paths, strict=True):
        problems = validator.validate(json.loads(path.read_text()))
        assert (problems == []) is (entry["valid_stac"] is True), (path, problems)


@pytest.fixture
def broken_copy(demo_catalog: DemoCatalog, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the demo catalogue with one item's ``proj:shape`` a string: (root, item)."""
    root = tmp_path / "catalog"
    shutil.copytree(demo_catalog.root, root, ignore=shutil.ignore_patterns(".stacsync*"))
    (victim,) = (p for p in demo_catalog.items() if p.stem == demo_catalog.cog_items()[0]["id"])
    broken = root / victim.relative_to(demo_catalog.root)
    item = json.loads(broken.read_text())
    assert isinstance(item["assets"]["data"]["proj:shape"], list)
    item["assets"]["data"]["proj:shape"] = "134x245"
    broken.write_text(json.dumps(item))
    return root, broken


def test_a_broken_item_is_reported_by_both_validators(
    stac_validator: Validate, broken_copy: tuple[Path, Path], schema_dir: Path
) -> None:
    root, broken = broken_copy

    report = stac_validator(root / "catalog.json")

    assert not report.valid
    assert report.returncode == 1
    (failure,) = report.failures
    assert Path(failure["path"]).resolve() == broken
    assert failure["error_type"] == "JSONSchemaValidationError"
    assert "proj:shape" in failure["error_message"]
    assert report.failed_schemas == [PROJ]

    ours = api.validate(root / "catalog.json", schemas=SchemaStore(store=schema_dir))
    assert [obj.path.resolve() for obj in ours.invalid] == [broken]
    (invalid,) = ours.invalid
    assert any("proj:shape" in problem.location for problem in invalid.problems)
    assert any(problem.rule.startswith(PROJ) for problem in invalid.problems)
