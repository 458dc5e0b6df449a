"""Shared helpers for the Terrascope emulator tests: HTTP over urllib and a shape comparison."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.sandbox.replies import Reply, send

DATA = Path(__file__).resolve().parent.parent / "data" / "terrascope"


def http(
    url: str,
    *,
    method: str | None = None,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    form: dict[str, str] | None = None,
    payload: Any = None,
) -> Reply:
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if payload is not None:
        data = json.dumps(payload).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    return send(request)


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_diff(ours: Any, sample: Any, path: str = "$") -> list[str]:
    """Differences in keys, value kinds and nesting between ``ours`` and ``sample``.

    Lists are compared element-wise against the sample element at the same index (or the
    sample's last element when ours is longer); an empty sample list accepts any list.
    """
    if _kind(ours) != _kind(sample):
        return [f"{path}: {_kind(ours)} != sample {_kind(sample)}"]
    problems: list[str] = []
    if isinstance(sample, dict):
        missing = sample.keys() - ours.keys()
        extra = ours.keys() - sample.keys()
        if missing:
            problems.append(f"{path}: missing keys {sorted(missing)}")
        if extra:
            problems.append(f"{path}: extra keys {sorted(extra)}")
        for key in sample.keys() & ours.keys():
            problems += shape_diff(ours[key], sample[key], f"{path}.{key}")
    elif isinstance(sample, list) and sample:
        if not ours:
            problems.append(f"{path}: empty list, sample has {len(sample)} elements")
        for i, element in enumerate(ours):
            problems += shape_diff(element, sample[min(i, len(sample) - 1)], f"{path}[{i}]")
    return problems
