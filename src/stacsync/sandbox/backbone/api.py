"""The gen-1 API host (``/v1``): token, product orders, nations and order status.

Authorisation runs before the body is looked at. Missing keys are Python ``KeyError``s turned
into 400s with a traceback, the (unpublished) ``check_message`` validation answers 404 with a
BadRequest body, and every other failure uses the GeoVille error envelope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from stacsync.sandbox.backbone.aoi import AREA_LIMIT_KM2, WktError, area_km2, area_text, parse_wkt
from stacsync.sandbox.backbone.auth import PRODUCT_SCOPES, STATUS_SCOPES
from stacsync.sandbox.backbone.envelope import (
    AOI_TOO_BIG,
    error_response,
    flask_method_not_allowed,
    flask_not_found,
    key_error_response,
    unexpected_response,
)
from stacsync.sandbox.backbone.footprint import order_outcome
from stacsync.sandbox.backbone.nations import EUROPE_FILE, NATIONS, nations_response
from stacsync.sandbox.backbone.service import BackboneService
from stacsync.sandbox.backbone.swagger import swagger_document

BASE = "/v1"
SERVICE: web.AppKey[BackboneService] = web.AppKey("backbone_service", BackboneService)
_WKT_HEAD = re.compile(r"^\s*(MULTI)?(POINT|LINESTRING|POLYGON)\b", re.IGNORECASE)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Rejected(Exception):
    """Carries the error response of a failed request check."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _service(request: web.Request) -> BackboneService:
    return request.app[SERVICE]


async def _json_body(request: web.Request, module: str, *, echo: bool) -> dict[str, Any]:
    """The JSON object body, or the error the Flask resource would give."""
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8") or "null") if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Rejected(error_response(400, f"Failed to decode JSON object: {exc}")) from None
    if not isinstance(body, dict):
        error = TypeError(f"'{type(body).__name__}' object is not subscriptable")
        raise _Rejected(unexpected_response(error, module=module, payload=body if echo else ""))
    return body


def _require(body: dict[str, Any], keys: tuple[str, ...], module: str, *, echo: bool) -> None:
    for key in keys:
        if key not in body:
            raise _Rejected(
                key_error_response(
                    key,
                    module=module,
                    line=61,
                    statement=f"{key} = req_args['{key}']",
                    payload=body if echo else "",
                )
            )


def _check_message(body: dict[str, Any], keys: tuple[str, ...]) -> None:
    """The DB-driven payload validation: failures are HTTP 404 with a BadRequest body."""
    for key in keys:
        value = body[key]
        valid = isinstance(value, str) and value.strip() != ""
        if valid and key == "aoi":
            valid = _WKT_HEAD.match(value) is not None
        if not valid:
            raise _Rejected(
                error_response(
                    400,
                    f"Payload failed the GeoVille standards: '{key}' does not match the"
                    " expected format",
                    http_status=404,
                )
            )


async def _product_payload(
    request: web.Request, keys: tuple[str, ...], module: str
) -> dict[str, Any]:
    """Authorise, parse and validate a product request (in the API's order of checks)."""
    service = _service(request)
    denied = service.authority.protect(request, PRODUCT_SCOPES)
    if denied is not None:
        raise _Rejected(denied)
    body = await _json_body(request, module, echo=True)
    _require(body, keys, module, echo=True)
    _check_message(body, keys)
    if not service.authority.customer_exists(body["user_id"]):
        raise _Rejected(error_response(404, "User ID does not exist"))
    return body


async def get_bearer_token(request: web.Request) -> web.Response:
    """``POST /auth/get_bearer_token``."""
    module = "resources_auth/get_bearer_token/get_bearer_token.py"
    body = await _json_body(request, module, echo=False)
    _require(body, ("user_id", "client_secret"), module, echo=False)
    authority = _service(request).authority
    failure = authority.login(body["user_id"], body["client_secret"])
    if failure is not None:
        return error_response(*failure)
    return web.json_response(authority.issue())


async def get_product(request: web.Request) -> web.Response:
    """``POST /products/get_product``: an asynchronous AOI order (202)."""
    module = "resources_products/get_product/get_product.py"
    body = await _product_payload(request, ("product", "aoi", "user_id"), module)
    try:
        aoi = parse_wkt(body["aoi"])
    except WktError as exc:
        return unexpected_response(exc, module=module, payload=body)
    area = area_km2(aoi)
    if area > AREA_LIMIT_KM2:
        return web.json_response({"message": AOI_TOO_BIG}, status=404)
    outcome, reason = order_outcome(body["product"], aoi)
    order = _service(request).orders.create(
        service="get_product",
        product=body["product"],
        user_id=body["user_id"],
        payload=body,
        aoi=aoi,
        outcome=outcome,
        reason=reason,
    )
    links = {
        "href": f"/services/order_status/{order.order_id}",
        "area": area_text(area),
        "rel": "services",
        "type": "GET",
    }
    return web.json_response(
        {"message": "Your order has been successfully submitted", "links": links}, status=202
    )


async def get_national_product(request: web.Request) -> web.Response:
    """``POST /products/get_national_product``: a synchronous link to a pre-made zip."""
    module = "resources_products/get_national_product/get_national_product.py"
    body = await _product_payload(request, ("product", "nation", "user_id"), module)
    key = body["nation"].upper()
    nation = NATIONS.get(key)
    if nation is None:
        return key_error_response(
            key,
            module=module,
            line=142,
            statement="nation_info = national_info[req_args['nation'].upper()]",
            payload=body,
        )
    service = _service(request)
    url = service.result_url(f"national/{nation.file_name(body['product'])}")
    service.orders.create(
        service="get_national_product",
        product=body["product"],
        user_id=body["user_id"],
        payload=body,
        result=url,
    )
    return web.json_response({"result": url})


async def get_product_europe(request: web.Request) -> web.Response:
    """``POST /products/get_product_europe``: the constant pan-European GeoTIFF URL."""
    module = "resources_products/get_product_europe/get_product_europe.py"
    body = await _product_payload(request, ("product", "user_id"), module)
    service = _service(request)
    url = service.result_url(EUROPE_FILE)
    service.orders.create(
        service="get_product_europe",
        product=body["product"],
        user_id=body["user_id"],
        payload=body,
        result=url,
    )
    return web.json_response({"result": url})


async def nations(request: web.Request) -> web.Response:
    """``GET /products/nations``."""
    denied = _service(request).authority.protect(request, PRODUCT_SCOPES)
    return denied or web.json_response(nations_response())


async def order_status(request: web.Request) -> web.Response:
    """``GET /services/order_status/{order_id}``."""
    service = _service(request)
    denied = service.authority.protect(request, STATUS_SCOPES)
    if denied is not None:
        return denied
    order_id = request.match_info["order_id"]
    order = service.orders.get(order_id)
    if order is None:
        return error_response(404, f"No database entry found for order ID: {order_id}")
    return web.json_response(await service.status_body(order))


async def swagger(request: web.Request) -> web.Response:
    """``GET /swagger.json``: a stub of the Flask-RESTX document."""
    return web.json_response(swagger_document())


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("POST", "/auth/get_bearer_token", get_bearer_token),
    ("POST", "/products/get_product", get_product),
    ("POST", "/products/get_national_product", get_national_product),
    ("POST", "/products/get_product_europe", get_product_europe),
    ("GET", "/products/nations", nations),
    ("GET", "/services/order_status/{order_id}", order_status),
    ("GET", "/swagger.json", swagger),
)


def flask_errors(known: list[str]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware: request-check rejections, Flask's 404/405 and the 500 envelope."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except _Rejected as rejected:
            return rejected.response
        except web.HTTPMethodNotAllowed as exc:
            return flask_method_not_allowed(exc.allowed_methods)
        except web.HTTPNotFound:
            return flask_not_found(request.path, known)
        except web.HTTPException:
            raise
        except Exception as exc:  # never aiohttp's own 500 page
            return unexpected_response(exc, module="api.py", payload="")

    return middleware


def add_api_routes(app: web.Application, service: BackboneService) -> None:
    """Register the ``/v1`` routes and the Flask-like error handling on ``app``."""
    app[SERVICE] = service
    for method, path, handler in ROUTES:
        app.router.add_route(method, BASE + path, handler)
    known = [BASE + path for _, path, _ in ROUTES if "{" not in path]
    app.middlewares.append(flask_errors(known))
