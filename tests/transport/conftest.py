"""Fixtures: provider configurations pointed at a running sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stacsync.sandbox import Sandbox
from stacsync.transport import ProviderConfig, load_provider_configs
from stacsync.transport.credentials import sandbox_configs

FAST = {"max_attempts": 4, "backoff_base": 0.01, "backoff_cap": 0.05}


def configs_for(
    sandbox: Sandbox, *, time_scale: float = 1.0, **overrides: Any
) -> dict[str, ProviderConfig]:
    """Every provider's configuration for ``sandbox``, with quick retries."""
    base = load_provider_configs(environ={}, use_netrc=False)
    configs = sandbox_configs(sandbox.describe(), base, time_scale=time_scale)
    return {
        name: ProviderConfig(**{**config.model_dump(), **FAST, **overrides})
        for name, config in configs.items()
    }


@pytest.fixture
def configs() -> Callable[..., dict[str, ProviderConfig]]:
    return configs_for
