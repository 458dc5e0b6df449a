"""Rewriting a STAC Item from what a delivery really contains (pure: no I/O).

The COG(s) become the data asset(s), the thumbnail and kept files (vector data, metadata,
styles) are added, the original archive stays as an asset with the ``archive`` and
``source`` roles, the declared extensions are updated and the geometry comes from the
rasters' valid-data footprint.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from stacsync.cog.delivery import Delivery
from stacsync.cog.describe import hull_geometry

Fields = dict[str, Any]
PROJECTION = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
RASTER = "https://stac-extensions.github.io/raster/v1.1.0/schema.json"
CLASSIFICATION = "https://stac-extensions.github.io/classification/v2.0.0/schema.json"
FILE = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
_FAMILY = re.compile(r"^https://stac-extensions\.github\.io/([a-z-]+)/v[^/]+/schema\.json$")
ARCHIVE_KEY = "archive"
THUMBNAIL_KEY = "thumbnail"


def _family(url: str) -> str | None:
    match = _FAMILY.match(url)
    return match.group(1) if match else None


def _basename(href: str) -> str:
    return PurePosixPath(urlsplit(href).path).name


def find_archive_key(item: Fields, archive: Path) -> str | None:
    """The key of the item's asset that is ``archive`` (same file name, else the only zip)."""
    assets: dict[str, Fields] = item.get("assets") or {}
    for key, asset in assets.items():
        if _basename(str(asset.get("href", ""))) == archive.name:
            return key
    zips = [k for k, a in assets.items() if str(a.get("type", "")).startswith("application/zip")]
    return zips[0] if len(zips) == 1 else None


def _extensions(current: Iterable[str], needed: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(needed))
    families = {_family(u) for u in wanted}
    kept = [u for u in current if u not in wanted and _family(u) not in families]
    return sorted({*kept, *wanted})


def _uses(assets: dict[str, Fields], prefix: str) -> bool:
    def walk(value: Any) -> bool:
        if isinstance(value, dict):
            return any(k.startswith(prefix) or walk(v) for k, v in value.items())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return False

    return walk(assets)


def _migrate_properties(properties: Fields) -> None:
    epsg = properties.pop("proj:epsg", None)
    if isinstance(epsg, int) and "proj:code" not in properties:
        properties["proj:code"] = f"EPSG:{epsg}"


def _archive_asset(original: Fields | None, delivery: Delivery, href: str) -> Fields:
    asset: Fields = dict(original or {})
    roles = [r for r in asset.get("roles", []) if r not in ("data", "archive", "source")]
    asset.update(delivery.archive_fields)
    asset["href"] = href
    asset["roles"] = [*roles, "archive", "source"]
    asset.setdefault("title", delivery.archive.name)
    return asset


def rewrite_item(
    item: Fields,
    delivery: Delivery,
    href_for: Callable[[Path], str],
    *,
    archive_key: str | None = None,
    replace_geometry: bool = True,
) -> Fields:
    """A new Item dict describing ``delivery``; ``item`` is not modified.

    Args:
        item: The harvested Item (JSON-ready dict).
        delivery: What :func:`~stacsync.cog.delivery.convert_delivery` produced.
        href_for: Maps an output file to the href to write (e.g. relative to the Item).
        archive_key: The asset that is the archive (default: found by file name or type).
        replace_geometry: Take geometry and bbox from the rasters' footprint (use ``False``
            when the provider's geometry is exact).
    """
    result = copy.deepcopy(item)
    assets: dict[str, Fields] = result.setdefault("assets", {})
    archive_key = archive_key or find_archive_key(result, delivery.archive)
    original_archive = assets.pop(archive_key, None) if archive_key else None

    new: dict[str, Fields] = {}
    for raster in delivery.rasters:
        new[raster.key] = {"href": href_for(raster.path), **copy.deepcopy(raster.fields)}
    for kept in delivery.files:
        new[kept.key] = {"href": href_for(kept.path), **copy.deepcopy(kept.fields)}
    if delivery.thumbnail is not None:
        new[THUMBNAIL_KEY] = {
            "href": href_for(delivery.thumbnail),
            "type": "image/png",
            "roles": ["thumbnail"],
            "title": "Preview",
        }
    key = ARCHIVE_KEY
    if archive_key and archive_key not in new and archive_key != "data":
        key = archive_key
    new[key] = _archive_asset(original_archive, delivery, href_for(delivery.archive))
    assets.update(new)

    properties: Fields = result.setdefault("properties", {})
    _migrate_properties(properties)
    needed = [FILE]
    if delivery.rasters or _uses(assets, "proj:") or any(k.startswith("proj:") for k in properties):
        needed.append(PROJECTION)
    if _uses(assets, "raster:"):
        needed.append(RASTER)
    if _uses(assets, "classification:") or any(k.startswith("classification:") for k in properties):
        needed.append(CLASSIFICATION)
    result["stac_extensions"] = _extensions(result.get("stac_extensions", []), needed)

    if replace_geometry and delivery.rasters:
        if len(delivery.rasters) == 1:
            geometry, bbox = delivery.rasters[0].geometry, delivery.rasters[0].bbox
        else:
            rings = [r.geometry["coordinates"][0] for r in delivery.rasters]
            geometry, bbox = hull_geometry(rings)
        result["geometry"] = copy.deepcopy(geometry)
        result["bbox"] = list(bbox)
    return result
