"""Backbone order requests: what to order, local checks, payloads and stable request keys.

Three kinds of order: an AOI (``get_product``, asynchronous), a nation
(``get_national_product``) and all of Europe (``get_product_europe``), each for the
``Raster`` or ``Vector`` product. :func:`check_order` refuses, before any request, what the
API would refuse or fail on: an unknown product spelling (the API's ``"Raster"`` test is
case-sensitive), an AOI that is not a polygon in EPSG:4326 or is larger than 5 million km²
(measured as the API does), and an unknown nation.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from stacsync.errors import RequestRejectedError
from stacsync.providers.backbone.aoi import Aoi, AoiError, parse_aoi
from stacsync.providers.backbone.constants import (
    AOI_AREA_LIMIT_KM2,
    AOI_TOO_BIG,
    PRODUCT_NAMES,
    PROVIDER,
)
from stacsync.providers.backbone.nations import Nation, nation

KEY_LENGTH = 16


class OrderKind(enum.StrEnum):
    """Which endpoint an order goes to."""

    AOI = "aoi"
    NATIONAL = "national"
    EUROPE = "europe"

    @property
    def endpoint(self) -> str:
        """The path below ``/v1``."""
        return {
            OrderKind.AOI: "/products/get_product",
            OrderKind.NATIONAL: "/products/get_national_product",
            OrderKind.EUROPE: "/products/get_product_europe",
        }[self]


@dataclass(frozen=True, kw_only=True)
class OrderRequest:
    """One Backbone order.

    Attributes:
        kind: AOI, national or Europe.
        product: ``Raster`` or ``Vector``.
        aoi: The AOI as WKT in EPSG:4326 (AOI orders only).
        nation: The English country name (national orders only), any case.
    """

    kind: OrderKind
    product: str = "Raster"
    aoi: str | None = None
    nation: str | None = None


def _aoi_key(wkt: str | None) -> Any:
    """The AOI's coordinates (rounded to 1e-9 degrees), else its whitespace-normalised text."""
    if not wkt:
        return None
    try:
        aoi = parse_aoi(wkt)
    except AoiError:
        return " ".join(wkt.split()).upper()
    return [
        [[[round(x, 9), round(y, 9)] for x, y in ring] for ring in poly] for poly in aoi.polygons
    ]


def normalised(request: OrderRequest) -> dict[str, Any]:
    """The canonical form of a request (what :func:`request_key` hashes)."""
    return {
        "kind": request.kind.value,
        "product": request.product,
        "aoi": _aoi_key(request.aoi),
        "nation": request.nation.strip().upper() if request.nation else None,
    }


def request_key(request: OrderRequest) -> str:
    """A stable id of a request: 16 hex digits of the SHA-256 of its canonical JSON."""
    text = json.dumps(normalised(request), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def _reject(request: OrderRequest, reason: str) -> RequestRejectedError:
    return RequestRejectedError(
        PROVIDER, f"{reason} ({request.kind.value} order {request_key(request)})"
    )


def check_order(request: OrderRequest) -> Aoi | Nation | None:
    """Check a request locally; return its parsed AOI, its nation, or ``None`` (Europe).

    Raises:
        RequestRejectedError: The product, AOI or nation would be refused or fail upstream.
    """
    if request.product not in PRODUCT_NAMES:
        raise _reject(
            request,
            f"unknown product {request.product!r}: the API only knows "
            + " and ".join(repr(p) for p in PRODUCT_NAMES),
        )
    if request.kind is OrderKind.AOI:
        if not request.aoi:
            raise _reject(request, "an AOI order needs an 'aoi' (WKT, EPSG:4326)")
        try:
            aoi = parse_aoi(request.aoi)
        except AoiError as exc:
            raise _reject(request, f"invalid AOI: {exc}") from exc
        area = aoi.area_km2()
        if area <= 0:
            raise _reject(request, "the AOI has no area")
        if area > AOI_AREA_LIMIT_KM2:
            raise _reject(request, AOI_TOO_BIG)
        return aoi
    if request.kind is OrderKind.NATIONAL:
        found = nation(request.nation or "")
        if found is None:
            raise _reject(request, f"unknown nation {request.nation!r}")
        return found
    return None


def order_payload(request: OrderRequest, user_id: str) -> dict[str, Any]:
    """The JSON body of the order (after :func:`check_order`)."""
    body: dict[str, Any] = {"product": request.product}
    if request.kind is OrderKind.AOI:
        body["aoi"] = request.aoi
    elif request.kind is OrderKind.NATIONAL:
        body["nation"] = request.nation
    body["user_id"] = user_id
    return body
