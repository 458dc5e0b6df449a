"""Constants of the CLMS download tool (eea/clms.downloadtool), verbatim where captured.

Copied from the captured ``downloadtool_constants.json`` (statuses, projections, formats,
conversion table, error messages, NUTS country prefixes) plus the documented defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

STATUS_LIST: tuple[str, ...] = (
    "Rejected",
    "Queued",
    "In_progress",
    "Finished_ok",
    "Finished_nok",
    "Cancelled",
)
"""Every task status, exact spelling."""
GCS: tuple[str, ...] = ("EPSG:4326", "EPSG:3035", "EPSG:3857", "EPSG:4258")
"""OutputGCS values every dataset accepts."""
OTHER_AVAILABLE_GCS: frozenset[str] = frozenset(
    [
        "EPSG:2740",
        "EPSG:32620",
        "EPSG:32622",
        "EPSG:32625",
        "EPSG:32626",
        "EPSG:32627",
        "EPSG:32628",
        "EPSG:32629",
        "EPSG:32630",
        "EPSG:32631",
        "EPSG:32632",
        "EPSG:32633",
        "EPSG:32634",
        "EPSG:32635",
        "EPSG:32636",
        "EPSG:32637",
        "EPSG:32638",
        "EPSG:32738",
        "EPSG:32740",
    ]
)
"""Extra OutputGCS values a dataset may list in ``characteristics_projection``."""
DATASET_FORMATS: tuple[str, ...] = (
    "Shapefile",
    "GDB",
    "GPKG",
    "Geojson",
    "Geotiff",
    "Netcdf",
    "GML",
    "WFS",
)
DATASET_SOURCES: tuple[str, ...] = (
    "WEKEO",
    "EEA",
    "LANDCOVER",
    "LEGACY",
    "VITO_geotiff",
    "VITO_Geotiff_LandCover",
    "VITO_Geotiff_LSP",
)
FORMAT_CONVERSION_TABLE: Mapping[str, Mapping[str, bool]] = {
    "Shapefile": {
        "Shapefile": True,
        "GDB": True,
        "GPKG": True,
        "Geojson": True,
        "Geotiff": False,
        "Netcdf": False,
        "GML": True,
        "WFS": False,
    },
    "GDB": {
        "Shapefile": True,
        "GDB": True,
        "GPKG": True,
        "Geojson": True,
        "Geotiff": False,
        "Netcdf": False,
        "GML": True,
        "WFS": False,
    },
    "GPKG": {
        "Shapefile": True,
        "GDB": True,
        "GPKG": True,
        "Geojson": True,
        "Geotiff": False,
        "Netcdf": False,
        "GML": True,
        "WFS": False,
    },
    "Geojson": {
        "Shapefile": True,
        "GDB": True,
        "GPKG": True,
        "Geojson": True,
        "Geotiff": False,
        "Netcdf": False,
        "GML": True,
        "WFS": False,
    },
    "Geotiff": {
        "Shapefile": False,
        "GDB": False,
        "GPKG": False,
        "Geojson": False,
        "Geotiff": True,
        "Netcdf": False,
        "GML": False,
        "WFS": False,
    },
    "Netcdf": {
        "Shapefile": False,
        "GDB": False,
        "GPKG": False,
        "Geojson": False,
        "Geotiff": True,
        "Netcdf": True,
        "GML": False,
        "WFS": False,
    },
    "WFS": {
        "Shapefile": True,
        "GDB": True,
        "GPKG": True,
        "Geojson": True,
        "Geotiff": False,
        "Netcdf": False,
        "GML": True,
        "WFS": True,
    },
    "GML": {
        "Shapefile": False,
        "GDB": False,
        "GPKG": False,
        "Geojson": False,
        "Geotiff": False,
        "Netcdf": False,
        "GML": True,
        "WFS": False,
    },
}
"""Source ``full_format`` -> {target format: allowed}."""
MESSAGES: Mapping[str, str] = {
    "NOT_LOGGED_IN": "You need to be logged in to use this service",
    "UNDEFINED_DATASET_ID": "Error, DatasetID is not defined",
    "INVALID_DATASET_ID": "Error, the DatasetID is not valid",
    "INVALID_FILE_ID": "Error, the FileID is not valid",
    "NUTS_COUNTRY_ERROR": "NUTS country error",
    "NUTS_ALSO_DEFINED": "Error, NUTS is also defined",
    "INVALID_BOUNDINGBOX": "Error, BoundingBox is not valid",
    "TEMP_REST_NOT_ALLOWED": (
        "Error, temporal restriction is not allowed in not time-series enabled datasets"
    ),
    "TEMP_TOO_MANY": "Error, TemporalFilter has too many fields",
    "TEMP_MISSING_RANGE": "Error, TemporalFilter does not have StartDate or EndDate",
    "INCORRECT_DATE": "Error, date format is not correct",
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
    "ALL_FAILED": "Error, all requests failed",
}
"""The ``msg`` texts of ``@datarequest_post`` errors."""
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
"""Valid first two letters of a NUTS code (``COUNTRIES`` keys)."""

DEFAULT_TOKEN_LIFETIME = 3600.0
"""Access-token lifetime in seconds (ftw.tokenauth ``DEFAULT_TOKEN_LIFETIME``)."""
DEFAULT_LINK_LIFETIME = 72 * 3600.0
"""How long a ``DownloadURL`` stays downloadable ("available for the next 72 hours")."""
MAX_AREA_EXTENT = 1600000000000
"""``clms.types.download_limits.area_extent`` default."""
MAX_ITEMS = 5
"""Non pre-packaged items per ``@datarequest_post``."""
JWT_BEARER_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_BATCH_SIZE = 25
"""plone.restapi ``DEFAULT_BATCH_SIZE``."""
FINISHED_OK_MESSAGE = "Download process finished successfully"
FINISHED_NOK_MESSAGE = "Download process finished with errors"
"""Not captured: our wording for a failed FME job."""
TERMINAL_STATUSES = frozenset({"Finished_ok", "Finished_nok", "Rejected", "Cancelled"})
TIME_SERIES_MISSING_FILTER = "Please add TemporalFilter (with StartDate and EndDate)"
"""Message of the range check when a dataset has a temporal limit but no filter was sent."""
