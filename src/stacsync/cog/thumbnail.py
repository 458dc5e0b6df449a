"""Small PNG previews for catalogue browsers, read from overviews.

Paletted rasters are drawn with their colour table; one band without one is a grey 2-98 %
stretch; three or more bands become RGB from the first three. No-data is transparent.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning

from stacsync.atomic import write_atomic

MAX_SIZE = 256


def _stretch(band: np.ma.MaskedArray) -> np.ndarray:
    values = band.compressed()
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    if values.size == 0:
        return np.zeros(band.shape, dtype="uint8")
    low, high = np.percentile(values, [2, 98])
    if high <= low:
        high = low + 1
    scaled = (np.ma.filled(band.astype("float64"), low) - low) / (high - low) * 255
    return np.asarray(np.clip(np.nan_to_num(scaled), 0, 255).astype("uint8"))


def render(path: Path, max_size: int = MAX_SIZE) -> np.ndarray:
    """An RGBA array (4, h, w) of ``path``, at most ``max_size`` pixels on its longer side."""
    with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
        factor = max(1.0, max(src.width, src.height) / max_size)
        shape = (max(1, math.floor(src.height / factor)), max(1, math.floor(src.width / factor)))
        try:
            colormap = src.colormap(1)
        except ValueError:
            colormap = {}
        bands = [1, 2, 3] if src.count >= 3 and not colormap else [1]
        data = src.read(
            bands, out_shape=(len(bands), *shape), masked=True, resampling=Resampling.nearest
        )
    valid = ~np.ma.getmaskarray(data).any(axis=0)
    if colormap:
        lut = np.zeros((65536, 4), dtype="uint8")
        for value, rgba in colormap.items():
            if 0 <= value < lut.shape[0]:
                lut[value] = rgba
        indices = np.clip(np.ma.filled(data[0], 0).astype("int64"), 0, lut.shape[0] - 1)
        rgba = np.moveaxis(lut[indices], -1, 0).copy()
    else:
        channels = [_stretch(data[i]) for i in range(len(bands))]
        if len(channels) == 1:
            channels *= 3
        rgba = np.stack([*channels, np.full(shape, 255, dtype="uint8")])
    rgba[3][~valid] = 0
    result: np.ndarray = rgba
    return result


def write_thumbnail(source: Path, target: Path, max_size: int = MAX_SIZE) -> Path:
    """Render ``source`` into the PNG ``target`` (written atomically) and return it."""
    rgba = render(source, max_size)
    _, height, width = rgba.shape
    profile = {"driver": "PNG", "width": width, "height": height, "count": 4, "dtype": "uint8"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.MemoryFile(ext=".png") as memfile:
            with memfile.open(**profile) as dst:
                dst.write(rgba)
            data = memfile.read()
    write_atomic(target, data)
    return target
