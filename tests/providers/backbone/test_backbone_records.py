"""Backbone records: samples parse, bad payloads name the field, odd data warns."""

from __future__ import annotations

import pytest

from stacsync.errors import PayloadError, ProviderWarning
from stacsync.providers.backbone import legend, nations, records

from .conftest import SWIFT, load


def test_token_with_string_expiry() -> None:
    token = records.parse_token(load("gen1_get_bearer_token_response_example.json"))
    assert token.expires_in == 8640000
    assert token.scope == "user"
    assert "REDACTED" not in repr(token)
    assert records.parse_token({"access_token": "t", "expires_in": 300}).expires_in == 300


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires_in": "10"}, "access_token"),
        ({"access_token": "t", "expires_in": "100 days"}, "expires_in"),
        ({"access_token": "t", "expires_in": True}, "expires_in"),
        ({"access_token": 5, "expires_in": "1"}, "access_token"),
        ({"access_token": "t", "expires_in": "1", "token_type": "MAC"}, "token_type"),
    ],
)
def test_bad_tokens(body: object, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        records.parse_token(body, url="https://api/v1/auth/get_bearer_token")
    assert caught.value.field == field
    assert caught.value.provider == "backbone"


def test_order_receipt() -> None:
    receipt = records.parse_order_receipt(load("gen1_get_product_response_example.json"))
    assert receipt.order_id == "d371e64324033b2d8cd0a35a9d693975"
    assert receipt.area_km2 == 7766.19
    gen2 = records.parse_order_receipt({"links": {"href": "services/orders/abc123/status"}})
    assert gen2.order_id == "abc123" and gen2.area_km2 is None


def test_bad_order_receipts() -> None:
    with pytest.raises(PayloadError) as caught:
        records.parse_order_receipt({"message": "ok", "links": {"href": "/services/"}})
    assert caught.value.field == "links.href"
    with pytest.raises(PayloadError) as missing:
        records.parse_order_receipt({"message": "ok"})
    assert missing.value.field == "links"
    with pytest.warns(ProviderWarning, match=r"links\.area"):
        records.parse_order_receipt({"links": {"href": "/services/order_status/a1", "area": "big"}})


def test_order_status_samples() -> None:
    status = records.parse_order_status(load("gen1_order_status_success_example.json"))
    assert status.state is records.OrderState.SUCCEEDED
    assert status.file_name == "Raster_d371e64324033b2d8cd0a35a9d693975.zip"
    assert status.is_url
    model = records.parse_order_status(load("gen1_order_status_swagger_model_example.json"))
    assert model.result == "https://gems-demo.s3.amazonaws.com"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("RECEIVED", records.OrderState.PENDING),
        ("QUEUED", records.OrderState.PENDING),
        ("RUNNING", records.OrderState.PENDING),
        ("FAILED", records.OrderState.FAILED),
        ("INVALID", records.OrderState.FAILED),
        ("ABORTED", records.OrderState.CANCELLED),
    ],
)
def test_order_states(status: str, state: records.OrderState) -> None:
    parsed = records.parse_order_status({"order_id": "a", "status": status, "result": None})
    assert parsed.state is state and parsed.result is None


def test_odd_statuses() -> None:
    with pytest.warns(ProviderWarning, match="PAUSED"):
        parsed = records.parse_order_status({"order_id": "a", "status": "PAUSED", "result": None})
    assert parsed.state is records.OrderState.PENDING
    with pytest.raises(PayloadError) as caught:
        records.parse_order_status({"order_id": "a", "status": "SUCCESS", "result": None})
    assert caught.value.field == "result"
    with pytest.raises(PayloadError) as typed:
        records.parse_order_status({"order_id": 7, "status": "RUNNING", "result": None})
    assert typed.value.field == "order_id"
    with pytest.warns(ProviderWarning, match="'result'"):
        records.parse_order_status({"order_id": "a", "status": "RUNNING"})
    bare = records.parse_order_status(
        {"order_id": "a", "status": "SUCCESS", "result": "Raster_a.zip"}
    )
    assert not bare.is_url and bare.file_name == "Raster_a.zip"


def test_product_results_and_nations() -> None:
    url = f"{SWIFT}/national/CLMS_CLCplus_RASTER_2018_010m_at_31287_V1_1.zip"
    result = records.parse_product_result({"result": url})
    assert result.order_id is None and result.file_name.endswith("_V1_1.zip")  # type: ignore[union-attr]
    names = records.parse_nations(
        load("gen1_national_info.json")["nations_endpoint_response_derived"]
    )
    assert len(names) == 46 and names[2] == "Bosnia And Herzegovina"
    assert all(nations.nation(name) is not None for name in names)
    with pytest.raises(PayloadError) as caught:
        records.parse_nations({"nations": ["Austria", ""]})
    assert caught.value.field == "nations[1]"


def test_national_table_matches_the_sample() -> None:
    table = load("gen1_national_info.json")["national_info_used_by_get_national_product"]
    assert {k: (n.country_code, n.epsg) for k, n in nations.NATIONS.items()} == {
        k: (v["country_code"], v["epsg"]) for k, v in table.items()
    }
    parsed = nations.parse_national_file("CLMS_CLCplus_VECTOR_2018_TR_00000_V1_0.zip")
    assert parsed is not None and parsed.crs is None and parsed.product == "VECTOR"


def test_error_bodies() -> None:
    cases = load("gen1_error_responses_inferred.json")["cases"]
    for case in cases:
        message = records.error_message(case["body"])
        assert message, case["case"]
    assert records.error_message({"message": "The requested AOI is too big"}) == (
        "The requested AOI is too big"
    )
    assert records.error_message({"error": {"message": "Invalid User credentials"}}) == (
        "Invalid User credentials"
    )
    assert records.error_message("nope") is None


def test_legend_document_matches_the_built_in_legend() -> None:
    parsed = legend.parse_legend(load("clcplus_backbone_raster_legend_derived.json"))
    assert parsed == legend.LEGEND
    assert [c.name for c in parsed][:2] == ["sealed", "woody-needle-leaved-trees"]
    with pytest.raises(PayloadError) as caught:
        legend.parse_legend({"classes": [{"value": 1, "name": "Sealed", "hex": "red"}]})
    assert caught.value.field == "classes[0].hex"
