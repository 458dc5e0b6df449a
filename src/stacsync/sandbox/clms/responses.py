"""How the CLMS hosts answer: plone.restapi JSON rendering and the generic error bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

UNAUTHORIZED = {
    "message": "You are not authorized to access this resource.",
    "type": "Unauthorized",
}
"""plone.restapi's 401 for anonymous callers of a protected service (captured 2022)."""
TOKEN_EXPIRED = {"error": "invalid_token", "error_description": "Access token expired"}
"""ftw.tokenauth's 401 for an expired access token, on any request."""


def plone_json(body: Any, status: int = 200) -> web.Response:
    """A JSON response rendered like plone.rest (``indent=2, sort_keys=True``)."""
    text = json.dumps(body, indent=2, sort_keys=True, separators=(", ", ": "))
    return web.Response(status=status, text=text, content_type="application/json")


def plone_error(status: int, kind: str, message: str, **extra: str) -> web.Response:
    """A plone.restapi exception body (``{"message", "type"}``)."""
    return plone_json({**extra, "message": message, "type": kind}, status=status)


def not_found(request: web.BaseRequest, site: str) -> web.Response:
    """plone.restapi's 404 for an unknown path."""
    return plone_error(404, "NotFound", f"Resource not found: {request.url}", context=site)


def html_page(status: int, title: str, *, server: str = "nginx") -> web.Response:
    """A bare HTML error page of the kind a front proxy or file server sends."""
    text = (
        f"<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {title}</h1></center>\r\n<hr><center>{server}</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return web.Response(status=status, text=text, content_type="text/html")


def proxy_error_body(status: int) -> web.Response:
    """Injected 503/429 bodies: HTML from the front proxy, not JSON (inferred)."""
    title = "Too Many Requests" if status == 429 else "Service Temporarily Unavailable"
    return html_page(status, title)


def plone_html_not_found() -> web.Response:
    """What Plone serves when ``Accept: application/json`` is missing on a REST path."""
    text = (
        '<!DOCTYPE html><html lang="en"><head><title>Page not found</title></head><body>'
        "<h1>This page does not seem to exist…</h1>"
        "<p>We apologize for the inconvenience, but the page you were trying to access is not "
        "at this address.</p></body></html>"
    )
    return web.Response(status=404, text=text, content_type="text/html")


def status_error(status: int, msg: str) -> web.Response:
    """A download-tool error body (``{"status": "error", "msg": ...}``)."""
    return plone_json({"msg": msg, "status": "error"}, status=status)
