"""Backbone order requests: local checks, payloads, request keys and the AOI area."""

from __future__ import annotations

import pytest

from stacsync.errors import RequestRejectedError
from stacsync.providers.backbone.aoi import AoiError, parse_aoi
from stacsync.providers.backbone.requests import (
    OrderKind,
    OrderRequest,
    check_order,
    order_payload,
    request_key,
)

from .conftest import load

AOI = load("gen1_get_product_request_example.json")["aoi"]


def test_the_documented_aoi_has_the_documented_area() -> None:
    aoi = parse_aoi(AOI)
    assert round(aoi.area_km2(), 2) == 7766.19  # the "area" of the documented 202 answer
    assert aoi.geometry()["type"] == "Polygon"
    assert aoi.bbox == (
        17.227309445590443,
        46.65458260506014,
        18.217384701084143,
        47.10769387054001,
    )


def test_payloads() -> None:
    request = OrderRequest(kind=OrderKind.AOI, aoi=AOI)
    assert check_order(request) is not None
    assert order_payload(request, "S6aIHB1NOSbaj1ghq99pXq9a") == load(
        "gen1_get_product_request_example.json"
    )
    national = OrderRequest(kind=OrderKind.NATIONAL, product="Vector", nation="austria")
    assert order_payload(national, "u") == {
        "product": "Vector",
        "nation": "austria",
        "user_id": "u",
    }
    assert order_payload(OrderRequest(kind=OrderKind.EUROPE), "u") == {
        "product": "Raster",
        "user_id": "u",
    }
    assert OrderKind.NATIONAL.endpoint == "/products/get_national_product"


def test_request_keys() -> None:
    a = OrderRequest(kind=OrderKind.AOI, aoi=AOI)
    b = OrderRequest(kind=OrderKind.AOI, aoi="  " + AOI.replace(" (((", "(((").lower())
    assert request_key(a) == request_key(b)
    assert request_key(a) != request_key(
        OrderRequest(kind=OrderKind.AOI, aoi=AOI, product="Vector")
    )
    assert request_key(OrderRequest(kind=OrderKind.NATIONAL, nation="Austria")) == request_key(
        OrderRequest(kind=OrderKind.NATIONAL, nation=" AUSTRIA ")
    )


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        (OrderRequest(kind=OrderKind.AOI, aoi=AOI, product="raster"), "unknown product 'raster'"),
        (OrderRequest(kind=OrderKind.AOI), "needs an 'aoi'"),
        (OrderRequest(kind=OrderKind.AOI, aoi="POINT (1 2)"), "POLYGON or MULTIPOLYGON"),
        (OrderRequest(kind=OrderKind.AOI, aoi="POLYGON ((0 0, 1 0, 1 1, 0 0)"), "unbalanced"),
        (OrderRequest(kind=OrderKind.AOI, aoi="POLYGON ((0 0, 1 0, 1 1))"), "closed"),
        (OrderRequest(kind=OrderKind.AOI, aoi="POLYGON ((0 0, 200 0, 1 1, 0 0))"), "outside"),
        (OrderRequest(kind=OrderKind.AOI, aoi="POLYGON ((0 0, 1 0, 2 0, 0 0))"), "no area"),
        (
            OrderRequest(
                kind=OrderKind.AOI, aoi="POLYGON ((-10 35, 30 35, 30 70, -10 70, -10 35))"
            ),
            "AOI is too big",
        ),
        (OrderRequest(kind=OrderKind.NATIONAL, nation="Atlantis"), "unknown nation 'Atlantis'"),
    ],
)
def test_refused_requests(request_: OrderRequest, match: str) -> None:
    with pytest.raises(RequestRejectedError, match=match) as caught:
        check_order(request_)
    assert caught.value.provider == "backbone"
    assert request_key(request_) in str(caught.value)


def test_multipolygons_and_holes() -> None:
    multi = parse_aoi(
        "MULTIPOLYGON Z (((0 0 1, 1 0 1, 1 1 1, 0 0 1)), ((5 5 0, 6 5 0, 6 6 0, 5 5 0)))"
    )
    assert multi.geometry()["type"] == "MultiPolygon"
    assert multi.bbox == (0.0, 0.0, 6.0, 6.0)
    holed = parse_aoi("POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0), (0.5 0.5, 1 0.5, 1 1, 0.5 0.5))")
    plain = parse_aoi("POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))")
    assert holed.area_km2() < plain.area_km2()
    with pytest.raises(AoiError):
        parse_aoi("MULTIPOLYGON EMPTY")
