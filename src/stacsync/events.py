"""Progress as data: frozen events that library code emits and the CLI renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ObjectValidated:
    """One STAC object was validated."""

    path: Path
    valid: bool


@dataclass(frozen=True, slots=True)
class TokenIssued:
    """A provider issued a new access token (the token itself is never in an event)."""

    provider: str
    grant: str
    lifetime: float


@dataclass(frozen=True, slots=True)
class RequestRetried:
    """A request failed transiently and will be sent again after ``delay`` seconds."""

    provider: str
    url: str
    attempt: int
    reason: str
    delay: float


Event = ObjectValidated | TokenIssued | RequestRetried
"""Every event type (a union as more kinds of progress appear)."""

OnEvent = Callable[[Event], None]
"""A progress callback."""
