"""Sandbox control routes on the ``api`` host (``/_sandbox/...``), for other processes.

* ``GET  /_sandbox/requests``: the request log of the backbone servers
* ``GET  /_sandbox/orders``: every order with its current status
* ``POST /_sandbox/orders/{order_id}/status`` ``{"status": "FAILED"}``: force a status
* ``POST /_sandbox/fail_next`` ``{"status": "FAILED"}``: the next AOI order ends in that status
* ``POST /_sandbox/revoke``: revoke every issued token
* ``POST /_sandbox/tokens`` ``{"scope": "guest"}``: issue a token with another scope
* ``POST /_sandbox/advance`` ``{"seconds": 10}``: advance the (shared) sandbox clock
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from stacsync.sandbox.backbone.orders import Status
from stacsync.sandbox.backbone.service import BackboneService

ADMIN_SERVICE: web.AppKey[BackboneService] = web.AppKey("backbone_admin", BackboneService)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(
            text='{"error": "invalid JSON"}', content_type="application/json"
        ) from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"error": "expected an object"}', content_type="application/json"
        )
    return body


def _status(value: object) -> Status:
    try:
        return Status(str(value).upper())
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"unknown status {value!r}"}), content_type="application/json"
        ) from None


async def requests(request: web.Request) -> web.Response:
    """The request log of every backbone server."""
    service = request.app[ADMIN_SERVICE]
    entries = [e.as_dict() for e in service.ctx.log.entries() if e.server.startswith("backbone.")]
    return web.json_response({"entries": entries})


async def orders(request: web.Request) -> web.Response:
    """Every order and its current status."""
    service = request.app[ADMIN_SERVICE]
    rows = [
        {
            "order_id": o.order_id,
            "service": o.service,
            "product": o.product,
            "status": service.orders.status(o).value,
            "published": o.published,
            "reason": o.reason,
        }
        for o in service.orders.all()
    ]
    return web.json_response({"orders": rows})


async def force_status(request: web.Request) -> web.Response:
    """Force an order's status."""
    service = request.app[ADMIN_SERVICE]
    status = _status((await _body(request)).get("status", "FAILED"))
    order_id = request.match_info["order_id"]
    if not service.orders.force(order_id, status):
        return web.json_response({"error": f"unknown order {order_id}"}, status=404)
    return web.json_response({"order_id": order_id, "status": status.value})


async def fail_next(request: web.Request) -> web.Response:
    """Make the next AOI order end in the given status."""
    status = _status((await _body(request)).get("status", "FAILED"))
    request.app[ADMIN_SERVICE].orders.fail_next(status)
    return web.json_response({"next_outcome": status.value})


async def revoke(request: web.Request) -> web.Response:
    """Revoke every issued token."""
    count = request.app[ADMIN_SERVICE].authority.tokens.revoke_all()
    return web.json_response({"revoked": count})


async def tokens(request: web.Request) -> web.Response:
    """Issue a token with a chosen scope (e.g. one that lacks ``user``)."""
    scope = str((await _body(request)).get("scope", "user"))
    return web.json_response(request.app[ADMIN_SERVICE].authority.issue(scope=scope))


async def advance(request: web.Request) -> web.Response:
    """Advance the sandbox clock."""
    try:
        seconds = float((await _body(request)).get("seconds", 0))
        request.app[ADMIN_SERVICE].ctx.clock.advance(seconds)
    except (TypeError, ValueError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"now": request.app[ADMIN_SERVICE].ctx.clock.now()})


def add_admin_routes(app: web.Application, service: BackboneService) -> None:
    """Register the ``/_sandbox`` routes on ``app``."""
    app[ADMIN_SERVICE] = service
    app.router.add_get("/_sandbox/requests", requests)
    app.router.add_get("/_sandbox/orders", orders)
    app.router.add_post("/_sandbox/orders/{order_id}/status", force_status)
    app.router.add_post("/_sandbox/fail_next", fail_next)
    app.router.add_post("/_sandbox/revoke", revoke)
    app.router.add_post("/_sandbox/tokens", tokens)
    app.router.add_post("/_sandbox/advance", advance)
