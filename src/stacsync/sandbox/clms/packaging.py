"""The result zips FME leaves on the download host, built deterministically.

Extraction tasks: one GeoTIFF per item, named ``<product>_<area>_<i>.tif`` (``area`` is ``bbox``
or the NUTS code, ``i`` the 1-based position in the request), inside a ``YYYYMMDD/`` folder when
the item had a TemporalFilter (as observed for HRL clips). Rasters are uint8 with the dataset's
class values or value range, nodata 255, in the requested ``OutputGCS``, covering the requested
area. Pre-packaged tasks: the packaged files themselves (``*.zip`` files holding one GeoTIFF in
EPSG:3035 over the file's area).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable

from rasterio.warp import transform_bounds

from stacsync.sandbox.clms.catalogue import BBox, Catalogue, RasterProfile
from stacsync.sandbox.clms.tasks import Extraction, Prepackaged, Task
from stacsync.sandbox.rasters import RasterSpec, make_geotiff

ZIP_DATE = (2024, 1, 1, 0, 0, 0)
VECTOR_FORMATS = frozenset({"Shapefile", "GDB", "GPKG", "Geojson", "GML", "WFS"})
"""Outputs the emulator stands in for with a GeoJSON of the area."""


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def raster_spec(
    area: BBox, epsg: int, profile: RasterProfile, *, size: int, seed: int
) -> RasterSpec:
    """A square-pixel raster of ``size`` x ``size`` covering ``area`` (lon/lat) in ``epsg``."""
    left, bottom, right, top = transform_bounds("EPSG:4326", f"EPSG:{epsg}", *area)
    resolution = max(right - left, top - bottom) / size
    return RasterSpec(
        width=size,
        height=size,
        epsg=epsg,
        origin=(left, top),
        resolution=resolution,
        dtype="uint8",
        nodata=profile.nodata,
        values=profile.values,
        value_range=profile.value_range,
        seed=seed,
    )


def zip_bytes(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A deflated zip with sorted entries and fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _area_geojson(area: BBox) -> bytes:
    west, south, east, north = area
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}, sort_keys=True).encode()


class Packager:
    """Builds the zip of a task from the catalogue, the seed and the raster size."""

    def __init__(self, catalogue: Catalogue, *, seed: int, size: int) -> None:
        self._catalogue = catalogue
        self._seed = seed
        self._size = size

    def _profile(self, dataset_uid: str) -> RasterProfile:
        dataset = self._catalogue.by_uid(dataset_uid)
        return dataset.raster if dataset is not None else RasterProfile()

    def extraction(self, item: Extraction) -> tuple[str, bytes]:
        """The zip entry of one clip."""
        area = item.area or (0.0, 0.0, 1.0, 1.0)
        folder = f"{item.start}/" if item.start else ""
        stem = f"{folder}{item.product}_{item.area_label}_{item.index}"
        if item.output_format in VECTOR_FORMATS:
            return f"{stem}.geojson", _area_geojson(area)
        epsg = int(item.output_gcs.split(":")[-1])
        seed = _seed(self._seed, item.dataset_uid, item.area_label, area, epsg)
        spec = raster_spec(area, epsg, self._profile(item.dataset_uid), size=self._size, seed=seed)
        return f"{stem}.tif", make_geotiff(spec)

    def prepackaged(self, item: Prepackaged) -> tuple[str, bytes]:
        """The zip entry of one pre-packaged file."""
        stem = item.file_name.rsplit(".", 1)[0]
        seed = _seed(self._seed, item.dataset_uid, item.file_name)
        spec = raster_spec(
            item.area, 3035, self._profile(item.dataset_uid), size=self._size, seed=seed
        )
        tif = make_geotiff(spec)
        if item.file_name.lower().endswith(".zip"):
            return item.file_name, zip_bytes([(f"{stem}.tif", tif)])
        return f"{stem}.tif", tif

    def __call__(self, task: Task) -> bytes:
        """The result zip of ``task``."""
        entries = [
            self.extraction(o) if isinstance(o, Extraction) else self.prepackaged(o)
            for o in task.outputs
            if not isinstance(o, Extraction) or o.area is not None
        ]
        return zip_bytes(entries)


__all__ = ["Packager", "Prepackaged", "raster_spec", "zip_bytes"]
