"""kill -9 at random points of a pull, then a rerun: every copy complete and verified."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stacsync.sync import PullOptions, StateDB, Status, pull
from stacsync.validation import SchemaStore, StacValidator
from tests.sync.helpers import configs, make_catalog, sandbox_items

REPO = Path(__file__).resolve().parents[2]
OPTIONS = {"cog": False, "chunk_size": 8192, "concurrency": 4}


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".stacsync" not in p.parts and p.name != ".stacsync.lock"
    }


def _start(spec: dict, tmp: Path) -> subprocess.Popen[str]:
    path = tmp / f"spec-{time.monotonic_ns()}.json"
    path.write_text(json.dumps({**spec, "wait_for_go": True}))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.runner", str(path)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _trials(tmp_path: Path, sb, count: int, seed: int, schema_dir: Path) -> None:
    template = make_catalog(tmp_path / "template", sandbox_items(sb, 2))
    clean = tmp_path / "clean"
    shutil.copytree(template, clean)
    cfg = configs(sb)
    assert asyncio.run(pull(clean, cfg, PullOptions(**OPTIONS))).ok
    expected = _snapshot(clean)
    validator = StacValidator(SchemaStore(store=schema_dir))
    rng = random.Random(seed)
    resumed = 0

    def spawn(trial: int) -> tuple[Path, subprocess.Popen[str]]:
        root = tmp_path / f"trial-{trial}"
        shutil.copytree(template, root)
        spec = {"root": str(root), "sandbox": sb.describe(), "options": OPTIONS, "pace": 0.002}
        return root, _start(spec, tmp_path)

    upcoming = spawn(0)
    for trial in range(count):
        root, process = upcoming
        assert process.stdout is not None and process.stdin is not None
        assert process.stdout.readline().strip() == "ready"
        process.stdin.write("go\n")
        process.stdin.flush()
        if trial + 1 < count:
            upcoming = spawn(trial + 1)  # imports while this trial runs
        time.sleep(rng.uniform(0.0, 0.35))
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        process.stdin.close()
        report = asyncio.run(pull(root, cfg, PullOptions(**OPTIONS)))
        assert report.ok, report.failures
        resumed += report.resumed
        assert _snapshot(root) == expected, f"trial {trial} differs from a clean run"
        assert not list(root.rglob("*.part"))
        with StateDB(root, readonly=True) as state:
            assert {r.status for r in state.load().values()} == {Status.SYNCED}
        for item_file in root.glob("*/*/*.json"):
            assert validator.validate(json.loads(item_file.read_text())) == []
        shutil.rmtree(root)
    assert resumed > 0, "no trial was killed mid-file"
    print(f"{count} trials, {resumed} resumed files")


@pytest.mark.slow
def test_kill_nine_many(tmp_path: Path, terrascope, schema_dir: Path) -> None:
    sb = terrascope(latency=0.01)
    _trials(tmp_path, sb, 60, 7, schema_dir)


def test_kill_nine(tmp_path: Path, terrascope, schema_dir: Path) -> None:
    sb = terrascope(latency=0.01)
    _trials(tmp_path, sb, 20, 1, schema_dir)
