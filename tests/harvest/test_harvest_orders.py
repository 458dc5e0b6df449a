"""Order lifecycles: failures reported per request, restarts pick up what was submitted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacsync.errors import AuthError, OrderFailedError, PayloadError
from stacsync.harvest.model import WITHDRAWN
from stacsync.transport import ProviderConfig
from tests.harvest.conftest import demo, run_harvest

POSTS = "/api/@datarequest_post"


def posts(sandbox) -> int:
    return len(sandbox.log.entries(path_prefix=POSTS))


def test_clms_task_left_running_is_picked_up_not_ordered_again(stacsync_sandbox_factory, tmp_path):
    from tests.transport.conftest import configs_for

    sb = stacsync_sandbox_factory(raster_size=32, settings={"clms.order_delay": "3"})
    configs = configs_for(sb)
    root = tmp_path / "c"
    first = run_harvest(demo(root, "tcd-2018-evian"), configs, max_wait=0.0)
    assert first.ok and first.waiting and "task" in first.waiting[0]
    assert posts(sb) == 1
    ledger = json.loads((root / ".stacsync" / "harvest.json").read_text())
    assert ledger["orders"]["tcd-2018-evian"]
    sb.clock.advance(10)
    second = run_harvest(demo(root, "tcd-2018-evian"), configs)
    assert second.ok and not second.waiting
    assert second.collections["tree-cover-density-2018"].new == 1
    assert posts(sb) == 1  # the same task, not a second order


def test_lost_ledger_finds_the_submitted_task_again(sandbox, configs, tmp_path):
    root = tmp_path / "c"
    run_harvest(demo(root, "tcd-2018-evian"), configs, max_wait=0.0)
    (root / ".stacsync" / "harvest.json").unlink()
    report = run_harvest(demo(root, "tcd-2018-evian"), configs)
    assert report.ok and report.collections["tree-cover-density-2018"].new == 1
    assert posts(sandbox) == 1


def test_failed_clms_task_is_reported_and_the_rest_continues(sandbox, configs, tmp_path):
    root = tmp_path / "c"
    run_harvest(demo(root, "tcd-2018-evian"), configs, max_wait=0.0)
    emulator: Any = sandbox.emulator("clms")
    ledger = json.loads((root / ".stacsync" / "harvest.json").read_text())
    (order,) = ledger["orders"]["tcd-2018-evian"].values()
    emulator.force_status(order["task_id"], "Finished_nok", "FME failed: no data in area")
    report = run_harvest(demo(root, "tcd-2018-evian", "s2-ndvi-summer"), configs)
    assert [type(e) for _, e in report.failures] == [OrderFailedError]
    assert "FME failed: no data in area" in str(report.failures[0][1])
    assert report.collections["tree-cover-density-2018"].failed == 1
    assert report.collections["terrascope-s2-ndvi-v2"].new == 4
    # The failed task is forgotten: the next run orders again.
    assert not json.loads((root / ".stacsync" / "harvest.json").read_text())["orders"].get(
        "tcd-2018-evian"
    )


def test_failed_backbone_order_and_restart(sandbox, configs, tmp_path):
    root = tmp_path / "b"
    emulator: Any = sandbox.emulator("backbone")
    from stacsync.sandbox.backbone.orders import Status

    emulator.service.orders.fail_next(Status.FAILED)
    report = run_harvest(demo(root, "backbone-evian"), configs)
    assert [type(e) for _, e in report.failures] == [OrderFailedError]
    again = run_harvest(demo(root, "backbone-evian"), configs)
    assert again.ok and again.collections["clc-backbone-2018-raster"].new == 1


def test_items_gone_upstream_are_kept_and_marked_withdrawn(sandbox, configs, tmp_path):
    root = tmp_path / "t"
    definition = demo(root, "s2-ndvi-summer")
    first = run_harvest(definition, configs)
    ids = sorted(p.name for p in (root / "terrascope-s2-ndvi-v2").iterdir() if p.is_dir())
    assert first.ok and len(ids) == 4
    from dataclasses import replace

    source = replace(definition.sources[0], ids=tuple(ids[:3]))
    second = run_harvest(replace(definition, sources=(source,)), configs)
    row = second.collections["terrascope-s2-ndvi-v2"]
    assert (row.withdrawn, row.unchanged) == (1, 3)
    gone = json.loads((root / "terrascope-s2-ndvi-v2" / ids[3] / f"{ids[3]}.json").read_text())
    assert gone["properties"][WITHDRAWN] is True
    third = run_harvest(definition, configs)  # back upstream: the mark goes away
    assert third.collections["terrascope-s2-ndvi-v2"].updated == 1


def test_bad_upstream_json_is_a_failure_and_keeps_what_was_there(
    stacsync_sandbox_factory, tmp_path
):
    from tests.transport.conftest import configs_for

    sb = stacsync_sandbox_factory(raster_size=32)
    root = tmp_path / "t"
    good = run_harvest(demo(root, "s2-ndvi-summer"), configs_for(sb))
    assert good.ok
    broken = stacsync_sandbox_factory(
        raster_size=32,
        settings={"terrascope.truncate_rate": "1", "terrascope.path_prefix": "/search"},
    )
    report = run_harvest(demo(root, "s2-ndvi-summer"), configs_for(broken))
    assert [type(e) for _, e in report.failures] in ([PayloadError], [])
    assert len(list((root / "terrascope-s2-ndvi-v2").glob("*/*.json"))) == 4


def test_refused_credentials_stop_with_an_auth_error(sandbox, configs, tmp_path):
    from pydantic import SecretStr

    wrong = dict(configs)
    wrong["backbone"] = ProviderConfig(
        **{**configs["backbone"].model_dump(), "client_secret": SecretStr("nope-nope")}
    )
    with pytest.raises(AuthError) as caught:
        run_harvest(demo(tmp_path / "b", "backbone-evian"), wrong)
    assert caught.value.provider == "backbone"
