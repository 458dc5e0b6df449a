"""decode_json: HTML pages with 200, truncated or invalid JSON, empty bodies."""

from __future__ import annotations

import pytest

from stacsync.errors import PayloadError
from stacsync.providers.payload import decode_json

from .conftest import DATA

URL = "https://land.copernicus.eu/api/@search"


def test_valid_json_is_decoded() -> None:
    body = (DATA / "datarequest_post_response.json").read_bytes()
    assert decode_json("clms", body, content_type="application/json", url=URL) == {
        "ErrorTaskIds": [],
        "TaskIds": [{"TaskID": "14909741217"}],
    }


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<!DOCTYPE html><html><head><title>Maintenance</title></head></html>", "text/html"),
        (b"<html><head><title>Maintenance</title></head></html>", "application/json"),
        (b"  <!doctype html>\n<title>Maintenance</title>", None),
    ],
)
def test_html_with_200_is_refused(body: bytes, content_type: str | None) -> None:
    with pytest.raises(PayloadError) as caught:
        decode_json("clms", body, content_type=content_type, url=URL, status=200)
    error = caught.value
    assert error.provider == "clms"
    assert error.url == URL
    assert error.status == 200
    assert "HTML page" in error.reason
    assert "Maintenance" in str(error)
    assert URL in str(error)


def test_truncated_json_names_the_url() -> None:
    body = (DATA / "datarequest_search_finished_response.json").read_bytes()
    with pytest.raises(PayloadError) as caught:
        decode_json("clms", body[: len(body) // 2], url=URL)
    assert caught.value.reason.startswith("truncated JSON")
    assert URL in str(caught.value)


def test_published_invalid_json_is_refused() -> None:
    body = (DATA / "datarequest_post_400_full_eea_response.raw.txt").read_bytes()
    with pytest.raises(PayloadError, match="invalid JSON") as caught:
        decode_json("clms", body, url=URL, status=400)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("body", "reason"), [(b"", "empty body"), (b"  \n", "empty body"), (b"\xff\xfe{}", "not UTF-8")]
)
def test_empty_and_undecodable_bodies(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        decode_json("backbone", body, url=URL)


def test_xml_is_named_as_such() -> None:
    with pytest.raises(PayloadError, match="an XML document"):
        decode_json("clms", b'<?xml version="1.0"?><error/>', url=URL)
