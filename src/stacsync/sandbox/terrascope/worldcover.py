"""ESA WorldCover products of the emulator (2020 v100 and 2021 v200 map tiles).

WorldCover tiles are 3x3 degree squares named after their lower-left corner (``N45E006``)
in EPSG:4326; the map is uint8 with classes 10..100, nodata 0 and a colour table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stacsync.sandbox.rasters import RasterSpec
from stacsync.sandbox.terrascope.products import (
    COG_TYPE,
    DOWNLOAD_PREFIX,
    LOCAL_ROOT,
    AssetFile,
    Product,
    number,
    rfc3339,
)
from stacsync.sandbox.terrascope.sentinel2 import file_seed

WORLDCOVER_EXTENSIONS = (
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v2.0.0/schema.json",
    "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
    "https://stac-extensions.github.io/classification/v2.0.0/schema.json",
    "https://stac-extensions.github.io/grid/v1.1.0/schema.json",
    "https://stac-extensions.github.io/alternate-assets/v1.2.0/schema.json",
    "https://stac-extensions.github.io/authentication/v1.1.0/schema.json",
)
EDITIONS = {
    "esa-worldcover-map-10m-2020-v1": (2020, "v100"),
    "esa-worldcover-map-10m-2021-v2": (2021, "v200"),
}
"""Collection id -> (year, product version)."""
TILES = ("N42E003", "N42E006", "N45E003", "N45E006")
"""Lower-left corners of the tiles; N45E006 covers Lake Geneva."""
TILE_DEGREES = 3.0

CLASSES: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    10: ("Tree cover", (0, 100, 0, 255)),
    20: ("Shrubland", (255, 187, 34, 255)),
    30: ("Grassland", (255, 255, 76, 255)),
    40: ("Cropland", (240, 150, 255, 255)),
    50: ("Built-up", (250, 0, 0, 255)),
    60: ("Bare / sparse vegetation", (180, 180, 180, 255)),
    70: ("Snow and ice", (240, 240, 240, 255)),
    80: ("Permanent water bodies", (0, 100, 200, 255)),
    90: ("Herbaceous wetland", (0, 150, 160, 255)),
    95: ("Mangroves", (0, 207, 117, 255)),
    100: ("Moss and lichen", (250, 230, 160, 255)),
}
"""The WorldCover legend: value -> (description, RGBA colour)."""


def tile_bounds(tile: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile name such as ``N45E006``."""
    lat = int(tile[1:3]) * (1 if tile[0] == "N" else -1)
    lon = int(tile[4:7]) * (1 if tile[3] == "E" else -1)
    return (float(lon), float(lat), lon + TILE_DEGREES, lat + TILE_DEGREES)


def _classification() -> list[dict[str, Any]]:
    return [
        {
            "value": value,
            "description": text,
            "color_hint": "{:02X}{:02X}{:02X}".format(*rgba[:3]),
        }
        for value, (text, rgba) in CLASSES.items()
    ]


def _product(collection: str, year: int, version: str, tile: str, seed: int, size: int) -> Product:
    stem = f"ESA_WorldCover_10m_{year}_{version}_{tile}_Map"
    folder = f"WORLDCOVER/ESA_WORLDCOVER_10M_{year}_{version.upper()}/MAP/{stem}"
    path = f"{DOWNLOAD_PREFIX}{folder}/{stem}.tif"
    west, south, east, north = tile_bounds(tile)
    res = TILE_DEGREES / size
    spec = RasterSpec(
        width=size,
        height=size,
        epsg=4326,
        origin=(west, north),
        resolution=res,
        dtype="uint8",
        nodata=0,
        values=tuple(CLASSES),
        colormap={value: rgba for value, (_, rgba) in CLASSES.items()},
        seed=file_seed(seed, path),
    )
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC)
    created = datetime(year + 1, 10, 20, 8, 0, tzinfo=UTC)
    asset = AssetFile(
        key="MAP",
        path=path,
        media_type=COG_TYPE,
        head={"title": "MAP", "description": "ESA WorldCover land cover map", "roles": ["data"]},
        tail={
            "updated": rfc3339(created),
            "data_type": "uint8",
            "nodata": 0,
            "raster:sampling": "area",
            "bands": [{"name": "MAP"}],
            "classification:classes": _classification(),
            "proj:shape": [size, size],
            "proj:transform": [
                number(res),
                0,
                number(west),
                0,
                number(-res),
                number(north),
                0,
                0,
                1,
            ],
        },
        local_path=f"{LOCAL_ROOT}{folder}/{stem}.tif",
        spec=spec,
        opensearch=("data", "MAP", None),
    )
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    ring = [[number(x), number(y)] for x, y in ring]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    properties = {
        "title": stem,
        "datetime": rfc3339(start),
        "start_datetime": rfc3339(start),
        "end_datetime": rfc3339(end),
        "created": rfc3339(created),
        "updated": rfc3339(created),
        "providers": [
            {"name": "ESA", "roles": ["licensor", "producer"], "url": "https://esa-worldcover.org"},
            {"name": "VITO", "roles": ["processor", "host"], "url": "https://terrascope.be/"},
        ],
        "instruments": ["msi", "c-sar"],
        "gsd": 10,
        "product:type": "MAP",
        "grid:code": f"ESA-WORLDCOVER-{tile}",
        "proj:code": "EPSG:4326",
        "proj:bbox": [number(west), number(south), number(east), number(north)],
    }
    return Product(
        collection=collection,
        id=stem,
        datetime=start,
        geometry=geometry,
        bbox=(west, south, east, north),
        properties=properties,
        stac_extensions=WORLDCOVER_EXTENSIONS,
        assets=(asset,),
        opensearch={"tile": tile, "version": version.upper(), "product_type": "MAP",
                    "created": created},
    )  # fmt: skip


def worldcover_products(seed: int, raster_size: int) -> list[Product]:
    """Every WorldCover map tile of the emulator."""
    return [
        _product(collection, year, version, tile, seed, raster_size)
        for collection, (year, version) in EDITIONS.items()
        for tile in TILES
    ]
