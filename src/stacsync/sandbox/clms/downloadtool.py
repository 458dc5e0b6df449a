"""The download-tool services (eea/clms.downloadtool) on the API host."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from stacsync.sandbox.clms.access import require_user
from stacsync.sandbox.clms.auxiliary import download_file_urls
from stacsync.sandbox.clms.catalogue import Catalogue
from stacsync.sandbox.clms.constants import MESSAGES, STATUS_LIST
from stacsync.sandbox.clms.datarequest import Plan, RequestRejected, plan_request
from stacsync.sandbox.clms.nuts import nuts_name
from stacsync.sandbox.clms.projections import conversion_table, projections, time_series_metadata
from stacsync.sandbox.clms.responses import plone_error, plone_json, status_error
from stacsync.sandbox.clms.tasks import TaskRegistry


async def json_body(request: web.Request) -> Any:
    """plone.restapi ``json_body``: ``{}`` for an empty body, 400 for invalid JSON."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text=plone_error(400, "DeserializationError", "No JSON object could be decoded").text,
            content_type="application/json",
        ) from exc


class DownloadTool:
    """``@datarequest_*``, ``@projections``, ``@format_conversion_table`` and friends."""

    def __init__(
        self,
        catalogue: Catalogue,
        tasks: TaskRegistry,
        *,
        fme_available: Callable[[], bool],
    ) -> None:
        self.catalogue = catalogue
        self.tasks = tasks
        self._fme_available = fme_available

    def routes(self) -> list[web.RouteDef]:
        """The services, all below ``/api``."""
        return [
            web.post("/api/@datarequest_post", self.post),
            web.get("/api/@datarequest_search", self.search),
            web.get("/api/@datarequest_status_get", self.status_get),
            web.delete("/api/@datarequest_delete", self.delete),
            web.get("/api/@format_conversion_table", self.format_conversion_table),
            web.get("/api/@projections", self.projections),
            web.get("/api/@get-time-series-metadata", self.time_series),
            web.get("/api/@get-download-file-urls", self.file_urls),
            web.get("/api/@nuts_name", self.nuts_name),
        ]

    def _active_items(self, user: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for task in self.tasks.all():
            if task.user_id == user and self.tasks.status(task) in ("Queued", "In_progress"):
                items.extend(task.datasets)
        return items

    async def post(self, request: web.Request) -> web.StreamResponse:
        """``POST @datarequest_post``: validate, then register one task per kind."""
        user = require_user(request)
        body = await json_body(request)
        try:
            plan = plan_request(body, self.catalogue, self._active_items(user))
        except RequestRejected as rejected:
            return plone_json(rejected.body, status=rejected.status)
        return self._register(user, plan)

    def _register(self, user: str, plan: Plan) -> web.StreamResponse:
        ok: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        for datasets, outputs in (
            (plan.prepackaged, plan.prepackaged_outputs),
            (plan.general, plan.general_outputs),
        ):
            if not datasets:
                continue
            fme_ok = self._fme_available()
            task = self.tasks.create(
                user_id=user, datasets=datasets, outputs=outputs, fme_ok=fme_ok
            )
            (ok if fme_ok else failed).append({"TaskID": task.task_id})
        if failed and not ok:
            return status_error(500, MESSAGES["ALL_FAILED"])
        return plone_json({"ErrorTaskIds": failed, "TaskIds": ok}, status=201)

    async def search(self, request: web.Request) -> web.StreamResponse:
        """``GET @datarequest_search[?status=]``: the caller's tasks keyed by TaskID."""
        user = require_user(request)
        status = request.query.get("status") or None
        if status is not None and status not in STATUS_LIST:
            return status_error(400, "Error, status not recognized")
        return plone_json(self.tasks.search(user, status))

    async def status_get(self, request: web.Request) -> web.StreamResponse:
        """``GET @datarequest_status_get?TaskID=``: any task (no ownership check)."""
        require_user(request)
        task_id = request.query.get("TaskID")
        if not task_id:
            return status_error(400, "Error, TaskID not defined")
        task = self.tasks.get(task_id)
        if task is None:
            return status_error(404, "Error, the task does not exist")
        return plone_json(self.tasks.record(task))

    async def delete(self, request: web.Request) -> web.StreamResponse:
        """``DELETE @datarequest_delete``: 204; unknown -> 403, foreign -> 404 (swapped)."""
        user = require_user(request)
        body = await json_body(request)
        task_id = body.get("TaskID") if isinstance(body, dict) else None
        if not task_id:
            return status_error(400, "Error, TaskID not defined")
        task = self.tasks.get(task_id)
        if task is None:
            return status_error(403, "Error, TaskID not registered")
        if user not in task.user_id:
            return status_error(404, "Error, permission denied")
        self.tasks.force(task, "Cancelled")
        return web.Response(status=204)

    async def format_conversion_table(self, request: web.Request) -> web.StreamResponse:
        """``GET @format_conversion_table``."""
        require_user(request)
        return plone_json(conversion_table())

    async def projections(self, request: web.Request) -> web.StreamResponse:
        """``GET @projections[?uid=]``."""
        require_user(request)
        return plone_json(projections(self.catalogue, request.query.get("uid")))

    async def time_series(self, request: web.Request) -> web.StreamResponse:
        """``GET @get-time-series-metadata?dataset=``."""
        require_user(request)
        status, body = time_series_metadata(self.catalogue, request.query.get("dataset"))
        return plone_json(body, status=status)

    async def file_urls(self, request: web.Request) -> web.StreamResponse:
        """``GET @get-download-file-urls`` (the auxiliary API)."""
        require_user(request)
        status, body = download_file_urls(self.catalogue, request.query)
        return plone_json(body, status=status)

    async def nuts_name(self, request: web.Request) -> web.StreamResponse:
        """``GET @nuts_name?nuts_ids=A,B``."""
        require_user(request)
        ids = [i for i in request.query.get("nuts_ids", "").split(",") if i]
        return plone_json({i: nuts_name(i) for i in ids})
