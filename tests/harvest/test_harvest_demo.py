"""The demo catalogue end to end against the sandbox: valid, incremental, byte-stable."""

from __future__ import annotations

import os

from stacsync.api import validate
from stacsync.validation import SchemaStore
from tests.harvest.conftest import demo, run_harvest


def files(root) -> dict[str, tuple[int, float]]:
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if ".stacsync.lock" in path:
                continue
            stat = os.stat(path)
            found[os.path.relpath(path, root)] = (stat.st_ino, stat.st_mtime_ns)
    return found


def test_demo_builds_a_valid_catalogue_and_a_rerun_changes_nothing(
    sandbox, configs, tmp_path, schema_dir
):
    root = tmp_path / "demo"
    first = run_harvest(demo(root), configs)
    assert first.ok, first.failures
    rows = {c: (r.new, r.updated, r.unchanged) for c, r in first.collections.items()}
    assert rows == {
        "tree-cover-density-2018": (1, 0, 0),
        "high-resolution-layer-imperviousness-density-2018": (1, 0, 0),
        "clc-backbone-2018-raster": (1, 0, 0),
        "terrascope-s2-ndvi-v2": (4, 0, 0),
    }
    report = validate(root / "catalog.json", schemas=SchemaStore(store=schema_dir))
    assert report.ok, [(o.path, o.problems) for o in report.invalid]
    assert report.checked == 12
    before = files(root)
    posts = len(sandbox.log.entries(path_prefix="/api/@datarequest_post"))

    second = run_harvest(demo(root), configs)
    assert second.ok and second.changed == 0 and second.files_written == 0
    assert sum(r.unchanged for r in second.collections.values()) == 7
    assert files(root) == before  # not one file rewritten, not even the ledger
    assert len(sandbox.log.entries(path_prefix="/api/@datarequest_post")) == posts


def test_dry_run_contacts_nobody_and_writes_nothing(sandbox, configs, tmp_path):
    root = tmp_path / "dry"
    report = run_harvest(demo(root), configs, dry_run=True)
    assert not root.exists()
    assert len(sandbox.log) == 0
    assert [p["source"] for p in report.plan] == [
        "tcd-2018-evian",
        "imd-2018-switzerland",
        "backbone-evian",
        "s2-ndvi-summer",
    ]
    assert report.plan[3]["search"]["collections"] == ["terrascope-s2-ndvi-v2"]
