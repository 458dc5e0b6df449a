"""Asset keys and alternate hrefs: the older Terrascope layout mapped onto the current one.

Older Terrascope Items (STAC 1.0, the terra-stac-api fixtures) key their assets by file name
(``S2A_20230220T074941_38SKG_TOC-B04_10M_V210.tif``) and put the path on the Terrascope
mount under ``alternate.MEP.href`` as a bare path. Current Items key them by band or role
(``B04``, ``SCL``, ``QUICKLOOK``, ``metadata``) and use ``alternate.local.href`` with a
``file://`` URI. The file-name patterns below are the Terrascope naming conventions seen in
the research notes (Sentinel-2 TOC and biophysical products, Sentinel-1 sigma0, WorldCover).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

FILE_KEY_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"_TOC-(B\d\d|B8A)_\d+M_", re.IGNORECASE), r"\1"),
    (re.compile(r"_SCENECLASSIFICATION_\d+M_", re.IGNORECASE), "SCL"),
    (re.compile(r"_CLOUDMASK_\d+M_", re.IGNORECASE), "CLOUDMASK"),
    (re.compile(r"_QUICKLOOK_", re.IGNORECASE), "QUICKLOOK"),
    (re.compile(r"_(AOT|WVP|SZA|VZA|SAA|VAA|RAA)_\d+M_", re.IGNORECASE), r"\1"),
    (re.compile(r"_(NDVI|FAPAR|FCOVER|LAI|CCC|CWC|CHL|SPM|TUR|RHOW)_\d+M_", re.IGNORECASE), r"\1"),
    (re.compile(r"_(VV|VH)\.tiff?$", re.IGNORECASE), r"\1"),
    (re.compile(r"_Map\.tiff?$", re.IGNORECASE), "MAP"),
    (re.compile(r"\.xml$", re.IGNORECASE), "metadata"),
)
"""File-name pattern -> asset key (a template using the pattern's groups)."""
_FILE_NAME = re.compile(r"\.[A-Za-z0-9]{2,5}$")
_SHORT_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
LEGACY_ALTERNATE = "MEP"
LOCAL_ALTERNATE = "local"


def looks_like_file_name(key: str) -> bool:
    """Whether an asset key is a file name (``...V210.tif``) rather than a band or role key."""
    return bool(_FILE_NAME.search(key)) or "/" in key


def _band_name(asset: Mapping[str, Any]) -> str | None:
    for field in ("bands", "eo:bands"):
        bands = asset.get(field)
        if isinstance(bands, list) and len(bands) == 1 and isinstance(bands[0], Mapping):
            name = bands[0].get("name")
            if isinstance(name, str):
                return name
    return None


def stable_key(key: str, asset: Mapping[str, Any]) -> str:
    """The current-layout key of an asset keyed ``key`` (unchanged unless a file name).

    Order of evidence: the Terrascope file-name patterns, then a short identifier-like
    ``title``, then the name of the asset's only band; otherwise the key is kept.
    """
    if not looks_like_file_name(key):
        return key
    name = key.rsplit("/", 1)[-1]
    for pattern, template in FILE_KEY_PATTERNS:
        match = pattern.search(name)
        if match:
            return match.expand(template).upper() if template.startswith("\\") else template
    for candidate in (asset.get("title"), _band_name(asset)):
        if isinstance(candidate, str) and _SHORT_KEY.match(candidate):
            return candidate
    return key


def rekey_assets(assets: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Assets under their current-layout keys, in input order; clashing ones keep their key."""
    taken = {key for key in assets if not looks_like_file_name(key)}
    out: dict[str, dict[str, Any]] = {}
    for key, asset in assets.items():
        new = stable_key(key, asset)
        if new != key and (new in taken or new in out):
            new = key
        taken.add(new)
        out[new] = asset
    return out


def _file_uri(href: str) -> str:
    return f"file://{href}" if href.startswith("/") else href


def normalize_alternates(asset: Mapping[str, Any]) -> dict[str, Any]:
    """``alternate.MEP`` (bare path) -> ``alternate.local`` (``file://`` URI); others kept."""
    out = dict(asset)
    alternate = out.get("alternate")
    if not isinstance(alternate, Mapping) or LEGACY_ALTERNATE not in alternate:
        return out
    renamed: dict[str, Any] = {}
    for name, value in alternate.items():
        if name != LEGACY_ALTERNATE:
            renamed[name] = value
            continue
        entry = dict(value) if isinstance(value, Mapping) else {"href": value}
        if isinstance(entry.get("href"), str):
            entry["href"] = _file_uri(entry["href"])
        if LOCAL_ALTERNATE not in alternate:
            renamed[LOCAL_ALTERNATE] = entry
    out["alternate"] = renamed
    return out
