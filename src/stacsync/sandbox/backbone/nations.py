"""The national product table of ``get_national_product`` and ``/products/nations``.

The 46 entries (upper-case name, country code, zero-padded EPSG) and their order are verbatim
from the gen-1 API code. The approximate centre (lon, lat) is the emulator's own addition: it
places the small generated national rasters somewhere inside the country.
"""

from __future__ import annotations

from dataclasses import dataclass

SWIFT_PREFIX = "/swift/v1/AUTH_b9657821e4364f88862ca20a180dc485/clcplus-public/products"
"""The path of the public Swift container's ``products`` folder (after the host)."""

EUROPE_FILE = "CLMS_CLCplus_RASTER_2018_010m_eu_03035_V1_1.tif"
"""The constant file behind ``get_product_europe``."""


@dataclass(frozen=True, slots=True)
class Nation:
    """One row of the API's ``national_info`` table."""

    key: str
    """Upper-case English name, the table key."""
    country_code: str
    epsg: str
    """Five digits, zero-padded; ``00000`` means no national CRS."""
    centre: tuple[float, float]

    @property
    def title(self) -> str:
        """The name as ``/products/nations`` lists it (Python ``str.title()``)."""
        return self.key.title()

    def file_name(self, product: str) -> str:
        """The pre-made national file; the ``product == "Raster"`` test is case-sensitive."""
        if product == "Raster":
            return f"CLMS_CLCplus_RASTER_2018_010m_{self.country_code.lower()}_{self.epsg}_V1_1.zip"
        return f"CLMS_CLCplus_VECTOR_2018_{self.country_code.upper()}_{self.epsg}_V1_0.zip"


_TABLE: tuple[tuple[str, str, str, float, float], ...] = (
    ("ALBANIA", "AL", "02462", 20.0, 41.1),
    ("AUSTRIA", "AT", "31287", 14.5, 47.6),
    ("BOSNIA AND HERZEGOVINA", "BA", "03908", 17.8, 44.2),
    ("BELGIUM", "BE", "03812", 4.6, 50.6),
    ("BULGARIA", "BG", "32635", 25.3, 42.7),
    ("SWITZERLAND", "CH", "02056", 8.2, 46.8),
    ("CYPRUS", "CY", "32636", 33.2, 35.0),
    ("CZECH REPUBLIC", "CZ", "05514", 15.4, 49.8),
    ("GERMANY", "DE", "32632", 10.4, 51.1),
    ("DENMARK", "DK", "25832", 9.5, 56.0),
    ("ESTONIA", "EE", "03301", 25.0, 58.6),
    ("SPAIN", "ES", "25830", -3.7, 40.4),
    ("SPAIN (CANARIES)", "ES", "32628", -15.6, 28.1),
    ("FINLAND", "FI", "03067", 26.0, 64.0),
    ("FRANCE", "FR", "02154", 2.4, 46.6),
    ("GREAT BRITAIN", "GB", "27700", -1.5, 52.6),
    ("GUERNSEY (CHANNEL ISLANDS)", "GB", "03108", -2.58, 49.46),
    ("GREECE", "GR", "02100", 22.0, 39.1),
    ("CROATIA", "HR", "03765", 16.0, 45.4),
    ("HUNGARY", "HU", "23700", 19.5, 47.2),
    ("IRELAND", "IE", "02157", -8.0, 53.2),
    ("ICELAND", "IS", "05325", -18.6, 64.9),
    ("ITALY", "IT", "32632", 12.6, 42.8),
    ("JERSEY (CHANNEL ISLANDS)", "GB", "03109", -2.13, 49.21),
    ("LIECHTENSTEIN", "LI", "02056", 9.55, 47.15),
    ("LITHUANIA", "LT", "03346", 23.9, 55.3),
    ("LUXEMBOURG", "LU", "02169", 6.1, 49.8),
    ("LATVIA", "LV", "03059", 24.6, 56.9),
    ("MONTENEGRO", "ME", "25834", 19.3, 42.7),
    ("FYR OF MACEDONIA", "MK", "06204", 21.7, 41.6),
    ("MALTA", "MT", "23033", 14.4, 35.9),
    ("NORTHERN IRELAND", "NI", "29903", -6.7, 54.6),
    ("NETHERLANDS", "NL", "28992", 5.3, 52.1),
    ("NORWAY", "NO", "25833", 9.0, 61.0),
    ("POLAND", "PL", "02180", 19.1, 52.0),
    ("PORTUGAL", "PT", "03763", -8.2, 39.6),
    ("PORTUGAL (AZORES CENTRAL AND EASTERN GROUP)", "PT", "05015", -27.2, 38.6),
    ("PORTUGAL (AZORES WESTERN GROUP)", "PT", "05014", -31.2, 39.5),
    ("PORTUGAL (MADEIRA)", "PT", "05016", -16.95, 32.75),
    ("ROMANIA", "RO", "03844", 25.0, 45.9),
    ("SERBIA", "RS", "25834", 20.9, 44.0),
    ("SWEDEN", "SE", "03006", 15.6, 62.0),
    ("SLOVENIA", "SI", "03912", 14.8, 46.1),
    ("SLOVAKIA", "SK", "05514", 19.7, 48.7),
    ("TURKEY", "TR", "00000", 35.2, 39.0),
    ("KOSOVO UNDER UNSCR 1244/99", "KS", "03909", 20.9, 42.6),
)

NATIONS: dict[str, Nation] = {
    key: Nation(key, cc, epsg, (lon, lat)) for key, cc, epsg, lon, lat in _TABLE
}
"""``national_info`` keyed by upper-case name, in the code's order."""


def nations_response() -> dict[str, list[str]]:
    """The body of ``GET /products/nations``."""
    return {"nations": [n.title for n in NATIONS.values()]}


def national_file(name: str) -> tuple[Nation, str] | None:
    """The nation and product word behind a national file name, if it is one of ours."""
    for nation in NATIONS.values():
        for product in ("Raster", "Vector"):
            if nation.file_name(product) == name:
                return nation, product
    return None
