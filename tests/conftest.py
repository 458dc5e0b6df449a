"""Shared fixtures: the offline STAC schema store and a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCHEMA_DIR = REPO.parent / "shared" / "stac-schemas"


@pytest.fixture(scope="session")
def schema_dir() -> Path:
    """The offline schema store: $STACSYNC_SCHEMA_DIR, else ../shared/stac-schemas."""
    configured = os.environ.get("STACSYNC_SCHEMA_DIR")
    folder = Path(configured) if configured else DEFAULT_SCHEMA_DIR
    if not (folder / "schema-map.json").exists():
        pytest.skip(f"no offline STAC schema store at {folder} (set STACSYNC_SCHEMA_DIR)")
    return folder


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No STACSYNC_* setting leaks in from the developer's shell, and caches stay in tmp."""
    for key in list(os.environ):
        if key.startswith("STACSYNC_") and key != "STACSYNC_SCHEMA_DIR":
            monkeypatch.delenv(key)
    monkeypatch.setenv("STACSYNC_CACHE_DIR", str(tmp_path / "cache"))
