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


@dataclass(frozen=True, slots=True)
class SourceProgress:
    """A harvest source moved on: pages read, items mapped, orders still waiting."""

    source: str
    provider: str
    pages: int
    items: int
    waiting: int
    done: bool = False


@dataclass(frozen=True, slots=True)
class PullPlanned:
    """A pull knows its work: assets to transfer, skip and order, and their known bytes."""

    items: int
    assets: int
    to_fetch: int
    to_skip: int
    to_order: int
    bytes_known: int


@dataclass(frozen=True, slots=True)
class TransferStarted:
    """An asset's transfer began (``offset`` > 0 when a partial file is resumed)."""

    what: str
    href: str
    offset: int
    total: int | None


@dataclass(frozen=True, slots=True)
class TransferProgress:
    """Bytes of one asset so far, and its current speed in bytes per second."""

    what: str
    done: int
    total: int | None
    speed: float


@dataclass(frozen=True, slots=True)
class AssetSynced:
    """One asset reached its end state for this run (``fetched``, ``skipped``, ``failed``...)."""

    what: str
    outcome: str
    bytes: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OrderWaiting:
    """An orderable asset is being ordered, or needs an order and no orderer was given."""

    what: str
    waiting: bool


@dataclass(frozen=True, slots=True)
class PullProgress:
    """Overall progress of a pull: assets and items finished, bytes transferred."""

    assets_done: int
    assets_total: int
    items_done: int
    items_total: int
    bytes_done: int
    elapsed: float


Event = (
    ObjectValidated
    | TokenIssued
    | RequestRetried
    | SourceProgress
    | PullPlanned
    | TransferStarted
    | TransferProgress
    | AssetSynced
    | OrderWaiting
    | PullProgress
)
"""Every event type (a union as more kinds of progress appear)."""

OnEvent = Callable[[Event], None]
"""A progress callback."""
