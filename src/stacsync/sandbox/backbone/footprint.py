"""Where generated products lie: EPSG:3035 grids for AOIs, nations and Europe.

Products are 10 m grids aligned to the EEA reference grid. So that the default sandbox stays
small, a grid that would need more than ``max_pixels`` pixels on its longer side is coarsened
to a multiple of 10 m that covers the AOI in at most about ``max_pixels`` pixels (a documented
deviation from the real 10 m clips).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from rasterio.warp import transform, transform_bounds

from stacsync.sandbox.backbone.aoi import Aoi, Polygon
from stacsync.sandbox.backbone.nations import Nation
from stacsync.sandbox.backbone.orders import PRODUCTS, Status

LAEA = 3035
EEA_EXTENT = (900000.0, 900000.0, 7400000.0, 5500000.0)
"""(left, bottom, right, top) of the pan-European 2018 raster in EPSG:3035."""
BASE_RESOLUTION = 10.0
NO_DATA_REASON = "No data found for the given AOI"


@dataclass(frozen=True, slots=True)
class Grid:
    """A north-up raster grid."""

    epsg: int
    left: float
    top: float
    resolution: float
    width: int
    height: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top)."""
        return (
            self.left,
            self.top - self.height * self.resolution,
            self.left + self.width * self.resolution,
            self.top,
        )


def grid_covering(bounds: tuple[float, float, float, float], epsg: int, max_pixels: int) -> Grid:
    """The aligned grid covering ``bounds`` at 10 m, coarsened to fit ``max_pixels``."""
    left, bottom, right, top = bounds
    extent = max(right - left, top - bottom, BASE_RESOLUTION)
    res = BASE_RESOLUTION * max(1, math.ceil(extent / (BASE_RESOLUTION * max(max_pixels, 1))))
    x0 = math.floor(left / res) * res
    y0 = math.ceil(top / res) * res
    width = max(1, math.ceil((right - x0) / res))
    height = max(1, math.ceil((y0 - bottom) / res))
    return Grid(epsg, x0, y0, res, width, height)


def laea_bounds(aoi: Aoi) -> tuple[float, float, float, float] | None:
    """The AOI's bounding box in EPSG:3035 (rasterio.warp.transform_bounds)."""
    if aoi.bounds is None:
        return None
    west, south, east, north = aoi.bounds
    left, bottom, right, top = transform_bounds(
        "EPSG:4326", f"EPSG:{LAEA}", west, south, east, north
    )
    return (float(left), float(bottom), float(right), float(top))


def laea_polygons(aoi: Aoi) -> list[Polygon]:
    """The AOI's polygons projected to EPSG:3035."""
    projected: list[Polygon] = []
    for polygon in aoi.polygons:
        rings = []
        for ring in polygon:
            xs, ys = transform(
                "EPSG:4326", f"EPSG:{LAEA}", [p[0] for p in ring], [p[1] for p in ring]
            )
            rings.append(tuple(zip((float(x) for x in xs), (float(y) for y in ys), strict=True)))
        projected.append(tuple(rings))
    return projected


def _intersects(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def order_outcome(product: str, aoi: Aoi) -> tuple[Status, str]:
    """How the production DAG would end for this order (SUCCESS or FAILED and why)."""
    if product not in PRODUCTS:
        return Status.FAILED, f"No such file or directory: '/mnt/products/{product}.nc'"
    bounds = laea_bounds(aoi)
    if not aoi.polygons or bounds is None or not _intersects(bounds, EEA_EXTENT):
        return Status.FAILED, NO_DATA_REASON
    return Status.SUCCESS, ""


def aoi_grid(aoi: Aoi, max_pixels: int) -> Grid:
    """The EPSG:3035 grid of an AOI order's raster."""
    bounds = laea_bounds(aoi)
    if bounds is None:
        raise ValueError("an empty AOI has no grid")
    return grid_covering(bounds, LAEA, max_pixels)


def europe_grid(max_pixels: int) -> Grid:
    """The grid of the pan-European raster (coarsened like every other grid)."""
    return grid_covering(EEA_EXTENT, LAEA, max_pixels)


def nation_grid(nation: Nation, max_pixels: int) -> Grid:
    """A small 10 m grid around the nation's centre, in its national CRS (3035 if none)."""
    epsg = int(nation.epsg) or LAEA
    lon, lat = nation.centre
    xs, ys = transform("EPSG:4326", f"EPSG:{epsg}", [lon], [lat])
    half = max_pixels * BASE_RESOLUTION / 2
    x, y = float(xs[0]), float(ys[0])
    return grid_covering((x - half, y - half, x + half - 1, y + half - 1), epsg, max_pixels)


def inside_mask(grid: Grid, polygons: list[Polygon]) -> np.ndarray:
    """Boolean array: pixel centres inside the polygons (even-odd scanline fill)."""
    mask = np.zeros((grid.height, grid.width), dtype=bool)
    edges = [
        (x1, y1, x2, y2)
        for polygon in polygons
        for ring in polygon
        for (x1, y1), (x2, y2) in itertools.pairwise(ring)
        if y1 != y2
    ]
    if not edges:
        return mask
    e = np.asarray(edges, dtype="float64")
    centres_x = grid.left + (np.arange(grid.width) + 0.5) * grid.resolution
    for row in range(grid.height):
        y = grid.top - (row + 0.5) * grid.resolution
        crossing = (e[:, 1] > y) != (e[:, 3] > y)
        if not crossing.any():
            continue
        c = e[crossing]
        xs = np.sort(c[:, 0] + (y - c[:, 1]) * (c[:, 2] - c[:, 0]) / (c[:, 3] - c[:, 1]))
        for start, end in zip(xs[0::2], xs[1::2], strict=False):
            mask[row] |= (centres_x >= start) & (centres_x < end)
    return mask
