"""The command line: help, version, validate (text and JSON), usage errors, sandbox up."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stacsync import __version__
from stacsync.catalog import CatalogStore
from stacsync.cli import ExitCode, app
from tests.catalog.test_store import CID, INFO, PROJ, make_collection, make_item

runner = CliRunner()


def flat(text: str) -> str:
    """Text without line breaks or runs of spaces (stderr is wrapped at the console width)."""
    return " ".join(text.split())


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    with CatalogStore.open(root, create=INFO) as store:
        store.upsert_collection(make_collection())
        store.upsert_items([make_item(f"item-{i}", x=i) for i in range(3)])
    return root / "catalog.json"


def break_item(catalog: Path, iid: str = "item-1") -> Path:
    path = catalog.parent / CID / iid / f"{iid}.json"
    data = json.loads(path.read_bytes())
    data["properties"]["proj:shape"] = "bad"
    path.write_text(json.dumps(data))
    return path


def test_exit_codes() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"stacsync {__version__}"


def test_help_lists_commands_and_examples() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "validate" in result.stdout
    assert "sandbox" in result.stdout
    assert "Examples" in result.stdout
    assert "stacsync validate" in result.stdout
    assert "stacsync sandbox up" in result.stdout


def test_subcommand_help_has_examples() -> None:
    result = runner.invoke(app, ["validate", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout and "--schemas" in result.stdout
    result = runner.invoke(app, ["sandbox", "up", "--help"])
    assert result.exit_code == 0
    assert "--set" in result.stdout and "Example" in result.stdout


def test_validate_valid_catalogue(catalogue: Path, schema_dir: Path) -> None:
    result = runner.invoke(app, ["validate", str(catalogue), "--schemas", str(schema_dir)])
    assert result.exit_code == ExitCode.OK, result.output
    assert "5 objects checked" in result.stdout
    assert "valid" in result.stdout
    assert "INVALID" not in result.stdout


def test_validate_uses_schema_dir_from_environment(
    catalogue: Path, schema_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACSYNC_SCHEMA_DIR", str(schema_dir))
    result = runner.invoke(app, ["validate", str(catalogue)])
    assert result.exit_code == 0, result.output
    assert str(schema_dir) in result.stdout


def test_validate_broken_catalogue(catalogue: Path, schema_dir: Path) -> None:
    bad = break_item(catalogue)
    result = runner.invoke(app, ["validate", str(catalogue), "--schemas", str(schema_dir)])
    assert result.exit_code == ExitCode.FAILURES, result.output
    out = result.stdout
    assert f"INVALID {bad} (Feature item-1)" in out
    assert "$.properties['proj:shape']" in out
    assert f"rule: {PROJ}#/" in out
    assert "1 invalid" in out
    assert "item-0" not in out


def test_validate_json(catalogue: Path, schema_dir: Path) -> None:
    bad = break_item(catalogue, "item-2")
    result = runner.invoke(
        app, ["validate", str(catalogue), "--schemas", str(schema_dir), "--json"]
    )
    assert result.exit_code == 1, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["checked"] == 5
    assert [obj["path"] for obj in report["invalid"]] == [str(bad)]
    rules = [p["rule"] for p in report["invalid"][0]["problems"]]
    assert rules and all(r.startswith(PROJ) for r in rules)
    assert report["invalid"][0]["problems"][0]["location"] == "$.properties['proj:shape']"


def test_validate_json_valid(catalogue: Path, schema_dir: Path) -> None:
    result = runner.invoke(
        app, ["validate", str(catalogue), "--schemas", str(schema_dir), "--json"]
    )
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["valid"], report["checked"], report["invalid"]) == (True, 5, [])


def test_validate_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nothing" / "catalog.json"
    result = runner.invoke(app, ["validate", str(missing)])
    assert result.exit_code == ExitCode.USAGE
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "does not exist" in result.stderr
    assert "error:" in result.stderr
    assert str(missing) in "".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_validate_unreadable_schema_store(catalogue: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-schemas"
    empty.mkdir()
    result = runner.invoke(app, ["validate", str(catalogue), "--schemas", str(empty)])
    assert result.exit_code == ExitCode.FAILURES
    assert "schema unavailable" in result.stdout
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "bogus=1"], "'bogus'"),
        (["--set", "clms.bogus=1"], "unknown setting 'bogus'"),
        (["--set", "clms.error_rate=2"], "'clms.error_rate'"),
        (["--set", "novalue"], "expected KEY=VALUE"),
        (["--port", "clms.api=abc"], "abc"),
    ],
    ids=["no-provider", "unknown-setting", "out-of-range", "no-equals", "bad-port"],
)
def test_sandbox_up_bad_settings(args: list[str], needle: str) -> None:
    result = runner.invoke(app, ["sandbox", "up", *args])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "error:" in result.stderr
    assert needle in flat(result.stderr)
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "validate" in result.output


def _reader(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_sandbox_up_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACSYNC_")}
    env["STACSYNC_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.Popen(
        [sys.executable, "-m", "stacsync", "sandbox", "up", "--json", "--provider", "terrascope"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True)
    reader.start()
    try:
        try:
            first = lines.get(timeout=20)
        except queue.Empty:
            pytest.fail("sandbox up printed nothing within 20 s")
        described = json.loads(first)
        assert set(described) == {"terrascope"}
        stac = described["terrascope"]["endpoints"]["stac_api"]
        assert stac.startswith("http://127.0.0.1:")
        assert described["terrascope"]["credentials"]
        with urllib.request.urlopen(stac + "/", timeout=10) as response:
            assert response.status == 200
            landing = json.loads(response.read())
        assert landing["type"] == "Catalog"
        assert any(link["rel"] == "data" for link in landing["links"])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        reader.join(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
