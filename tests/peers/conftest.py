"""Fixtures that run real third-party peers: a STAC API on PostgreSQL, and stac-validator.

The peers are installed by ``.ci/install-peers``. Without them these tests skip, unless
``STACSYNC_REQUIRE_PEERS=1`` is set (as in CI), which turns a missing peer into an error.
``STACSYNC_PEERS_VENV`` points at another peers virtualenv than ``<repo>/.peers/venv``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.peers.peer_tools import INSTALL_HINT, PeersVenv, find_postgres, peers_venv
from tests.peers.pgstac_server import PgstacApi, running_pgstac
from tests.peers.stac_validator_cli import (
    StacValidatorReport,
    run_stac_validator,
    write_schema_config,
)

PEERS_MARKER = "peers: runs real third-party peer programs (.ci/install-peers)"
REQUIRED = pytest.StashKey[bool]()
VENV = pytest.StashKey[PeersVenv]()

StacValidatorRun = Callable[..., StacValidatorReport]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", PEERS_MARKER)
    # Read once here: tests/conftest.py scrubs STACSYNC_* variables around each test.
    config.stash[REQUIRED] = os.environ.get("STACSYNC_REQUIRE_PEERS", "") not in ("", "0")
    config.stash[VENV] = peers_venv(os.environ.get("STACSYNC_PEERS_VENV"))


def _unavailable(config: pytest.Config, reason: str) -> NoReturn:
    message = f"{reason}; {INSTALL_HINT}"
    if config.stash[REQUIRED]:
        pytest.fail(f"peer required (STACSYNC_REQUIRE_PEERS) but unavailable: {message}")
    pytest.skip(message)


def _venv_with(config: pytest.Config, *tools: str) -> PeersVenv:
    venv = config.stash[VENV]
    missing = venv.missing(*tools)
    if missing:
        _unavailable(config, f"the peers venv {venv.root} lacks {', '.join(missing)}")
    return venv


@pytest.fixture(scope="session")
def pgstac_api(pytestconfig: pytest.Config) -> Iterator[PgstacApi]:
    """A real stac-fastapi-pgstac API on a throwaway PostgreSQL/PostGIS cluster.

    ``.url`` is the API root; ``.load(collections, items)`` upserts with pypgstac;
    ``.reset()`` empties the database. Shared by the whole session: tests load their own
    collection ids, or call ``reset()`` first.
    """
    venv = _venv_with(pytestconfig, "uvicorn", "pypgstac")
    postgres, reason = find_postgres()
    if postgres is None:
        _unavailable(pytestconfig, reason)
    with running_pgstac(venv, postgres) as api:
        yield api


@pytest.fixture(scope="session")
def stac_validator(
    pytestconfig: pytest.Config, schema_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> StacValidatorRun:
    """``stac_validator(path, recursive=True)``: run stac-validator offline on a STAC file.

    Validates against the offline schema store (``schema_dir``) and returns the parsed
    report (``StacValidatorReport``: ``.valid``, ``.entries``, ``.failures``, ``.paths``).
    """
    venv = _venv_with(pytestconfig, "stac-valid")
    workdir = tmp_path_factory.mktemp("stac-validator")
    config = write_schema_config(schema_dir, workdir / "schema-config.yaml")

    def run(path: Path, *, recursive: bool = True) -> StacValidatorReport:
        return run_stac_validator(venv, config, path, recursive=recursive, workdir=workdir)

    return run
