"""The contract between the sandbox runner and each provider emulator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from aiohttp import web

from stacsync.sandbox.clock import SandboxClock
from stacsync.sandbox.faults import ErrorBody, default_error_body, fault_middleware
from stacsync.sandbox.options import ProviderOptions
from stacsync.sandbox.requestlog import RequestLog, logging_middleware


@dataclass(frozen=True)
class ProviderContext:
    """Everything an emulator gets from the runner."""

    name: str
    """Provider name (``clms``, ``backbone``, ``terrascope``)."""
    options: ProviderOptions
    clock: SandboxClock
    urls: Mapping[str, str]
    """Base URL (``http://127.0.0.1:PORT``, no trailing slash) of each of the emulator's hosts."""
    ports: Mapping[str, int]
    host: str
    log: RequestLog
    seed: int
    raster_size: int
    workdir: Path
    """A private folder that lives as long as the sandbox (generated keys, files)."""

    def new_app(self, host: str, *, error_body: ErrorBody = default_error_body) -> web.Application:
        """An aiohttp application for ``host`` with request logging and fault injection."""
        server = f"{self.name}.{host}"
        seed = self.seed + sum(server.encode())
        return web.Application(
            middlewares=[
                logging_middleware(self.log, self.clock, server),
                fault_middleware(self.options.faults, seed=seed, error_body=error_body),
            ],
            client_max_size=16 * 1024 * 1024,
        )


class Emulator(Protocol):
    """One provider's emulator: a set of HTTP hosts plus optional extra servers."""

    name: ClassVar[str]
    hosts: ClassVar[tuple[str, ...]]
    """Every host the emulator needs a port for (aiohttp apps and extra servers alike)."""

    def apps(self) -> Mapping[str, web.Application]:
        """The aiohttp application of each host that the runner serves."""
        ...

    def credentials(self) -> Mapping[str, Any]:
        """The generated credentials, JSON-ready (paths as strings)."""
        ...

    def endpoints(self) -> Mapping[str, str]:
        """Named entry points a client needs (API base, token URL, STAC URL...)."""
        ...

    async def start(self) -> None:
        """Start anything that is not an aiohttp app (e.g. an S3 server)."""
        ...

    async def stop(self) -> None:
        """Stop what :meth:`start` started."""
        ...


class EmulatorFactory(Protocol):
    """The constructor of an emulator class."""

    name: ClassVar[str]
    hosts: ClassVar[tuple[str, ...]]

    def __call__(self, ctx: ProviderContext) -> Emulator:
        """Build the emulator for ``ctx``."""
        ...
