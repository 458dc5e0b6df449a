"""The COG step: GeoTIFF data assets become COGs after a verified transfer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from stacsync.cog import CogProfile, is_acceptable_cog, multihash_sha256
from stacsync.sync import PullOptions, pull, status
from stacsync.validation import SchemaStore, StacValidator
from tests.sync.helpers import TOC, configs, make_catalog, read_item, sandbox_items


def test_geotiff_becomes_a_cog(tmp_path: Path, terrascope, schema_dir: Path) -> None:
    sb = terrascope()
    item = sandbox_items(sb, 1, keys=("B04", "metadata"))[0]
    root = make_catalog(tmp_path / "cat", [item])
    report = asyncio.run(pull(root, configs(sb), PullOptions()))
    assert report.ok and report.converted == 1
    stored = read_item(root, TOC, item["id"])
    scl = stored["assets"]["B04"]
    path = root / TOC / item["id"] / scl["href"][2:]
    assert is_acceptable_cog(path, CogProfile())
    assert scl["type"].endswith("profile=cloud-optimized")
    assert scl["file:checksum"] == multihash_sha256(path)
    assert scl["file:size"] == path.stat().st_size
    assert stored["assets"]["metadata"]["href"].startswith("./")
    assert StacValidator(SchemaStore(store=schema_dir)).validate(stored) == []
    assert status(root).counts["synced"] == 2
    sb.log.clear()
    again = asyncio.run(pull(root, configs(sb), PullOptions()))
    assert again.skipped == 2 and sb.log.entries(path_prefix="/download/") == []
