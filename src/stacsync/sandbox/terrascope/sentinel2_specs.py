"""Static facts of the emulated Sentinel-2 archive: tiles, overpasses, bands, extensions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

TILE_SIZE = 109800.0
"""Width and height in metres of a Sentinel-2 MGRS tile."""

S2_EXTENSIONS = (
    "https://stac-extensions.github.io/eo/v2.0.0/schema.json",
    "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
    "https://stac-extensions.github.io/product/v0.1.0/schema.json",
    "https://stac-extensions.github.io/mgrs/v1.0.0/schema.json",
    "https://stac-extensions.github.io/grid/v1.1.0/schema.json",
    "https://stac-extensions.github.io/processing/v1.2.0/schema.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v2.0.0/schema.json",
    "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
    "https://stac-extensions.github.io/alternate-assets/v1.2.0/schema.json",
    "https://stac-extensions.github.io/authentication/v1.1.0/schema.json",
)


@dataclass(frozen=True)
class Tile:
    """An MGRS tile: name, UTM EPSG code and upper-left corner."""

    name: str
    epsg: int
    left: float
    top: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in metres."""
        return (self.left, self.top - TILE_SIZE, self.left + TILE_SIZE, self.top)


TILES = (
    Tile("31TGM", 32631, 700000.0, 5200040.0),  # Lake Geneva, zone 31
    Tile("32TLS", 32632, 300000.0, 5200040.0),  # Lake Geneva, zone 32
    Tile("32TLR", 32632, 300000.0, 5100040.0),  # south of the lake (Savoie)
)
"""The tiles the emulator holds; the first two cover lon 6.4-6.8, lat 46.3-46.5."""

ACQUISITIONS = (
    ("S2A", datetime(2024, 5, 16, 10, 30, 21, 24000, tzinfo=UTC)),
    ("S2B", datetime(2024, 6, 20, 10, 30, 21, 24000, tzinfo=UTC)),
    ("S2A", datetime(2024, 7, 15, 10, 30, 21, 24000, tzinfo=UTC)),
    ("S2B", datetime(2024, 8, 19, 10, 30, 21, 24000, tzinfo=UTC)),
    ("S2A", datetime(2024, 9, 13, 10, 30, 21, 24000, tzinfo=UTC)),
    ("S2B", datetime(2024, 10, 18, 10, 30, 21, 24000, tzinfo=UTC)),
)
"""(platform, sensing time) of each overpass (relative orbit 108, descending)."""

# key, common name, centre (um), FWHM (um), resolution (m), wavelength in the description
REFLECTANCE = {
    "B01": ("coastal", 0.443, 0.027, 60, "443nm"),
    "B02": ("blue", 0.49, 0.098, 10, "490nm"),
    "B03": ("green", 0.56, 0.045, 10, "560nm"),
    "B04": ("red", 0.665, 0.038, 10, "665nm"),
    "B05": ("rededge", 0.704, 0.019, 20, "705nm"),
    "B06": ("rededge", 0.74, 0.018, 20, "740nm"),
    "B07": ("rededge", 0.783, 0.028, 20, "783nm"),
    "B08": ("nir", 0.842, 0.145, 10, "842nm"),
    "B11": ("swir16", 1.61, 0.143, 20, "1610mm"),  # sic: the real description says "mm"
    "B12": ("swir22", 2.19, 0.242, 20, "2190nm"),
    "B8A": ("nir08", 0.865, 0.033, 20, "865nm"),
}
# key, file infix, resolution, dtype, scale, nodata, unit, description, value range
AUXILIARY = {
    "AOT": ("AOT", 60, "uint16", 0.001, 32767, "-", "Aerosol Optical Thickness", (50, 400)),
    "RAA": ("RAA", 60, "uint16", 0.01, 65535, "deg", "Relative Azimuth Angle", (100, 17900)),
    "SZA": ("SZA", 60, "int16", 0.01, 32767, "deg", "Sun Zenith Angle", (2000, 6000)),
    "VZA": ("VZA", 60, "int16", 0.01, 32767, "deg", "View Zenith Angle", (200, 1200)),
    "WVP": ("WVP", 60, "uint16", 0.001, 32767, "-", "Column Water Vapor", (500, 3000)),
}
TOC_ORDER = (
    "AOT", "CLOUDMASK", "RAA", "SCL", "SZA", "B01", "B02", "B03", "B04", "B05", "B06", "B07",
    "B08", "B11", "B12", "B8A", "QUICKLOOK", "metadata", "VZA", "WVP", "preview",
)  # fmt: skip
"""Asset order of the captured item."""
