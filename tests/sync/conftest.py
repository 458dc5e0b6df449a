from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stacsync.sandbox import Sandbox
from stacsync.sandbox.options import FaultOptions, ProviderOptions

UNLIMITED = ((1_000_000, 1.0),)


@pytest.fixture
def terrascope(stacsync_sandbox_factory: Callable[..., Sandbox]) -> Callable[..., Sandbox]:
    """A Terrascope sandbox; keyword arguments are fault options (``latency=0.01``...).

    ``rate_limits`` (default: none to speak of) and ``token_lifetime`` go to the provider.
    """

    def start(
        *,
        rate_limits: tuple[tuple[int, float], ...] = UNLIMITED,
        token_lifetime: float | None = None,
        time_scale: float = 1.0,
        raster_size: int = 256,
        **faults: Any,
    ) -> Sandbox:
        options = ProviderOptions(
            rate_limits=rate_limits, token_lifetime=token_lifetime, faults=FaultOptions(**faults)
        )
        return stacsync_sandbox_factory(
            providers=("terrascope",),
            terrascope=options,
            time_scale=time_scale,
            raster_size=raster_size,
        )

    return start
