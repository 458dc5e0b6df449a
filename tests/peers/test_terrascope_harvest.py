"""The Terrascope harvester against a real STAC API (stac-fastapi-pgstac on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from stacsync.api import validate
from stacsync.definition import TerrascopeSource, definition_from_source, parse_datetime_interval
from stacsync.harvest import HarvestOptions, harvest
from stacsync.transport import ProviderConfig, load_provider_configs
from stacsync.validation import SchemaStore
from tests.peers.terrascope_items import S2_TOC, terrascope_collection, terrascope_item

pytestmark = pytest.mark.peers


def configs_for(url: str) -> dict[str, ProviderConfig]:
    configs = load_provider_configs(
        environ={"STACSYNC_TERRASCOPE_STAC_API_URL": url.rstrip("/")}, use_netrc=False
    )
    return configs


def test_harvest_from_stac_fastapi_pgstac(pgstac_api, tmp_path, schema_dir):
    pgstac_api.reset()
    days = [date(2026, 8, 1) + timedelta(days=i) for i in range(12)]
    items = [terrascope_item(day) for day in days]
    items += [terrascope_item(day, square="DN", dx=5.0) for day in days[:3]]  # elsewhere
    pgstac_api.load([terrascope_collection()], items)
    source = TerrascopeSource(
        name="s2",
        collections=(S2_TOC,),
        bbox=(0.5, 47.0, 1.5, 47.5),
        datetime=parse_datetime_interval("2026-08-01/2026-08-10"),
    )
    definition = definition_from_source(source, tmp_path / "cat")
    configs = configs_for(pgstac_api.url)
    report = asyncio.run(harvest(definition, configs, HarvestOptions()))
    assert report.ok, report.failures
    assert report.collections[S2_TOC].new == 10
    found = sorted(p.name for p in (tmp_path / "cat" / S2_TOC).iterdir() if p.is_dir())
    assert found == sorted(i["id"] for i in items[:10])
    valid = validate(tmp_path / "cat" / "catalog.json", schemas=SchemaStore(store=schema_dir))
    assert valid.ok, [(o.path, o.problems) for o in valid.invalid]
    again = asyncio.run(harvest(definition, configs, HarvestOptions()))
    assert again.changed == 0 and again.files_written == 0
