"""Fixtures of the CLMS provider tests: sample payloads and the offline STAC validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacsync.validation import SchemaStore, StacValidator

DATA = Path(__file__).resolve().parents[2] / "data" / "clms"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def validator(schema_dir: Path) -> StacValidator:
    return StacValidator(SchemaStore(store=schema_dir))


@pytest.fixture
def full_dataset() -> dict[str, Any]:
    """A full DataSet object (fullobjects=1) as the portal serializes one."""
    return {
        "@id": "https://land.copernicus.eu/api/en/products/high-resolution-layer-water-and-wetness/status-maps/water-and-wetness-2018",
        "@type": "DataSet",
        "id": "water-and-wetness-2018",
        "UID": "0acef4675a4c4a548896cca00281f434",
        "title": "Water and Wetness 2018 (raster 10 m and 100 m), Europe, 3-yearly",
        "description": "Provides at pan-European level the occurrence of water and wet areas.",
        "created": "2022-01-24T14:32:24+00:00",
        "modified": "2023-03-01T08:00:00+00:00",
        "review_state": "published",
        "dataset_download_information": {
            "items": [
                {
                    "@id": "d170eb21-c4b4-47f5-88c7-958359704542",
                    "collection": "10m",
                    "full_format": {"title": "Geotiff", "token": "Geotiff"},
                    "full_path": "H:\\HRL\\WAW_2018_010m_eu_03035_V2_0.tif",
                    "full_source": "EEA",
                    "name": "RASTER ",
                    "wekeo_choices": "",
                },
                {
                    "@id": "835009d6-470e-5b54-99a3-39d206920cc6",
                    "collection": "100m",
                    "full_format": "Geotiff",
                    "full_path": "H:\\HRL\\WAW_2018_100m_eu_03035_V2_0.tif",
                    "full_source": "EEA",
                    "name": "RASTER",
                    "layers": ["WAW", "QL"],
                },
            ]
        },
        "downloadable_files": {
            "items": [
                {
                    "@id": "fb1ca4a2-bcd1-4ddb-b0ba-fadc222d685c",
                    "area": "Switzerland",
                    "file": "WAW_2018_010m_ch_03035_v020",
                    "format": "Geotiff",
                    "path": "H:\\HRL\\WAW_2018_010m_ch_03035_v020.zip",
                    "resolution": "10 m",
                    "size": "42 MB",
                    "source": "EEA",
                    "title": "Water and Wetness 2018 - Switzerland",
                    "type": "Raster",
                    "version": "v2.0",
                    "year": 2018,
                },
                {"@id": "27e4e333-149c-49c4-a11e-96a1d0d1b6ff", "path": "", "source": ""},
            ],
            "schema": {},
            "uiSchema": {},
        },
        "geographicBoundingBox": {
            "items": [
                {
                    "@id": "geographicBoundingBox0",
                    "west": "-31.285",
                    "east": "44.807",
                    "south": "27.642",
                    "north": "71.165",
                },
                {
                    "@id": "geographicBoundingBox1",
                    "west": -61.9,
                    "east": -60.8,
                    "south": 14.3,
                    "north": 16.6,
                },
            ]
        },
        "temporalExtentStart": "2018-01-01",
        "temporalExtentEnd": "2018-12-31",
        "coordinateReferenceSystemList": ["EPSG:3035"],
        "characteristics_projection": "EPSG:3035",
        "qualitySpatialResolution_line": "10 m",
        "keywords": ["High Resolution Layers", "Water and Wetness"],
        "accessAndUseConstraints": {"content-type": "text/html", "data": "<p>Free &amp; open.</p>"},
        "citation": {
            "data": "<p>EEA, https://doi.org/10.2909/7ee532ae-daaf-524c-a29c-ff061131ad1f.</p>"
        },
        "geonetwork_identifiers": {
            "items": [{"@id": "x", "type": "EEA", "id": "7ee532ae-daaf-524c-a29c-ff061131ad1f"}]
        },
        "mapviewer_istimeseries": False,
        "download_limit_temporal_extent": None,
    }
