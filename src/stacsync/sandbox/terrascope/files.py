"""The bytes behind every asset: generated on first use, then cached per file.

STAC Items carry ``file:size``, so rendering an Item generates (once) every file it lists;
downloads then serve exactly those bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
from rasterio.io import MemoryFile
from rasterio.transform import Affine

from stacsync.sandbox.blobs import Blob
from stacsync.sandbox.rasters import make_geotiff
from stacsync.sandbox.terrascope.products import AssetFile, Product


def preview_png(seed: int) -> bytes:
    """A small deterministic RGB PNG (what titiler would render)."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 255, size=(3, 64, 64), dtype=np.uint8)
    with MemoryFile() as memfile:
        with memfile.open(
            driver="PNG",
            width=64,
            height=64,
            count=3,
            dtype="uint8",
            crs="EPSG:4326",
            transform=Affine(1.0, 0.0, 0.0, 0.0, -1.0, 64.0),
        ) as dst:
            dst.write(data)
        png: bytes = memfile.read()
    return png


def _render(asset: AssetFile) -> bytes:
    if asset.spec is not None:
        return make_geotiff(asset.spec)
    if asset.text is not None:
        return asset.text.encode()
    return preview_png(len(asset.path))


class FileStore:
    """Every file of every product, by URL path, generated lazily and cached."""

    def __init__(self, products: Iterable[Product]) -> None:
        self._assets: dict[str, tuple[Product, AssetFile]] = {}
        for product in products:
            for asset in product.assets:
                self._assets[asset.path] = (product, asset)
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __contains__(self, path: str) -> bool:
        return path in self._assets

    def paths(self) -> list[str]:
        """Every served path."""
        return list(self._assets)

    def data(self, path: str) -> bytes:
        """The bytes of the file at ``path`` (KeyError if there is none)."""
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None:
            return cached
        _, asset = self._assets[path]
        data = _render(asset)
        with self._lock:
            return self._cache.setdefault(path, data)

    def size(self, path: str) -> int:
        """``file:size`` of the file at ``path``."""
        return len(self.data(path))

    def blob(self, path: str) -> Blob:
        """The file at ``path`` as a servable :class:`Blob`."""
        product, asset = self._assets[path]
        modified = product.opensearch.get("created", product.datetime)
        media_type = "image/tiff" if asset.spec is not None else asset.media_type
        return Blob(
            data=self.data(path),
            media_type=media_type,
            modified=modified,
        )
