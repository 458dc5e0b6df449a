"""``@datarequest_post`` payloads: specs, local checks and stable request keys.

A spec says what to download: a pre-packaged file (:class:`PrepackagedSpec`) or an
extraction (:class:`ExtractionSpec`: dataset, NUTS code or bounding box, format, CRS, layer,
date range). :func:`check_spec` applies the download tool's own validation rules, in its
order and with its messages, as far as they can be checked without a request (the bounding
box area limit and the duplicate guard against running tasks stay with the server), so
obvious mistakes fail before anything is sent. :func:`request_key` is a stable hash of the
normalised spec: the harvest uses it in item ids and to find the task of a spec again after a
restart (:func:`matches`).

Send one extraction per request: the portal merges every extraction of a request into one
task and one zip, and one spec per task keeps one STAC item per spec.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from stacsync.errors import RequestRejectedError
from stacsync.providers.clms.constants import (
    FORMAT_CONVERSIONS,
    GCS,
    MAX_ITEMS,
    MESSAGES,
    NUTS_COUNTRY_PREFIXES,
    OTHER_AVAILABLE_GCS,
    OUTPUT_FORMATS,
    PROVIDER,
)
from stacsync.providers.clms.records import BBox, Dataset
from stacsync.providers.clms.tasks import TaskDataset

KEY_LENGTH = 16
"""Hex digits of a request key (64 bits)."""
_BBOX_DIGITS = 6


@dataclass(frozen=True, kw_only=True)
class PrepackagedSpec:
    """A pre-packaged file: ``{"DatasetID", "FileID"}``."""

    dataset_uid: str
    file_id: str


@dataclass(frozen=True, kw_only=True)
class ExtractionSpec:
    """A clip/convert download of one dataset source.

    Attributes:
        dataset_uid: The DataSet ``UID``.
        download_information_id: The ``dataset_download_information`` item to read.
        output_format: ``Geotiff``, ``Netcdf``, ``GPKG`` ... (case-sensitive, as the API).
        output_gcs: ``EPSG:4326``, ``EPSG:3035`` ...
        nuts: A NUTS 0-3 code or ISO country code; excludes ``bbox``.
        bbox: (west, south, east, north) in EPSG:4326; excludes ``nuts``.
        layer: One of the source's ``layers``.
        start: Start of the TemporalFilter (dates are midnight UTC).
        end: End of the TemporalFilter.
    """

    dataset_uid: str
    download_information_id: str
    output_format: str = "Geotiff"
    output_gcs: str = "EPSG:4326"
    nuts: str | None = None
    bbox: BBox | None = None
    layer: str | None = None
    start: date | datetime | None = None
    end: date | datetime | None = None


Spec = PrepackagedSpec | ExtractionSpec


def _utc(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(0, 0), tzinfo=UTC)


def _millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def normalised_bbox(bbox: Sequence[float]) -> BBox:
    """(west, south, east, north) from any two opposite corners, rounded to 1e-6 degrees."""
    x1, y1, x2, y2 = (round(float(v), _BBOX_DIGITS) for v in bbox)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _bbox_key(bbox: Sequence[float] | None) -> list[Any] | None:
    if bbox is None:
        return None
    try:
        return list(normalised_bbox(bbox))
    except (TypeError, ValueError):
        return [repr(v) for v in bbox]  # malformed: still a stable key for the error message


def normalised(spec: Spec) -> dict[str, Any]:
    """The canonical form of a spec (what :func:`request_key` hashes)."""
    if isinstance(spec, PrepackagedSpec):
        return {"dataset": spec.dataset_uid.strip().lower(), "file": spec.file_id.strip().lower()}
    start, end = _utc(spec.start), _utc(spec.end)
    return {
        "dataset": spec.dataset_uid.strip().lower(),
        "info": spec.download_information_id.strip().lower(),
        "format": spec.output_format.strip(),
        "gcs": spec.output_gcs.strip().upper(),
        "nuts": spec.nuts.strip() if spec.nuts else None,
        "bbox": _bbox_key(spec.bbox),
        "layer": spec.layer,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
    }


def request_key(spec: Spec) -> str:
    """A stable id of a spec: the first 16 hex digits of the SHA-256 of its canonical JSON."""
    text = json.dumps(normalised(spec), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def datarequest_item(spec: Spec) -> dict[str, Any]:
    """One entry of the ``Datasets`` list of ``@datarequest_post``.

    The bounding box is sent as ``[W, N, E, S]`` (the documented example); dates as epoch
    milliseconds (UTC).
    """
    if isinstance(spec, PrepackagedSpec):
        return {"DatasetID": spec.dataset_uid, "FileID": spec.file_id}
    item: dict[str, Any] = {
        "DatasetID": spec.dataset_uid,
        "DatasetDownloadInformationID": spec.download_information_id,
        "OutputFormat": spec.output_format,
        "OutputGCS": spec.output_gcs,
    }
    if spec.nuts is not None:
        item["NUTS"] = spec.nuts
    if spec.bbox is not None:
        west, south, east, north = (float(v) for v in spec.bbox)
        item["BoundingBox"] = [west, north, east, south]
    start, end = _utc(spec.start), _utc(spec.end)
    if start is not None and end is not None:
        item["TemporalFilter"] = {"StartDate": _millis(start), "EndDate": _millis(end)}
    if spec.layer is not None:
        item["Layer"] = spec.layer
    return item


def _reject(spec: Spec | None, key: str) -> RequestRejectedError:
    message = MESSAGES[key]
    if spec is None:
        return RequestRejectedError(PROVIDER, message)
    what = f"request {request_key(spec)}, dataset {spec.dataset_uid or '?'}"
    return RequestRejectedError(PROVIDER, f"{message} ({what})")


def _check_area(spec: ExtractionSpec) -> None:
    if spec.nuts is not None:
        code = spec.nuts
        if not code.isalnum() or code[:2] not in NUTS_COUNTRY_PREFIXES:
            raise _reject(spec, "NUTS_COUNTRY_ERROR")
    if spec.bbox is not None:
        if spec.nuts is not None:
            raise _reject(spec, "NUTS_ALSO_DEFINED")
        values = list(spec.bbox)
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(values) != 4 or len(numbers) != 4 or not all(math.isfinite(v) for v in numbers):
            raise _reject(spec, "INVALID_BOUNDINGBOX")
        west, south, east, north = normalised_bbox(numbers)
        lon_ok = -180 <= west < east <= 180
        if not lon_ok or not -90 <= south < north <= 90:
            raise _reject(spec, "INVALID_BOUNDINGBOX")


def _check_time(spec: ExtractionSpec, dataset: Dataset | None) -> None:
    start, end = _utc(spec.start), _utc(spec.end)
    if start is None and end is None:
        if dataset is not None and dataset.is_time_series:
            raise _reject(spec, "MISSING_TEMPORAL")
        return
    limit = dataset.temporal_limit_days if dataset is not None else None
    if dataset is not None and (limit is None or limit <= 0):
        raise _reject(spec, "TEMP_REST_NOT_ALLOWED")
    if start is None or end is None:
        raise _reject(spec, "TEMP_MISSING_RANGE")
    if start > end:
        raise _reject(spec, "INCORRECT_DATE_RANGE")
    if limit is not None and end - start > timedelta(days=limit):
        raise RequestRejectedError(
            PROVIDER,
            MESSAGES["TOO_LONG"].format(days=limit)
            + f" (request {request_key(spec)}, dataset {spec.dataset_uid})",
        )


def _check_source(spec: ExtractionSpec, dataset: Dataset | None) -> None:
    allowed = set(GCS) | (
        set(dataset.crs) & OTHER_AVAILABLE_GCS if dataset else OTHER_AVAILABLE_GCS
    )
    if not spec.output_gcs:
        raise _reject(spec, "MISSING_GCS")
    if spec.output_gcs not in allowed:
        raise _reject(spec, "UNDEFINED_GCS")
    if not spec.download_information_id:
        raise _reject(spec, "UNDEFINED_INFO_ID")
    info = dataset.info(spec.download_information_id) if dataset is not None else None
    if dataset is not None and (info is None or not info.full_format):
        raise _reject(spec, "NOT_DOWNLOADABLE")
    if spec.output_format not in OUTPUT_FORMATS:
        raise _reject(spec, "INVALID_OUTPUT")
    if info is None:
        return
    if spec.output_format not in FORMAT_CONVERSIONS.get(info.full_format or "", frozenset()):
        raise _reject(spec, "NOT_COMPATIBLE")
    if not info.full_source:
        raise _reject(spec, "INVALID_SOURCE")
    if not info.full_path and info.full_source != "CDSE":
        raise _reject(spec, "NOT_DOWNLOADABLE")
    if info.layers and spec.layer is not None and spec.layer not in info.layers:
        raise _reject(spec, "INVALID_LAYER")
    has_area = spec.nuts is not None or spec.bbox is not None
    if not has_area and spec.start is None:
        raise _reject(spec, "FULL_EEA" if info.full_source == "EEA" else "FULL_NOT_EEA")
    if not has_area and info.full_source != "EEA":
        raise _reject(spec, "MUST_HAVE_AREA")


def check_spec(spec: Spec, dataset: Dataset | None = None) -> None:
    """Apply the download tool's per-item checks that need no request.

    Args:
        spec: The spec to check.
        dataset: The DataSet it names, when known (enables the checks that need its download
            information, projections and time-series settings).

    Raises:
        RequestRejectedError: With the provider's own message, the request key and dataset.
    """
    if not spec.dataset_uid:
        raise _reject(spec, "UNDEFINED_DATASET_ID")
    if dataset is not None and dataset.uid != spec.dataset_uid:
        raise _reject(spec, "INVALID_DATASET_ID")
    if isinstance(spec, PrepackagedSpec):
        file = dataset.file(spec.file_id) if dataset is not None else None
        if not spec.file_id or (dataset is not None and (file is None or not file.orderable)):
            raise _reject(spec, "INVALID_FILE_ID")
        return
    _check_area(spec)
    _check_time(spec, dataset)
    _check_source(spec, dataset)


def build_datarequest(
    specs: Iterable[Spec], datasets: Mapping[str, Dataset] | None = None
) -> dict[str, Any]:
    """The ``@datarequest_post`` body for ``specs``, after :func:`check_spec` on each.

    Args:
        specs: What to request.
        datasets: Known DataSets by UID; a UID missing from a given mapping is refused as the
            portal would (``Error, the DatasetID is not valid``).

    Raises:
        RequestRejectedError: A spec fails a check, more than five extractions, or the same
            spec twice.
    """
    specs = list(specs)
    for spec in specs:
        dataset = None
        if datasets is not None:
            dataset = datasets.get(spec.dataset_uid)
            if dataset is None and spec.dataset_uid:
                raise _reject(spec, "INVALID_DATASET_ID")
        check_spec(spec, dataset)
    extractions = [s for s in specs if isinstance(s, ExtractionSpec)]
    if len(extractions) > MAX_ITEMS:
        raise _reject(None, "DOWNLOAD_LIMIT")
    keys = [request_key(s) for s in extractions]
    if len(set(keys)) != len(keys):
        raise _reject(None, "DUPLICATED")
    return {"Datasets": [datarequest_item(spec) for spec in specs]}


def matches(spec: Spec, entry: TaskDataset) -> bool:
    """Whether a stored ``Datasets`` entry of a task is ``spec`` (to find a task again)."""
    if entry.dataset_id.strip().lower() != spec.dataset_uid.strip().lower():
        return False
    if isinstance(spec, PrepackagedSpec):
        return entry.file_id is not None and entry.file_id.lower() == spec.file_id.lower()
    if entry.file_id is not None:
        return False
    start, end = _utc(spec.start), _utc(spec.end)
    box = normalised_bbox(entry.bounding_box) if entry.bounding_box is not None else None
    return (
        (entry.output_gcs or "").upper() == spec.output_gcs.upper()
        and (entry.output_format or "") == spec.output_format
        and entry.nuts_id == spec.nuts
        and box == (normalised_bbox(spec.bbox) if spec.bbox is not None else None)
        and entry.layer in (None, spec.layer)
        and entry.start == _seconds(start)
        and entry.end == _seconds(end)
    )


def _seconds(value: datetime | None) -> datetime | None:
    """The registry keeps TemporalFilter dates to the second."""
    return value.replace(microsecond=0) if value is not None else None
