"""Response bodies to JSON: what providers send with a 200 when something went wrong upstream.

:func:`decode_json` refuses HTML pages (proxies, portals that ignore ``Accept``), empty bodies,
bodies that are not UTF-8 and truncated or invalid JSON, with a
:class:`~stacsync.errors.PayloadError` naming the provider and the URL.
"""

from __future__ import annotations

import json
import re
from typing import Any

from stacsync.errors import PayloadError

_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<\?xml|<!--)", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_MAX_SHOWN = 80


def _html_title(body: bytes) -> str:
    match = _TITLE.search(body[:4096])
    if match is None:
        return ""
    title = " ".join(match.group(1).decode("utf-8", errors="replace").split())
    return title[:_MAX_SHOWN]


def decode_json(
    provider: str,
    body: bytes,
    *,
    content_type: str | None = None,
    url: str | None = None,
    status: int | None = None,
) -> Any:
    """Decode a response body as JSON.

    Args:
        provider: The provider's name, for the error.
        body: The raw body.
        content_type: The ``Content-Type`` header, if any.
        url: The request URL (without secrets), for the error.
        status: The HTTP status, for the error.

    Returns:
        The decoded JSON value.

    Raises:
        PayloadError: The body is empty, an HTML page, not UTF-8, truncated or invalid JSON.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in {"text/html", "application/xhtml+xml"} or _HTML_START.match(body):
        title = _html_title(body)
        shown = f" ({title!r})" if title else ""
        kind = "an XML document" if body.lstrip()[:5].lower() == b"<?xml" else "an HTML page"
        raise PayloadError(provider, f"{kind}{shown} instead of JSON", url=url, status=status)
    if not body.strip():
        raise PayloadError(provider, "an empty body instead of JSON", url=url, status=status)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(
            provider,
            f"a body that is not UTF-8 ({exc.reason} at byte {exc.start})",
            url=url,
            status=status,
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated")
        what = "truncated JSON" if truncated else "invalid JSON"
        raise PayloadError(
            provider,
            f"{what} ({exc.msg} at line {exc.lineno} column {exc.colno}, {len(body)} bytes)",
            url=url,
            status=status,
        ) from exc
