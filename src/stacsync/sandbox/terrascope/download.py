"""The download service (services.terrascope.be/download) and the preview images.

``/download/<path>`` needs HTTP Basic (Terrascope username:password) or a valid Bearer
access token; missing, wrong, expired or revoked credentials get 401 (or, when the
emulator is switched to the 2022 behaviour, a 302 to the Keycloak login page). Every
``/download/`` request a client makes counts against the published per-IP limits, which a
middleware enforces before anything else, answering 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.typedefs import Middleware

from stacsync.sandbox.blobs import serve_blob
from stacsync.sandbox.terrascope.files import FileStore
from stacsync.sandbox.terrascope.products import DOWNLOAD_PREFIX, PREVIEW_PREFIX
from stacsync.sandbox.terrascope.ratelimit import SlidingWindowLimiter
from stacsync.sandbox.terrascope.responses import Handler, nginx_page
from stacsync.sandbox.tokens import TokenState

RATE_LIMITED: web.RequestKey[bool] = web.RequestKey("terrascope_rate_limited", bool)
"""Marker stored on rate-limited requests (the request log's ``fault`` stays ``None``)."""


def rate_limit_middleware(limiter: SlidingWindowLimiter) -> Middleware:
    """Refuse ``/download/`` requests beyond the limits with 429 + ``Retry-After``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(DOWNLOAD_PREFIX):
            return await handler(request)
        wait = limiter.acquire(request.remote or "")
        if wait is None:
            return await handler(request)
        request[RATE_LIMITED] = True
        response = nginx_page(429)
        response.headers["Retry-After"] = str(limiter.retry_after(wait))
        return response

    return middleware


def download_fallback(status: int, _: web.Request) -> web.Response:
    """The nginx pages for routing errors and failures on the download host."""
    return nginx_page(status if status in (404, 405) else 500 if status >= 500 else 400)


class DownloadService:
    """Authenticated file downloads over a :class:`FileStore`."""

    def __init__(
        self,
        files: FileStore,
        *,
        username: str,
        password: str,
        check_token: Callable[[str], TokenState],
        login_url: str,
    ) -> None:
        self.files = files
        self._username = username
        self._password = password
        self._check_token = check_token
        self.login_url = login_url
        self.redirect_unauthenticated = False
        """Answer 302 to the login page instead of 401 (the 2022 behaviour)."""

    def authorised(self, request: web.Request) -> bool:
        """Whether the request carries valid Basic credentials or a valid access token."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer" and value:
            return self._check_token(value) is TokenState.VALID
        if scheme == "basic" and value:
            try:
                decoded = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            user, _, password = decoded.partition(":")
            return user == self._username and password == self._password
        return False

    def _refuse(self, request: web.Request) -> web.Response:
        if self.redirect_unauthenticated and "Authorization" not in request.headers:
            query = urlencode(
                {
                    "client_id": "terrascope-download",
                    "redirect_uri": str(request.url),
                    "response_type": "code",
                    "scope": "openid",
                }
            )
            return web.Response(status=302, headers={"Location": f"{self.login_url}?{query}"})
        response = nginx_page(401)
        response.headers.add("WWW-Authenticate", 'Basic realm="terrascope"')
        response.headers.add("WWW-Authenticate", 'Bearer realm="terrascope"')
        return response

    async def download(self, request: web.Request) -> web.Response:
        """``GET|HEAD /download/<path>``."""
        if not self.authorised(request):
            return self._refuse(request)
        if request.path not in self.files:
            return nginx_page(404)
        return serve_blob(request, self.files.blob(request.path))

    async def preview(self, request: web.Request) -> web.Response:
        """``GET /titiler/collections/{c}/items/{i}/preview`` (public, like titiler)."""
        if request.path not in self.files:
            return web.json_response({"detail": "Not Found"}, status=404)
        return serve_blob(request, self.files.blob(request.path))

    def routes(self) -> list[web.RouteDef]:
        """The download host's routes."""
        return [
            web.get(DOWNLOAD_PREFIX + "{path:.+}", self.download),
            web.get(PREVIEW_PREFIX + "{path:.+}", self.preview),
        ]
