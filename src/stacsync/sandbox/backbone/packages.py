"""Building the delivered files: AOI order zips, national zips and the European GeoTIFF.

Every builder is deterministic: the bytes depend only on the order (id, product, AOI), the
sandbox seed and ``raster_size``.
"""

from __future__ import annotations

from pathlib import Path

from stacsync.sandbox.backbone.archive import build_zip
from stacsync.sandbox.backbone.footprint import (
    aoi_grid,
    europe_grid,
    inside_mask,
    laea_bounds,
    laea_polygons,
    nation_grid,
)
from stacsync.sandbox.backbone.legend import NODATA
from stacsync.sandbox.backbone.nations import Nation
from stacsync.sandbox.backbone.orders import Order
from stacsync.sandbox.backbone.raster import class_array, geotiff_bytes, raster_entries
from stacsync.sandbox.backbone.vector import features, unit_entries, vector_entries


def order_package(order: Order, *, seed: int, raster_size: int, workdir: Path) -> bytes:
    """The zip of a successful AOI order (``<Product>_<order_id>.zip``)."""
    if order.aoi is None:
        raise ValueError(f"order {order.order_id} has no AOI")
    base = f"{order.product}_{order.order_id}"
    seed_text = f"{seed}:{order.order_id}"
    if order.product == "Vector":
        bounds = laea_bounds(order.aoi)
        if bounds is None:
            raise ValueError(f"order {order.order_id} has an empty AOI")
        entries = vector_entries(base, bounds, laea_polygons(order.aoi), seed_text)
    else:
        grid = aoi_grid(order.aoi, raster_size)
        data = class_array(grid, seed_text)
        data[~inside_mask(grid, laea_polygons(order.aoi))] = NODATA
        entries = raster_entries(base, data, grid, workdir)
    return build_zip(entries)


def national_package(
    nation: Nation, product: str, *, seed: int, raster_size: int, workdir: Path
) -> bytes:
    """A pre-made national zip (content unknown in reality; see the sandbox docs)."""
    base = nation.file_name(product).removesuffix(".zip")
    grid = nation_grid(nation, raster_size)
    seed_text = f"{seed}:{base}"
    if product == "Raster":
        entries = raster_entries(base, class_array(grid, seed_text), grid, workdir)
    else:
        coarse = nation_grid(nation, 12)
        entries = unit_entries(base, coarse.epsg, features(coarse, None, seed_text))
    return build_zip(entries)


def europe_geotiff(*, seed: int, raster_size: int) -> bytes:
    """The bare pan-European GeoTIFF behind ``get_product_europe`` (coarsened)."""
    grid = europe_grid(raster_size)
    return geotiff_bytes(class_array(grid, f"{seed}:europe"), grid)
