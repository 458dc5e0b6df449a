"""The national products of the Backbone API: the ``national_info`` table and file names.

The 46 rows (upper-case English name, country code, zero-padded EPSG code of the national
CRS) and their order are verbatim from the gen-1 API code; ``/products/nations`` lists the
names in ``str.title()`` form and ``get_national_product`` matches them upper-cased. The
national EPSG code is also part of each national file name, which is where an item's CRS is
read from; ``00000`` means the country has no national CRS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NO_NATIONAL_CRS = "00000"
_NATIONAL_FILE = re.compile(
    r"CLMS_CLCplus_(?P<product>RASTER|VECTOR)_(?P<year>\d{4})_(?:010m_)?"
    r"(?P<cc>[A-Za-z]{2})_(?P<epsg>\d{5})_V\d+_\d+",
)


@dataclass(frozen=True)
class Nation:
    """One row of the national product table."""

    key: str
    """Upper-case English name (the table key)."""
    country_code: str
    epsg: str
    """Five digits, zero-padded; ``00000``: no national CRS."""

    @property
    def title(self) -> str:
        """The name as ``/products/nations`` lists it."""
        return self.key.title()

    @property
    def crs(self) -> str | None:
        """``EPSG:<code>`` of the national CRS, or ``None``."""
        return None if self.epsg == NO_NATIONAL_CRS else f"EPSG:{int(self.epsg)}"


_TABLE: tuple[tuple[str, str, str], ...] = (
    ("ALBANIA", "AL", "02462"),
    ("AUSTRIA", "AT", "31287"),
    ("BOSNIA AND HERZEGOVINA", "BA", "03908"),
    ("BELGIUM", "BE", "03812"),
    ("BULGARIA", "BG", "32635"),
    ("SWITZERLAND", "CH", "02056"),
    ("CYPRUS", "CY", "32636"),
    ("CZECH REPUBLIC", "CZ", "05514"),
    ("GERMANY", "DE", "32632"),
    ("DENMARK", "DK", "25832"),
    ("ESTONIA", "EE", "03301"),
    ("SPAIN", "ES", "25830"),
    ("SPAIN (CANARIES)", "ES", "32628"),
    ("FINLAND", "FI", "03067"),
    ("FRANCE", "FR", "02154"),
    ("GREAT BRITAIN", "GB", "27700"),
    ("GUERNSEY (CHANNEL ISLANDS)", "GB", "03108"),
    ("GREECE", "GR", "02100"),
    ("CROATIA", "HR", "03765"),
    ("HUNGARY", "HU", "23700"),
    ("IRELAND", "IE", "02157"),
    ("ICELAND", "IS", "05325"),
    ("ITALY", "IT", "32632"),
    ("JERSEY (CHANNEL ISLANDS)", "GB", "03109"),
    ("LIECHTENSTEIN", "LI", "02056"),
    ("LITHUANIA", "LT", "03346"),
    ("LUXEMBOURG", "LU", "02169"),
    ("LATVIA", "LV", "03059"),
    ("MONTENEGRO", "ME", "25834"),
    ("FYR OF MACEDONIA", "MK", "06204"),
    ("MALTA", "MT", "23033"),
    ("NORTHERN IRELAND", "NI", "29903"),
    ("NETHERLANDS", "NL", "28992"),
    ("NORWAY", "NO", "25833"),
    ("POLAND", "PL", "02180"),
    ("PORTUGAL", "PT", "03763"),
    ("PORTUGAL (AZORES CENTRAL AND EASTERN GROUP)", "PT", "05015"),
    ("PORTUGAL (AZORES WESTERN GROUP)", "PT", "05014"),
    ("PORTUGAL (MADEIRA)", "PT", "05016"),
    ("ROMANIA", "RO", "03844"),
    ("SERBIA", "RS", "25834"),
    ("SWEDEN", "SE", "03006"),
    ("SLOVENIA", "SI", "03912"),
    ("SLOVAKIA", "SK", "05514"),
    ("TURKEY", "TR", "00000"),
    ("KOSOVO UNDER UNSCR 1244/99", "KS", "03909"),
)
NATIONS: dict[str, Nation] = {key: Nation(key, cc, epsg) for key, cc, epsg in _TABLE}
"""Upper-case name -> row, in the API's order."""


def nation(name: str) -> Nation | None:
    """The row of ``name`` (matched upper-cased, as the API does), if any."""
    return NATIONS.get(name.strip().upper())


@dataclass(frozen=True)
class NationalFile:
    """What a national file name says: product, reference year, country and CRS."""

    product: str
    """``RASTER`` or ``VECTOR``."""
    year: int
    country_code: str
    epsg: str

    @property
    def crs(self) -> str | None:
        """``EPSG:<code>``, or ``None`` for ``00000``."""
        return None if self.epsg == NO_NATIONAL_CRS else f"EPSG:{int(self.epsg)}"


def parse_national_file(name: str) -> NationalFile | None:
    """Read ``CLMS_CLCplus_RASTER_2018_010m_at_31287_V1_1.zip`` (any folder); else ``None``."""
    match = _NATIONAL_FILE.search(name.rsplit("/", 1)[-1])
    if match is None:
        return None
    return NationalFile(
        product=match["product"],
        year=int(match["year"]),
        country_code=match["cc"].upper(),
        epsg=match["epsg"],
    )
