"""STAC extension versions: which ones the catalogue writes, and how older ones are upgraded.

Every object stacsync writes must validate offline, so it may only declare extension schemas
the offline store holds. Terrascope Items declare the versions below (the current STAC 1.1
shape); the older STAC 1.0 shape declares older ones. The policy, per extension:

* ``eo``, ``raster``, ``projection``: always written at v2.0.0. Their v1 fields are migrated
  by :mod:`stacsync.providers.terrascope.bands` (``eo:bands``/``raster:bands`` become
  ``bands``, ``proj:epsg`` becomes ``proj:code``), so the upgrade is always compatible.
* ``file``: v2.1.0, unless the object uses fields v2 removed (``file:data_type``,
  ``file:nodata``, ``file:bits_per_sample``, ``file:unit``); then v1.0.0 stays.
* ``alternate-assets``, ``authentication``, ``processing``: the newest minor version of the
  same major (minor versions only add fields).
* Any other extension: kept when the store has that exact version; otherwise upgraded to the
  oldest stored version of the same major that is not older than the declared one; otherwise
  dropped from ``stac_extensions`` (its fields stay, unvalidated) with a
  :class:`~stacsync.errors.ProviderWarning`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

EXTENSION_URL = "https://stac-extensions.github.io/{name}/v{version}/schema.json"
_URL = re.compile(
    r"^https://stac-extensions\.github\.io/(?P<name>[a-z0-9-]+)/v(?P<version>[^/]+)/schema\.json$"
)

STORED_VERSIONS: Mapping[str, tuple[str, ...]] = {
    "alternate-assets": ("1.0.0", "1.1.0", "1.2.0"),
    "authentication": ("1.0.0", "1.1.0"),
    "classification": ("1.0.0", "1.1.0", "2.0.0"),
    "datacube": ("2.2.0",),
    "eo": ("1.0.0", "1.1.0", "2.0.0"),
    "file": ("1.0.0", "2.0.0", "2.1.0"),
    "grid": ("1.1.0",),
    "item-assets": ("1.0.0",),
    "mgrs": ("1.0.0",),
    "order": ("1.0.0", "1.1.0"),
    "processing": ("1.0.0", "1.1.0", "1.2.0"),
    "product": ("0.1.0", "1.0.0"),
    "projection": ("1.0.0", "1.1.0", "1.2.0", "2.0.0"),
    "raster": ("1.0.0", "1.1.0", "2.0.0"),
    "render": ("2.0.0",),
    "sar": ("1.0.0",),
    "sat": ("1.0.0",),
    "scientific": ("1.0.0",),
    "storage": ("1.0.0", "2.0.0"),
    "table": ("1.2.0",),
    "timestamps": ("1.1.0",),
    "version": ("1.2.0",),
    "view": ("1.0.0",),
}
"""Released extension versions in the offline schema store (``stac-schemas/schema-map.json``)."""

MIGRATED = {"eo": "2.0.0", "raster": "2.0.0", "projection": "2.0.0"}
"""Extensions whose fields are migrated to this version whatever version was declared."""
NEWEST_MINOR = frozenset({"alternate-assets", "authentication", "processing"})
FILE_V1_FIELDS = frozenset({"file:data_type", "file:nodata", "file:bits_per_sample", "file:unit"})
ALTERNATE_ASSETS = EXTENSION_URL.format(name="alternate-assets", version="1.2.0")


def extension_url(name: str, version: str) -> str:
    """The schema URL of version ``version`` (``1.2.0``) of extension ``name``."""
    return EXTENSION_URL.format(name=name, version=version)


def _key(version: str) -> tuple[int, ...] | None:
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def _same_major(name: str, version: tuple[int, ...]) -> list[tuple[tuple[int, ...], str]]:
    found = []
    for stored in STORED_VERSIONS.get(name, ()):
        key = _key(stored)
        if key is not None and key[0] == version[0]:
            found.append((key, stored))
    return sorted(found)


@functools.lru_cache(maxsize=1024)
def resolve_extension(url: str, *, uses_file_v1: bool = False) -> str | None:
    """The schema URL to declare instead of ``url``, or ``None`` to drop the declaration.

    Pure, and asked the same few questions for every item of a harvest: cached.

    Args:
        url: A declared extension schema URL.
        uses_file_v1: Whether the object has fields that only file extension v1 defines.
    """
    match = _URL.match(url)
    if match is None:
        return None
    name, declared = match["name"], match["version"]
    if name in MIGRATED:
        return extension_url(name, MIGRATED[name])
    if name == "file":
        return extension_url("file", "1.0.0" if uses_file_v1 else "2.1.0")
    version = _key(declared)
    if version is None:
        return None
    candidates = _same_major(name, version)
    if name in NEWEST_MINOR and candidates and candidates[-1][0] >= version:
        return extension_url(name, candidates[-1][1])
    for key, stored in candidates:
        if key >= version:
            return extension_url(name, stored)
    return None


def resolve_extensions(
    urls: Iterable[str], *, uses_file_v1: bool = False
) -> tuple[list[str], list[str]]:
    """Resolve every declared URL; returns (URLs to declare, in order, deduplicated; dropped)."""
    kept: list[str] = []
    dropped: list[str] = []
    for url in urls:
        target = resolve_extension(url, uses_file_v1=uses_file_v1)
        if target is None:
            dropped.append(url)
        elif target not in kept:
            kept.append(target)
    return kept, dropped
