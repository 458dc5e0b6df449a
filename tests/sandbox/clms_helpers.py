"""Shared helpers of the CLMS emulator tests: HTTP calls, JWT grants, shape comparison."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import jwt

from tests.sandbox.replies import Reply, send

DATA = Path(__file__).resolve().parent.parent / "data" / "clms"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"

# The Living Earth notebook's ids (seed 002).
WAW = "0acef4675a4c4a548896cca00281f434"
WAW_DDI = "d170eb21-c4b4-47f5-88c7-958359704542"
WAW_FILE = "fb1ca4a2-bcd1-4ddb-b0ba-fadc222d685c"
IMD = "4354f5ba912d4071b3b5f9300104765b"
IMD_DDI = "f9a55a6d-c98a-4098-bf94-f2ae7cdb0207"
IMD_DDI_NOTEBOOK = "9a55a6d-c98a-4098-bf94-f2ae7cdb0207"
IMD_FILE = "fface0a2-4e04-45ef-aa54-85af8be2a6e6"
FTY = "38eabc726bcc4c14a00752220df5f101"
FTY_DDI = "09cbff91-1716-4dad-aecf-4f511d5a17d8"
GRA = "bf4f7689ca1b4f3fa4a5d376e104fb49"
GRA_DDI = "d0dc4585-3016-4d6f-83f4-8f13cf702217"
TCD = "b2227bbb31e140bdabd2fcf86a5dc3d2"
TCD_DDI = "f2140094-b96d-46ed-92d0-e6f2344ce3af"
DLT = "b857f275e17a41a5a202348fde73c0b2"
DLT_DDI = "654bcf8a-047d-46d4-81be-ba672eca1dd6"
HRL = {WAW: WAW_DDI, IMD: IMD_DDI, FTY: FTY_DDI, GRA: GRA_DDI, TCD: TCD_DDI, DLT: DLT_DDI}
# Documented examples.
LC2019 = "a8d945f0edd143a0a5240c28bafa23da"
LC2019_DDI = "f328dbcc-9069-4240-b8bb-6d5df918671a"
CLC2018 = "0407d497d3c44bcd93ce8fd5bf78596a"
CLC2018_RASTER_FILE = "3d9e2413-46ca-4f6e-abf8-b6eb429a4e48"
TIMESERIES = "10ee0f23fcb146ea89dcdacc40b0900d"


def call(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    accept: str | None = "application/json",
    raw: bytes | None = None,
) -> Reply:
    hdrs: dict[str, str] = {}
    if accept is not None:
        hdrs["Accept"] = accept
    data = raw
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        hdrs["Content-Type"] = "application/json"
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    hdrs.update(headers or {})
    request = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    return send(request)


def load_key(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def grant(key: dict[str, Any], **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": key["client_id"],
        "sub": key["user_id"],
        "aud": key["token_uri"],
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key["private_key"], algorithm="RS256")


def fetch_token(key: dict[str, Any]) -> str:
    reply = call("POST", key["token_uri"], form={"grant_type": GRANT_TYPE, "assertion": grant(key)})
    assert reply.status == 200, reply.body
    token: str = reply.json()["access_token"]
    return token


def sample(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def shape_problems(
    expected: Any,
    actual: Any,
    path: str = "$",
    *,
    extra: frozenset[str] = frozenset(),
    keyed: frozenset[str] = frozenset(),
) -> list[str]:
    """Differences in keys and value types between a sample and a response.

    ``None`` in the sample accepts any value (nullable fields). A list element must match the
    shape of at least one sample element. ``extra`` names keys the response may add; ``keyed``
    names paths whose object keys are data (TaskIDs): values are compared with the sample's.
    """
    if expected is None:
        return []
    if _kind(expected) != _kind(actual):
        return [f"{path}: {_kind(actual)} instead of {_kind(expected)}"]
    if isinstance(expected, dict):
        if path in keyed:
            if expected and not actual:
                return [f"{path}: empty map"]
            templates = list(expected.values())
            return [
                p
                for key, value in actual.items()
                for p in _best(templates, value, f"{path}.<{key}>", extra, keyed)
            ]
        problems = []
        missing = set(expected) - set(actual)
        added = set(actual) - set(expected) - extra
        if missing:
            problems.append(f"{path}: missing keys {sorted(missing)}")
        if added:
            problems.append(f"{path}: unexpected keys {sorted(added)}")
        for key in set(expected) & set(actual):
            problems += shape_problems(
                expected[key], actual[key], f"{path}.{key}", extra=extra, keyed=keyed
            )
        return problems
    if isinstance(expected, list):
        if not expected:
            return []
        return [
            p
            for i, value in enumerate(actual)
            for p in _best(expected, value, f"{path}[{i}]", extra, keyed)
        ]
    return []


def _best(
    templates: list[Any], value: Any, path: str, extra: frozenset[str], keyed: frozenset[str]
) -> list[str]:
    best: list[str] | None = None
    for template in templates:
        problems = shape_problems(template, value, path, extra=extra, keyed=keyed)
        if not problems:
            return []
        if best is None or len(problems) < len(best):
            best = problems
    return best or []
