"""Terrascope STAC API Items and Collections -> the objects the static catalogue stores (pure).

:func:`normalize_item` and :func:`normalize_collection` take what the STAC API returned
(already decoded JSON) and give back new JSON-ready dicts:

* the current shape (STAC 1.1, ``stac.terrascope.be``) passes through unchanged except for
  links; the older shape (STAC 1.0: file-name asset keys, ``alternate.MEP`` bare paths,
  ``eo:bands``/``raster:bands``, ``proj:epsg``, underscore collection ids such as
  ``terrascope_s2_toc_v2``) is brought to the current one;
* hrefs, ``alternate.local.href``, ``auth:refs``, ``auth:schemes``, ``file:size`` and every
  other field are kept as they are; keys starting with ``_`` (the backend's ``_auth``) go;
* links only an API can serve (``self``, ``root``, ``parent``, ``collection``, ``items``,
  paging, ``queryables``...) are dropped: the catalogue store writes its own structural links.
  Others (``license``, ``derived_from``, ``describedby``, ``via``...) are kept in order;
* declared extension versions are resolved against the offline schema store
  (:mod:`stacsync.providers.terrascope.extensions`).

Malformed input raises :class:`~stacsync.errors.PayloadError` naming the provider and the
field (``assets.B04.href``). The same input always gives the same output.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from stacsync.catalog.layout import check_id as check_layout_id
from stacsync.errors import InvalidIdError, PayloadError, ProviderWarning
from stacsync.providers.terrascope.assets import normalize_alternates, rekey_assets
from stacsync.providers.terrascope.bands import migrate_fields, migrate_summaries
from stacsync.providers.terrascope.classification import name_classes
from stacsync.providers.terrascope.extensions import (
    ALTERNATE_ASSETS,
    FILE_V1_FIELDS,
    resolve_extensions,
)

PROVIDER = "terrascope"
STAC_VERSION = "1.1.0"
ACCEPTED_STAC_VERSIONS = frozenset({"1.0.0", "1.1.0"})
API_LINK_RELS = frozenset(
    {
        "self",
        "root",
        "parent",
        "collection",
        "items",
        "child",
        "item",
        "next",
        "prev",
        "previous",
        "first",
        "last",
        "search",
        "queryables",
        "aggregate",
        "aggregations",
        "http://www.opengis.net/def/rel/ogc/1.0/queryables",
    }
)
"""Link relations that point into the STAC API and make no sense in a static catalogue."""
_LEGACY_COLLECTION_ID = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")


def _fail(field: str | None, reason: str) -> PayloadError:
    return PayloadError(PROVIDER, reason, field=field)


def check_id(kind: str, value: object, field: str) -> str:
    """``value`` if it can name a folder and a file of the catalogue, else :class:`PayloadError`.

    The check is the catalogue layout's own (no path separators, no leading dot, no control
    characters, at most 200 bytes); it says nothing about whether the object still exists.
    """
    try:
        return check_layout_id(kind, value)
    except InvalidIdError as exc:
        shown = repr(value) if isinstance(value, str) else exc.value
        reason = f"{kind} id {shown} is unusable as a folder name: {exc.reason}"
        raise _fail(field, reason) from exc


def collection_id(value: object, field: str) -> str:
    """A checked collection id in the current spelling (``terrascope_s2_toc_v2`` -> hyphens)."""
    text = check_id("collection", value, field)
    if _LEGACY_COLLECTION_ID.match(text):
        return text.replace("_", "-")
    return text


def _mapping(value: object, field: str | None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(field, f"expected a JSON object, got {type(value).__name__}")
    return value


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise _fail(field, f"expected a string, got {type(value).__name__}")
    return value


def _timestamp(value: object, field: str) -> str:
    text = _string(value, field)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(field, f"{text!r} is not an RFC 3339 date-time") from exc
    if parsed.tzinfo is None:
        raise _fail(field, f"{text!r} has no time zone")
    return text


def _numbers(value: object, field: str, counts: tuple[int, ...]) -> None:
    if (
        not isinstance(value, list)
        or len(value) not in counts
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        wanted = " or ".join(str(c) for c in counts)
        raise _fail(field, f"expected an array of {wanted} numbers, got {value!r}")


def _check_header(raw: Mapping[str, Any], kind: str) -> None:
    if raw.get("type") != kind:
        raise _fail("type", f"expected {kind!r}, got {raw.get('type')!r}")
    version = raw.get("stac_version")
    if version not in ACCEPTED_STAC_VERSIONS:
        raise _fail("stac_version", f"unsupported STAC version {version!r}")
    extensions = raw.get("stac_extensions", [])
    if not isinstance(extensions, list):
        raise _fail("stac_extensions", "expected an array of schema URLs")
    for index, url in enumerate(extensions):
        _string(url, f"stac_extensions[{index}]")


def clean_links(links: object, field: str = "links") -> list[dict[str, Any]]:
    """The links worth keeping in a static catalogue (see :data:`API_LINK_RELS`), in order."""
    if links is None:
        return []
    if not isinstance(links, list):
        raise _fail(field, "expected an array of links")
    kept = []
    for index, link in enumerate(links):
        where = f"{field}[{index}]"
        link = _mapping(link, where)
        rel = _string(link.get("rel"), f"{where}.rel")
        _string(link.get("href"), f"{where}.href")
        if rel not in API_LINK_RELS:
            kept.append(dict(link))
    return kept


def _public(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy without the backend's private ``_``-prefixed keys (never shares input).

    The copy is an orjson round trip, eight times faster than :func:`copy.deepcopy` on a
    Terrascope item (which is most of the time spent normalising it). The catalogue is written
    with orjson, so the round trip changes nothing that would be stored: what orjson cannot
    encode (integers beyond 64 bits, non-string keys) is deep-copied as it is and fails when
    written, and NaN, which JSON lacks, would become ``null`` there as it does here.
    """
    public = {key: value for key, value in raw.items() if not key.startswith("_")}
    try:
        copied: dict[str, Any] = orjson.loads(orjson.dumps(public))
    except orjson.JSONEncodeError:
        copied = copy.deepcopy(public)
    return copied


def _uses_file_v1(objects: list[Mapping[str, Any]]) -> bool:
    return any(FILE_V1_FIELDS & obj.keys() for obj in objects)


def _extensions(
    declared: list[str], objects: list[Mapping[str, Any]], what: str, *, alternates: bool
) -> list[str]:
    kept, dropped = resolve_extensions(declared, uses_file_v1=_uses_file_v1(objects))
    for url in dropped:
        warnings.warn(
            ProviderWarning(
                f"{PROVIDER}: {what} declares {url}, which the offline schema store does not "
                "hold in a compatible version; the declaration is dropped, the fields are kept"
            ),
            stacklevel=3,
        )
    if alternates and ALTERNATE_ASSETS not in kept:
        kept.append(ALTERNATE_ASSETS)
    return kept


def _assets(raw: object, field: str) -> dict[str, dict[str, Any]]:
    assets = _mapping(raw, field)
    out: dict[str, dict[str, Any]] = {}
    for key, asset in assets.items():
        where = f"{field}.{key}"
        asset = _mapping(asset, where)
        _string(asset.get("href"), f"{where}.href")
        alternate = asset.get("alternate")
        if alternate is not None:
            _mapping(alternate, f"{where}.alternate")
        refs = asset.get("auth:refs")
        if refs is not None and not (
            isinstance(refs, list) and all(isinstance(r, str) for r in refs)
        ):
            raise _fail(f"{where}.auth:refs", "expected an array of scheme names")
        out[key] = normalize_alternates(name_classes(migrate_fields(asset, lift=True)))
    return rekey_assets(out)


def _check_datetimes(properties: Mapping[str, Any]) -> None:
    value = properties.get("datetime", ...)
    if value is ...:
        raise _fail("properties.datetime", "missing")
    if value is None:
        for name in ("start_datetime", "end_datetime"):
            if name not in properties:
                raise _fail(f"properties.{name}", "required when datetime is null")
    else:
        _timestamp(value, "properties.datetime")
    for name in ("start_datetime", "end_datetime"):
        if properties.get(name) is not None:
            _timestamp(properties[name], f"properties.{name}")


def normalize_item(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A Terrascope STAC API Item (current or older shape) as the catalogue stores it.

    Args:
        raw: One decoded Item (a ``features[]`` entry of a search page).

    Returns:
        A new STAC 1.1 Item dict; ``raw`` is not modified.

    Raises:
        PayloadError: ``raw`` is not a usable Item; ``field`` names the offending field.
    """
    raw = _mapping(raw, None)
    _check_header(raw, "Feature")
    item = _public(raw)
    item["id"] = check_id("item", raw.get("id"), "id")
    item["collection"] = collection_id(raw.get("collection"), "collection")
    geometry = raw.get("geometry", ...)
    if geometry is ...:
        raise _fail("geometry", "missing")
    if geometry is not None:
        _string(_mapping(geometry, "geometry").get("type"), "geometry.type")
        if "bbox" not in raw:
            raise _fail("bbox", "required when geometry is not null")
    if "bbox" in raw:
        _numbers(raw["bbox"], "bbox", (4, 6))
    properties = name_classes(
        migrate_fields(_mapping(item.get("properties"), "properties"), lift=False)
    )
    _check_datetimes(properties)
    schemes = properties.get("auth:schemes")
    if schemes is not None:
        _mapping(schemes, "properties.auth:schemes")
    item["properties"] = properties
    assets = _assets(item.get("assets", {}), "assets")
    item["assets"] = assets
    item["links"] = clean_links(raw.get("links"))
    alternates = any("alternate" in asset for asset in assets.values())
    item["stac_extensions"] = _extensions(
        list(raw.get("stac_extensions", [])),
        [properties, *assets.values()],
        f"item {item['id']}",
        alternates=alternates,
    )
    item["stac_version"] = STAC_VERSION
    return item


def _check_extent(raw: object) -> None:
    extent = _mapping(raw, "extent")
    spatial = _mapping(extent.get("spatial"), "extent.spatial")
    boxes = spatial.get("bbox")
    if not isinstance(boxes, list) or not boxes:
        raise _fail("extent.spatial.bbox", "expected a non-empty array of bounding boxes")
    for index, box in enumerate(boxes):
        _numbers(box, f"extent.spatial.bbox[{index}]", (4, 6))
    temporal = _mapping(extent.get("temporal"), "extent.temporal")
    intervals = temporal.get("interval")
    if not isinstance(intervals, list) or not intervals:
        raise _fail("extent.temporal.interval", "expected a non-empty array of intervals")
    for index, interval in enumerate(intervals):
        where = f"extent.temporal.interval[{index}]"
        if not isinstance(interval, list) or len(interval) != 2:
            raise _fail(where, f"expected [start, end], got {interval!r}")
        for position, value in enumerate(interval):
            if value is not None:
                _timestamp(value, f"{where}[{position}]")


def normalize_collection(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A Terrascope STAC API Collection as the catalogue stores it.

    Extent, summaries, providers, license, keywords and item assets are kept (v1 band and
    projection fields migrated); API links and private ``_`` keys are dropped.

    Raises:
        PayloadError: ``raw`` is not a usable Collection; ``field`` names the offending field.
    """
    raw = _mapping(raw, None)
    _check_header(raw, "Collection")
    collection = _public(raw)
    collection["id"] = collection_id(raw.get("id"), "id")
    _string(raw.get("description"), "description")
    _string(raw.get("license"), "license")
    _check_extent(raw.get("extent"))
    objects: list[Mapping[str, Any]] = []
    if "summaries" in raw:
        collection["summaries"] = migrate_summaries(_mapping(collection["summaries"], "summaries"))
    if "item_assets" in raw:
        item_assets = _mapping(collection["item_assets"], "item_assets")
        collection["item_assets"] = {
            key: migrate_fields(_mapping(value, f"item_assets.{key}"), lift=True)
            for key, value in item_assets.items()
        }
        objects.extend(collection["item_assets"].values())
    if "assets" in raw:
        collection["assets"] = _assets(collection["assets"], "assets")
        objects.extend(collection["assets"].values())
    collection["links"] = clean_links(raw.get("links"))
    alternates = any("alternate" in asset for asset in collection.get("assets", {}).values())
    collection["stac_extensions"] = _extensions(
        list(raw.get("stac_extensions", [])),
        objects,
        f"collection {collection['id']}",
        alternates=alternates,
    )
    collection["stac_version"] = STAC_VERSION
    return collection
