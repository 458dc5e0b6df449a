"""NUTS regions: the ``NUTS`` validation of ``@datarequest_post`` and a small extent table.

The real service passes the code to FME, which clips with the NUTS 2021 geometries; the emulator
only knows the bounding boxes below (lon/lat, rounded). A code that passes validation but is
not in the table is accepted and its task ends ``Finished_nok`` (the FME side cannot clip it).
"""

from __future__ import annotations

import re

from stacsync.sandbox.clms.catalogue import BBox
from stacsync.sandbox.clms.constants import NUTS_COUNTRY_PREFIXES

NUTS_REGIONS: dict[str, tuple[str, BBox]] = {
    "FRK28": ("Haute-Savoie", (5.805, 45.682, 7.044, 46.408)),
    "FRK2": ("Rhône-Alpes", (3.688, 44.115, 7.186, 46.520)),
    "CH013": ("Genève", (5.956, 46.128, 6.310, 46.365)),
    "CH01": ("Région lémanique", (5.956, 45.818, 8.479, 46.987)),
    "ITC11": ("Torino", (6.627, 44.629, 8.136, 45.589)),
    "ITC1": ("Piemonte", (6.627, 44.060, 9.214, 46.464)),
    "ITF5": ("Basilicata", (15.335, 39.898, 16.873, 41.141)),
    "ITC": ("Nord-Ovest", (6.627, 43.785, 10.069, 46.464)),
    "CH": ("Schweiz/Suisse/Svizzera", (5.956, 45.818, 10.492, 47.808)),
    "FR": ("France", (-5.142, 41.334, 9.560, 51.089)),
    "IT": ("Italia", (6.627, 35.493, 18.521, 47.092)),
    "DE": ("Deutschland", (5.866, 47.270, 15.042, 55.058)),
    "AT": ("Österreich", (9.531, 46.372, 17.161, 49.021)),
    "ES": ("España", (-9.301, 35.946, 4.328, 43.792)),
    "CN": ("China", (73.500, 18.200, 134.800, 53.600)),
}
"""Code -> (NAME_LATN, (west, south, east, north))."""

_NUTS = re.compile(r"([A-Z]+)([0-9]*)", re.IGNORECASE)


def validate_nuts(nuts_id: str) -> bool:
    """The server's check: alphanumeric and the first two letters are a known country."""
    if not nuts_id.isalnum():
        return False
    match = _NUTS.match(nuts_id)
    return bool(match) and match is not None and match.group(1)[:2] in NUTS_COUNTRY_PREFIXES


def nuts_name(nuts_id: str) -> str:
    """``NUTSName`` stored with the task (the id itself when unknown, as the server falls back)."""
    region = NUTS_REGIONS.get(nuts_id)
    return region[0] if region else nuts_id


def nuts_bbox(nuts_id: str) -> BBox | None:
    """The extent of a known region."""
    region = NUTS_REGIONS.get(nuts_id)
    return region[1] if region else None
