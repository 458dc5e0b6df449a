"""The emulator's product inventory: what the Terrascope catalogue holds, independent of HTTP.

A :class:`Product` is one STAC Item (and one OpenSearch product); each of its
:class:`AssetFile` entries is one file behind the download service. Everything here is
plain data built deterministically from the sandbox seed, so every run serves the same
catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rasterio.warp import transform

from stacsync.sandbox.rasters import RasterSpec

DOWNLOAD_PREFIX = "/download/"
"""Path prefix of every file on the download service."""
PREVIEW_PREFIX = "/titiler/"
"""Path prefix of the (public) preview images, standing in for titiler.terrascope.be."""
LOCAL_ROOT = "/data/MTDA/"
"""Mount point of the Terrascope data archive (``alternate.local.href``)."""
COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"

Json = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class AssetFile:
    """One asset of a product and, for files, how its bytes are made."""

    key: str
    """Asset key in the STAC Item (``B04``, ``NDVI``, ``MAP``, ``metadata``, ``preview``)."""
    path: str
    """URL path on the download host (``/download/Sentinel2/...`` or ``/titiler/...``)."""
    media_type: str
    head: Mapping[str, Any]
    """STAC fields written before ``file:size`` (title, description, roles)."""
    tail: Mapping[str, Any] = field(default_factory=dict)
    """STAC fields written after ``file:size`` (updated, raster and projection fields)."""
    local_path: str | None = None
    """Path on the Terrascope mount, for ``alternate.local.href`` (``None``: no alternate)."""
    query: str = ""
    """Query string appended to the href (previews)."""
    protected: bool = True
    """Whether the asset carries ``auth:refs: ["oidc"]``."""
    sized: bool = True
    """Whether the asset carries ``file:size`` (previews are rendered on the fly: no size)."""
    size: int | None = None
    """``file:size`` when it is known without rendering the file (listed, unserved products)."""
    spec: RasterSpec | None = None
    """The GeoTIFF to generate; ``None`` for non-raster files."""
    text: str | None = None
    """Body of a text file (XML metadata)."""
    opensearch: tuple[str, str, str | None] | None = None
    """(link list, title, category) of the file in an OpenSearch product (``None``: absent)."""


@dataclass(frozen=True, kw_only=True)
class Product:
    """One catalogue entry: a STAC Item of one collection."""

    collection: str
    id: str
    datetime: datetime
    geometry: Json
    bbox: tuple[float, float, float, float]
    properties: Mapping[str, Any]
    stac_extensions: tuple[str, ...]
    assets: tuple[AssetFile, ...]
    opensearch: Mapping[str, Any] = field(default_factory=dict)
    """OpenSearch-only metadata (tile id, orbit, version...)."""

    @property
    def sort_key(self) -> tuple[int, str, str]:
        """The search sort values: datetime (epoch ms), id, collection (all descending)."""
        return (int(self.datetime.timestamp() * 1000), self.id, self.collection)


def rfc3339(value: datetime, *, digits: int = 6) -> str:
    """``value`` as an RFC 3339 UTC string with ``digits`` fractional digits and ``Z``."""
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{value.microsecond:06d}"[:digits]
    return text + "Z"


def footprint(
    epsg: int, bounds: tuple[float, float, float, float]
) -> tuple[Json, tuple[float, float, float, float]]:
    """The lon/lat polygon and bbox of a projected rectangle (corners reprojected)."""
    left, bottom, right, top = bounds
    xs = [left, right, right, left, left]
    ys = [bottom, bottom, top, top, bottom]
    lons, lats = transform(f"EPSG:{epsg}", "EPSG:4326", xs, ys)
    ring = [[round(x, 12), round(y, 12)] for x, y in zip(lons, lats, strict=True)]
    geometry: Json = {"type": "Polygon", "coordinates": [ring]}
    bbox = (min(lons), min(lats), max(lons), max(lats))
    return geometry, (
        round(bbox[0], 12),
        round(bbox[1], 12),
        round(bbox[2], 12),
        round(bbox[3], 12),
    )


def proj_geometry(bounds: tuple[float, float, float, float]) -> Json:
    """The ``proj:geometry`` rectangle of projected ``bounds``."""
    left, bottom, right, top = bounds
    ring = [[left, bottom], [right, bottom], [right, top], [left, top], [left, bottom]]
    return {"type": "Polygon", "coordinates": [ring]}


def number(value: float) -> float | int:
    """``value`` as an int when it is integral (JSON ``10`` rather than ``10.0``)."""
    return int(value) if float(value).is_integer() else value
