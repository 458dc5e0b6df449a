"""CLMS DataSets as ``@search`` returns them: records and parsers.

A search page (plone.restapi batching envelope) holds DataSet summaries or full objects
(``fullobjects=1``). Every DataSet needs ``@id``, ``UID`` and ``title``; everything else is
optional, read leniently where the portal is known to vary (``full_format`` as a string or a
``{"token"}`` object, bounding boxes as strings, ``name`` with trailing blanks) and strictly
where a wrong type means the payload is not what the API documents. Task records of the
download tool are in :mod:`stacsync.providers.clms.tasks`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from stacsync.providers.clms.constants import PROVIDER
from stacsync.providers.payload import (
    At,
    optional_datetime,
    optional_int,
    optional_str,
    require,
    require_int,
    require_list,
    require_object,
    require_str,
    string_list,
    to_datetime,
    to_float,
)

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""

EEA_RECORD = (
    "https://sdi.eea.europa.eu/catalogue/copernicus/api/records/{}/formatters/xml?approved=true"
)
VITO_RECORD = (
    "https://globalland.vito.be/geonetwork/srv/api/records/{}/formatters/xml?approved=true"
)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>]+[^\s\"'<>.,;)])")
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class DownloadInformation:
    """One ``dataset_download_information`` item: a source that can be clipped and converted."""

    id: str
    """``@id``, the ``DatasetDownloadInformationID``."""
    name: str
    """Free text type (``RASTER``, ``VECTOR``), stripped."""
    collection: str
    """Resolution label such as ``100m``."""
    full_format: str | None
    """Source format token (``Geotiff``, ``Netcdf``, ``GDB`` ...)."""
    full_path: str
    full_source: str
    """``EEA``, ``LANDCOVER``, ``WEKEO``, ``LEGACY``, ``CDSE`` ..."""
    layers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DownloadableFile:
    """One pre-packaged file (``downloadable_files.items[]``); all columns are free text."""

    id: str
    """``@id``, the ``FileID``."""
    title: str = ""
    file: str = ""
    area: str = ""
    year: str = ""
    version: str = ""
    resolution: str = ""
    type: str = ""
    format: str = ""
    size: str = ""
    """Human-readable size (``"3.5GB"``), not bytes."""
    path: str = ""
    source: str = ""

    @property
    def stem(self) -> str:
        """The file's name without folders and extension (``file``, else from ``path``)."""
        if self.file:
            return self.file
        base = self.path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[0] if "." in base else base

    @property
    def orderable(self) -> bool:
        """Whether the download tool accepts it (it needs a ``path`` and a ``source``)."""
        return bool(self.path and self.source)


@dataclass(frozen=True)
class Dataset:
    """A CLMS DataSet: what the STAC Collection and its items are made from."""

    uid: str
    url: str
    """The API URL of the object (``@id``)."""
    title: str
    slug: str
    """The short name (``id``, else the last segment of ``@id``), e.g. ``clc2018``."""
    description: str = ""
    review_state: str | None = None
    download_information: tuple[DownloadInformation, ...] = ()
    downloadable_files: tuple[DownloadableFile, ...] = ()
    bbox: BBox | None = None
    """Union of ``geographicBoundingBox`` items."""
    temporal_start: date | None = None
    temporal_end: date | None = None
    crs: tuple[str, ...] = ()
    """``coordinateReferenceSystemList`` (else the codes of ``characteristics_projection``)."""
    resolution: str | None = None
    """``qualitySpatialResolution_line`` such as ``"10 m"``."""
    keywords: tuple[str, ...] = ()
    access_constraints: str | None = None
    """``accessAndUseConstraints`` as plain text."""
    citation: str | None = None
    doi: str | None = None
    """A DOI found in ``citation``."""
    metadata_urls: tuple[str, ...] = ()
    """ISO 19139 records of ``geonetwork_identifiers``."""
    created: datetime | None = None
    modified: datetime | None = None
    is_time_series: bool = False
    temporal_limit_days: int | None = None
    """``download_limit_temporal_extent``: the longest TemporalFilter span, in days."""

    @property
    def page_url(self) -> str:
        """The product page on the portal (``@id`` without the ``/api`` segment)."""
        return self.url.replace("/api/", "/", 1) if "/api/" in self.url else self.url

    def info(self, info_id: str) -> DownloadInformation | None:
        """The download-information item ``info_id``, if listed."""
        return next((i for i in self.download_information if i.id == info_id), None)

    def file(self, file_id: str) -> DownloadableFile | None:
        """The pre-packaged file ``file_id``, if listed."""
        return next((f for f in self.downloadable_files if f.id == file_id), None)


@dataclass(frozen=True)
class SearchPage:
    """One ``@search`` response: a batch of datasets and the link to the next one."""

    url: str | None
    datasets: tuple[Dataset, ...]
    total: int
    next_url: str | None = None


def _rich_text(value: object, at: At) -> str | None:
    """A Plone RichText (``{"data": html}``) or plain string as plain text."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("data")
        if value is None:
            return None
    if not isinstance(value, str):
        at.fail("expected rich text (an object with 'data' or a string)")
    text = " ".join(html.unescape(_TAGS.sub(" ", value)).split())
    return text or None


def _text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, Mapping):
        return _text(value.get("token") or value.get("title"))
    return str(value).strip() if isinstance(value, str | int | float) else ""


def _info(value: object, at: At) -> DownloadInformation:
    obj = require_object(value, at)
    full_format = obj.get("full_format")
    if full_format is not None and not isinstance(full_format, str | Mapping):
        (at / "full_format").fail("expected a string or a {'token'} object")
    return DownloadInformation(
        id=require_str(obj, "@id", at),
        name=_text(obj.get("name")),
        collection=_text(obj.get("collection")),
        full_format=_text(full_format) or None,
        full_path=_text(obj.get("full_path")),
        full_source=_text(obj.get("full_source")),
        layers=string_list(obj, "layers", at),
    )


def _file(value: object, at: At) -> DownloadableFile:
    obj = require_object(value, at)
    columns = ("title", "file", "area", "year", "version", "resolution", "type", "format")
    texts = {name: _text(obj.get(name)) for name in (*columns, "size", "path", "source")}
    return DownloadableFile(id=require_str(obj, "@id", at), **texts)


def _items(obj: Mapping[str, Any], key: str, at: At) -> list[tuple[object, At]]:
    """The ``items`` of a ``{"items": [...]}`` field with their positions (absent: none)."""
    value = obj.get(key)
    if value is None:
        return []
    container = require_object(value, at / key)
    items = require_list(container.get("items", []), at / key / "items")
    return [(item, at / key / "items" / index) for index, item in enumerate(items)]


def _bbox(obj: Mapping[str, Any], at: At) -> BBox | None:
    boxes: list[BBox] = []
    for value, where in _items(obj, "geographicBoundingBox", at):
        box = require_object(value, where)
        sides = [to_float(box.get(side)) for side in ("west", "south", "east", "north")]
        west, south, east, north = sides
        if west is None or south is None or east is None or north is None:
            where.warn("bounding box without four numeric sides; ignored")
            continue
        boxes.append((west, south, east, north))
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _date(obj: Mapping[str, Any], key: str, at: At) -> date | None:
    value = obj.get(key)
    if value in (None, ""):
        return None
    parsed = to_datetime(value)
    if parsed is None:
        (at / key).warn(f"not a date ({value!r}); ignored")
        return None
    return parsed.date()


def _metadata_urls(obj: Mapping[str, Any], at: At) -> tuple[str, ...]:
    urls: list[str] = []
    for value, where in _items(obj, "geonetwork_identifiers", at):
        record = require_object(value, where)
        ident = optional_str(record, "id", where)
        if ident is None:
            continue
        kind = optional_str(record, "type", where)
        template = {"EEA": EEA_RECORD, "VITO": VITO_RECORD}.get(kind or "")
        urls.append(template.format(ident) if template else ident)
    return tuple(urls)


def _crs(obj: Mapping[str, Any], at: At) -> tuple[str, ...]:
    listed = string_list(obj, "coordinateReferenceSystemList", at)
    if listed:
        return listed
    text = optional_str(obj, "characteristics_projection", at) or ""
    return tuple(code.strip() for code in text.split("/") if code.strip().startswith("EPSG:"))


def parse_dataset(value: object, at: At | None = None) -> Dataset:
    """A DataSet from a search result item or a full object (``fullobjects=1``).

    Raises:
        PayloadError: ``@id``, ``UID`` or ``title`` missing, or a field of the wrong type.
    """
    at = at or At(PROVIDER)
    obj = require_object(value, at)
    url = require_str(obj, "@id", at)
    uid = require_str(obj, "UID", at)
    slug = optional_str(obj, "id", at) or url.rstrip("/").rsplit("/", 1)[-1]
    citation = _rich_text(obj.get("citation"), at / "citation")
    doi = _DOI.search(citation or "")
    time_series = obj.get("mapviewer_istimeseries")
    if time_series is not None and not isinstance(time_series, bool):
        (at / "mapviewer_istimeseries").fail("expected a boolean")
    resolution = optional_str(obj, "qualitySpatialResolution_line", at)
    return Dataset(
        uid=uid,
        url=url,
        title=require_str(obj, "title", at),
        slug=slug,
        description=optional_str(obj, "description", at) or "",
        review_state=optional_str(obj, "review_state", at),
        download_information=tuple(
            _info(item, where) for item, where in _items(obj, "dataset_download_information", at)
        ),
        downloadable_files=tuple(
            _file(item, where) for item, where in _items(obj, "downloadable_files", at)
        ),
        bbox=_bbox(obj, at),
        temporal_start=_date(obj, "temporalExtentStart", at),
        temporal_end=_date(obj, "temporalExtentEnd", at),
        crs=_crs(obj, at),
        resolution=resolution or optional_str(obj, "characteristics_spatial_resolution", at),
        keywords=string_list(obj, "keywords", at),
        access_constraints=_rich_text(
            obj.get("accessAndUseConstraints"), at / "accessAndUseConstraints"
        ),
        citation=citation,
        doi=doi.group(1) if doi else None,
        metadata_urls=_metadata_urls(obj, at),
        created=optional_datetime(obj, "created", at),
        modified=optional_datetime(obj, "modified", at),
        is_time_series=bool(time_series),
        temporal_limit_days=optional_int(obj, "download_limit_temporal_extent", at),
    )


def parse_search(value: object, *, url: str | None = None) -> SearchPage:
    """An ``@search`` response (``items``, ``items_total`` and optional ``batching``).

    Raises:
        PayloadError: The envelope or one of its datasets is not as documented; the field path
            names the item (``items[3].UID``).
    """
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    items = require_list(require(obj, "items", at), at / "items")
    datasets = tuple(parse_dataset(item, at / "items" / i) for i, item in enumerate(items))
    total = require_int(obj, "items_total", at)
    next_url = None
    batching = obj.get("batching")
    if batching is not None:
        next_url = optional_str(require_object(batching, at / "batching"), "next", at / "batching")
    if next_url is None and total > len(datasets) and not obj.get("batching"):
        at.warn(f"items_total is {total} but only {len(datasets)} items and no batching links")
    return SearchPage(
        url=optional_str(obj, "@id", at), datasets=datasets, total=total, next_url=next_url
    )
