from __future__ import annotations

import asyncio
from pathlib import Path

from stacsync.sync import Outcome, PullOptions, StateDB, Status, pull
from tests.sync.helpers import TOC, configs, make_catalog, read_item, remote_path, sandbox_items


def test_pull_then_noop(tmp_path: Path, terrascope) -> None:
    sb = terrascope()
    items = sandbox_items(sb, 2)
    root = make_catalog(tmp_path / "cat", items)
    em = sb.emulator("terrascope")
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert report.failures == []
    assert report.fetched == 42
    for item in items:
        stored = read_item(root, TOC, item["id"])
        for key, asset in item["assets"].items():
            new = stored["assets"][key]
            assert new["href"].startswith("./")
            path = root / TOC / item["id"] / new["href"][2:]
            data = path.read_bytes()
            assert data == em.asset_bytes(remote_path(asset["href"]))
            assert new["alternate"]["remote"]["href"] == asset["href"]
            for name, alternate in (asset.get("alternate") or {}).items():
                assert new["alternate"][name] == alternate
            assert new["file:size"] == len(data)
            assert new["file:checksum"].startswith("1220")
    with StateDB(root, readonly=True) as state:
        rows = state.load()
    assert len(rows) == 42 and {r.status for r in rows.values()} == {Status.SYNCED}
    sb.log.clear()
    again = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert again.count(Outcome.SKIPPED) == 42
    assert sb.log.entries(path_prefix="/download/") == []
