"""``stacsync harvest`` from the command line: --sandbox, ad-hoc sources, exit codes."""

from __future__ import annotations

import json
import random

from typer.testing import CliRunner

from stacsync.cli import app
from tests.harvest.conftest import DEMO


def runner(monkeypatch) -> CliRunner:
    monkeypatch.setenv("STACSYNC_SANDBOX_PORT", str(random.randrange(12000, 30000, 10)))
    return CliRunner()


def test_demo_with_sandbox_json_summary(monkeypatch, tmp_path):
    result = runner(monkeypatch).invoke(
        app,
        ["harvest", str(DEMO), "--sandbox", "--catalog", str(tmp_path / "d"), "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {r["collection"]: r["new"] for r in summary["collections"]}["terrascope-s2-ndvi-v2"] == 4
    assert summary["failures"] == []


def test_adhoc_terrascope_harvest(monkeypatch, tmp_path):
    result = runner(monkeypatch).invoke(
        app,
        [
            "harvest",
            "terrascope",
            "--sandbox",
            "--collection",
            "terrascope-s2-ndvi-v2",
            "--bbox",
            "6.49,46.31,6.80,46.42",
            "--datetime",
            "2024-06-01/2024-08-31",
            "--max-items",
            "3",
            "--catalog",
            str(tmp_path / "adhoc"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "terrascope-s2-ndvi-v2" in result.stdout
    assert len(list((tmp_path / "adhoc" / "terrascope-s2-ndvi-v2").glob("*/*.json"))) == 3


def test_usage_errors_exit_2_with_the_key_named(monkeypatch, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\npath = "out"\n[[sources]]\nname = "a"\nprovider = "nope"\n')
    result = runner(monkeypatch).invoke(app, ["harvest", str(bad), "--dry-run"])
    assert result.exit_code == 2
    assert "sources[0]" in result.stderr
    result = runner(monkeypatch).invoke(app, ["harvest", "terrascope", "--collection", "x"])
    assert result.exit_code == 2 and "--catalog" in result.stderr


def test_refused_credentials_exit_3(monkeypatch, tmp_path, stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(providers=("backbone",))
    described = sb.describe()["backbone"]
    for name, url in described["endpoints"].items():
        monkeypatch.setenv(f"STACSYNC_BACKBONE_{name.upper()}_URL", url)
    monkeypatch.setenv("STACSYNC_BACKBONE_USER_ID", described["credentials"]["user_id"])
    monkeypatch.setenv("STACSYNC_BACKBONE_CLIENT_SECRET", "wrong-secret-value")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc, no config file
    result = CliRunner().invoke(
        app,
        ["harvest", str(DEMO), "--source", "backbone-evian", "--catalog", str(tmp_path / "x")],
    )
    assert result.exit_code == 3, result.output
    assert "backbone" in result.stderr and "token request refused" in result.stderr
    assert "wrong-secret-value" not in result.output
