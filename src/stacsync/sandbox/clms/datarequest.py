"""``@datarequest_post`` validation: the server's checks in the server's order.

Pure functions over the request body and the catalogue. The first failing check aborts the
whole request with 400 ``{"status": "error", "msg": ...}`` and nothing is registered. Inputs on
which the real Python code raises (a missing ``Datasets`` key, a non-string ``NUTS``...) get the
500 error body plone.restapi renders for an exception.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rasterio.warp import transform

from stacsync.sandbox.clms.catalogue import BBox, Catalogue, Dataset
from stacsync.sandbox.clms.constants import (
    FORMAT_CONVERSION_TABLE,
    MAX_AREA_EXTENT,
    MAX_ITEMS,
    MESSAGES,
    TIME_SERIES_MISSING_FILTER,
)
from stacsync.sandbox.clms.nuts import nuts_bbox, nuts_name, validate_nuts
from stacsync.sandbox.clms.projections import available_gcs
from stacsync.sandbox.clms.tasks import Extraction, Output, Prepackaged

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
WATER_BODIES_NETCDF = ("7df9bdf94fe94cb5919c11c9ef5cac65", "0517fd1b7d944d8197a2eb5c13470db8")
EEA_GEONETWORK = (
    "https://sdi.eea.europa.eu/catalogue/copernicus/api/records/{}/formatters/xml?approved=true"
)
VITO_GEONETWORK = (
    "https://globalland.vito.be/geonetwork/srv/api/records/{}/formatters/xml?approved=true"
)
EUROPE: BBox = (-31.285, 27.642, 44.807, 71.165)


class RequestRejected(Exception):
    """The response to send instead of creating tasks."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = dict(body)


def _error(key_or_text: str) -> RequestRejected:
    return RequestRejected(400, {"status": "error", "msg": MESSAGES.get(key_or_text, key_or_text)})


def python_error(kind: str, message: str) -> RequestRejected:
    """The 500 body of an unhandled exception in a plone.restapi service."""
    return RequestRejected(500, {"message": message, "type": kind})


@dataclass
class Plan:
    """What a valid request registers: the pre-packaged task and the extraction task."""

    prepackaged: list[dict[str, Any]] = field(default_factory=list)
    prepackaged_outputs: list[Output] = field(default_factory=list)
    general: list[dict[str, Any]] = field(default_factory=list)
    general_outputs: list[Output] = field(default_factory=list)


def b64_path(path: str) -> str:
    """``base64_encode_path``: urlsafe base64 of the path."""
    return base64.urlsafe_b64encode(path.encode("utf-8")).decode("utf-8")


def _basename(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def bounding_box_area(bbox: list[Any]) -> float:
    """``calculate_bounding_box_area``: int-truncated corners projected with EPSG:3587 (sic)."""
    xs, ys = transform(
        "EPSG:4326", "EPSG:3587", [int(bbox[0]), int(bbox[2])], [int(bbox[1]), int(bbox[3])]
    )
    area = abs((xs[1] - xs[0]) * (ys[1] - ys[0]))
    return area if math.isfinite(area) else float("inf")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float)


def _date(value: object) -> str | None:
    """Epoch milliseconds -> ``YYYY-MM-DD HH:MM:SS`` (UTC), or None."""
    try:
        millis = int(value) if isinstance(value, str) else value
        if not isinstance(millis, int | float) or isinstance(millis, bool):
            return None
        return datetime.fromtimestamp(millis / 1000, tz=UTC).strftime(DATE_FORMAT)
    except (ValueError, OverflowError, OSError):
        return None


def _full_format(info: Mapping[str, Any] | None) -> str | None:
    if info is None:
        return None
    value = info.get("full_format")
    if isinstance(value, Mapping):
        value = value.get("token")
    return str(value) if value else None


def _metadata(dataset: Dataset) -> list[str]:
    urls = []
    for meta in (dataset.fields.get("geonetwork_identifiers") or {}).get("items", []):
        if meta.get("type") == "EEA":
            urls.append(EEA_GEONETWORK.format(meta.get("id")))
        elif meta.get("type") == "VITO":
            urls.append(VITO_GEONETWORK.format(meta.get("id")))
        else:
            urls.append(str(meta.get("id")))
    return urls


def dataset_bbox(dataset: Dataset) -> BBox:
    """The union of the dataset's ``geographicBoundingBox`` items (Europe when absent)."""
    boxes = (dataset.fields.get("geographicBoundingBox") or {}).get("items", [])
    try:
        west = min(float(b["west"]) for b in boxes)
        south = min(float(b["south"]) for b in boxes)
        east = max(float(b["east"]) for b in boxes)
        north = max(float(b["north"]) for b in boxes)
    except (KeyError, TypeError, ValueError):
        return EUROPE
    return (west, south, east, north)


def _product(dataset: Dataset, info: Mapping[str, Any]) -> str:
    name = _basename(str(info.get("full_path", "")))
    if info.get("full_source") == "EEA" and "." in name:
        return name.rsplit(".", 1)[0]
    return dataset.path.rsplit("/", 1)[-1]


def digest(item: Mapping[str, Any]) -> str:
    """The duplicate-guard hash of one stored item (SHA-512 of its sorted JSON)."""
    return hashlib.sha512(json.dumps(item, sort_keys=True).encode()).hexdigest()


def _prepackaged(
    item: Mapping[str, Any], dataset: Dataset, catalogue: Catalogue, plan: Plan
) -> None:
    file = dataset.file_item(item["FileID"])
    path = str(file.get("path") or "") if file else ""
    source = str(file.get("source") or "") if file else ""
    if file is None or not path or not source:
        raise _error("INVALID_FILE_ID")
    plan.prepackaged.append(
        {
            "DatasetID": item["DatasetID"],
            "DatasetTitle": dataset.title,
            "FileID": item["FileID"],
            "DatasetPath": "",
            "FilePath": b64_path(path),
            "DatasetSource": source,
        }
    )
    area = catalogue.areas.get(str(file.get("area")), dataset_bbox(dataset))
    plan.prepackaged_outputs.append(Prepackaged(dataset.uid, _basename(path), area))


def _spatial(item: Mapping[str, Any], stored: dict[str, Any]) -> None:
    if "NUTS" in item:
        nuts = item["NUTS"]
        if not isinstance(nuts, str):
            raise python_error(
                "AttributeError", f"'{type(nuts).__name__}' object has no attribute 'isalnum'"
            )
        if not validate_nuts(nuts):
            raise _error("NUTS_COUNTRY_ERROR")
        stored["NUTSID"] = nuts
        stored["NUTSName"] = nuts_name(nuts)
    if "BoundingBox" in item:
        if "NUTS" in item:
            raise _error("NUTS_ALSO_DEFINED")
        bbox = item["BoundingBox"]
        if not isinstance(bbox, list | str | Mapping):
            raise python_error("TypeError", f"object of type '{type(bbox).__name__}' has no len()")
        if len(bbox) != 4 or not isinstance(bbox, list) or not all(_is_number(x) for x in bbox):
            raise _error("INVALID_BOUNDINGBOX")
        if bounding_box_area(bbox) > MAX_AREA_EXTENT:
            raise _error(
                f"Error, the requested BoundingBox is too big. The limit is {MAX_AREA_EXTENT}."
            )
        stored["BoundingBox"] = bbox


def _temporal(item: Mapping[str, Any], dataset: Dataset, stored: dict[str, Any]) -> None:
    if "TemporalFilter" not in item:
        return
    limit = dataset.temporal_limit
    if limit is None or limit <= 0:
        raise _error("TEMP_REST_NOT_ALLOWED")
    temporal = item["TemporalFilter"]
    if not isinstance(temporal, Mapping):
        raise python_error(
            "AttributeError", f"'{type(temporal).__name__}' object has no attribute 'keys'"
        )
    if len(temporal) > 2:
        raise _error("TEMP_TOO_MANY")
    if "StartDate" not in temporal or "EndDate" not in temporal:
        raise _error("TEMP_MISSING_RANGE")
    start, end = _date(temporal["StartDate"]), _date(temporal["EndDate"])
    if start is None or end is None:
        raise _error("INCORRECT_DATE")
    if start > end:
        raise _error("INCORRECT_DATE_RANGE")
    stored["TemporalFilter"] = {"StartDate": start, "EndDate": end}


def _format_and_source(
    item: Mapping[str, Any], info: Mapping[str, Any] | None
) -> tuple[str, str, str]:
    if "DatasetDownloadInformationID" not in item:
        raise _error("UNDEFINED_INFO_ID")
    full_format = _full_format(info)
    if info is None or not full_format:
        raise _error("NOT_DOWNLOADABLE")
    output = item.get("OutputFormat")
    if not isinstance(output, str) or output not in FORMAT_CONVERSION_TABLE:
        raise _error("INVALID_OUTPUT")
    if not FORMAT_CONVERSION_TABLE.get(full_format, {}).get(output):
        raise _error("NOT_COMPATIBLE")
    source = str(info.get("full_source") or "")
    if not source:
        raise _error("INVALID_SOURCE")
    path = str(info.get("full_path") or "")
    if not path:
        raise _error("NOT_DOWNLOADABLE")
    return full_format, source, path


def _time_series(item: Mapping[str, Any], dataset: Dataset, stored: Mapping[str, Any]) -> None:
    if dataset.is_time_series and "TemporalFilter" not in item:
        raise _error("MISSING_TEMPORAL")
    limit = dataset.temporal_limit
    if limit is not None and limit > 0:
        temporal = stored.get("TemporalFilter")
        if temporal is None:
            raise _error(TIME_SERIES_MISSING_FILTER)
        start = datetime.strptime(temporal["StartDate"], DATE_FORMAT)
        end = datetime.strptime(temporal["EndDate"], DATE_FORMAT)
        if end - start > timedelta(days=limit):
            raise _error(
                "You are requesting to download a time series enabled dataset and the requested "
                f"date range is bigger than the allowed range of {limit} days. Please check the "
                "download documentation to get more information"
            )


def _full_dataset_rules(item: Mapping[str, Any], source: str) -> None:
    has_area = "NUTS" in item or "BoundingBox" in item
    if not has_area and "TemporalFilter" not in item:
        raise _error("FULL_NOT_EEA" if source != "EEA" else "FULL_EEA")
    if not has_area and source != "EEA":
        raise _error("MUST_HAVE_AREA")


def _custom(
    item: Mapping[str, Any], dataset: Dataset, stored: dict[str, Any]
) -> tuple[dict[str, Any], str, str]:
    """Validate one clip item; return its download-information item, source and path."""
    _spatial(item, stored)
    _temporal(item, dataset, stored)
    if "OutputGCS" not in item:
        raise _error("MISSING_GCS")
    gcs = item["OutputGCS"]
    if not isinstance(gcs, str) or gcs not in available_gcs(dataset):
        raise _error("UNDEFINED_GCS")
    stored["OutputGCS"] = gcs
    info = dataset.info_item(item.get("DatasetDownloadInformationID"))
    full_format, source, path = _format_and_source(item, info)
    assert info is not None
    layers = info.get("layers") or []
    if layers and "Layer" in item:
        if item["Layer"] not in layers:
            raise _error("INVALID_LAYER")
        stored["Layer"] = item["Layer"]
    _time_series(item, dataset, stored)
    stored["DatasetFormat"] = full_format
    return info, source, path


def _extraction(
    item: Mapping[str, Any],
    dataset: Dataset,
    stored: Mapping[str, Any],
    index: int,
    info: Mapping[str, Any],
) -> Extraction:
    area: BBox | None
    if "NUTSID" in stored:
        label, area = str(stored["NUTSID"]), nuts_bbox(str(stored["NUTSID"]))
    elif "BoundingBox" in stored:
        x1, y1, x2, y2 = (float(v) for v in stored["BoundingBox"])
        label, area = "bbox", (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    else:
        label, area = "full", dataset_bbox(dataset)
    temporal = stored.get("TemporalFilter")
    start = temporal["StartDate"][:10].replace("-", "") if temporal else None
    return Extraction(
        dataset_uid=dataset.uid,
        product=_product(dataset, info),
        area=area,
        area_label=label,
        output_gcs=str(stored["OutputGCS"]),
        output_format=str(item.get("OutputFormat", "")),
        start=start,
        index=index,
    )


def plan_request(body: object, catalogue: Catalogue, active: Iterable[Mapping[str, Any]]) -> Plan:
    """Validate a ``@datarequest_post`` body; ``active`` = items of the user's live tasks."""
    if not isinstance(body, Mapping):
        raise python_error(
            "AttributeError", f"'{type(body).__name__}' object has no attribute 'get'"
        )
    items = body.get("Datasets")
    if not isinstance(items, list):
        raise python_error("TypeError", f"'{type(items).__name__}' object is not iterable")
    plan = Plan()
    special: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            if isinstance(item, str):
                raise _error("UNDEFINED_DATASET_ID")
            raise python_error(
                "TypeError", f"argument of type '{type(item).__name__}' is not iterable"
            )
        if not item.get("DatasetID"):
            raise _error("UNDEFINED_DATASET_ID")
        dataset = (
            catalogue.by_uid(item["DatasetID"]) if isinstance(item["DatasetID"], str) else None
        )
        if dataset is None or dataset.review_state != "published":
            raise _error("INVALID_DATASET_ID")
        if "FileID" in item:
            _prepackaged(item, dataset, catalogue, plan)
            continue
        stored: dict[str, Any] = {"DatasetID": item["DatasetID"], "DatasetTitle": dataset.title}
        info, source, path = _custom(item, dataset, stored)
        is_special = dataset.uid in WATER_BODIES_NETCDF and item.get("OutputFormat") == "Netcdf"
        if is_special:
            special.append(dataset.uid)
        if index == len(items) - 1 and special:
            raise _error(
                "Please choose the Geotiff format as the NetCDF format is not allowed for the "
                f"dataset(s) {', '.join(special)}"
            )
        if is_special:
            continue
        _full_dataset_rules(item, source)
        stored.update(
            {
                "OutputFormat": item.get("OutputFormat", ""),
                "DatasetPath": b64_path(path),
                "DatasetSource": source,
                "WekeoChoices": info.get("wekeo_choices", ""),
                "Metadata": _metadata(dataset),
            }
        )
        plan.general.append(stored)
        plan.general_outputs.append(_extraction(item, dataset, stored, index + 1, info))
    if len(plan.general) > MAX_ITEMS:
        raise _error("DOWNLOAD_LIMIT")
    seen: set[str] = set()
    for stored_item in [*plan.general, *active]:
        key = digest(stored_item)
        if key in seen:
            raise _error("DUPLICATED")
        seen.add(key)
    return plan
