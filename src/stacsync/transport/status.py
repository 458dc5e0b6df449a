"""HTTP statuses to typed errors, with the provider's own message, in one table."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from stacsync.errors import (
    AuthError,
    ProviderError,
    RateLimitedError,
    RequestRejectedError,
    UpstreamError,
)
from stacsync.transport.redact import redact_url

MESSAGE_KEYS = ("error_description", "message", "detail", "error", "errors", "description")
"""Where providers put a human-readable reason in a JSON error body, in order of preference."""

MAX_MESSAGE = 300


def message_from_body(body: bytes, content_type: str = "") -> str:
    """The most useful short reason in an error body (JSON fields, else plain text)."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in MESSAGE_KEYS:
            value = data.get(key)
            if value:
                text = value if isinstance(value, str) else json.dumps(value)
                break
    elif "html" in content_type.lower() or text.lstrip().startswith("<"):
        return "an HTML page instead of the expected response"
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


async def provider_message(response: aiohttp.ClientResponse) -> str:
    """The reason the provider gave in ``response`` (reads at most 64 KiB of the body)."""
    try:
        body = await response.content.read(65536)
    except (aiohttp.ClientError, TimeoutError):
        body = b""
    return message_from_body(body, response.headers.get("Content-Type", "")) or (
        response.reason or f"HTTP {response.status}"
    )


def error_for_status(provider: str, url: str, status: int, message: str) -> ProviderError:
    """The typed error for an HTTP error status."""
    shown = redact_url(url)
    if status == 401:
        return AuthError(provider, message, url=shown, status=status)
    if status == 429:
        return RateLimitedError(provider, message, url=shown, status=status)
    if status >= 500:
        return UpstreamError(provider, message, url=shown, status=status)
    return RequestRejectedError(provider, message, url=shown, status=status)


async def raise_for_status(provider: str, response: aiohttp.ClientResponse) -> None:
    """Raise the typed error for ``response`` if its status is 400 or above."""
    if response.status < 400:
        return
    message = await provider_message(response)
    raise error_for_status(provider, str(response.url), response.status, message)
