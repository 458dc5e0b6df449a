"""Areas of interest: WKT polygons in EPSG:4326 to GeoJSON, bounding box and API area.

``get_product`` takes the AOI as WKT (the documented form is a MULTIPOLYGON) and measures it
in EPSG:3857 (Web Mercator, so the limit of 5 million km² tightens towards the poles). Only
polygonal AOIs make sense for an area order; POLYGON and MULTIPOLYGON are read, with Z/M
ordinates dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

Ring = tuple[tuple[float, float], ...]
Polygon = tuple[Ring, ...]

_EARTH_RADIUS_M = 6378137.0
_MAX_MERCATOR_LAT = 85.06
_HEAD = re.compile(
    r"^\s*(MULTIPOLYGON|POLYGON)\s*(ZM|Z|M)?\s*(\(.*\))\s*$", re.IGNORECASE | re.DOTALL
)
_TOKEN = re.compile(r"\(|\)|,|[^\s(),]+")


class AoiError(ValueError):
    """A WKT string that is not a usable polygon AOI."""


@dataclass(frozen=True)
class Aoi:
    """A parsed AOI: its polygons (lon, lat), GeoJSON geometry, bounding box and area."""

    polygons: tuple[Polygon, ...]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north)."""
        xs = [x for poly in self.polygons for ring in poly for x, _ in ring]
        ys = [y for poly in self.polygons for ring in poly for _, y in ring]
        return (min(xs), min(ys), max(xs), max(ys))

    def geometry(self) -> dict[str, Any]:
        """The AOI as a GeoJSON Polygon or MultiPolygon."""
        polys = [[[list(p) for p in ring] for ring in poly] for poly in self.polygons]
        if len(polys) == 1:
            return {"type": "Polygon", "coordinates": polys[0]}
        return {"type": "MultiPolygon", "coordinates": polys}

    def area_km2(self) -> float:
        """The planar area in EPSG:3857, in km², as the API computes it."""
        total = 0.0
        for poly in self.polygons:
            for index, ring in enumerate(poly):
                area = abs(_shoelace([_mercator(x, y) for x, y in ring]))
                total += area if index == 0 else -area
        return total / 1e6


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(-_MAX_MERCATOR_LAT, min(_MAX_MERCATOR_LAT, lat))
    x = math.radians(lon) * _EARTH_RADIUS_M
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * _EARTH_RADIUS_M
    return x, y


def _shoelace(points: list[tuple[float, float]]) -> float:
    return 0.5 * sum(
        x1 * y2 - x2 * y1
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
    )


def _nested(tokens: list[str], pos: int) -> tuple[Any, int]:
    """Parse ``( ... )`` starting at ``tokens[pos]``: nested lists of coordinate strings."""
    if tokens[pos] != "(":
        raise AoiError(f"expected '(' but found {tokens[pos]!r}")
    pos += 1
    items: list[Any] = []
    current: list[str] = []
    while pos < len(tokens):
        part = tokens[pos]
        if part == "(":
            child, pos = _nested(tokens, pos)
            items.append(child)
            continue
        if part in {",", ")"}:
            if current:
                items.append(current)
                current = []
            pos += 1
            if part == ")":
                return items, pos
            continue
        current.append(part)
        pos += 1
    raise AoiError("unbalanced parentheses")


def _ring(raw: Any) -> Ring:
    points: list[tuple[float, float]] = []
    for coords in raw:
        if not isinstance(coords, list) or len(coords) < 2 or isinstance(coords[0], list):
            raise AoiError("a ring must be a list of coordinates")
        try:
            lon, lat = float(coords[0]), float(coords[1])
        except ValueError as exc:
            raise AoiError(f"not a number in {' '.join(coords)!r}") from exc
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise AoiError("coordinates must be finite")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise AoiError(f"({lon} {lat}) is outside EPSG:4326 longitude/latitude")
        points.append((lon, lat))
    if len(points) < 4 or points[0] != points[-1]:
        raise AoiError("a ring needs at least four points and must be closed")
    return tuple(points)


def _polygon(raw: Any) -> Polygon:
    if not isinstance(raw, list) or not raw or not all(isinstance(r, list) for r in raw):
        raise AoiError("a polygon must be a list of rings")
    return tuple(_ring(ring) for ring in raw)


def parse_aoi(wkt: str) -> Aoi:
    """Parse a POLYGON or MULTIPOLYGON in EPSG:4326 longitude/latitude.

    Raises:
        AoiError: Anything else (other geometry types, EMPTY, bad numbers, open rings).
    """
    match = _HEAD.match(wkt)
    if match is None:
        raise AoiError("expected a POLYGON or MULTIPOLYGON in WKT")
    tokens = _TOKEN.findall(match.group(3))
    body, pos = _nested(tokens, 0)
    if pos != len(tokens):
        raise AoiError("unexpected text after the geometry")
    if match.group(1).upper() == "POLYGON":
        return Aoi((_polygon(body),))
    if not body:
        raise AoiError("an empty MULTIPOLYGON")
    return Aoi(tuple(_polygon(poly) for poly in body))
