"""The ``files`` host: the public Swift container ``clcplus-public`` over plain HTTP.

``GET``/``HEAD`` ``/swift/v1/AUTH_<project>/clcplus-public/products/<name>`` serve AOI results
once published, ``products/national/<file>.zip`` and the European GeoTIFF; anything else is
Swift's HTML 404.
"""

from __future__ import annotations

import re

from aiohttp import web

from stacsync.sandbox.backbone.nations import SWIFT_PREFIX
from stacsync.sandbox.backbone.orders import Status
from stacsync.sandbox.backbone.service import BackboneService
from stacsync.sandbox.blobs import serve_blob

FILES_SERVICE: web.AppKey[BackboneService] = web.AppKey("backbone_files", BackboneService)
_ORDER_FILE = re.compile(r"^(Raster|Vector)_([0-9a-f]{32})\.zip$")
_REASONS = {
    404: ("Not Found", "The resource could not be found."),
    429: ("Too Many Requests", "The client is sending too many requests."),
    503: (
        "Service Unavailable",
        "The server is currently unavailable. Please try again at a later time.",
    ),
}


def swift_error(status: int) -> web.Response:
    """Swift's small HTML error page (also the body of injected faults)."""
    title, text = _REASONS.get(status, _REASONS[503])
    return web.Response(
        status=status,
        text=f"<html><h1>{title}</h1><p>{text}</p></html>",
        content_type="text/html",
        charset="UTF-8",
    )


async def product_file(request: web.Request) -> web.Response:
    """Serve one object of the ``products`` folder."""
    service = request.app[FILES_SERVICE]
    key = request.match_info["key"]
    blob = service.results.get(key)
    if blob is None:
        match = _ORDER_FILE.match(key)
        order = service.orders.get(match.group(2)) if match else None
        if order is not None and order.file_name == key:
            if service.orders.status(order) is Status.SUCCESS:
                await service.publish(order)
            blob = service.results.get(key) if order.published else None
        else:
            blob = await service.static_blob(key)
    if blob is None:
        return swift_error(404)
    return serve_blob(request, blob)


def add_files_routes(app: web.Application, service: BackboneService) -> None:
    """Register the Swift-style routes on ``app``."""
    app[FILES_SERVICE] = service
    app.router.add_get(SWIFT_PREFIX + "/{key:.+}", product_file)
    app.router.add_route("*", "/{tail:.*}", not_found)


async def not_found(request: web.Request) -> web.Response:
    """Swift's 404 for every other path."""
    return swift_error(404)
