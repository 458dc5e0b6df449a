"""Typed access to the fields of provider payloads (and :func:`decode_json` for their bodies).

:class:`At` is the position of a
value inside a payload (provider, URL and a dotted field path such as ``items[3].UID``); the
``require_*`` / ``optional_*`` readers raise :class:`~stacsync.errors.PayloadError` or emit a
:class:`~stacsync.errors.ProviderWarning` that names that position.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from stacsync.errors import PayloadError, ProviderWarning
from stacsync.transport.body import decode_json

__all__ = ["At", "decode_json"]

_MAX_SHOWN = 80


@dataclass(frozen=True)
class At:
    """Where a value sits in a payload: provider, URL and dotted field path."""

    provider: str
    url: str | None = None
    path: str = ""

    def __truediv__(self, key: str | int) -> At:
        """The position of ``key`` (a field name or a list index) below this one."""
        if isinstance(key, int):
            return At(self.provider, self.url, f"{self.path}[{key}]")
        return At(self.provider, self.url, f"{self.path}.{key}" if self.path else key)

    def fail(self, reason: str) -> NoReturn:
        """Raise a :class:`PayloadError` about this position."""
        raise PayloadError(self.provider, reason, url=self.url, field=self.path or None)

    def warn(self, reason: str) -> None:
        """Emit a :class:`ProviderWarning` about this position."""
        where = f" {self.url}" if self.url else ""
        field = f" field {self.path!r}:" if self.path else ""
        warnings.warn(ProviderWarning(f"{self.provider}:{where}:{field} {reason}"), stacklevel=3)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def require_object(value: object, at: At) -> Mapping[str, Any]:
    """``value`` as a JSON object, else a PayloadError."""
    if not isinstance(value, Mapping):
        at.fail(f"expected an object, got {_kind(value)}")
    return value


def require_list(value: object, at: At) -> list[Any]:
    """``value`` as a JSON array, else a PayloadError."""
    if not isinstance(value, list):
        at.fail(f"expected a list, got {_kind(value)}")
    return value


def require(obj: Mapping[str, Any], key: str, at: At) -> Any:
    """The value of a required field, else a PayloadError naming it as missing."""
    if key not in obj:
        (at / key).fail("missing")
    return obj[key]


def require_str(obj: Mapping[str, Any], key: str, at: At, *, empty: bool = False) -> str:
    """A required string field (non-empty unless ``empty``)."""
    value = require(obj, key, at)
    if not isinstance(value, str):
        (at / key).fail(f"expected a string, got {_kind(value)} {_shown(value)}")
    if not empty and not value.strip():
        (at / key).fail("empty string")
    return value


def optional_str(
    obj: Mapping[str, Any], key: str, at: At, *, warn_missing: bool = False
) -> str | None:
    """An optional string field: ``None`` when absent, null or blank; wrong types raise."""
    value = obj.get(key)
    if value is None:
        if warn_missing:
            (at / key).warn("missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        (at / key).fail(f"expected a string, got {_kind(value)} {_shown(value)}")
    text = str(value).strip()
    return text or None


def require_int(obj: Mapping[str, Any], key: str, at: At, *, numeric_str: bool = False) -> int:
    """A required integer field; ``numeric_str`` also accepts ``"8640000"``."""
    value = require(obj, key, at)
    parsed = to_int(value, numeric_str=numeric_str)
    if parsed is None:
        (at / key).fail(f"expected an integer, got {_kind(value)} {_shown(value)}")
    return parsed


def optional_int(
    obj: Mapping[str, Any], key: str, at: At, *, numeric_str: bool = False
) -> int | None:
    """An optional integer field: ``None`` when absent or null; wrong types raise."""
    value = obj.get(key)
    if value is None:
        return None
    parsed = to_int(value, numeric_str=numeric_str)
    if parsed is None:
        (at / key).fail(f"expected an integer, got {_kind(value)} {_shown(value)}")
    return parsed


def to_int(value: object, *, numeric_str: bool = False) -> int | None:
    """``value`` as an int (integral floats too, digit strings if allowed), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if numeric_str and isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def to_float(value: object) -> float | None:
    """``value`` as a finite float (numbers and numeric strings), else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def string_list(obj: Mapping[str, Any], key: str, at: At) -> tuple[str, ...]:
    """An optional list of strings (absent or null: empty); blanks are dropped."""
    value = obj.get(key)
    if value is None:
        return ()
    items = require_list(value, at / key)
    out: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            (at / key / index).fail(f"expected a string, got {_kind(item)} {_shown(item)}")
        if item.strip():
            out.append(item.strip())
    return tuple(out)


def to_datetime(value: object) -> datetime | None:
    """An ISO-8601 date or date-time as an aware UTC datetime (naive values are UTC).

    Accepts ``2022-09-29T13:11:39.986121``, ``...+00:00``, ``...Z``, ``2019-01-01 10:00:00``
    and ``2018-01-01``; anything else gives ``None``.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def require_datetime(obj: Mapping[str, Any], key: str, at: At) -> datetime:
    """A required ISO date-time field (see :func:`to_datetime`)."""
    value = require(obj, key, at)
    parsed = to_datetime(value)
    if parsed is None:
        (at / key).fail(f"expected an ISO date-time, got {_kind(value)} {_shown(value)}")
    return parsed


def optional_datetime(obj: Mapping[str, Any], key: str, at: At) -> datetime | None:
    """An optional ISO date-time field; present but unparsable values raise."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    parsed = to_datetime(value)
    if parsed is None:
        (at / key).fail(f"expected an ISO date-time, got {_kind(value)} {_shown(value)}")
    return parsed


def stac_datetime(value: datetime) -> str:
    """An aware datetime as STAC wants it: UTC, ``Z`` suffix, microseconds only if set."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.isoformat().replace("+00:00", "Z")
