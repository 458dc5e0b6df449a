"""CLMS records to STAC 1.1.0: one Collection per DataSet, Items for files and finished tasks.

Pure functions, dict in and dict out. Ids are derived from the dataset's short name and the
request key, never from TaskIDs or the clock, so a re-run gives the same ids; ``created`` and
``updated`` come from the portal's dates (DataSet ``created``/``modified``, task registration
and finalization). A pre-packaged file and the finished task that delivers it share one item
id, so the delivered item replaces the orderable one.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from stacsync.errors import OrderFailedError, PayloadError, ProviderWarning
from stacsync.providers.clms.constants import (
    LICENSE,
    LICENSE_URL,
    LINK_LIFETIME,
    PROVIDER,
    PROVIDERS,
)
from stacsync.providers.clms.records import BBox, Dataset, DownloadableFile
from stacsync.providers.clms.requests import ExtractionSpec, Spec, normalised_bbox, request_key
from stacsync.providers.clms.tasks import ORDER_STATUS, Task, TaskState, expires_at
from stacsync.providers.payload import stac_datetime

STAC_VERSION = "1.1.0"
PROJECTION = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
ORDER = "https://stac-extensions.github.io/order/v1.1.0/schema.json"
FILE = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
TIMESTAMPS = "https://stac-extensions.github.io/timestamps/v1.1.0/schema.json"
SCIENTIFIC = "https://stac-extensions.github.io/scientific/v1.0.0/schema.json"
WORLD: BBox = (-180.0, -90.0, 180.0, 90.0)
MAX_ID_BYTES = 200
COLLECTION_LINK = {"rel": "collection", "href": "../collection.json", "type": "application/json"}
"""Where the catalogue store puts the collection, relative to an item file."""
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_METRES = re.compile(r"(\d+(?:\.\d+)?)\s*(km|m)\b", re.IGNORECASE)
_EPSG_IN_NAME = re.compile(r"_(\d{5})(?:_|$)")


def _safe(text: str) -> str:
    """A lower-case path component: ``[a-z0-9._-]``, no leading dot or dash."""
    return _UNSAFE.sub("-", text.lower()).strip("-.")


def _join_id(prefix: str, suffix: str) -> str:
    """``prefix-suffix``, shortened with a hash if it would exceed the id length limit."""
    ident = f"{prefix}-{suffix}" if prefix else suffix
    if len(ident.encode()) <= MAX_ID_BYTES:
        return ident
    digest = hashlib.sha256(ident.encode()).hexdigest()[:12]
    return f"{ident[: MAX_ID_BYTES - 13].rstrip('-.')}-{digest}"


def collection_id(ds: Dataset) -> str:
    """The collection id of a dataset: its short name (``clc2018``), else its UID."""
    return _safe(ds.slug) or ds.uid.lower()


def item_id(ds: Dataset, spec: Spec) -> str:
    """The item id of a request: the collection id plus the request key."""
    return _join_id(collection_id(ds), request_key(spec))


def file_item_id(ds: Dataset, file: DownloadableFile) -> str:
    """The item id of a pre-packaged file: the collection id plus the file's name."""
    return _join_id(collection_id(ds), _safe(file.stem) or file.id.lower())


def _gsd(*texts: str | None) -> list[float]:
    values: set[float] = set()
    for text in texts:
        for number, unit in _METRES.findall(text or ""):
            values.add(float(number) * (1000 if unit.lower() == "km" else 1))
    return sorted(values)


def _polygon(bbox: BBox) -> dict[str, Any]:
    west, south, east, north = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _day_start(day: date) -> str:
    return stac_datetime(datetime.combine(day, time(0, 0), tzinfo=UTC))


def _day_end(day: date) -> str:
    return stac_datetime(datetime.combine(day, time(23, 59, 59), tzinfo=UTC))


def _links(ds: Dataset, metadata: Sequence[str] = ()) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = [
        {"rel": "license", "href": LICENSE_URL, "type": "text/html", "title": "Data policy"},
        {"rel": "about", "href": ds.page_url, "type": "text/html", "title": ds.title},
    ]
    for url in dict.fromkeys([*metadata, *ds.metadata_urls]):
        links.append(
            {"rel": "describedby", "href": url, "type": "application/xml", "title": "ISO 19139"}
        )
    if ds.doi:
        links.append({"rel": "cite-as", "href": f"https://doi.org/{ds.doi}"})
    return links


def _dates(obj: dict[str, Any], created: datetime | None, updated: datetime | None) -> None:
    if created is not None:
        obj["created"] = stac_datetime(created)
    if updated is not None:
        obj["updated"] = stac_datetime(updated)


def collection_from_dataset(ds: Dataset) -> dict[str, Any]:
    """The STAC Collection of a DataSet.

    A dataset without a bounding box gets the whole world (with a ProviderWarning); one without
    a temporal extent gets an open interval.
    """
    extensions: set[str] = set()
    bbox = ds.bbox
    if bbox is None:
        warnings.warn(
            ProviderWarning(
                f"{PROVIDER}: {ds.url}: field 'geographicBoundingBox': missing; "
                "the collection extent is the whole world"
            ),
            stacklevel=2,
        )
        bbox = WORLD
    start = _day_start(ds.temporal_start) if ds.temporal_start else None
    end = _day_end(ds.temporal_end) if ds.temporal_end else None
    summaries: dict[str, Any] = {}
    if ds.crs:
        summaries["proj:code"] = list(dict.fromkeys(ds.crs))
        extensions.add(PROJECTION)
    gsd = _gsd(ds.resolution, *(i.collection for i in ds.download_information))
    if gsd:
        summaries["gsd"] = gsd
    collection: dict[str, Any] = {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "id": collection_id(ds),
        "title": ds.title,
        "description": ds.description or ds.title,
        "license": LICENSE,
        "providers": [dict(p) for p in PROVIDERS],
        "extent": {
            "spatial": {"bbox": [list(bbox)]},
            "temporal": {"interval": [[start, end]]},
        },
        "links": _links(ds),
        "clms:uid": ds.uid,
    }
    if ds.keywords:
        collection["keywords"] = list(ds.keywords)
    if summaries:
        collection["summaries"] = summaries
    if ds.doi:
        collection["sci:doi"] = ds.doi
        if ds.citation:
            collection["sci:citation"] = ds.citation
        extensions.add(SCIENTIFIC)
    _dates(collection, ds.created, ds.modified)
    collection["stac_extensions"] = sorted(extensions)
    return collection


def _time(
    properties: dict[str, Any],
    start: datetime | None,
    end: datetime | None,
    ds: Dataset,
    fallback: datetime | None,
) -> None:
    if start is not None and end is not None:
        properties.update(
            datetime=None, start_datetime=stac_datetime(start), end_datetime=stac_datetime(end)
        )
    elif ds.temporal_start is not None:
        properties["datetime"] = None
        properties["start_datetime"] = _day_start(ds.temporal_start)
        properties["end_datetime"] = _day_end(ds.temporal_end or ds.temporal_start)
    elif fallback is not None:
        properties["datetime"] = stac_datetime(fallback)
    else:
        raise PayloadError(
            PROVIDER,
            "no date for the item: the dataset has no temporal extent",
            url=ds.url,
            field="temporalExtentStart",
        )


def _item(
    ident: str,
    ds: Dataset,
    geometry_bbox: BBox | None,
    properties: dict[str, Any],
    assets: dict[str, Any],
    links: list[dict[str, Any]],
    extensions: set[str],
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": sorted(extensions),
        "id": ident,
        "collection": collection_id(ds),
        "geometry": _polygon(geometry_bbox) if geometry_bbox is not None else None,
        "properties": properties,
        "assets": assets,
        "links": [COLLECTION_LINK, *links],
    }
    if geometry_bbox is not None:
        item["bbox"] = list(geometry_bbox)
    return item


def _file_epsg(file: DownloadableFile, ds: Dataset) -> str | None:
    match = _EPSG_IN_NAME.search(file.stem)
    if match:
        return f"EPSG:{int(match.group(1))}"
    return ds.crs[0] if len(ds.crs) == 1 else None


def item_from_prepackaged(ds: Dataset, file: DownloadableFile) -> dict[str, Any]:
    """An orderable Item for a pre-packaged file (``order:status`` ``orderable``).

    The asset's href is the product page until the file is ordered; the finished task of the
    order then gives the same item with the download link (:func:`item_from_task`).
    """
    extensions = {ORDER}
    properties: dict[str, Any] = {
        "title": file.title or file.stem,
        "order:status": "orderable",
        "clms:dataset_uid": ds.uid,
        "clms:file_id": file.id,
    }
    year = int(file.year) if file.year.isdigit() else None
    fallback = datetime(year, 1, 1, tzinfo=UTC) if year else (ds.modified or ds.created)
    _time(properties, None, None, ds, fallback)
    epsg = _file_epsg(file, ds)
    if epsg:
        properties["proj:code"] = epsg
        extensions.add(PROJECTION)
    gsd = _gsd(file.resolution)
    if len(gsd) == 1:
        properties["gsd"] = gsd[0]
    _dates(properties, ds.created, ds.modified)
    asset: dict[str, Any] = {
        "href": ds.page_url,
        "title": file.title or file.stem,
        "roles": ["data"],
        "order:status": "orderable",
    }
    if file.size:
        asset["clms:size"] = file.size
    return _item(
        file_item_id(ds, file), ds, ds.bbox, properties, {"data": asset}, _links(ds), extensions
    )


def _region(spec: ExtractionSpec, region: BBox | None, task: Task) -> BBox | None:
    if spec.bbox is not None:
        return normalised_bbox(spec.bbox)
    if region is not None:
        return region
    if spec.nuts is not None:
        warnings.warn(
            ProviderWarning(
                f"{PROVIDER}: task {task.task_id}: no extent known for NUTS {spec.nuts!r}; "
                "the item has no geometry until it is pulled (the COG step reads it from the data)"
            ),
            stacklevel=3,
        )
    return None


def item_from_task(
    ds: Dataset,
    spec: Spec,
    task: Task,
    *,
    region: BBox | None = None,
    link_lifetime: timedelta = LINK_LIFETIME,
) -> dict[str, Any]:
    """The Item of a finished task: its asset is the task's DownloadURL.

    Args:
        ds: The dataset the spec names.
        spec: The request the task was made for (gives the item id, geometry and dates).
        task: The task record; it must be ``Finished_ok``.
        region: (west, south, east, north) of the NUTS region, when the caller knows it.
        link_lifetime: How long the DownloadURL lives after finalization.

    Raises:
        OrderFailedError: The task did not succeed (the provider's status and message).
    """
    if task.state is not TaskState.SUCCEEDED or task.download_url is None:
        reason = f"{task.status}: {task.message}" if task.message else task.status
        raise OrderFailedError(PROVIDER, task.task_id, reason)
    extensions = {ORDER}
    entry = task.datasets[0] if len(task.datasets) == 1 else None
    properties: dict[str, Any] = {
        "order:id": task.task_id,
        "order:status": ORDER_STATUS[task.state],
        "order:date": stac_datetime(task.registered),
        "clms:dataset_uid": ds.uid,
        "clms:request_key": request_key(spec),
    }
    if isinstance(spec, ExtractionSpec):
        ident = item_id(ds, spec)
        bbox = _region(spec, region, task)
        start = spec.start or (entry.start if entry else None)
        end = spec.end or (entry.end if entry else None)
        fallback = ds.modified or ds.created or task.registered
        _time(properties, _aware(start), _aware(end), ds, fallback)
        properties["proj:code"] = spec.output_gcs
        extensions.add(PROJECTION)
        properties["clms:download_information_id"] = spec.download_information_id
        properties["clms:output_format"] = spec.output_format
        if spec.nuts is not None:
            properties["clms:nuts"] = spec.nuts
        if spec.layer is not None:
            properties["clms:layer"] = spec.layer
        title = f"{ds.title}, {spec.nuts or 'bounding box'}, {spec.output_format}"
    else:
        file = ds.file(spec.file_id)
        ident = file_item_id(ds, file) if file else item_id(ds, spec)
        bbox = ds.bbox
        _time(properties, None, None, ds, ds.modified or ds.created)
        properties["clms:file_id"] = spec.file_id
        title = file.title if file and file.title else ds.title
    properties["title"] = title
    _dates(properties, task.registered, task.finalized or task.registered)
    asset: dict[str, Any] = {
        "href": task.download_url,
        "type": "application/zip",
        "title": title,
        "roles": ["data"],
    }
    if task.file_size is not None:
        asset["file:size"] = task.file_size
        extensions.add(FILE)
    expiry = expires_at(task, link_lifetime)
    if expiry is not None:
        asset["expires"] = stac_datetime(expiry)
        extensions.add(TIMESTAMPS)
    metadata = entry.metadata if entry else ()
    return _item(ident, ds, bbox, properties, {"data": asset}, _links(ds, metadata), extensions)


def _aware(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(0, 0), tzinfo=UTC)
