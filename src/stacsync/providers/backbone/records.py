"""CLC+ Backbone (gen-1 API) responses: records and parsers.

* token: ``{"access_token", "expires_in": "8640000", ...}`` (``expires_in`` is a string);
* AOI order (202): ``{"message", "links": {"href": "/services/order_status/<id>", "area"}}``;
  the order id only exists inside ``links.href``;
* national and Europe orders (200): ``{"result": "<url>"}``, no order id;
* order status: ``{"order_id", "status", "result"}``, ``result`` null until ``SUCCESS``;
* nations: ``{"nations": [...]}``;
* errors: ``{"message": {"error_description": {...}, "error_definition": {"message"}}}`` or a
  plain ``{"message": "..."}``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from stacsync.providers.backbone.constants import PROVIDER
from stacsync.providers.payload import (
    At,
    optional_str,
    require,
    require_int,
    require_list,
    require_object,
    require_str,
)

_ORDER_HREF = re.compile(r"(?:order_status/|orders/)([0-9A-Za-z_-]+)(?:/status)?/?$")
_AREA = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*km2\s*$")


class OrderState(enum.Enum):
    """What an order status means for the harvest."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "canceled"


_STATES: Mapping[str, OrderState] = {
    "RECEIVED": OrderState.PENDING,
    "QUEUED": OrderState.PENDING,
    "RUNNING": OrderState.PENDING,
    "SUCCESS": OrderState.SUCCEEDED,
    "FAILED": OrderState.FAILED,
    "INVALID": OrderState.FAILED,
    "ABORTED": OrderState.CANCELLED,
}


@dataclass(frozen=True)
class Token:
    """A bearer token from ``/auth/get_bearer_token``."""

    access_token: str = field(repr=False)
    expires_in: int
    """Lifetime in seconds (sent as a string)."""
    scope: str | None = None


@dataclass(frozen=True)
class OrderReceipt:
    """The 202 answer of ``get_product``."""

    order_id: str
    status_path: str
    """``links.href``, e.g. ``/services/order_status/<order_id>``."""
    area_km2: float | None
    """The AOI area the API computed (EPSG:3857), if given."""
    message: str | None = None


@dataclass(frozen=True)
class OrderStatus:
    """An order's status; ``result`` is the product's URL once it succeeded."""

    order_id: str | None
    """``None`` for national and Europe orders, which return no id."""
    status: str
    """As sent (``RECEIVED``, ``RUNNING``, ``SUCCESS`` ...)."""
    state: OrderState
    result: str | None = None

    @property
    def file_name(self) -> str | None:
        """The product's file name (the last path segment of ``result``)."""
        if not self.result:
            return None
        path = urlparse(self.result).path if "://" in self.result else self.result
        return unquote(path.rstrip("/").rsplit("/", 1)[-1]) or None

    @property
    def is_url(self) -> bool:
        """Whether ``result`` is an HTTP(S) URL (else it is a key in the S3 bucket)."""
        return bool(self.result) and urlparse(self.result or "").scheme in {"http", "https"}


def parse_token(value: object, *, url: str | None = None) -> Token:
    """The token response; ``expires_in`` may be a string (``"8640000"``) or a number."""
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    token_type = optional_str(obj, "token_type", at)
    if token_type is not None and token_type.lower() != "bearer":
        (at / "token_type").fail(f"expected 'Bearer', got {token_type!r}")
    return Token(
        access_token=require_str(obj, "access_token", at),
        expires_in=require_int(obj, "expires_in", at, numeric_str=True),
        scope=optional_str(obj, "scope", at),
    )


def parse_order_receipt(value: object, *, url: str | None = None) -> OrderReceipt:
    """The ``get_product`` answer; the order id is taken from ``links.href``."""
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    links = require_object(require(obj, "links", at), at / "links")
    href = require_str(links, "href", at / "links")
    match = _ORDER_HREF.search(href)
    if match is None:
        (at / "links" / "href").fail(f"no order id in {href!r}")
    area_text = optional_str(links, "area", at / "links")
    area = None
    if area_text is not None:
        area_match = _AREA.match(area_text)
        if area_match is None:
            (at / "links" / "area").warn(f"not an area in km2 ({area_text!r}); ignored")
        else:
            area = float(area_match.group(1))
    return OrderReceipt(
        order_id=match.group(1),
        status_path=href,
        area_km2=area,
        message=optional_str(obj, "message", at),
    )


def _state(status: str, at: At) -> OrderState:
    state = _STATES.get(status.strip().upper())
    if state is None:
        (at / "status").warn(f"unknown order status {status!r}; treated as still running")
        return OrderState.PENDING
    return state


def parse_order_status(value: object, *, url: str | None = None) -> OrderStatus:
    """``/services/order_status/<id>``: ``{"order_id", "status", "result"}``.

    Raises:
        PayloadError: A field is missing or mistyped, or a ``SUCCESS`` has no ``result``.
    """
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    status = require_str(obj, "status", at)
    state = _state(status, at)
    result = optional_str(obj, "result", at) if "result" in obj else None
    if "result" not in obj:
        (at / "result").warn("missing")
    if state is OrderState.SUCCEEDED and result is None:
        (at / "result").fail(f"no product URL although the order is {status}")
    return OrderStatus(
        order_id=require_str(obj, "order_id", at),
        status=status,
        state=state,
        result=result if state is OrderState.SUCCEEDED else None,
    )


def parse_product_result(value: object, *, url: str | None = None) -> OrderStatus:
    """The synchronous ``get_national_product`` / ``get_product_europe`` answer."""
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    result = require_str(obj, "result", at)
    return OrderStatus(order_id=None, status="SUCCESS", state=OrderState.SUCCEEDED, result=result)


def parse_nations(value: object, *, url: str | None = None) -> tuple[str, ...]:
    """``/products/nations``: the nation names, in the API's order."""
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    names = require_list(require(obj, "nations", at), at / "nations")
    out: list[str] = []
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            (at / "nations" / index).fail("expected a nation name")
        out.append(name)
    return tuple(out)


def error_message(value: object) -> str | None:
    """The human-readable cause in a Backbone error body, or ``None``.

    Reads ``message.error_definition.message`` (gen-1 envelope), a plain ``message`` string
    (AOI too big, Flask-RESTX 404s), ``error.message`` (gen-2) and ``detail``.
    """
    if not isinstance(value, Mapping):
        return None
    message = value.get("message")
    if isinstance(message, Mapping):
        definition = message.get("error_definition")
        if isinstance(definition, Mapping) and isinstance(definition.get("message"), str):
            return str(definition["message"]).strip() or None
        description = message.get("error_description")
        if isinstance(description, Mapping) and isinstance(description.get("description"), str):
            return str(description["description"]).strip() or None
    if isinstance(message, str) and message.strip():
        return message.strip()
    error = value.get("error")
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return str(error["message"]).strip() or None
    detail = value.get("detail")
    return detail.strip() if isinstance(detail, str) and detail.strip() else None
