"""The COG step: GeoTIFF data assets become COGs after a verified transfer."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

from stacsync.cog import CogProfile, is_acceptable_cog, multihash_sha256
from stacsync.sync import PullOptions, pull, status
from stacsync.sync.rasters import zip_has_rasters
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


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_raster_deliveries_are_recognised_one_zip_level_down(tmp_path: Path) -> None:
    inner = _zip(tmp_path / "FTY_2018_010m_fr.zip", {"FTY_2018_010m_fr.tif": b"II*\0"})
    nested = _zip(tmp_path / "4281.zip", {inner.name: inner.read_bytes()})
    direct = _zip(tmp_path / "direct.zip", {"a/b.TIF": b"II*\0", "a/b.xml": b"<x/>"})
    texts = _zip(tmp_path / "texts.zip", {"readme.txt": b"no rasters", inner.name: b"not a zip"})
    assert zip_has_rasters(nested) and zip_has_rasters(direct)
    assert not zip_has_rasters(texts)
    assert not zip_has_rasters(tmp_path / "missing.zip")
