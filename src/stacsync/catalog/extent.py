"""Collection extents computed from the items, and kept up to date incrementally."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def _instant(value: object) -> tuple[datetime, str] | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed, value


@dataclass(frozen=True, slots=True)
class Footprint:
    """The part of an item that an extent depends on."""

    bbox: tuple[float, float, float, float] | None
    start: tuple[datetime, str] | None
    end: tuple[datetime, str] | None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Footprint:
        """The footprint of an item dict (2D or 3D bbox; datetime or start/end)."""
        bbox: tuple[float, float, float, float] | None = None
        raw = item.get("bbox")
        if isinstance(raw, Sequence) and len(raw) in (4, 6):
            half = len(raw) // 2
            bbox = (float(raw[0]), float(raw[1]), float(raw[half]), float(raw[half + 1]))
        props = item.get("properties") or {}
        start = _instant(props.get("start_datetime"))
        end = _instant(props.get("end_datetime"))
        if start is None or end is None:
            single = _instant(props.get("datetime"))
            start, end = start or single, end or single
        return cls(bbox, start, end)


@dataclass(slots=True)
class ExtentAccumulator:
    """The union of item footprints."""

    bbox: list[float] | None = None
    start: tuple[datetime, str] | None = None
    end: tuple[datetime, str] | None = None

    def add(self, fp: Footprint) -> None:
        """Grow the extent to include ``fp``."""
        if fp.bbox is not None:
            if self.bbox is None:
                self.bbox = list(fp.bbox)
            else:
                b = self.bbox
                b[0], b[1] = min(b[0], fp.bbox[0]), min(b[1], fp.bbox[1])
                b[2], b[3] = max(b[2], fp.bbox[2]), max(b[3], fp.bbox[3])
        if fp.start is not None and (self.start is None or fp.start[0] < self.start[0]):
            self.start = fp.start
        if fp.end is not None and (self.end is None or fp.end[0] > self.end[0]):
            self.end = fp.end

    def touches(self, fp: Footprint) -> bool:
        """Whether ``fp`` lies on the boundary, so removing it could shrink the extent."""
        if fp.bbox is not None and self.bbox is not None:
            b = self.bbox
            if fp.bbox[0] <= b[0] or fp.bbox[1] <= b[1] or fp.bbox[2] >= b[2] or fp.bbox[3] >= b[3]:
                return True
        if fp.start is not None and self.start is not None and fp.start[0] <= self.start[0]:
            return True
        return fp.end is not None and self.end is not None and fp.end[0] >= self.end[0]

    def as_stac(self) -> dict[str, Any]:
        """The STAC ``extent`` object."""
        bbox = self.bbox if self.bbox is not None else [-180.0, -90.0, 180.0, 90.0]
        return {
            "spatial": {"bbox": [list(bbox)]},
            "temporal": {
                "interval": [
                    [
                        self.start[1] if self.start else None,
                        self.end[1] if self.end else None,
                    ]
                ]
            },
        }

    @classmethod
    def from_stac(cls, extent: Mapping[str, Any]) -> ExtentAccumulator:
        """Rebuild an accumulator from a stored STAC extent."""
        acc = cls()
        try:
            bbox = extent["spatial"]["bbox"][0]
            if isinstance(bbox, Sequence) and len(bbox) in (4, 6):
                half = len(bbox) // 2
                acc.bbox = [
                    float(bbox[0]),
                    float(bbox[1]),
                    float(bbox[half]),
                    float(bbox[half + 1]),
                ]
            start, end = extent["temporal"]["interval"][0]
        except (KeyError, IndexError, TypeError, ValueError):
            return acc
        acc.start, acc.end = _instant(start), _instant(end)
        return acc
