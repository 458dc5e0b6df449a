"""Sandbox control routes (``/_sandbox/...`` on the auth host) for use from other processes."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from stacsync.sandbox.requestlog import LogEntry


class Controls(Protocol):
    """The emulator hooks the admin routes call."""

    def revoke_tokens(self) -> int:
        """Revoke every token; returns how many."""
        ...

    def reset_rate_limits(self) -> None:
        """Forget the download rate-limit history."""
        ...

    def set_unauthenticated_redirect(self, enabled: bool) -> None:
        """Answer unauthenticated downloads with 302 (True) or 401 (False)."""
        ...

    def request_log(self, path_prefix: str | None = None) -> list[LogEntry]:
        """The request log entries of the emulator's servers."""
        ...


def admin_routes(controls: Controls) -> list[web.RouteDef]:
    """The admin routes.

    ``GET /_sandbox/requests``, ``POST /_sandbox/revoke``, ``POST /_sandbox/rate-limits/reset``
    and ``POST /_sandbox/unauthenticated?mode=401|302``.
    """

    async def requests(request: web.Request) -> web.Response:
        entries = controls.request_log(request.query.get("path_prefix"))
        server = request.query.get("server")
        rows = [e.as_dict() for e in entries if server is None or e.server == server]
        return web.json_response({"requests": rows})

    async def revoke(_: web.Request) -> web.Response:
        return web.json_response({"revoked": controls.revoke_tokens()})

    async def reset(_: web.Request) -> web.Response:
        controls.reset_rate_limits()
        return web.json_response({"reset": True})

    async def unauthenticated(request: web.Request) -> web.Response:
        mode = request.query.get("mode", "401")
        if mode not in ("401", "302"):
            return web.json_response({"error": "mode must be 401 or 302"}, status=400)
        controls.set_unauthenticated_redirect(mode == "302")
        return web.json_response({"mode": int(mode)})

    return [
        web.get("/_sandbox/requests", requests),
        web.post("/_sandbox/revoke", revoke),
        web.post("/_sandbox/rate-limits/reset", reset),
        web.post("/_sandbox/unauthenticated", unauthenticated),
    ]
