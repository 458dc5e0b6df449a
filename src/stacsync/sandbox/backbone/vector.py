"""The vector package of an AOI order (``Vector_<order_id>.zip``).

One sub-folder per production unit (PU) that the AOI touches, each holding
``<base>_PU<id>.gpkg``, ``.xml`` and ``.sld``. The real PU polygons are not public, so PUs here
are the cells of a 250 km EPSG:3035 grid (id ``col * 100 + row``), and the features are grid
squares whose centre lies inside the AOI, with made-up attributes ``ID``, ``CLASS`` (the
raster's 1-11 codes; the 18 vector classes are not published) and ``AREA_HA``.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from stacsync.sandbox.backbone.aoi import Polygon
from stacsync.sandbox.backbone.footprint import LAEA, Grid, grid_covering, inside_mask
from stacsync.sandbox.backbone.geopackage import Feature, geopackage_bytes
from stacsync.sandbox.backbone.legend import THEMATIC_VALUES, sld_text
from stacsync.sandbox.backbone.metadata import vector_metadata_xml

PU_SIZE = 250_000.0
MAX_UNITS = 16
"""At most this many PU folders per package (keeps huge AOIs cheap)."""
CELLS = 12
"""Feature squares per PU side."""


def production_units(bounds: tuple[float, float, float, float]) -> list[tuple[int, Grid]]:
    """The PU ids and cell grids (clipped to ``bounds``) that ``bounds`` touches."""
    left, bottom, right, top = bounds
    units: list[tuple[int, Grid]] = []
    for col in range(math.floor(left / PU_SIZE), math.floor(right / PU_SIZE) + 1):
        for row in range(math.floor(bottom / PU_SIZE), math.floor(top / PU_SIZE) + 1):
            part = (
                max(left, col * PU_SIZE),
                max(bottom, row * PU_SIZE),
                min(right, (col + 1) * PU_SIZE),
                min(top, (row + 1) * PU_SIZE),
            )
            if part[0] < part[2] and part[1] < part[3]:
                units.append((col * 100 + row, grid_covering(part, LAEA, CELLS)))
    return sorted(units)[:MAX_UNITS]


def features(grid: Grid, polygons: list[Polygon] | None, seed_text: str) -> list[Feature]:
    """Squares of ``grid`` whose centre is inside ``polygons`` (all of them if None)."""
    if polygons is None:
        mask = np.ones((grid.height, grid.width), dtype=bool)
    else:
        mask = inside_mask(grid, polygons)
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "big")
    codes = np.random.default_rng(seed).choice(THEMATIC_VALUES, size=mask.shape)
    res = grid.resolution
    result: list[Feature] = []
    for row, col in zip(*np.nonzero(mask), strict=True):
        left = grid.left + int(col) * res
        top = grid.top - int(row) * res
        result.append(
            Feature(
                fid=len(result) + 1,
                box=(left, top - res, left + res, top),
                class_code=int(codes[row, col]),
                area_ha=round(res * res / 10_000, 4),
            )
        )
    return result


def unit_entries(base: str, epsg: int, feats: list[Feature]) -> dict[str, bytes]:
    """The ``.gpkg``, ``.xml`` and ``.sld`` files of one production unit (names without folder)."""
    return {
        f"{base}.gpkg": geopackage_bytes(base, epsg, feats),
        f"{base}.xml": vector_metadata_xml().encode(),
        f"{base}.sld": sld_text(base, "CLASS").encode(),
    }


def vector_entries(
    base: str, bounds: tuple[float, float, float, float], polygons: list[Polygon], seed_text: str
) -> dict[str, bytes]:
    """Every file of an AOI vector package, keyed by its path inside the zip."""
    entries: dict[str, bytes] = {}
    for pu, grid in production_units(bounds):
        feats = features(grid, polygons, f"{seed_text}:PU{pu}")
        if not feats:
            continue
        name = f"{base}_PU{pu}"
        for file_name, data in unit_entries(name, LAEA, feats).items():
            entries[f"{name}/{file_name}"] = data
    units = production_units(bounds)
    if not entries and units:  # an AOI smaller than a cell still gets the cell it lies in
        pu, grid = units[0]
        name = f"{base}_PU{pu}"
        feats = features(grid, None, f"{seed_text}:PU{pu}")[:1]
        for file_name, data in unit_entries(name, LAEA, feats).items():
            entries[f"{name}/{file_name}"] = data
    return entries
