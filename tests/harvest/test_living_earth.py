"""catalogs/living-earth.toml against the sandbox: every layer the Living Earth workflow needs."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from stacsync.api import validate
from stacsync.definition import load_definition
from stacsync.errors import ProviderWarning
from stacsync.validation import SchemaStore
from tests.harvest.conftest import REPO, run_harvest

LIVING_EARTH = REPO / "catalogs" / "living-earth.toml"
HRL_2018 = {
    "water-and-wetness-2018",
    "high-resolution-layer-imperviousness-density-2018",
    "forest-type-2018",
    "grassland-2018",
    "tree-cover-density-2018",
    "dominant-leaf-type-2018",
}


@pytest.mark.slow
def test_living_earth_harvests_every_layer_of_the_workflow(sandbox, configs, tmp_path, schema_dir):
    definition = replace(load_definition(LIVING_EARTH), path=tmp_path / "living-earth")
    # The extent of a NUTS region is not known before delivery: those items get their
    # footprint when pulled, and the harvest says so.
    with pytest.warns(ProviderWarning, match="NUTS 'FRK28'") as warned:
        first = run_harvest(definition, configs, max_wait=60.0)
    assert len(warned) == len(HRL_2018)
    assert first.ok, first.failures
    assert not first.waiting
    rows = {c: r.new for c, r in first.collections.items()}
    # Each HRL layer twice: a NUTS FRK28 extraction and the pre-packaged France file.
    assert {c: rows[c] for c in HRL_2018} == dict.fromkeys(HRL_2018, 2)
    assert rows["clc-backbone-2018-raster"] == 1
    assert rows["esa-worldcover-map-10m-2020-v1"] == rows["esa-worldcover-map-10m-2021-v2"] == 1
    assert rows["terrascope-s2-ndvi-v2"] > 0
    assert set(rows) == HRL_2018 | {
        "clc-backbone-2018-raster",
        "esa-worldcover-map-10m-2020-v1",
        "esa-worldcover-map-10m-2021-v2",
        "terrascope-s2-ndvi-v2",
    }

    # One extraction request per dataset, so each layer is its own task and item.
    posts = sandbox.log.entries(path_prefix="/api/@datarequest_post")
    assert len(posts) == len(HRL_2018)
    root = definition.path
    extracted = [
        json.loads(p.read_text())
        for p in root.glob("*-2018/*/*.json")
        if p.stem == p.parent.name and "order:id" in p.read_text()
    ]
    assert extracted, "no CLMS extraction item"

    # NDVI items all fall in the 2024 season.
    for path in root.glob("terrascope-s2-ndvi-v2/*/*.json"):
        when = json.loads(path.read_text())["properties"]["datetime"]
        assert "2024-05-01" <= when[:10] <= "2024-10-31", path

    report = validate(root / "catalog.json", schemas=SchemaStore(store=schema_dir))
    assert report.ok, [(o.path, o.problems) for o in report.invalid]

    again = run_harvest(definition, configs, max_wait=60.0)
    assert again.ok and again.changed == 0 and again.files_written == 0
    assert len(sandbox.log.entries(path_prefix="/api/@datarequest_post")) == len(HRL_2018)
