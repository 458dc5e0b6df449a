"""Who is calling: the bearer-token PAS plugin and the ``Accept`` negotiation of the API host."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from stacsync.sandbox.clms.responses import (
    TOKEN_EXPIRED,
    UNAUTHORIZED,
    plone_html_not_found,
    plone_json,
)
from stacsync.sandbox.tokens import TokenState, TokenStore

USER_KEY: web.RequestKey[str] = web.RequestKey("stacsync.sandbox.clms.user", str)
ADMIN_PREFIX = "/_sandbox"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def current_user(request: web.Request) -> str | None:
    """The authenticated user id, or ``None`` for anonymous."""
    return request.get(USER_KEY)


def require_user(request: web.Request) -> str:
    """The user id, or raise the plone.restapi 401."""
    user = current_user(request)
    if user is None:
        raise web.HTTPUnauthorized(
            text=plone_json(UNAUTHORIZED, 401).text, content_type="application/json"
        )
    return user


def bearer_middleware(tokens: TokenStore) -> Middleware:
    """ftw.tokenauth's PAS plugin: valid token -> user; expired -> 401; unknown -> anonymous."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            state, token = tokens.check(value.strip())
            if state is TokenState.EXPIRED:
                return plone_json(TOKEN_EXPIRED, 401)
            if state is TokenState.VALID and token is not None:
                request[USER_KEY] = token.subject
        return await handler(request)

    return middleware


def accept_middleware() -> Middleware:
    """REST services answer only ``Accept: application/json``; others get Plone's HTML 404."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/api/") and "@@" not in request.path:
            accept = request.headers.get("Accept", "")
            if "application/json" not in accept:
                return plone_html_not_found()
        return await handler(request)

    return middleware
