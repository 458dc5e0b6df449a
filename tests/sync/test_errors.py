"""Bad input and failing destinations: clear per-asset errors, nothing synced is lost."""

from __future__ import annotations

import asyncio
import copy
import errno
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from stacsync.catalog import CatalogStore
from stacsync.errors import CatalogLockedError, ChecksumMismatchError, TransferError
from stacsync.sync import Outcome, PullOptions, pull
from stacsync.sync.destinations import LocalDestination
from tests.sync.helpers import TOC, configs, make_catalog, read_item, remote_path, sandbox_items


def _item(sb, keys=("B04", "SCL")) -> dict:
    return sandbox_items(sb, 1, keys=keys)[0]


def test_bad_assets_get_their_own_errors(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    item = _item(sb)
    good = item["assets"]["SCL"]["href"]
    html = tmp_path / "error.html"
    html.write_text("<!DOCTYPE html><html><title>Maintenance</title></html>")
    item["assets"].update(
        {
            "nohref": {"title": "no href", "roles": ["data"]},
            "ftp": {"href": "ftp://example.org/file.tif", "roles": ["data"]},
            "../../escape": {"href": good.rsplit("/", 1)[0] + "/", "roles": ["data"]},
            "html": {"href": html.as_uri(), "type": "image/tiff", "roles": ["data"]},
            "wrongsize": {**item["assets"]["B04"], "file:size": 12},
        }
    )
    root = make_catalog(tmp_path / "cat", [item])
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    failed = {what.rsplit(":", 1)[1]: error for what, error in report.failures}
    assert set(failed) == {"nohref", "ftp", "../../escape", "html", "wrongsize"}
    assert "no href" in str(failed["nohref"])
    assert "unsupported href scheme 'ftp'" in str(failed["ftp"])
    assert "outside the item's folder" in str(failed["../../escape"])
    assert "HTML page" in str(failed["html"])
    assert isinstance(failed["wrongsize"], ChecksumMismatchError)
    assert report.count(Outcome.FETCHED) == 2  # B04 and SCL themselves
    assert not list(root.rglob("*.part"))
    assert not list(tmp_path.parent.glob("escape*"))
    stored = read_item(root, TOC, item["id"])
    assert stored["assets"]["html"]["href"] == html.as_uri()  # untouched


def test_checksum_mismatch_keeps_the_previous_copy(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    item = _item(sb, ("B04",))
    root = make_catalog(tmp_path / "cat", [item])
    assert asyncio.run(pull(root, configs(sb), PullOptions(cog=False))).ok
    copy_path = root / TOC / item["id"] / Path(remote_path(item["assets"]["B04"]["href"])).name
    before = copy_path.read_bytes()
    # The provider now declares another checksum (a re-harvest): the pull fetches and refuses.
    changed = copy.deepcopy(item)
    changed["assets"]["B04"]["file:checksum"] = "1220" + "00" * 32
    with CatalogStore.open(root) as store:
        store.upsert_items([changed])
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert report.failed == 1
    ((_, error),) = report.failures
    assert isinstance(error, ChecksumMismatchError) and "file:checksum mismatch" in str(error)
    assert copy_path.read_bytes() == before
    assert not list(root.rglob("*.part"))


def test_truncated_body_is_a_size_mismatch(tmp_path: Path, terrascope) -> None:
    sb = terrascope(truncate_rate=1.0, path_prefix="/download/")
    root = make_catalog(tmp_path / "cat", [_item(sb, ("B04",))])
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    ((_, error),) = report.failures
    assert isinstance(error, ChecksumMismatchError) and "file:size says" in str(error)


def test_disk_full_is_a_clean_error(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    first, second = sandbox_items(sb, 2, keys=("B04",))
    root = make_catalog(tmp_path / "cat", [first])
    assert asyncio.run(pull(root, configs(sb), PullOptions(cog=False))).ok
    kept = {p: p.read_bytes() for p in root.rglob("*.tif")}
    with CatalogStore.open(root) as store:
        store.upsert_items([second])

    def full(fd: int, pieces: Sequence[bytes | memoryview]) -> int:
        """A disk with room for 50,000 bytes: short writes until it is full, then ENOSPC."""
        room = 50_000 - os.fstat(fd).st_size
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, b"".join(pieces)[:room])

    dest = LocalDestination(root, root, writer=full)
    options = PullOptions(cog=False, chunk_size=8192)
    report = asyncio.run(pull(root, configs(sb), options, destination=dest))
    ((what, error),) = report.failures
    assert second["id"] in what
    assert isinstance(error, TransferError) and "No space left on device" in str(error)
    assert {p: p.read_bytes() for p in root.rglob("*.tif")} == kept
    assert read_item(root, TOC, second["id"])["assets"]["B04"]["href"].startswith("http")
    # Space is back: the next run continues the part and completes.
    again = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert again.ok and again.resumed == 1


def test_second_pull_is_refused(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    root = make_catalog(tmp_path / "cat", [_item(sb)])
    with CatalogStore.open(root), pytest.raises(CatalogLockedError, match="locked by another"):
        asyncio.run(pull(root, configs(sb), PullOptions(cog=False, lock_timeout=0.1)))


def test_fail_fast_stops(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    items = sandbox_items(sb, 2, keys=("B04", "SCL"))
    items[0]["assets"]["B04"]["href"] = "ftp://example.org/x.tif"
    root = make_catalog(tmp_path / "cat", items)
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False, fail_fast=True)))
    assert report.stopped_early
    assert report.fetched < 3
