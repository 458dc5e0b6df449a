"""STAC asset fields read from a raster file: projection, bands, footprint, file checksum.

Statistics and histograms come from the overview closest to a target pixel count (GDAL
picks the overview for a decimated read), or from every block when exact values are asked
for; nothing reads the whole raster into memory at full resolution.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import DatasetReader
from rasterio.transform import Affine
from rasterio.warp import transform as transform_coords

Fields = dict[str, Any]
HASH_CHUNK = 4 * 1024 * 1024
FOOTPRINT_PIXELS = 512
DENSIFY = 8
INTEGER_BUCKET_LIMIT = 256
FLOAT_BUCKETS = 256

MEDIA_TYPES = {
    ".tif": "image/tiff; application=geotiff",
    ".tiff": "image/tiff; application=geotiff",
    ".gpkg": "application/geopackage+sqlite3",
    ".geojson": "application/geo+json",
    ".json": "application/json",
    ".fgb": "application/vnd.flatgeobuf",
    ".parquet": "application/vnd.apache.parquet",
    ".xml": "application/xml",
    ".qml": "application/xml",
    ".sld": "application/vnd.ogc.sld+xml",
    ".lyrx": "application/json",
    ".png": "image/png",
    ".zip": "application/zip",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"


def media_type(path: Path) -> str | None:
    """The media type for a file name, or ``None`` if unknown."""
    return MEDIA_TYPES.get(path.suffix.lower())


def multihash_sha256(path: Path) -> str:
    """The ``file:checksum`` of a file: sha2-256 multihash, hex (``1220...``)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return "1220" + digest.hexdigest()


def file_fields(path: Path) -> Fields:
    """``file:size`` and ``file:checksum`` of ``path``."""
    return {"file:size": path.stat().st_size, "file:checksum": multihash_sha256(path)}


def projection_fields(ds: DatasetReader) -> Fields:
    """``proj:code`` (or ``proj:wkt2``), ``proj:shape``, ``proj:transform`` and ``proj:bbox``."""
    fields: Fields = {}
    crs = ds.crs
    code = None
    if crs is not None:
        epsg = crs.to_epsg()
        if epsg:
            code = f"EPSG:{epsg}"
        else:
            authority = crs.to_authority()
            code = f"{authority[0]}:{authority[1]}" if authority else None
    fields["proj:code"] = code
    if code is None and crs is not None:
        fields["proj:wkt2"] = crs.to_wkt(version="WKT2_2019")
    t = ds.transform
    fields["proj:shape"] = [ds.height, ds.width]
    fields["proj:transform"] = [t.a, t.b, t.c, t.d, t.e, t.f]
    fields["proj:bbox"] = [float(v) for v in ds.bounds]
    return fields


def _json_number(value: float) -> float | int | str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return int(value) if float(value).is_integer() else float(value)


def _valid_values(ds: DatasetReader, band: int, **read: Any) -> np.ndarray:
    data = ds.read(band, masked=True, **read)
    values = data.compressed()
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    return np.asarray(values)


class _Summary:
    """Running count, sum, sum of squares, min and max (and integer counts)."""

    def __init__(self, integer: bool) -> None:
        self.integer = integer
        self.count = 0
        self.total = 0.0
        self.squares = 0.0
        self.low = math.inf
        self.high = -math.inf
        self.bins: dict[int, int] = {}

    def add(self, values: np.ndarray) -> None:
        if values.size == 0:
            return
        as_float = values.astype("float64")
        self.count += int(values.size)
        self.total += float(as_float.sum())
        self.squares += float(np.square(as_float).sum())
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        if self.integer and self.high - self.low < INTEGER_BUCKET_LIMIT:
            uniques, counts = np.unique(values, return_counts=True)
            for value, count in zip(uniques.tolist(), counts.tolist(), strict=True):
                self.bins[int(value)] = self.bins.get(int(value), 0) + int(count)

    def statistics(self, total_pixels: int) -> Fields:
        if self.count == 0:
            return {"valid_percent": 0.0}
        mean = self.total / self.count
        variance = max(self.squares / self.count - mean * mean, 0.0)
        return {
            "minimum": _json_number(self.low),
            "maximum": _json_number(self.high),
            "mean": mean,
            "stddev": math.sqrt(variance),
            "valid_percent": round(100.0 * self.count / max(total_pixels, 1), 4),
        }

    def integer_histogram(self) -> Fields | None:
        if not self.integer or self.count == 0 or self.high - self.low >= INTEGER_BUCKET_LIMIT:
            return None
        low = int(self.low)
        n = max(3, int(self.high) - low + 1)
        buckets = [self.bins.get(low + i, 0) for i in range(n)]
        return {"count": n, "min": low - 0.5, "max": low - 0.5 + n, "buckets": buckets}


def _float_histogram(chunks: Iterator[np.ndarray], low: float, high: float) -> Fields:
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts = np.zeros(FLOAT_BUCKETS, dtype="int64")
    for values in chunks:
        counts += np.histogram(values, bins=FLOAT_BUCKETS, range=(low, high))[0]
    return {"count": FLOAT_BUCKETS, "min": low, "max": high, "buckets": counts.tolist()}


def band_statistics(
    ds: DatasetReader, band: int, *, exact: bool, stats_pixels: int
) -> tuple[Fields, Fields | None]:
    """``statistics`` and ``histogram`` of one band (from an overview unless ``exact``)."""
    integer = np.dtype(ds.dtypes[band - 1]).kind in "iub"
    chunks: Callable[[], Iterator[np.ndarray]]
    if exact:
        total = ds.width * ds.height

        def chunks() -> Iterator[np.ndarray]:
            for _, window in ds.block_windows(band):
                yield _valid_values(ds, band, window=window)
    else:
        factor = max(1, math.ceil(math.sqrt(ds.width * ds.height / stats_pixels)))
        shape = (max(1, ds.height // factor), max(1, ds.width // factor))
        sample = _valid_values(ds, band, out_shape=shape, resampling=Resampling.nearest)
        total = shape[0] * shape[1]

        def chunks() -> Iterator[np.ndarray]:
            yield sample

    summary = _Summary(integer)
    for values in chunks():
        summary.add(values)
    histogram = summary.integer_histogram()
    if histogram is None and summary.count:
        histogram = _float_histogram(chunks(), summary.low, summary.high)
    return summary.statistics(total), histogram


def band_fields(
    ds: DatasetReader, *, exact: bool = False, stats_pixels: int = 1 << 20
) -> list[Fields]:
    """``raster:bands``: data type, nodata, resolution, scale/offset, unit, statistics."""
    bands = []
    metres = (
        ds.crs is not None
        and ds.crs.is_projected
        and (ds.crs.linear_units or "").lower()
        in (
            "metre",
            "meter",
            "m",
        )
    )
    for index in range(1, ds.count + 1):
        band: Fields = {"data_type": ds.dtypes[index - 1]}
        nodata = ds.nodatavals[index - 1]
        if nodata is not None:
            band["nodata"] = _json_number(float(nodata))
        if metres:
            band["spatial_resolution"] = _json_number(float(abs(ds.res[0])))
        scale, offset = ds.scales[index - 1], ds.offsets[index - 1]
        if scale not in (None, 1.0):
            band["scale"] = scale
        if offset not in (None, 0.0):
            band["offset"] = offset
        if ds.units[index - 1]:
            band["unit"] = ds.units[index - 1]
        if ds.descriptions[index - 1]:
            band["description"] = ds.descriptions[index - 1]
        statistics, histogram = band_statistics(ds, index, exact=exact, stats_pixels=stats_pixels)
        band["statistics"] = statistics
        if histogram is not None:
            band["histogram"] = histogram
        bands.append(band)
    return bands


def _hull(points: np.ndarray) -> np.ndarray:
    """Convex hull (counter-clockwise, Andrew's monotone chain) of (x, y) points."""
    pts = sorted({(float(x), float(y)) for x, y in points})
    if len(pts) < 3:
        return np.asarray(pts)

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.asarray(lower[:-1] + upper[:-1])


def _valid_outline(ds: DatasetReader) -> tuple[np.ndarray, Affine]:
    """Pixel-corner outline (convex hull) of the valid data, and its transform."""
    factor = max(1, math.ceil(max(ds.width, ds.height) / FOOTPRINT_PIXELS))
    h, w = max(1, math.ceil(ds.height / factor)), max(1, math.ceil(ds.width / factor))
    t = ds.transform
    sx, sy = ds.width / w, ds.height / h
    scaled = Affine(t.a * sx, t.b * sy, t.c, t.d * sx, t.e * sy, t.f)
    mask = ds.dataset_mask(out_shape=(h, w)) > 0
    full = np.asarray([[0, 0], [w, 0], [w, h], [0, h]], dtype="float64")
    if mask.all() or not mask.any():
        return full, scaled
    grown = mask.copy()  # one cell of margin: a decimated mask can miss edge pixels
    grown[1:, :] |= mask[:-1, :]
    grown[:-1, :] |= mask[1:, :]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    rows = np.flatnonzero(grown.any(axis=1))
    first = grown[rows].argmax(axis=1)
    last = w - 1 - grown[rows, ::-1].argmax(axis=1)
    corners = np.concatenate(
        [
            np.column_stack([first, rows]),
            np.column_stack([first, rows + 1]),
            np.column_stack([last + 1, rows]),
            np.column_stack([last + 1, rows + 1]),
        ]
    ).astype("float64")
    return _hull(corners), scaled


def footprint(ds: DatasetReader) -> tuple[Fields, list[float]]:
    """GeoJSON polygon (EPSG:4326) around the valid data, densified, and its bbox."""
    outline, scaled = _valid_outline(ds)
    ring = np.vstack([outline, outline[:1]])
    steps = np.linspace(0.0, 1.0, DENSIFY, endpoint=False)
    dense = np.vstack([a + (b - a) * t for a, b in itertools.pairwise(ring) for t in steps])
    xs = scaled.a * dense[:, 0] + scaled.b * dense[:, 1] + scaled.c
    ys = scaled.d * dense[:, 0] + scaled.e * dense[:, 1] + scaled.f
    if ds.crs is not None and ds.crs.to_epsg() != 4326:
        xs, ys = transform_coords(ds.crs, "EPSG:4326", list(map(float, xs)), list(map(float, ys)))
    coords = [[round(float(x), 7), round(float(y), 7)] for x, y in zip(xs, ys, strict=True)]
    coords.append(coords[0])
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    bbox = [min(lons), min(lats), max(lons), max(lats)]
    return {"type": "Polygon", "coordinates": [coords]}, bbox


def hull_geometry(rings: list[list[list[float]]]) -> tuple[Fields, list[float]]:
    """One polygon (convex hull) covering several footprints, with its bbox."""
    points = np.asarray([p for ring in rings for p in ring], dtype="float64")
    hull = _hull(points)
    coords = [[float(x), float(y)] for x, y in hull]
    coords.append(coords[0])
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return {"type": "Polygon", "coordinates": [coords]}, [
        min(lons),
        min(lats),
        max(lons),
        max(lats),
    ]


def open_raster(path: Path) -> DatasetReader:
    """Open a raster without its ``.aux.xml`` sidecar; a missing geotransform is not warned.

    Callers check :func:`is_georeferenced` themselves.
    """
    with warnings.catch_warnings(), rasterio.Env(GDAL_PAM_ENABLED="NO"):
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(path)


def is_georeferenced(ds: DatasetReader) -> bool:
    """Whether the raster has a CRS or a non-identity geotransform (or GCPs)."""
    return ds.crs is not None or not ds.transform.is_identity or bool(ds.gcps[0])
