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


Event = ObjectValidated
"""Every event type (a union as more kinds of progress appear)."""

OnEvent = Callable[[Event], None]
"""A progress callback."""
