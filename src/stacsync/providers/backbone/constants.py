"""Constants of the CLC+ Backbone product API and of its STAC collections.

DOIs, temporal extents, publication dates and the extent come from the EEA catalogue records
and CLMS's own CLC+ Backbone STAC sample; the legend (codes, names, colours) from the 2023
product user manual and the EEA QC tool, whose colours are identical for 2018, 2021 and 2023.
The API only serves reference year 2018.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

PROVIDER: Final = "backbone"
"""The provider's name in errors and warnings."""
PROVIDER_ID: Final = "clc-backbone"
"""The provider's id in collection ids and the command line."""

LICENSE: Final = "other"
LICENSE_URL: Final = "https://land.copernicus.eu/en/data-policy"
"""The Copernicus data policy: free, full and open access, with attribution."""
PRODUCT_PAGE: Final = "https://land.copernicus.eu/en/products/clc-backbone"
PROVIDERS: tuple[Mapping[str, Any], ...] = (
    {
        "name": "European Environment Agency",
        "description": "Copernicus Land Monitoring Service, custodian and publisher",
        "roles": ["licensor", "host"],
        "url": "https://land.copernicus.eu",
    },
    {"name": "GAF AG", "roles": ["producer", "processor"], "url": "https://www.gaf.de"},
    {"name": "GeoVille", "roles": ["producer", "processor"], "url": "https://www.geoville.com"},
)
"""The ``providers`` of every CLC+ Backbone collection and item."""

EUROPE_BBOX: tuple[float, float, float, float] = (-56.5052, 24.2841, 72.9061, 72.6338)
"""(west, south, east, north) of the product (CLMS's CLC+ Backbone STAC collection)."""
EUROPE_CRS: Final = "EPSG:3035"
AOI_AREA_LIMIT_KM2: Final = 5_000_000.0
"""Largest AOI ``get_product`` accepts, measured in EPSG:3857."""
AOI_TOO_BIG: Final = (
    "The requested AOI is too big (> 5 Mio. km²). Please note that countries and entire "
    "Europe can be requested with other endpoints."
)
PRODUCT_NAMES: tuple[str, ...] = ("Raster", "Vector")
"""Values of ``product`` the API has data for (case-sensitive)."""


@dataclass(frozen=True)
class Release:
    """One reference year of the product, as the EEA catalogue describes it."""

    year: int
    doi: str | None
    start: datetime
    end: datetime
    published: datetime
    title: str


RASTER_2018 = Release(
    year=2018,
    doi="10.2909/cd534ebf-f553-42f0-9ac1-62c1dc36d32c",
    start=datetime(2017, 7, 1, tzinfo=UTC),
    end=datetime(2019, 6, 30, 23, 59, 59, tzinfo=UTC),
    published=datetime(2023, 1, 23, tzinfo=UTC),
    title="CLCplus Backbone 2018 (raster 10 m), Europe, 3-yearly, Feb. 2023",
)
VECTOR_2018 = Release(
    year=2018,
    doi=None,
    start=datetime(2017, 7, 1, tzinfo=UTC),
    end=datetime(2019, 6, 30, 23, 59, 59, tzinfo=UTC),
    published=datetime(2023, 1, 23, tzinfo=UTC),
    title="CLCplus Backbone 2018 (vector), Europe",
)
"""The vector release has no DOI on record; its dates are those of the raster's inputs."""

DESCRIPTION: Final = (
    "The CLC+ Backbone constitutes the first component of the CLMS's new 'CLC+ Product "
    "Suite': an object-oriented, large scale, wall-to-wall (EEA-38 + UK), high-resolution "
    "inventory of European land cover in a vector format accompanied by a 10 m raster "
    "product layer, derived from Sentinel-2 time series."
)
KEYWORDS: tuple[str, ...] = ("Copernicus", "Land Monitoring", "Land Cover", "CLC+")
