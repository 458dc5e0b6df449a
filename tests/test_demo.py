"""``stacsync demo``, ``pull`` and ``status`` from the command line, twice."""

from __future__ import annotations

import json
import random

from typer.testing import CliRunner

from stacsync.cli import app


def test_demo_twice_then_status(monkeypatch, tmp_path):
    monkeypatch.setenv("STACSYNC_SANDBOX_PORT", str(random.randrange(12000, 30000, 10)))
    runner = CliRunner()
    catalog = tmp_path / "demo"
    first = runner.invoke(app, ["demo", "--catalog", str(catalog), "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["validation"]["invalid"] == []
    assert report["pull"]["fetched"] == 11 and report["pull"]["converted"] >= 2
    assert report["pull"]["failures"] == []
    cogs = list(catalog.glob("*/*/*/*.tif")) + list(catalog.glob("*/*/*.tif"))
    assert cogs

    second = runner.invoke(app, ["demo", "--catalog", str(catalog), "--json"])
    assert second.exit_code == 0, second.output
    again = json.loads(second.stdout)
    assert again["pull"]["fetched"] == 0 and again["pull"]["skipped"] == 11
    assert again["harvest"]["files_written"] == 0

    status = runner.invoke(app, ["status", str(catalog), "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["counts"]["synced"] == 11

    plan = runner.invoke(app, ["pull", str(catalog), "--dry-run"])
    assert plan.exit_code == 0 and json.loads(plan.stdout)["counts"]["skip"] == 11
