"""The CLMS emulator: the Plone API host and the FME download host, plus test hooks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from stacsync.sandbox.clms.access import accept_middleware, bearer_middleware
from stacsync.sandbox.clms.auth import KeyRing, ServiceKey, new_service_key, wall_clock
from stacsync.sandbox.clms.catalogue import load_catalogue
from stacsync.sandbox.clms.constants import (
    DEFAULT_LINK_LIFETIME,
    DEFAULT_TOKEN_LIFETIME,
    STATUS_LIST,
)
from stacsync.sandbox.clms.download import RESULTS_PATH, DownloadHost
from stacsync.sandbox.clms.downloadtool import DownloadTool
from stacsync.sandbox.clms.packaging import Packager
from stacsync.sandbox.clms.responses import proxy_error_body
from stacsync.sandbox.clms.site import Site
from stacsync.sandbox.clms.tasks import TaskRegistry
from stacsync.sandbox.emulator import ProviderContext
from stacsync.sandbox.tokens import TokenStore

DEFAULT_USER = "n0sandbox"
"""Plone user id of the generated service key (EU Login ids look like ``n00015mf``)."""


class ClmsEmulator:
    """Emulates land.copernicus.eu (``api``) and copernicus-fme.eea.europa.eu (``download``)."""

    name: ClassVar[str] = "clms"
    hosts: ClassVar[tuple[str, ...]] = ("api", "download")

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.catalogue = load_catalogue()
        self.portal_url = ctx.urls["api"]
        self.token_uri = f"{self.portal_url}/@@oauth2-token"
        self.tokens = TokenStore(ctx.clock)
        self.keys = KeyRing()
        self.ua_check = False
        """Answer 403 to non-browser User-Agents on the download host (off by default)."""
        self.fme_available = True
        """When False, new tasks fail their FME submission (``ErrorTaskIds`` / 500)."""
        self.grant_clock = wall_clock
        """Clock for JWT-grant ``iat``/``exp`` checks (set ``ctx.clock.now`` to be strict)."""
        self.service_key = self.issue_service_key(DEFAULT_USER, title="stacsync sandbox")
        self.service_key_file = self.service_key_path(self.service_key)
        self.tasks = TaskRegistry(
            clock=ctx.clock,
            delay=ctx.options.order_delay,
            link_lifetime=ctx.options.link_lifetime or DEFAULT_LINK_LIFETIME,
            seed=ctx.seed,
            download_url=lambda fme: f"{ctx.urls['download']}{RESULTS_PATH}/{fme}.zip",
            producer=Packager(self.catalogue, seed=ctx.seed, size=ctx.raster_size),
        )

    # -- credentials -------------------------------------------------------------------

    @property
    def token_lifetime(self) -> float:
        """Access-token lifetime in sandbox seconds."""
        return self.ctx.options.token_lifetime or DEFAULT_TOKEN_LIFETIME

    def issue_service_key(self, user_id: str, *, title: str = "Token") -> ServiceKey:
        """Create and register a service key for ``user_id`` and write its JSON file."""
        key = new_service_key(
            user_id=user_id, title=title, token_uri=self.token_uri, issued=self.ctx.clock.utcnow()
        )
        self.keys.add(key)
        key.write(self.service_key_path(key))
        return key

    def service_key_path(self, key: ServiceKey) -> Path:
        """Where the JSON of ``key`` is written."""
        return self.ctx.workdir / f"clms_service_key_{key.user_id}_{key.client_id[:8]}.json"

    def revoke_service_key(self, key: ServiceKey) -> None:
        """Delete a service key (grants signed with it get ``No associated key found``)."""
        self.keys.revoke(key.client_id)

    def revoke_tokens(self) -> int:
        """Forget every access token (they then authenticate nobody, as deleted tokens do)."""
        return self.tokens.revoke_all()

    # -- tasks -------------------------------------------------------------------------

    def force_status(self, task_id: str, status: str, message: str | None = None) -> dict[str, Any]:
        """Freeze task ``task_id`` in ``status`` (``Finished_nok``, ``Rejected``...)."""
        if status not in STATUS_LIST:
            raise ValueError(f"unknown status {status!r}")
        task = self.tasks.get(task_id)
        if task is None:
            raise KeyError(task_id)
        self.tasks.force(task, status, message)
        return self.tasks.record(task)

    def task_record(self, task_id: str) -> dict[str, Any]:
        """The current record of task ``task_id``."""
        task = self.tasks.get(task_id)
        if task is None:
            raise KeyError(task_id)
        return self.tasks.record(task)

    # -- the Emulator protocol ---------------------------------------------------------

    def apps(self) -> Mapping[str, web.Application]:
        """The API host and the download host."""
        api = self.ctx.new_app("api", error_body=proxy_error_body)
        api.middlewares.append(bearer_middleware(self.tokens))
        api.middlewares.append(accept_middleware())
        site = Site(
            self.catalogue,
            portal_url=self.portal_url,
            tokens=self.tokens,
            keys=self.keys,
            token_lifetime=lambda: self.token_lifetime,
            grant_clock=lambda: self.grant_clock(),
        )
        tool = DownloadTool(self.catalogue, self.tasks, fme_available=lambda: self.fme_available)
        api.add_routes(self._admin_routes())
        api.add_routes(tool.routes())
        api.add_routes(site.routes())
        download = self.ctx.new_app("download", error_body=proxy_error_body)
        download.add_routes(DownloadHost(self.tasks, ua_check=lambda: self.ua_check).routes())
        return {"api": api, "download": download}

    def credentials(self) -> Mapping[str, Any]:
        """The service-key file and its public identifiers (the private key stays in the file)."""
        return {
            "service_key_file": str(self.service_key_file),
            "client_id": self.service_key.client_id,
            "user_id": self.service_key.user_id,
            "token_uri": self.service_key.token_uri,
        }

    def endpoints(self) -> Mapping[str, str]:
        """Portal, API root, token URL, search URL, download host and admin root."""
        return {
            "portal": self.portal_url,
            "api": f"{self.portal_url}/api",
            "token": self.token_uri,
            "search": f"{self.portal_url}/api/@search",
            "download": self.ctx.urls["download"],
            "admin": f"{self.portal_url}/_sandbox",
        }

    async def start(self) -> None:
        """Nothing beyond the aiohttp apps."""

    async def stop(self) -> None:
        """Nothing to stop."""

    # -- admin routes (for other processes) --------------------------------------------

    def _admin_routes(self) -> list[web.RouteDef]:
        return [
            web.get("/_sandbox/requests", self._admin_requests),
            web.post("/_sandbox/revoke", self._admin_revoke),
            web.get("/_sandbox/tasks", self._admin_tasks),
            web.post("/_sandbox/tasks/{task_id}", self._admin_force),
            web.post("/_sandbox/settings", self._admin_settings),
            web.post("/_sandbox/advance", self._admin_advance),
        ]

    async def _admin_requests(self, request: web.Request) -> web.StreamResponse:
        entries = [
            e.as_dict()
            for e in self.ctx.log.entries()
            if e.server in (f"{self.name}.{h}" for h in self.hosts)
        ]
        return web.json_response({"entries": entries})

    async def _admin_revoke(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"revoked": self.revoke_tokens()})

    async def _admin_tasks(self, request: web.Request) -> web.StreamResponse:
        tasks = {t.task_id: self.tasks.record(t) for t in self.tasks.all()}
        return web.json_response(tasks)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError as exc:
            raise web.HTTPBadRequest(text="invalid JSON") from exc
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body

    async def _admin_force(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        try:
            record = self.force_status(
                request.match_info["task_id"], str(body.get("Status")), body.get("Message")
            )
        except KeyError:
            return web.json_response({"error": "unknown task"}, status=404)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(record)

    async def _admin_settings(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if "ua_check" in body:
            self.ua_check = bool(body["ua_check"])
        if "fme_available" in body:
            self.fme_available = bool(body["fme_available"])
        return web.json_response({"ua_check": self.ua_check, "fme_available": self.fme_available})

    async def _admin_advance(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or seconds < 0:
            return web.json_response({"error": "seconds must be a non-negative number"}, status=400)
        self.ctx.clock.advance(float(seconds))
        return web.json_response({"now": self.ctx.clock.now()})
