"""Fixtures: a sandbox per test and a harvest runner pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacsync.definition import CatalogDefinition, load_definition
from stacsync.harvest import HarvestOptions, HarvestReport, harvest
from stacsync.sandbox import Sandbox
from stacsync.transport import ProviderConfig
from tests.transport.conftest import configs_for

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "catalogs" / "demo.toml"

Run = Callable[..., HarvestReport]


def demo(root: Path, *names: str) -> CatalogDefinition:
    definition = load_definition(DEMO)
    sources = tuple(s for s in definition.sources if not names or s.name in names)
    return CatalogDefinition(
        id=definition.id,
        title=definition.title,
        description=definition.description,
        path=root,
        sources=sources,
    )


def run_harvest(
    definition: CatalogDefinition,
    configs: dict[str, ProviderConfig],
    **options: Any,
) -> HarvestReport:
    options.setdefault("poll_initial", 0.05)
    options.setdefault("poll_max", 0.2)
    options.setdefault("max_wait", 30.0)
    return asyncio.run(harvest(definition, configs, HarvestOptions(**options)))


@pytest.fixture
def sandbox(stacsync_sandbox_factory) -> Sandbox:
    return stacsync_sandbox_factory(raster_size=32, settings={"clms.order_delay": "0.3"})


@pytest.fixture
def configs(sandbox: Sandbox) -> dict[str, ProviderConfig]:
    return configs_for(sandbox)
