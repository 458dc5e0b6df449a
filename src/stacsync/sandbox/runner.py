"""Run the provider emulators, in the foreground (``sandbox up``) or in a thread (tests)."""

from __future__ import annotations

import importlib
import shutil
import socket
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

from aiohttp import web

from stacsync.background import in_background
from stacsync.sandbox.clock import SandboxClock
from stacsync.sandbox.emulator import Emulator, EmulatorFactory, ProviderContext
from stacsync.sandbox.options import SandboxOptions
from stacsync.sandbox.requestlog import RequestLog

EMULATOR_MODULES: Mapping[str, str] = {
    "clms": "stacsync.sandbox.clms",
    "backbone": "stacsync.sandbox.backbone",
    "terrascope": "stacsync.sandbox.terrascope",
}
"""Provider name -> module exposing an ``EMULATOR`` factory."""


def emulator_factory(name: str) -> EmulatorFactory:
    """The emulator class of provider ``name``."""
    if name not in EMULATOR_MODULES:
        known = ", ".join(sorted(EMULATOR_MODULES))
        raise ValueError(f"unknown sandbox provider {name!r} (known: {known})")
    module = importlib.import_module(EMULATOR_MODULES[name])
    return cast(EmulatorFactory, module.EMULATOR)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Sandbox:
    """All requested emulators, their servers, a shared clock and a shared request log."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.clock = SandboxClock(scale=self.options.time_scale)
        self.log = RequestLog()
        self.emulators: dict[str, Emulator] = {}
        self._runners: list[web.AppRunner] = []
        self._workdir: Path | None = None
        self._started = False

    async def start(self) -> None:
        """Bind every host's port, build the emulators and start serving."""
        if self._started:
            return
        self._workdir = Path(tempfile.mkdtemp(prefix="stacsync-sandbox-"))
        try:
            for name in self.options.providers:
                await self._start_provider(name, self._workdir / name)
        except BaseException:
            await self.stop()
            raise
        self._started = True

    async def _start_provider(self, name: str, workdir: Path) -> None:
        factory = emulator_factory(name)
        workdir.mkdir(parents=True)
        host = self.options.host
        sockets: dict[str, socket.socket] = {}
        for server in factory.hosts:
            sockets[server] = _bind(host, self.options.ports.get(f"{name}.{server}", 0))
        ports = {server: sock.getsockname()[1] for server, sock in sockets.items()}
        ctx = ProviderContext(
            name=name,
            options=self.options.provider(name),
            clock=self.clock,
            urls={server: _url(host, port) for server, port in ports.items()},
            ports=ports,
            host=host,
            log=self.log,
            seed=self.options.seed,
            raster_size=self.options.raster_size,
            workdir=workdir,
        )
        emulator = factory(ctx)
        self.emulators[name] = emulator
        apps = emulator.apps()
        for server, sock in sockets.items():
            if server not in apps:
                sock.close()  # served by the emulator itself (e.g. S3), which binds the port
        await emulator.start()
        for server, app in apps.items():
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            self._runners.append(runner)
            await web.SockSite(runner, sockets[server]).start()

    async def stop(self) -> None:
        """Stop every server and remove the working folder."""
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        for emulator in self.emulators.values():
            await emulator.stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._started = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def emulator(self, name: str) -> Emulator:
        """The running emulator of provider ``name``."""
        return self.emulators[name]

    def endpoints(self) -> dict[str, dict[str, str]]:
        """Entry points by provider."""
        return {name: dict(e.endpoints()) for name, e in self.emulators.items()}

    def credentials(self) -> dict[str, dict[str, Any]]:
        """Generated credentials by provider."""
        return {name: dict(e.credentials()) for name, e in self.emulators.items()}

    def describe(self) -> dict[str, Any]:
        """Endpoints and credentials of every provider, JSON-ready."""
        return {
            name: {"endpoints": dict(e.endpoints()), "credentials": dict(e.credentials())}
            for name, e in self.emulators.items()
        }


@contextmanager
def running_sandbox(options: SandboxOptions | None = None) -> Iterator[Sandbox]:
    """Run a sandbox on its own event loop in a background thread for the ``with`` block."""
    with in_background(Sandbox(options), "stacsync-sandbox") as sandbox:
        yield sandbox
