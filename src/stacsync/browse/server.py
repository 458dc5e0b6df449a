"""The web server behind ``stacsync browse``: STAC Browser and one catalogue, from one origin.

Routes:

- ``/config.js``: STAC Browser's runtime configuration, pointing at the served catalogue;
- ``/catalog/<path>``: the catalogue folder (only plain, visible files inside it; never the
  ``.stacsync/`` state folder, never a symbolic link leading out of it);
- ``/proj4/epsg/<code>.proj4``: projection definitions for STAC Browser's map (see
  :mod:`stacsync.browse.projections`), so that COGs in any CRS are drawn offline;
- ``/`` and ``/<path>``: the built STAC Browser (its ``dist`` folder), or, when it is not
  built, a page saying how to build it.

Every response allows any origin (CORS) and exposes ``Content-Range`` and ``Accept-Ranges``;
files are served with ``Range``/``If-Range`` and ``ETag`` support (aiohttp's
``FileResponse``), which is what STAC Browser needs to draw COGs and GDAL needs for
``/vsicurl/``.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from aiohttp import web

from stacsync.background import in_background
from stacsync.browse.files import ServedFile, lookup
from stacsync.browse.projections import EPSG_LOOKUP_SHIM, PROJ4_ROUTE, proj4_definition
from stacsync.browse.stac_browser import StacBrowserBuild

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8780
"""The port ``stacsync browse`` listens on unless told otherwise (0 picks a free one)."""

CATALOG_PREFIX = "/catalog"
"""Where the catalogue folder is mounted."""

SHUTDOWN_TIMEOUT = 2.0
"""Seconds open connections get to finish when the server stops."""

LOG_SIZE = 10_000
"""How many served requests :meth:`BrowseServer.served` remembers."""

EXPOSED_HEADERS = "Accept-Ranges, Content-Encoding, Content-Length, Content-Range, ETag"
PREFLIGHT_HEADERS = "Range, If-Range, If-None-Match, If-Modified-Since"
_HOST_HEADER = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


@dataclass(frozen=True, slots=True)
class BrowseOptions:
    """What to serve, and where."""

    root: Path
    """The catalogue folder (the one holding catalog.json)."""
    browser: StacBrowserBuild
    """The built STAC Browser to serve at ``/`` (served only if usable)."""
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT


@dataclass(frozen=True, slots=True)
class ServedRequest:
    """One request the server answered."""

    method: str
    path: str
    range: str | None
    status: int
    length: int | None


def config_script(catalog_url: str) -> str:
    """STAC Browser's runtime configuration (``window.STAC_BROWSER_CONFIG``) for a catalogue.

    It also sends STAC Browser's projection lookups to this server (see
    :data:`~stacsync.browse.projections.EPSG_LOOKUP_SHIM`).
    """
    config = {
        "catalogUrl": catalog_url,
        "historyMode": "hash",
        "allowExternalAccess": True,
    }
    settings = json.dumps(config, indent=2, sort_keys=True)
    return f"window.STAC_BROWSER_CONFIG = {settings};\n{EPSG_LOOKUP_SHIM}"


def _not_built_page(hint: str, catalog_url: str) -> str:
    link = html.escape(catalog_url)
    return (
        "<!doctype html>\n<html><head><meta charset=utf-8><title>stacsync browse</title></head>"
        f"<body><h1>STAC Browser is not available</h1><p>{html.escape(hint)}.</p>"
        f'<p>The catalogue is served at <a href="{link}">{link}</a>.</p></body></html>\n'
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class BrowseServer:
    """STAC Browser and one catalogue on one origin; ``async with`` or :func:`running_browse`."""

    def __init__(self, options: BrowseOptions) -> None:
        self.options = options
        self.root = options.root.resolve()
        self.browser_problem = options.browser.problem
        self._dist = options.browser.dist.resolve() if self.browser_problem is None else None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._log: deque[ServedRequest] = deque(maxlen=LOG_SIZE)
        self._log_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the port (``OSError`` if it is taken) and start serving."""
        if self._runner is not None:
            return
        sock = _bind(self.options.host, self.options.port)
        self._port = int(sock.getsockname()[1])
        runner = web.AppRunner(
            self._app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
        )
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        """Stop serving and release the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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

    # -- where things are ------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (known once started)."""
        if self._port is None:
            raise RuntimeError("the browse server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the server."""
        host = self.options.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    @property
    def catalog_url(self) -> str:
        """The URL of the served catalog.json."""
        return f"{self.base_url}{CATALOG_PREFIX}/catalog.json"

    @property
    def browser_url(self) -> str | None:
        """STAC Browser showing the catalogue, or ``None`` when STAC Browser is not built."""
        return self.page_url("") if self._dist is not None else None

    def page_url(self, relative: str) -> str:
        """STAC Browser's page for a catalogue file, e.g. ``coll/item/item.json``."""
        return f"{self.base_url}/#/{relative.lstrip('/')}"

    def file_url(self, relative: str) -> str:
        """The URL of a file of the catalogue, e.g. ``coll/item/item.tif``."""
        return f"{self.base_url}{CATALOG_PREFIX}/{relative.lstrip('/')}"

    def served(self) -> list[ServedRequest]:
        """The requests answered so far (the last :data:`LOG_SIZE`), oldest first."""
        with self._log_lock:
            return list(self._log)

    # -- the application -------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.on_response_prepare.append(self._on_prepare)
        router = app.router
        router.add_route("OPTIONS", "/{tail:.*}", self._preflight)
        router.add_get("/config.js", self._config)
        router.add_get(PROJ4_ROUTE.format(code="{code:[0-9]{1,6}}"), self._proj4)
        router.add_get(CATALOG_PREFIX, self._catalog_index)
        router.add_get(CATALOG_PREFIX + "/", self._catalog_index)
        router.add_get(CATALOG_PREFIX + "/{tail:.+}", self._catalog_file)
        router.add_get("/", self._browser_index)
        router.add_get("/{tail:.+}", self._browser_file)
        return app

    async def _on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        headers.setdefault("Cache-Control", "no-cache")
        entry = ServedRequest(
            method=request.method,
            path=request.path,
            range=request.headers.get("Range"),
            status=response.status,
            length=response.content_length,
        )
        with self._log_lock:
            self._log.append(entry)
        logger.debug(
            "%s %s%s -> %d",
            entry.method,
            entry.path,
            f" ({entry.range})" if entry.range else "",
            entry.status,
        )

    async def _preflight(self, request: web.Request) -> web.StreamResponse:
        asked = request.headers.get("Access-Control-Request-Headers")
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": asked or PREFLIGHT_HEADERS,
                "Access-Control-Max-Age": "600",
            },
        )

    def _origin(self, request: web.Request) -> str:
        """The origin the client reached us by (its Host header, when well-formed)."""
        host = request.headers.get("Host", "")
        if _HOST_HEADER.fullmatch(host):
            return f"http://{host}"
        return self.base_url

    async def _config(self, request: web.Request) -> web.StreamResponse:
        catalog_url = f"{self._origin(request)}{CATALOG_PREFIX}/catalog.json"
        return web.Response(
            text=config_script(catalog_url),
            content_type="text/javascript",
            headers={"Cache-Control": "no-store"},
        )

    async def _proj4(self, request: web.Request) -> web.StreamResponse:
        definition = await asyncio.to_thread(proj4_definition, int(request.match_info["code"]))
        if definition is None:
            return web.Response(status=404, text="unknown EPSG code\n")
        return web.Response(
            text=definition + "\n", headers={"Cache-Control": "public, max-age=86400"}
        )

    async def _catalog_index(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{CATALOG_PREFIX}/catalog.json")

    async def _catalog_file(self, request: web.Request) -> web.StreamResponse:
        return self._file(self.root, request.match_info["tail"])

    async def _browser_index(self, request: web.Request) -> web.StreamResponse:
        if self._dist is None:
            hint = self.options.browser.hint()
            page = _not_built_page(hint, f"{self._origin(request)}{CATALOG_PREFIX}/catalog.json")
            return web.Response(status=503, text=page, content_type="text/html")
        return self._file(self._dist, "index.html")

    async def _browser_file(self, request: web.Request) -> web.StreamResponse:
        if self._dist is None:
            return web.Response(status=404, text="STAC Browser is not built\n")
        return self._file(self._dist, request.match_info["tail"])

    @staticmethod
    def _file(folder: Path, tail: str) -> web.StreamResponse:
        found = lookup(folder, tail)
        if found.path is None:
            return web.Response(status=found.status, text=f"{found.reason}\n")
        return ServedFile(found.path)


@contextmanager
def running_browse(options: BrowseOptions) -> Iterator[BrowseServer]:
    """Run a :class:`BrowseServer` on its own event loop in a background thread.

    Raises ``OSError`` (e.g. the port is taken) before yielding if it cannot start.
    """
    with in_background(BrowseServer(options), "stacsync-browse") as server:
        yield server
