"""Migrate STAC 1.0 band and projection fields to the STAC 1.1 shape Terrascope serves now.

STAC 1.0 Items describe bands twice, in ``eo:bands`` (eo v1) and ``raster:bands`` (raster v1);
STAC 1.1 merges them into one ``bands`` array whose entries carry ``eo:*`` and ``raster:*``
prefixed fields, with ``nodata``, ``data_type``, ``unit`` and ``statistics`` as common fields.
Current Terrascope Items put the raster fields of a single-band asset on the asset itself and
keep ``name`` and the ``eo:*`` fields in ``bands`` (``stac_item_s2_toc.json``); migrated
assets get the same layout. ``proj:epsg`` (projection v1) becomes ``proj:code``
(projection v2). All functions return new objects and never modify their input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EO_FIELDS = {
    "common_name": "eo:common_name",
    "center_wavelength": "eo:center_wavelength",
    "full_width_half_max": "eo:full_width_half_max",
    "solar_illumination": "eo:solar_illumination",
}
"""eo v1 band field -> STAC 1.1 band field (``name`` and ``description`` keep their names)."""
RASTER_FIELDS = {
    "nodata": "nodata",
    "data_type": "data_type",
    "unit": "unit",
    "statistics": "statistics",
    "sampling": "raster:sampling",
    "bits_per_sample": "raster:bits_per_sample",
    "spatial_resolution": "raster:spatial_resolution",
    "scale": "raster:scale",
    "offset": "raster:offset",
    "histogram": "raster:histogram",
}
"""raster v1 band field -> STAC 1.1 band field."""
BAND_ONLY = frozenset({"name", "description"})
"""Fields that stay in ``bands`` when a single-band asset's fields are lifted to the asset."""


def _rename(band: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(key, key): value for key, value in band.items()}


def merge_bands(eo_bands: Any, raster_bands: Any) -> list[dict[str, Any]]:
    """One STAC 1.1 ``bands`` array from eo v1 and raster v1 band arrays (merged by index)."""
    eo = [b for b in eo_bands if isinstance(b, Mapping)] if isinstance(eo_bands, list) else []
    raster = (
        [b for b in raster_bands if isinstance(b, Mapping)]
        if isinstance(raster_bands, list)
        else []
    )
    merged: list[dict[str, Any]] = []
    for index in range(max(len(eo), len(raster))):
        band: dict[str, Any] = {}
        if index < len(eo):
            band.update(_rename(eo[index], EO_FIELDS))
        if index < len(raster):
            for key, value in _rename(raster[index], RASTER_FIELDS).items():
                band.setdefault(key, value)
        merged.append(band)
    return merged


def _lift_single_band(asset: dict[str, Any]) -> None:
    """Move the non-spectral fields of a single band up to the asset (current Terrascope layout)."""
    bands = asset.get("bands")
    if not isinstance(bands, list) or len(bands) != 1 or not isinstance(bands[0], dict):
        return
    band = bands[0]
    for key in sorted(band):
        if key in BAND_ONLY or key.startswith("eo:"):
            continue
        if key not in asset:
            asset[key] = band.pop(key)
        elif asset[key] == band[key]:
            band.pop(key)


def _epsg_to_code(obj: dict[str, Any]) -> None:
    if "proj:epsg" not in obj:
        return
    epsg = obj.pop("proj:epsg")
    if "proj:code" in obj:
        return
    obj["proj:code"] = (
        f"EPSG:{epsg}" if isinstance(epsg, int) and not isinstance(epsg, bool) else None
    )


def migrate_fields(obj: Mapping[str, Any], *, lift: bool) -> dict[str, Any]:
    """Migrate the v1 band/projection fields of one properties, asset or item-assets object.

    Args:
        obj: An Item's ``properties``, an asset, or an ``item_assets`` entry.
        lift: Whether a single band's raster fields move up to ``obj`` (assets only).
    """
    out = dict(obj)
    if "eo:bands" in out or "raster:bands" in out:
        merged = merge_bands(out.pop("eo:bands", None), out.pop("raster:bands", None))
        if merged and "bands" not in out:
            out["bands"] = merged
            if lift:
                _lift_single_band(out)
    _epsg_to_code(out)
    return out


def migrate_summaries(summaries: Mapping[str, Any]) -> dict[str, Any]:
    """Migrate a Collection's ``summaries`` (``eo:bands``/``raster:bands``, ``proj:epsg``)."""
    out = dict(summaries)
    if "eo:bands" in out or "raster:bands" in out:
        merged = merge_bands(out.pop("eo:bands", None), out.pop("raster:bands", None))
        if merged and "bands" not in out:
            out["bands"] = merged
    if "proj:epsg" in out:
        epsg = out.pop("proj:epsg")
        if "proj:code" not in out and isinstance(epsg, list):
            out["proj:code"] = [f"EPSG:{e}" if isinstance(e, int) else None for e in epsg]
    return out
