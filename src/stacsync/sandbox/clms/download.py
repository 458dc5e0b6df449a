"""The download host: FME's result zips at ``/clmsdatadownload/results/<FMETaskId>.zip``.

Links die ``link_lifetime`` sandbox seconds (72 h by default) after ``FinalizationDateTime``;
an expired or unknown link answers a bare 404 page (the notes do not say what the real host
sends; a static file server's 404 is our decision). The optional User-Agent check reproduces the
observed 403 for non-browser clients (``python-requests``, aiohttp...).
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from stacsync.sandbox.blobs import serve_blob
from stacsync.sandbox.clms.responses import html_page
from stacsync.sandbox.clms.tasks import TaskRegistry

RESULTS_PATH = "/clmsdatadownload/results"


def is_browser(user_agent: str) -> bool:
    """Whether the FME host would take ``user_agent`` for a browser."""
    return user_agent.startswith("Mozilla/")


class DownloadHost:
    """Serves the result zips of finished tasks."""

    def __init__(self, tasks: TaskRegistry, *, ua_check: Callable[[], bool]) -> None:
        self.tasks = tasks
        self._ua_check = ua_check

    def routes(self) -> list[web.RouteDef]:
        """GET/HEAD of result zips; everything else 404."""
        return [
            web.get(RESULTS_PATH + "/{name}", self.result),
            web.route("*", "/{tail:.*}", self.missing),
        ]

    async def result(self, request: web.Request) -> web.StreamResponse:
        """One result zip, with ranges and validators."""
        if self._ua_check() and not is_browser(request.headers.get("User-Agent", "")):
            return html_page(403, "Forbidden")
        name = request.match_info["name"]
        stem, _, ext = name.rpartition(".")
        if ext != "zip" or not stem.isdigit():
            return html_page(404, "Not Found")
        blob = self.tasks.result(int(stem))
        if blob is None:
            return html_page(404, "Not Found")
        return serve_blob(request, blob)

    async def missing(self, request: web.Request) -> web.StreamResponse:
        """Unknown paths."""
        return html_page(404, "Not Found")
