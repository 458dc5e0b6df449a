"""Areas of interest: WKT parsing, the API's Web-Mercator area and the EPSG:3035 footprint.

The real API parses the AOI with ``shapely.wkt.loads`` (any geometry type), reprojects it to
EPSG:3857 and takes the planar area in km². Here the common WKT types are parsed by hand
(shapely is not a dependency) and the vertices are projected with the spherical-Mercator
formula, which is what EPSG:3857 is; the area of the API's own example comes out as the
documented ``7766.19 km2``.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

Ring = tuple[tuple[float, float], ...]
Polygon = tuple[Ring, ...]
"""Exterior ring first, then holes; (lon, lat) pairs."""

AREA_LIMIT_KM2 = 5_000_000.0
"""Orders above this Web-Mercator area get the plain-string 404."""

_EARTH_RADIUS = 6378137.0
_TYPES = (
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
)
_HEAD = re.compile(r"^\s*([A-Za-z]+)\s*(ZM|Z|M)?\s*", re.IGNORECASE)
_TOKEN = re.compile(r"\s*(\(|\)|,|[^\s(),]+)")


class WktError(ValueError):
    """The text is not a WKT geometry this emulator understands."""


@dataclass(frozen=True, slots=True)
class Aoi:
    """A parsed area of interest."""

    kind: str
    polygons: tuple[Polygon, ...]
    """The polygonal parts (empty for points and lines)."""
    points: tuple[tuple[float, float], ...]
    """Every vertex of the geometry."""

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) in EPSG:4326, or None for an empty geometry."""
        if not self.points:
            return None
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return (min(xs), min(ys), max(xs), max(ys))


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:  # pragma: no cover - the pattern matches any non-space text
            raise WktError(f"ParseException: Unexpected text at position {pos}")
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


def _nested(tokens: list[str]) -> list[object]:
    """Parse ``( ... )`` groups into nested lists of coordinate tuples."""
    stack: list[list[object]] = [[]]
    coord: list[float] = []
    for token in tokens:
        if token == "(":  # noqa: S105
            stack.append([])
        elif token in {")", ","}:
            if coord:
                if len(coord) < 2:
                    raise WktError("ParseException: Expected number but encountered ','")
                stack[-1].append((coord[0], coord[1]))
                coord = []
            if token == ")":  # noqa: S105
                if len(stack) < 2:
                    raise WktError("ParseException: Unexpected ')'")
                done = stack.pop()
                stack[-1].append(done)
        else:
            try:
                coord.append(float(token))
            except ValueError:
                raise WktError(
                    f"ParseException: Expected number but encountered word: '{token}'"
                ) from None
    if len(stack) != 1 or coord or len(stack[0]) != 1:
        raise WktError("ParseException: Expected word but encountered end of stream")
    body = stack[0][0]
    if not isinstance(body, list):
        raise WktError("ParseException: Expected '('")
    return body


def _ring(value: object) -> Ring:
    if not isinstance(value, list) or not all(isinstance(p, tuple) for p in value):
        raise WktError("ParseException: Expected number but encountered '('")
    ring: Ring = tuple(value)
    return ring


def _polygon(value: object) -> Polygon:
    if not isinstance(value, list) or not value:
        raise WktError("ParseException: Expected '('")
    rings = tuple(_ring(r) for r in value)
    for ring in rings:
        if len(ring) < 4 or ring[0] != ring[-1]:
            raise WktError(
                "IllegalArgumentException: Points of LinearRing do not form a closed linestring"
            )
    return rings


def parse_wkt(text: str) -> Aoi:
    """Parse a WKT geometry (2-D coordinates are kept; Z/M are dropped)."""
    match = _HEAD.match(text)
    if match is None or match.group(1).upper() not in _TYPES:
        raise WktError(f"ParseException: Unknown type: '{text.split('(')[0].strip().upper()}'")
    kind = match.group(1).upper()
    rest = text[match.end() :]
    if rest.strip().upper() == "EMPTY":
        return Aoi(kind, (), ())
    body = _nested(_tokens(rest))
    polygons: tuple[Polygon, ...] = ()
    if kind == "POLYGON":
        polygons = (_polygon(body),)
    elif kind == "MULTIPOLYGON":
        polygons = tuple(_polygon(p) for p in body)
    points = tuple(_flatten(body))
    if not points:
        raise WktError("ParseException: Expected number but encountered ')'")
    return Aoi(kind, polygons, points)


def _flatten(value: object) -> list[tuple[float, float]]:
    if isinstance(value, tuple):
        return [value]
    if isinstance(value, list):
        return [p for item in value for p in _flatten(item)]
    return []


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:4326 -> EPSG:3857 (spherical Mercator, metres)."""
    x = math.radians(lon) * _EARTH_RADIUS
    y = _EARTH_RADIUS * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return x, y


def _shoelace(ring: Ring) -> float:
    pts = [mercator(lon, lat) for lon, lat in ring]
    twice = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(pts))
    return abs(twice) / 2


def area_km2(aoi: Aoi) -> float:
    """The AOI's planar area in EPSG:3857, in km² (0 for points and lines)."""
    if any(abs(lat) >= 90 for _, lat in aoi.points):
        return math.inf  # pyproj projects the poles to infinity
    total = 0.0
    for polygon in aoi.polygons:
        exterior, *holes = polygon
        total += _shoelace(exterior) - sum(_shoelace(h) for h in holes)
    return total / 1e6


def area_text(area: float) -> str:
    """The ``links.area`` value: ``'%.2f km2' % area``."""
    return f"{area:.2f} km2"
