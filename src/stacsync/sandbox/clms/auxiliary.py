"""``@get-download-file-urls``: the "auxiliary API" for full non-EEA datasets.

LANDCOVER answers a list of S3 object URLs per 20-degree tile, LEGACY a list of daily file URLs
between two dates, WEKEO a WEkEO HDA query built from the item's ``wekeo_choices`` template;
anything else (or an empty result) is HTTP 200 with an error ``msg``. Parameter errors use the
key ``message`` and the LEGACY date errors ``msg``, as the server does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from stacsync.sandbox.clms.catalogue import Catalogue, Dataset

LANDCOVER_BUCKET = "https://s3-eu-west-1.amazonaws.com/vito.landcover.global"
LANDCOVER_LAYERS = ("Discrete-Classification-map", "Discrete-Classification-proba")
DEFAULT_BBOX = ("-12.480469", "35.603719", "32.871094", "70.289117")
NO_CONTENT = {
    "status": "error",
    "msg": "There is no content between the selected dates, expand the date range to get links.",
}


def _message(text: str) -> tuple[int, dict[str, Any]]:
    return 400, {"status": "error", "message": text}


def _msg(text: str) -> tuple[int, dict[str, Any]]:
    return 400, {"status": "error", "msg": text}


def _tiles(x_min: float, y_min: float, x_max: float, y_max: float) -> list[str]:
    """``get_landcover``'s walk over 20-degree tiles (names like ``E000N60``)."""
    names = []
    x = x_min
    while x < x_max:
        lon = ("W" if x < 0 else "E") + str(abs(int(x - (x % 20)))).ljust(2, "0").rjust(3, "0")
        x += 20
        y = y_min
        while (20 + y) - (y % 20) <= (20 + y_max) - (y_max % 20):
            lat = ("S" if y < 0 else "N") + str(abs(int(y - (y % 20) + 20))).ljust(2, "0")
            y += 20
            names.append(lon + lat)
    return names


def _landcover(info: Mapping[str, Any], query: Mapping[str, str]) -> list[str]:
    bbox = [query.get(k, "") for k in ("x_min", "y_min", "x_max", "y_max")]
    if "" in bbox:
        bbox = list(DEFAULT_BBOX)
    x_min, y_min, x_max, y_max = (float(v) for v in bbox)
    path = str(info.get("full_path", ""))
    version, _, year = path.partition("/")
    return [
        f"{LANDCOVER_BUCKET}/{path}/{tile}/{tile}_PROBAV_LC100_global_{version}_{year}-nrt_{layer}_EPSG-4326.tif"
        for tile in _tiles(x_min, y_min, x_max, y_max)
        for layer in LANDCOVER_LAYERS
    ]


def _legacy(dataset: Dataset, query: Mapping[str, str]) -> tuple[int, Any]:
    date_from, date_to = query.get("date_from", ""), query.get("date_to", "")
    if not date_from or not date_to:
        return _msg("Error, both date_from and date_to parameters are required")
    try:
        end = datetime.strptime(date_to, "%Y-%m-%d").date()
    except ValueError:
        return _msg("Error, date_to parameter must be a date in YYYY-MM-DD format")
    try:
        start = datetime.strptime(date_from, "%Y-%m-%d").date()
    except ValueError:
        return _msg("Error, date_from parameter must be a date in YYYY-MM-DD format")
    if date_to < date_from:
        return _msg("Error, date_from parameter must be smaller than date_to")
    legacy = dataset.extras.get("legacy") or {}
    if not legacy:
        return 200, []
    first = max(start, date.fromisoformat(legacy["first"]))
    last = min(end, date.fromisoformat(legacy["last"]))
    urls = []
    day = first
    while day <= last:
        urls.append(legacy["pattern"].format(Y=f"{day:%Y}", m=f"{day:%m}", d=f"{day:%d}"))
        day += timedelta(days=1)
    return 200, urls


def _wekeo(dataset: Dataset, info: Mapping[str, Any], query: Mapping[str, str]) -> Any:
    date_from, date_to = query.get("date_from", ""), query.get("date_to", "")
    if not date_from or not date_to:
        start = (dataset.extras.get("wekeo") or {}).get("start")
        if start:
            date_from = start
            date_to = (date.fromisoformat(start) + timedelta(days=10)).isoformat()
    bbox = [query.get(k, "") for k in ("x_min", "y_min", "x_max", "y_max")]
    if "" in bbox:
        bbox = list(DEFAULT_BBOX)
    template = str(info.get("wekeo_choices") or "")
    text = (
        template.replace("@xmin", bbox[0])
        .replace("@ymin", bbox[1])
        .replace("@xmax", bbox[2])
        .replace("@ymax", bbox[3])
        .replace("@startdate", f"{date_from}T00:00:00.000Z")
        .replace("@enddate", f"{date_to}T00:00:00.000Z")
    )
    return json.loads(text)


def download_file_urls(catalogue: Catalogue, query: Mapping[str, str]) -> tuple[int, Any]:
    """(status, body) of ``@get-download-file-urls``."""
    uid = query.get("dataset_uid")
    if uid is None:
        return _message("Required parameters are missing: dataset_uid is mandatory")
    dataset = catalogue.by_uid(uid)
    if dataset is None:
        return _message("Dataset does not exist")
    info_id = query.get("download_information_id")
    if info_id is None:
        return _message("Required parameters are missing: download_information_id is mandatory")
    info = dataset.info_item(info_id)
    if info is None:
        return _message("Dataset collection does not exist")
    results: Any = []
    source = info.get("full_source")
    try:
        if source == "WEKEO":
            results = _wekeo(dataset, info, query)
        if source == "LANDCOVER":
            results = _landcover(info, query)
    except ValueError as exc:
        return 500, {"message": str(exc), "type": "ValueError"}
    if source == "LEGACY":
        status, results = _legacy(dataset, query)
        if status != 200:
            return status, results
    if not results:
        return 200, dict(NO_CONTENT)
    return 200, results
