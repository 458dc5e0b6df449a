"""End-to-end tests: the demo catalogue opened by real STAC tools nobody here wrote.

Run with ``just test-e2e``; they are left out of ``just test`` (collected only when
``STACSYNC_E2E=1``), because they need Chromium, a built STAC Browser, odc-stac and the
peers of ``.ci/install-peers``. The demo catalogue is built once per session, by the
``stacsync demo`` command in a subprocess, exactly as a user runs it.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

E2E = os.environ.get("STACSYNC_E2E", "") not in ("", "0")
if not E2E:
    collect_ignore_glob = ["test_*.py"]

E2E_MARKER = "e2e: end-to-end with real third-party STAC tools (just test-e2e)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", E2E_MARKER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.peers)


@dataclass(frozen=True)
class DemoCatalog:
    """The catalogue ``stacsync demo`` built, and the report it printed."""

    root: Path
    report: dict[str, Any]

    @property
    def catalog_json(self) -> Path:
        return self.root / "catalog.json"

    def collections(self) -> list[Path]:
        """Every collection.json of the catalogue."""
        return sorted(self.root.glob("*/collection.json"))

    def items(self) -> list[Path]:
        """Every item JSON of the catalogue (``<collection>/<item>/<item>.json``)."""
        return sorted(p for p in self.root.glob("*/*/*.json") if p.stem == p.parent.name)

    def cog_items(self) -> list[dict[str, Any]]:
        """Items whose ``data`` asset is a COG that was pulled and converted."""
        found = []
        for path in self.items():
            item = json.loads(path.read_text())
            data = item.get("assets", {}).get("data", {})
            if "profile=cloud-optimized" in data.get("type", ""):
                found.append(item | {"_path": str(path)})
        return found


@pytest.fixture(scope="session")
def demo_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCatalog]:
    """``stacsync demo --json`` run once into a temporary folder (sandbox on random ports)."""
    root = tmp_path_factory.mktemp("e2e") / "demo-catalog"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACSYNC_")}
    env["STACSYNC_SANDBOX_PORT"] = str(random.randrange(12000, 30000, 10))
    env["STACSYNC_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    done = subprocess.run(
        [sys.executable, "-m", "stacsync", "-q", "demo", "--catalog", str(root), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    yield DemoCatalog(root, json.loads(done.stdout))
