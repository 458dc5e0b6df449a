"""Error bodies of the three Terrascope front ends, and a middleware that enforces them.

Terrascope's hosts sit behind an nginx reverse proxy, so proxy-level failures (injected 503,
rate-limit 429) get nginx's stock HTML page; the applications answer in their own format:
Keycloak ``{"error", "error_description"}``, FastAPI ``{"detail"}`` and stac-fastapi
``{"code", "description"}``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler."""
BodyFactory = Callable[[int, web.Request], web.Response]
"""Builds the application's own error response for a status code."""


_NGINX_PHRASES = {
    401: "Authorization Required",
    405: "Not Allowed",
    503: "Service Temporarily Unavailable",
}
"""Where nginx's reason phrases differ from the standard ones."""


def nginx_page(status: int) -> web.Response:
    """The nginx default error page for ``status`` (used for 503/429 and the download host)."""
    phrase = f"{status} {_NGINX_PHRASES.get(status, HTTPStatus(status).phrase)}"
    html = (
        f"<html>\r\n<head><title>{phrase}</title></head>\r\n<body>\r\n"
        f"<center><h1>{phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return web.Response(status=status, text=html, content_type="text/html")


def keycloak_error(status: int, error: str, description: str | None = None) -> web.Response:
    """A Keycloak OAuth error response."""
    body: dict[str, Any] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return web.json_response(body, status=status)


def fastapi_detail(status: int, detail: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A FastAPI ``HTTPException`` response: ``{"detail": ...}``."""
    return web.json_response({"detail": detail}, status=status, headers=headers)


def stac_error(status: int, code: str, description: str) -> web.Response:
    """A stac-fastapi ``StacApiError`` response: ``{"code", "description"}``."""
    return web.json_response({"code": code, "description": description}, status=status)


def guard_middleware(fallback: BodyFactory) -> Middleware:
    """Turn aiohttp's own 4xx pages and unexpected exceptions into the application's bodies."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = fallback(exc.status, request)
            if exc.status == 405 and "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        except Exception:
            logger.exception("terrascope sandbox handler failed on %s", request.path)
            return fallback(500, request)

    return middleware
