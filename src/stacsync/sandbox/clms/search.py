"""``@search`` and DataSet objects, serialized the way plone.restapi does.

Batching follows ``plone.restapi.batching.HypermediaBatch``: 25 items per page by default,
``batching`` only when there is more than one page, ``first``/``last``/``next``/``prev`` links
rebuilt from the request URL with ``b_start`` prepended, and a top-level ``@id`` that drops the
batching and sorting parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from stacsync.sandbox.clms.catalogue import Catalogue, Dataset
from stacsync.sandbox.clms.constants import DEFAULT_BATCH_SIZE

SUMMARY_KEYS = ("@type", "description", "image_field", "review_state", "title")
SORT_KEYS = {
    "sortable_title": "title",
    "title": "title",
    "UID": "UID",
    "id": "id",
    "getId": "id",
    "created": "created",
    "modified": "modified",
    "effective": "effective",
}
DEFAULT_DATE = "2022-01-24T14:32:24+00:00"


class PloneError(Exception):
    """An exception plone.restapi renders as ``{"message", "type"}``."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message

    def body(self) -> dict[str, str]:
        """The JSON error body."""
        return {"message": self.message, "type": self.kind}


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise PloneError(500, "ValueError", str(exc)) from exc


def serialize_full(dataset: Dataset, site: str) -> dict[str, Any]:
    """The full Dexterity serialization of a DataSet (``fullobjects`` / object GET)."""
    slug = dataset.path.rsplit("/", 1)[-1]
    parent_path = dataset.path.rsplit("/", 1)[0]
    data: dict[str, Any] = {
        "@components": {},
        "@id": f"{site}/{dataset.path}",
        "@type": "DataSet",
        "id": slug,
        "UID": dataset.uid,
        "created": DEFAULT_DATE,
        "modified": DEFAULT_DATE,
        "effective": DEFAULT_DATE,
        "is_folderish": False,
        "language": {"title": "English", "token": "en"},
        "layout": "view",
        "parent": {
            "@id": f"{site}/{parent_path}",
            "@type": "Document",
            "description": "",
            "review_state": "published",
            "title": parent_path.rsplit("/", 1)[-1].replace("-", " ").capitalize(),
        },
        "dataset_download_information": {"items": []},
        "downloadable_files": {"items": []},
        "download_limit_temporal_extent": None,
        "mapviewer_istimeseries": False,
        "geonetwork_identifiers": {"items": []},
        "geographicBoundingBox": {"items": []},
    }
    data.update(dataset.fields)
    data["downloadable_files"] = downloadable_files(dataset)
    return data


FILES_SCHEMA: dict[str, Any] = {
    "fieldsets": [
        {
            "id": "default",
            "title": "Default",
            "fields": [
                "title",
                "file",
                "area",
                "year",
                "version",
                "resolution",
                "type",
                "format",
                "size",
                "path",
                "source",
            ],
        }
    ],
    "properties": {
        "title": {"title": "Title", "type": "string"},
        "file": {"title": "File name", "type": "string"},
        "area": {"title": "Area", "type": "string"},
        "year": {"title": "Year", "type": "number"},
        "version": {"title": "Version", "type": "string"},
        "resolution": {"title": "Resolution", "type": "string"},
        "type": {"title": "Type", "choices": [["Raster", "Raster"], ["Vector", "Vector"]]},
        "format": {"title": "Format", "type": "string"},
        "size": {"title": "Size", "type": "string"},
        "path": {"title": "Path", "type": "string"},
        "source": {"title": "Source", "choices": [["EEA", "EEA"], ["HOTSPOTS", "HOTSPOTS"]]},
    },
    "required": [],
    "title": "Downloadable file",
}
"""The default column schema of the ``downloadable_files`` widget (editable per dataset)."""


def downloadable_files(dataset: Dataset) -> dict[str, Any]:
    """``downloadable_files`` with its ``items``, ``schema`` and ``uiSchema``."""
    raw = dataset.fields.get("downloadable_files") or {}
    return {
        "items": list(raw.get("items", [])),
        "schema": raw.get("schema", FILES_SCHEMA),
        "uiSchema": raw.get("uiSchema", {}),
    }


def serialize_summary(
    dataset: Dataset, site: str, metadata_fields: Sequence[str]
) -> dict[str, Any]:
    """The summary of one result (default keys plus requested ``metadata_fields``)."""
    data: dict[str, Any] = {"@id": f"{site}/{dataset.path}"}
    data.update(
        {key: dataset.fields.get(key, "" if key != "@type" else "DataSet") for key in SUMMARY_KEYS}
    )
    names = list(dataset.fields) if "_all" in metadata_fields else metadata_fields
    for name in names:
        if name == "downloadable_files":
            data[name] = downloadable_files(dataset)
        elif name == "UID":
            data[name] = dataset.uid
        else:
            data[name] = dataset.fields.get(name)
    return data


def _matches(dataset: Dataset, query: list[tuple[str, str]]) -> bool:
    values: dict[str, list[str]] = {}
    for key, value in query:
        values.setdefault(key.removesuffix(":list"), []).append(value)
    if "portal_type" in values and "DataSet" not in values["portal_type"]:
        return False
    if "UID" in values and dataset.uid not in values["UID"]:
        return False
    if dataset.review_state not in values.get("review_state", ["published"]):
        return False
    if "SearchableText" in values:
        text = f"{dataset.title} {dataset.fields.get('description', '')}".lower()
        words = " ".join(values["SearchableText"]).lower().replace("*", "").split()
        if not all(word in text for word in words):
            return False
    for index in ("Subject", "keywords"):
        if index in values and not set(values[index]) & set(dataset.fields.get("keywords") or []):
            return False
    return True


def _sorted(results: list[Dataset], query: dict[str, str]) -> list[Dataset]:
    key = SORT_KEYS.get(query.get("sort_on", ""))
    if key is not None:
        results = sorted(
            results, key=lambda d: str(d.fields.get(key, d.path) if key != "id" else d.path)
        )
    if query.get("sort_order", "").lower() in {"reverse", "descending"}:
        results = list(reversed(results))
    if "sort_limit" in query:
        results = results[: max(_int(query["sort_limit"]), 0)]
    return results


def _links(url: str, qs: str, start: int, size: int, total: int) -> dict[str, str] | None:
    if total <= size:
        return None

    def page(b_start: int) -> str:
        params = [(k, v) for k, v in parse_qsl(qs, keep_blank_values=True) if k != "b_start"]
        return f"{url}?{urlencode([('b_start', str(b_start)), *params])}"

    last_page = -(-total // size)
    links = {
        "@id": f"{url}?{qs}" if qs else url,
        "first": page(0),
        "last": page((last_page - 1) * size),
    }
    if start + size < total:
        links["next"] = page(start + size)
    if start > 0:
        links["prev"] = page(max(0, start - size))
    return links


def search(catalogue: Catalogue, *, url: str, query_string: str, site: str) -> dict[str, Any]:
    """The ``@search`` response for a request to ``url`` (no query) with ``query_string``."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    single = dict(pairs)
    start = max(_int(single.get("b_start", "0") or "0"), 0)
    size = _int(single.get("b_size", str(DEFAULT_BATCH_SIZE)) or str(DEFAULT_BATCH_SIZE))
    if size <= 0:
        raise PloneError(500, "ZeroDivisionError", "integer division or modulo by zero")
    fullobjects = bool(single.get("fullobjects"))
    metadata_fields = [v for k, v in pairs if k.removesuffix(":list") == "metadata_fields"]
    results = _sorted([d for d in catalogue.datasets if _matches(d, pairs)], single)
    batch = results[start : start + size]
    canonical = [
        (k, v)
        for k, v in parse_qsl(query_string)
        if k not in ("b_size", "b_start", "sort_on", "sort_order", "sort_limit")
    ]
    body: dict[str, Any] = {"@id": f"{url}?{urlencode(canonical)}" if canonical else url}
    links = _links(url, query_string, start, size, len(results))
    if links is not None:
        body["batching"] = links
    body["items"] = [
        serialize_full(d, site) if fullobjects else serialize_summary(d, site, metadata_fields)
        for d in batch
    ]
    body["items_total"] = len(results)
    return body


def datasets_by_uid(catalogue: Catalogue, *, url: str, query_string: str) -> dict[str, Any]:
    """``@datasets_by_uid?UID=a,b`` (eea/clms.addon): the download fields of some datasets."""
    uids = [u for k, v in parse_qsl(query_string) if k == "UID" for u in v.split(",") if u]
    found = [d for d in catalogue.datasets if d.uid in uids and d.review_state == "published"]
    return {
        "@id": f"{url}?{query_string}" if query_string else url,
        "items": [
            {
                "UID": d.uid,
                "dataset_download_information": d.fields.get(
                    "dataset_download_information", {"items": []}
                ),
                "download_show_auxiliary_calendar": False,
                "downloadable_files": downloadable_files(d),
                "original_projection": d.fields.get("characteristics_projection", ""),
                "title": d.title,
            }
            for d in found
        ],
        "items_total": len(found),
    }
