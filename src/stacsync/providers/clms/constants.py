"""Constants of the CLMS download API (eea/clms.downloadtool) and of the STAC it maps to.

Status names, projections, formats, the conversion table and the ``@datarequest_post`` error
texts are verbatim from the download tool's code; licence and providers follow EEA's own CLMS
STAC samples (``"license": "other"`` with a link to the data policy).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

PROVIDER: Final = "clms"
"""The provider's name in errors and warnings."""

PORTAL_URL: Final = "https://land.copernicus.eu"
LICENSE_URL: Final = "https://land.copernicus.eu/en/data-policy"
"""The Copernicus data policy, the terms every CLMS product is published under."""
LICENSE: Final = "other"
PROVIDERS: tuple[Mapping[str, Any], ...] = (
    {
        "name": "Copernicus Land Monitoring Service",
        "description": "Implemented by the European Environment Agency (EEA)",
        "roles": ["licensor", "host"],
        "url": PORTAL_URL,
    },
)
"""The ``providers`` of every CLMS collection and item."""

STATUSES: tuple[str, ...] = (
    "Rejected",
    "Queued",
    "In_progress",
    "Finished_ok",
    "Finished_nok",
    "Cancelled",
)
"""Task statuses, exact spelling (``STATUS_LIST``)."""
GCS: tuple[str, ...] = ("EPSG:4326", "EPSG:3035", "EPSG:3857", "EPSG:4258")
"""OutputGCS values every dataset accepts."""
OTHER_AVAILABLE_GCS: frozenset[str] = frozenset(
    ["EPSG:2740", "EPSG:32620", "EPSG:32622", "EPSG:32738", "EPSG:32740"]
    + [f"EPSG:{code}" for code in range(32625, 32639)]
)
"""OutputGCS values a dataset may add through ``characteristics_projection``."""
RASTER_FORMATS: frozenset[str] = frozenset({"Geotiff", "Netcdf"})
_VECTOR_OUT: frozenset[str] = frozenset({"Shapefile", "GDB", "GPKG", "Geojson", "GML"})
FORMAT_CONVERSIONS: Mapping[str, frozenset[str]] = {
    "Geotiff": frozenset({"Geotiff"}),
    "Netcdf": frozenset({"Geotiff", "Netcdf"}),
    "Shapefile": _VECTOR_OUT,
    "GDB": _VECTOR_OUT,
    "GPKG": _VECTOR_OUT,
    "Geojson": _VECTOR_OUT,
    "WFS": _VECTOR_OUT | {"WFS"},
    "GML": frozenset({"GML"}),
}
"""Source ``full_format`` -> the ``OutputFormat`` values it converts to."""
OUTPUT_FORMATS: tuple[str, ...] = (
    "Shapefile",
    "GDB",
    "GPKG",
    "Geojson",
    "Geotiff",
    "Netcdf",
    "GML",
    "WFS",
)
MEDIA_TYPES: Mapping[str, str] = {
    "Geotiff": "image/tiff; application=geotiff",
    "Netcdf": "application/netcdf",
    "GPKG": "application/geopackage+sqlite3",
    "Geojson": "application/geo+json",
}
"""Media types of delivered files by format (results are zips around them)."""
MAX_ITEMS: Final = 5
"""Non pre-packaged items per ``@datarequest_post``."""
LINK_LIFETIME: Final = timedelta(hours=72)
"""How long a ``DownloadURL`` stays valid after ``FinalizationDateTime`` ("72 hours")."""
_PREFIXES = (
    "AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH "
    "BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM "
    "CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH EL ER ES ET FI "
    "FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY "
    "HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI "
    "KM KN KP KR KS KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF "
    "MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI "
    "NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO "
    "RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ "
    "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UK UM US UY UZ VA "
    "VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"
)
NUTS_COUNTRY_PREFIXES: frozenset[str] = frozenset(_PREFIXES.split())
"""Valid first two letters of a ``NUTS`` code (the download tool's ``COUNTRIES`` keys)."""
MESSAGES: Mapping[str, str] = {
    "UNDEFINED_DATASET_ID": "Error, DatasetID is not defined",
    "INVALID_DATASET_ID": "Error, the DatasetID is not valid",
    "INVALID_FILE_ID": "Error, the FileID is not valid",
    "NUTS_COUNTRY_ERROR": "NUTS country error",
    "NUTS_ALSO_DEFINED": "Error, NUTS is also defined",
    "INVALID_BOUNDINGBOX": "Error, BoundingBox is not valid",
    "TEMP_REST_NOT_ALLOWED": (
        "Error, temporal restriction is not allowed in not time-series enabled datasets"
    ),
    "TEMP_MISSING_RANGE": "Error, TemporalFilter does not have StartDate or EndDate",
    "INCORRECT_DATE_RANGE": "Error, difference between StartDate and EndDate is not coherent",
    "UNDEFINED_GCS": "Error, defined GCS not in the list",
    "MISSING_GCS": "The OutputGCS parameter is mandatory.",
    "UNDEFINED_INFO_ID": "Error, DatasetDownloadInformationID is not defined.",
    "NOT_DOWNLOADABLE": "Error, this dataset is not downloadable",
    "INVALID_OUTPUT": "Error, the specified output format is not valid",
    "NOT_COMPATIBLE": "Error, specified formats are not compatible",
    "INVALID_SOURCE": "Error, the dataset source is not valid",
    "INVALID_LAYER": "Error, the requested band/layer is not valid",
    "MISSING_TEMPORAL": (
        "You are requesting to download a time series enabled dataset and you are "
        "required to request the download of an specific date range. Please check the"
        " download documentation to get more information"
    ),
    "TOO_LONG": (
        "You are requesting to download a time series enabled dataset and the requested "
        "date range is bigger than the allowed range of {days} days. Please check the "
        "download documentation to get more information"
    ),
    "FULL_NOT_EEA": (
        "You are requesting to download the full dataset but this dataset is not an "
        "EEA dataset and thus you need to query an specific endpoint to request its "
        "download. Please check the API documentation to get more information about "
        "this specific endpoint."
    ),
    "FULL_EEA": (
        "To download the full dataset, please download it through the corresponding "
        "pre-packaged data collection"
    ),
    "MUST_HAVE_AREA": (
        "You have to select a specific area of interest. In case you want to download"
        " the full dataset, please use the Auxiliary API."
    ),
    "DOWNLOAD_LIMIT": (
        "The download queue can only process 5 items at a time. Please try again with fewer items."
    ),
    "DUPLICATED": (
        "You have requested to download the same thing at least twice. Please check "
        "your download cart and remove any duplicates."
    ),
}
"""The ``msg`` texts of ``@datarequest_post`` errors (``TOO_LONG`` takes ``days``)."""
