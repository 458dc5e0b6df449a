"""The collections the emulated STAC API lists.

The id list is the live ``client.get_collections()`` output captured in VITO's STAC notebook
(104 ids, in the API's order). Only four collections hold items in the emulator; the others
are listed with a generic description and no items, as a catalogue the harvester does not use.
"""

from __future__ import annotations

from typing import Any

COLLECTION_IDS = (
    "cropsar2d-fapar-nrt",
    "cop-dem-glo-30m-cog",
    "cop-dem-glo-90m-cog",
    "geoinformed-vanggewassen",
    "geoinformed-bwk-sba",
    "geoinformed-watervlakken-maand",
    "geoinformed-bosmonitoring",
    "geoinformed-bwk",
    "geoinformed-watervlakken-jaar",
    "terrascope-probav-s1-toa-100m-cog-v2",
    "terrascope-probav-l2a-333m-cog-v2",
    "terrascope-probav-l2a-100m-cog-v2",
    "terrascope-probav-l2a-1km-cog-v2",
    "lcfm-tcd-10",
    "lcfm-lcm-10",
    "majorTom-L2A-Flanders",
    "terrascope-probav-s1-toa-1km-cog-v2",
    "terrascope-probav-s10-toc-333m-cog-v2",
    "terrascope-probav-s1-toc-100m-cog-v2",
    "terrascope-probav-s1-toc-333m-cog-v2",
    "terrascope-probav-s1-toc-1km-cog-v2",
    "terrascope-probav-s10-toc-1km-cog-v2",
    "terrascope-probav-s1-toa-333m-cog-v2",
    "terrascope-probav-s10-toc-ndvi-1km-cog-v2",
    "terrascope-probav-s1-toc-ndvi-100m-cog-v2",
    "terrascope-probav-s5-toc-100m-cog-v2",
    "terrascope-probav-s5-toa-100m-cog-v2",
    "terrascope-probav-s1-toa-100m-hdf-v2",
    "terrascope-probav-l2a-100m-hdf-v2",
    "terrascope-probav-l2a-333m-hdf-v2",
    "terrascope-probav-l1c-hdf-v2",
    "terrascope-probav-l2a-1km-hdf-v2",
    "terrascope-probav-s5-toc-ndvi-100m-cog-v2",
    "terrascope-probav-s10-toc-ndvi-333m-cog-v2",
    "terrascope-probav-s1-toc-1km-hdf-v2",
    "terrascope-probav-s1-toc-333m-hdf-v2",
    "terrascope-probav-s1-toc-100m-hdf-v2",
    "terrascope-probav-s1-toa-333m-hdf-v2",
    "terrascope-probav-s1-toa-1km-hdf-v2",
    "terrascope-probav-s10-toc-333m-hdf-v2",
    "terrascope-probav-s10-toc-1km-hdf-v2",
    "terrascope-probav-s10-toc-ndvi-1km-hdf-v2",
    "terrascope-probav-s1-toc-ndvi-100m-hdf-v2",
    "terrascope-s1-grd-sigma0-v1",
    "terrascope-probav-s5-toc-100m-hdf-v2",
    "terrascope-s1-slc-coherence-v1",
    "sentinel-1-slc",
    "terrascope-probav-s5-toa-100m-hdf-v2",
    "sentinel-2-l1c",
    "sentinel-1-grd",
    "terrascope-probav-s5-toc-ndvi-100m-hdf-v2",
    "terrascope-probav-s10-toc-ndvi-333m-hdf-v2",
    "terrascope-s2-ccc-v2",
    "terrascope-s2-chl-v1",
    "terrascope-s2-cwc-v2",
    "terrascope-s2-fapar-v2",
    "terrascope-s2-fcover-v2",
    "terrascope-s2-lai-v2",
    "sentinel-2-l2a",
    "terrascope-s2-toc-v2",
    "terrascope-s2-rhow-v1",
    "terrascope-s2-spm-v1",
    "terrascope-s2-tur-v1",
    "terrascope-s3-lst-s1-v1",
    "terrascope-s3-lst-s10-v1",
    "terrascope-s2-ndvi-v2",
    "terrascope-s3-syn-vgt-s1-v1",
    "terrascope-s3-syn-vgt-s10-v1",
    "terrascope-s5p-l3-ch4-tm-v2",
    "terrascope-s5p-l3-hcho-td-v2",
    "terrascope-s5p-l3-ch4-ty-v2",
    "terrascope-s5p-l3-ch4-td-v2",
    "terrascope-s5p-l3-co-ty-v2",
    "terrascope-s5p-l3-co-tm-v2",
    "terrascope-s5p-l3-co-td-v2",
    "terrascope-s5p-l3-hcho-tm-v2",
    "terrascope-s5p-l3-hcho-ty-v2",
    "terrascope-s5p-l3-no2-ty-v2",
    "terrascope-s5p-l3-no2-tm-v2",
    "terrascope-s5p-l3-no2-td-v2",
    "terrascope-s5p-l3-no2eu-ty-v2",
    "terrascope-s5p-l3-no2eu-tm-v2",
    "terrascope-s5p-l3-no2eu-td-v2",
    "terrascope-s5p-l3-no2sf-td-v2",
    "terrascope-spotvgt-freep-v2",
    "terrascope-spotvgt-s1-v2",
    "terrascope-s5p-l3-so2cbr-tm-v2",
    "terrascope-s5p-l3-so2cbr-ty-v2",
    "terrascope-s5p-l3-so2cbr-td-v2",
    "terrascope-spotvgt-s10-v2",
    "terrascope-spotvgt-s10-ndvi-v2",
    "terrascope-s5p-l3-no2sf-ty-v2",
    "terrascope-s5p-l3-no2sf-tm-v2",
    "esa-worldcover-map-10m-2020-v1",
    "esa-worldcover-map-10m-2021-v2",
    "esa-worldcover-swir-10m-2020-v1",
    "esa-worldcover-s1vvvhratio-10m-2020-v1",
    "esa-worldcover-s2rgbnir-10m-2020-v1",
    "esa-worldcover-ndvi-10m-2020-v1",
    "esa-worldcover-s1vvvhratio-10m-2021-v2",
    "esa-worldcover-ndvi-10m-2021-v2",
    "corsa-majorTom-Flanders",
    "esa-worldcover-s2rgbnir-10m-2021-v2",
    "esa-worldcover-swir-10m-2021-v2",
)
"""Every collection id of stac.terrascope.be, in listing order."""

DESCRIPTIONS: dict[str, tuple[str, str, str, str | None]] = {
    "terrascope-s2-toc-v2": (
        "Sentinel-2 Top of Canopy (TOC) Products (tiles) - V2",
        "L2A atmospheric corrected Top-Of-Canopy (TOC) products V2, generated using the "
        "Sen2COR processing tool.",
        "2015-06-23T00:00:00Z",
        None,
    ),
    "terrascope-s2-ndvi-v2": (
        "Sentinel-2 Normalized Difference Vegetation Index (NDVI) - V2",
        "NDVI derived from Terrascope Sentinel-2 TOC V2 reflectances: physical value = "
        "DN * 0.004 - 0.08, 255 is no data.",
        "2015-07-06T00:00:00Z",
        None,
    ),
    "esa-worldcover-map-10m-2020-v1": (
        "ESA WorldCover 10m 2020 V1 Map",
        "Global land cover map for 2020 at 10 m resolution (v100), 11 classes.",
        "2020-01-01T00:00:00Z",
        "2020-12-31T23:59:59Z",
    ),
    "esa-worldcover-map-10m-2021-v2": (
        "ESA WorldCover 10m 2021 V2 Map",
        "Global land cover map for 2021 at 10 m resolution (v200), 11 classes.",
        "2021-01-01T00:00:00Z",
        "2021-12-31T23:59:59Z",
    ),
}
"""Title, description and temporal extent of the collections that hold items."""


def collection_document(collection_id: str, stac_url: str) -> dict[str, Any]:
    """The ``/collections/{id}`` document (``_auth`` stripped, links generated)."""
    default = (
        collection_id.replace("-", " ").title(),
        f"Terrascope collection {collection_id}.",
        "2015-01-01T00:00:00Z",
        None,
    )
    title, description, start, end = DESCRIPTIONS.get(collection_id, default)
    base = f"{stac_url}/collections/{collection_id}"
    summaries: dict[str, Any] = {"datetime": {"min": start, "max": end}}
    if "-s2-" in collection_id or collection_id.startswith("sentinel-2"):
        summaries.update(constellation=["sentinel-2"], instruments=["msi"])
    return {
        "type": "Collection",
        "stac_version": "1.1.0",
        "id": collection_id,
        "title": title,
        "description": description,
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-180, -84, 180, 84]]},
            "temporal": {"interval": [[start, end]]},
        },
        "summaries": summaries,
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": "parent", "type": "application/json", "href": f"{stac_url}/"},
            {"rel": "items", "type": "application/geo+json", "href": f"{base}/items"},
            {"rel": "root", "type": "application/json", "href": f"{stac_url}/"},
        ],
    }
