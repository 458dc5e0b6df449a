"""pytest fixtures for the provider sandbox, for stacsync's tests and for users' own pipelines.

Installed as a pytest plugin (entry point ``pytest11``), so any test suite in an environment
with stacsync can use::

    def test_my_pipeline(stacsync_sandbox):
        stac = stacsync_sandbox.endpoints()["terrascope"]["stac_api"]

    def test_token_expiry(stacsync_sandbox_factory):
        sandbox = stacsync_sandbox_factory(providers=("terrascope",), time_scale=10,
                                           settings={"terrascope.token_lifetime": "5"})
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from stacsync.sandbox.options import build_options
from stacsync.sandbox.runner import Sandbox, running_sandbox

SandboxFactory = Callable[..., Sandbox]


@pytest.fixture(scope="session")
def stacsync_sandbox() -> Iterator[Sandbox]:
    """All three emulators with default options, on free ports, for the whole session."""
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def stacsync_sandbox_factory() -> Iterator[SandboxFactory]:
    """Start sandboxes with custom options; each is torn down when the test ends.

    Keyword arguments are those of :func:`stacsync.sandbox.options.build_options`:
    ``settings={"<provider>.<field>": "value"}``, ``ports``, and any
    :class:`~stacsync.sandbox.options.SandboxOptions` field (``providers``, ``time_scale``...).
    """
    with ExitStack() as stack:

        def start(**kwargs: Any) -> Sandbox:
            return stack.enter_context(running_sandbox(build_options(**kwargs)))

        yield start
