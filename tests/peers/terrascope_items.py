"""Terrascope-shaped STAC items and collections, derived from the recorded samples.

Each item is the recorded Sentinel-2 TOC item (tests/data/terrascope/stac_item_s2_toc.json)
moved to another acquisition day and MGRS grid square: its id, asset hrefs, datetimes and
``grid:code`` follow the new day and square, and its footprint is shifted by (dx, dy) degrees
so that bbox searches can tell items apart. Everything else (21 assets, extensions,
processing, authentication fields) is kept as recorded.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "terrascope"
S2_TOC = "terrascope-s2-toc-v2"
SAMPLE_DAY = date(2026, 8, 7)
SAMPLE_SQUARE = "CN"
SAMPLE_TIME = "T10:46:21.025000Z"


@cache
def _sample(name: str) -> str:
    return (DATA / name).read_text()


def item_id(day: date, square: str = SAMPLE_SQUARE) -> str:
    """The Terrascope id of the TOC product of ``day`` and MGRS square 31T<square>."""
    return f"S2C_{day:%Y%m%d}T104621_31T{square}_TOC_V220"


def terrascope_item(
    day: date,
    *,
    square: str = SAMPLE_SQUARE,
    dx: float = 0.0,
    dy: float = 0.0,
    collection: str = S2_TOC,
) -> dict[str, Any]:
    """The sample item moved to ``day``, square 31T<square>, footprint shifted by (dx, dy)."""
    text = _sample("stac_item_s2_toc.json")
    text = text.replace(f"{SAMPLE_DAY:%Y%m%d}T104621", f"{day:%Y%m%d}T104621")
    text = text.replace(f"{SAMPLE_DAY:%Y/%m/%d}", f"{day:%Y/%m/%d}")
    text = text.replace(f"{SAMPLE_DAY:%Y-%m-%d}{SAMPLE_TIME}", f"{day:%Y-%m-%d}{SAMPLE_TIME}")
    text = text.replace(f"31T{SAMPLE_SQUARE}", f"31T{square}")
    text = text.replace(S2_TOC, collection)
    item: dict[str, Any] = json.loads(text)
    item["properties"]["mgrs:grid_square"] = square
    west, south, east, north = item["bbox"]
    item["bbox"] = [west + dx, south + dy, east + dx, north + dy]
    rings = item["geometry"]["coordinates"]
    item["geometry"]["coordinates"] = [[[x + dx, y + dy] for x, y in ring] for ring in rings]
    assert item["id"] == item_id(day, square)
    return item


def terrascope_collection(
    collection_id: str = S2_TOC, *, title: str | None = None
) -> dict[str, Any]:
    """The recorded Terrascope collection as STAC 1.1.0, under ``collection_id``."""
    recorded: dict[str, Any] = json.loads(
        _sample("terra_stac_api_fixture_collection_terrascope_s2_toc_v2.json")
    )
    collection = {k: copy.deepcopy(v) for k, v in recorded.items() if not k.startswith("_")}
    collection.update(stac_version="1.1.0", id=collection_id, links=[])
    if title is not None:
        collection["title"] = title
    return collection
