"""A large generated Sentinel-2 TOC archive, for harvest-scale tests and benchmarks.

``ProviderOptions.bulk_items = N`` adds N items to ``terrascope-s2-toc-v2``: overpasses of a
grid of 40 MGRS tiles of UTM zone 31 (northern France and Belgium), one every five days
(S2A and S2B in turn), going back from 2024-04-26, i.e. before every other item of the
collection. Each item has the shape of the captured TOC item (21 assets, band and projection
fields, ``alternate.local.href``, ``auth:refs``) at the real tile size (10980 pixels for 10 m
bands), with a plausible ``file:size``.

Nothing is held per item: item ``i`` is a function of ``i`` and the seed, built when a page
needs it. Results are in the API's order by construction (datetime, then id, descending), so
a page is found by bisection; the matches of a search are computed once per query and kept
for its following pages. Pages are rendered from one serialised template per tile in which
only what differs between overpasses is filled in (names, dates, cloud cover, orbit, sizes),
so serving a 100-item page costs milliseconds; :meth:`BulkArchive.product` builds the same
item the slow way (for single-item requests and CQL2 filters). The files are listed, not
served: downloading one answers 404.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson

from stacsync.sandbox.terrascope.products import AssetFile, Product, footprint, number
from stacsync.sandbox.terrascope.search import SearchRequest, matches
from stacsync.sandbox.terrascope.sentinel2 import (
    TOC_COLLECTION,
    VERSION,
    absolute_orbit,
    cloud_cover,
    file_seed,
    s2_product,
)
from stacsync.sandbox.terrascope.sentinel2_specs import Tile

BULK_COLLECTION = TOC_COLLECTION
NEWEST = datetime(2024, 4, 26, 10, 30, 21, 24000, tzinfo=UTC)
"""Sensing time of the newest generated overpass (the hand-made items start 2024-05-16)."""
CADENCE = timedelta(days=5)
"""Time between two overpasses of a tile (S2A and S2B combined)."""
REAL_PIXELS = 10980
"""Pixels per side of a 10 m band of a real tile."""
ZONE = 31
EASTINGS = (300_000, 400_000, 500_000, 600_000, 700_000)
NORTHINGS = tuple(range(5_000_000, 5_800_000, 100_000))
"""Lower edges of the 100 km squares of the tile grid (45-51.5 N)."""
_ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUV"
_COLUMN_LETTERS = "ABCDEFGH"  # zones 1, 4, ..., 31: columns A-H from easting 100 km
_BAND_LETTERS = "CDEFGHJKLMNPQRSTUVWX"
_CACHED_QUERIES = 32

_CLOUD_SLOT = 987_654_321_001
_ORBIT_SLOT = 987_654_321_002
_SIZE_SLOT = 987_654_322_000
"""Integers standing in for the per-item numbers in a tile's template (+ asset position)."""

Footprint = tuple[Any, tuple[float, float, float, float]]
SortKey = tuple[int, str, str]
Payload = Callable[[Product], dict[str, Any]]
"""How the STAC API renders a product (its ``item`` method)."""


@dataclass(frozen=True, slots=True)
class BulkItem:
    """A generated item as a search hit."""

    index: int
    sort_key: SortKey


@dataclass(frozen=True)
class _Template:
    """A tile's serialised item, cut where the per-overpass values go."""

    segments: list[bytes]
    """Literal bytes; slot ``j`` goes between ``segments[j]`` and ``segments[j + 1]``."""
    slots: list[bytes]
    """What fills each slot: a reference text, or a number standing in for a value."""
    sized: list[tuple[str, int]]
    """(reference path, uncompressed bytes or -exact size) of each asset with ``file:size``."""


def _grid() -> list[tuple[Tile, Footprint]]:
    """The tiles (with their lon/lat footprint), by name descending: the order within a date."""
    tiles: list[tuple[Tile, Footprint]] = []
    epsg = 32600 + ZONE
    for easting in EASTINGS:
        for northing in NORTHINGS:
            provisional = Tile("", epsg, float(easting), northing + 100_000 + 40.0)
            shape = footprint(epsg, provisional.bounds)
            south, north = shape[1][1], shape[1][3]
            band = _BAND_LETTERS[math.floor(((south + north) / 2 + 80) / 8)]
            column = _COLUMN_LETTERS[easting // 100_000 - 1]
            row = _ROW_LETTERS[(northing // 100_000) % 20]
            tiles.append((replace(provisional, name=f"{ZONE}{band}{column}{row}"), shape))
    return sorted(tiles, key=lambda entry: entry[0].name, reverse=True)


def _overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


class BulkMatches:
    """The archive items that match one search, in the API's order."""

    def __init__(self, archive: BulkArchive, indices: Sequence[int]) -> None:
        self.archive = archive
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def position(self, after: tuple[Any, ...]) -> int:
        """The first position whose sort key is below ``after`` (the paging token's values)."""
        low, high = 0, len(self.indices)
        while low < high:
            middle = (low + high) // 2
            if self.archive.sort_key(self.indices[middle]) < after:
                high = middle
            else:
                low = middle + 1
        return low

    def window(self, start: int) -> Iterator[BulkItem]:
        """The matching items from ``start`` on."""
        for index in self.indices[start:]:
            yield BulkItem(index, self.archive.sort_key(index))


class BulkArchive:
    """``count`` generated TOC items, item ``i`` being the ``i``-th in the API's order."""

    collection = BULK_COLLECTION

    def __init__(self, count: int, *, seed: int) -> None:
        if count < 0:
            raise ValueError(f"bulk_items must not be negative, got {count}")
        self.count = count
        self.seed = seed
        self.tiles = _grid()
        self._tile_position = {tile.name: t for t, (tile, _) in enumerate(self.tiles)}
        dates = -(-count // len(self.tiles))
        self.dates = [NEWEST - k * CADENCE for k in range(dates)]
        self._stamps = {self._stamp(k): k for k in range(dates)}
        self._queries: OrderedDict[bytes, list[int]] = OrderedDict()
        self._templates: dict[int, _Template] = {}
        self._dates_rendered: dict[int, dict[bytes, bytes]] = {}
        first = self.dates[0] if self.dates else NEWEST
        self._reference = (
            f"{self.platform(0)}_{first.strftime('%Y%m%dT%H%M%S')}",
            first.strftime("%Y/%m/%d"),
            first.strftime("%Y-%m-%dT"),  # every timestamp of an item falls on its sensing day
            f"sentinel-2{self.platform(0)[-1].lower()}",
            str(_ORBIT_SLOT),
        )
        """The texts of the first overpass that a template's slots stand for."""

    # -- one item ---------------------------------------------------------------------------

    @staticmethod
    def platform(date: int) -> str:
        """The satellite of the ``date``-th overpass."""
        return "S2B" if date % 2 == 0 else "S2A"

    def _stamp(self, date: int) -> str:
        return f"{self.platform(date)}_{self.dates[date].strftime('%Y%m%dT%H%M%S')}"

    def item_id(self, index: int) -> str:
        """The id of item ``index``."""
        date, tile = divmod(index, len(self.tiles))
        return f"{self._stamp(date)}_{self.tiles[tile][0].name}_TOC_{VERSION}"

    def sort_key(self, index: int) -> SortKey:
        """The search sort values of item ``index`` (as :attr:`Product.sort_key`)."""
        sensed = self.dates[index // len(self.tiles)]
        return (int(sensed.timestamp() * 1000), self.item_id(index), self.collection)

    def locate(self, item_id: str) -> int | None:
        """The index of the item called ``item_id``, if the archive holds it."""
        parts = item_id.split("_")
        if len(parts) != 5 or parts[3:] != ["TOC", VERSION]:
            return None
        date = self._stamps.get(f"{parts[0]}_{parts[1]}")
        tile = self._tile_position.get(parts[2])
        if date is None or tile is None:
            return None
        index = date * len(self.tiles) + tile
        return index if index < self.count else None

    def product(self, index: int) -> Product:
        """Item ``index`` (built on demand; the same every time)."""
        return self._product(*divmod(index, len(self.tiles)))

    def _product(self, date: int, position: int) -> Product:
        tile, shape = self.tiles[position]
        product = s2_product(
            "TOC",
            self.platform(date),
            self.dates[date],
            tile,
            seed=self.seed,
            raster_size=REAL_PIXELS,
            footprint_of=shape,
        )
        return replace(product, assets=tuple(self._sized(a) for a in product.assets))

    def _sized(self, asset: AssetFile) -> AssetFile:
        if not asset.sized:
            return asset
        return replace(asset, size=self._size(asset.path, _raw_size(asset)))

    def _size(self, path: str, raw: int) -> int:
        """``file:size`` of a file: exact for text (``raw`` < 0), else DEFLATE-like."""
        if raw < 0:
            return -raw
        return int(raw * (0.55 + 0.3 * file_seed(self.seed, path) / 2**32))

    # -- fast rendering -----------------------------------------------------------------------

    def render(self, index: int, payload: Payload) -> bytes:
        """Item ``index`` serialised, equal to ``payload(self.product(index))``."""
        date, position = divmod(index, len(self.tiles))
        template = self._templates.get(position)
        if template is None:
            template = self._templates[position] = self._template(position, payload)
        values = dict(self._date_values(date))
        cloud = cloud_cover(self.seed, self.item_id(index))
        values[str(_CLOUD_SLOT).encode()] = orjson.dumps(number(cloud))
        stamp, day = self._stamp(date), self.dates[date].strftime("%Y/%m/%d")
        for j, (path, raw) in enumerate(template.sized):
            real = path.replace(self._reference[0], stamp).replace(self._reference[1], day)
            values[str(_SIZE_SLOT + j).encode()] = str(self._size(real, raw)).encode()
        parts = [template.segments[0]]
        for slot, segment in zip(template.slots, template.segments[1:], strict=True):
            parts += (values[slot], segment)
        return b"".join(parts)

    def _date_values(self, date: int) -> dict[bytes, bytes]:
        """What replaces each reference text of a template for the ``date``-th overpass."""
        cached = self._dates_rendered.get(date)
        if cached is None:
            sensed, platform = self.dates[date], self.platform(date)
            replacements = (
                self._stamp(date),
                sensed.strftime("%Y/%m/%d"),
                sensed.strftime("%Y-%m-%dT"),
                f"sentinel-2{platform[-1].lower()}",
                str(absolute_orbit(platform, sensed)),
            )
            cached = {
                old.encode(): new.encode()
                for old, new in zip(self._reference, replacements, strict=True)
            }
            self._dates_rendered[date] = cached
        return cached

    def _template(self, position: int, payload: Payload) -> _Template:
        product = self._product(0, position)
        body = payload(product)
        body["properties"]["eo:cloud_cover"] = _CLOUD_SLOT
        body["properties"]["sat:absolute_orbit"] = _ORBIT_SLOT
        sized = [(a.path, _raw_size(a)) for a in product.assets if a.sized]
        with_size = [a for a in body["assets"].values() if "file:size" in a]
        for j, asset in enumerate(with_size):
            asset["file:size"] = _SIZE_SLOT + j
        texts = [
            *self._reference,
            str(_CLOUD_SLOT),
            *(str(_SIZE_SLOT + j) for j in range(len(sized))),
        ]
        pattern = re.compile(b"(" + b"|".join(re.escape(t.encode()) for t in texts) + b")")
        pieces = pattern.split(orjson.dumps(body))
        return _Template(segments=pieces[0::2], slots=pieces[1::2], sized=sized)

    def find(self, item_id: str) -> Product | None:
        """The product called ``item_id``, or ``None``."""
        index = self.locate(item_id)
        return None if index is None else self.product(index)

    # -- searches ---------------------------------------------------------------------------

    def matches(self, request: SearchRequest) -> BulkMatches:
        """The items matching ``request`` (every criterion but the paging token)."""
        key = orjson.dumps(
            [request.collections, request.ids, request.bbox, request.interval, request.filter],
            option=orjson.OPT_SORT_KEYS,
        )
        indices = self._queries.get(key)
        if indices is None:
            indices = self._match(request)
            self._queries[key] = indices
            while len(self._queries) > _CACHED_QUERIES:
                self._queries.popitem(last=False)
        else:
            self._queries.move_to_end(key)
        return BulkMatches(self, indices)

    def _match(self, request: SearchRequest) -> list[int]:
        if request.collections is not None and self.collection not in request.collections:
            return []
        dates = range(len(self.dates))
        if request.interval is not None:
            low, high = request.interval
            dates = range(0)
            kept = [
                k
                for k, sensed in enumerate(self.dates)
                if (high is None or sensed <= high) and (low is None or sensed >= low)
            ]
            if kept:
                dates = range(kept[0], kept[-1] + 1)  # the dates are evenly spaced
        tiles = [
            t
            for t, (_, (_, bbox)) in enumerate(self.tiles)
            if request.bbox is None or _overlaps(bbox, request.bbox)
        ]
        size = len(self.tiles)
        if request.ids is not None:
            located = {self.locate(i) for i in request.ids} - {None}
            found = sorted(i for i in located if i is not None)
            indices = [i for i in found if i // size in dates and i % size in tiles]
        else:
            indices = [k * size + t for k in dates for t in tiles if k * size + t < self.count]
        if request.filter is not None:
            indices = [i for i in indices if matches(self.product(i), request)]
        return indices


def _raw_size(asset: AssetFile) -> int:
    """Uncompressed bytes of a raster, or minus the exact size of a text file."""
    if asset.spec is None:
        return -len((asset.text or "").encode())
    spec = asset.spec
    return spec.width * spec.height * spec.count * np.dtype(spec.dtype).itemsize
