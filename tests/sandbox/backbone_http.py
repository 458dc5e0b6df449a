"""Small HTTP and comparison helpers for the Backbone emulator tests."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.sandbox.replies import Reply, send

DATA = Path(__file__).resolve().parents[1] / "data" / "backbone"


def sample(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def call(
    method: str,
    url: str,
    body: Any = None,
    *,
    token: str | None = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    return send(request)


def same_shape(expected: Any, actual: Any, path: str = "$") -> None:
    """Assert ``actual`` has the keys, value types and nesting of ``expected``."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        if any(key.startswith("<") for key in expected):
            return  # a placeholder such as {"<request payload>": "..."}: any object
        assert set(actual) == set(expected), f"{path}: keys {sorted(actual)} != {sorted(expected)}"
        for key, value in expected.items():
            same_shape(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        if expected:
            for index, item in enumerate(actual):
                same_shape(expected[0], item, f"{path}[{index}]")
    elif expected is None:
        assert actual is None, f"{path}: expected null, got {actual!r}"
    else:
        assert type(actual) is type(expected), (
            f"{path}: {type(actual).__name__} != {type(expected).__name__} ({actual!r})"
        )
