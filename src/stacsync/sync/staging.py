"""The COG step for object-store destinations: stage locally, convert, upload.

A GeoTIFF or a zip delivery bound for an object store is downloaded into a staging folder
inside the catalogue, ``<catalog>/.stacsync/staging/<collection>/<item>/<name>/``, converted
there by the same functions as a local pull (:mod:`stacsync.sync.rasters`), and every output
is uploaded under ``<url>/<collection>/<item>/<path relative to the staging folder>``: the
COG(s), kept files, thumbnail and the original archive (the ``archive`` asset). The item is
rewritten with absolute store URLs; ``file:size`` and ``file:checksum`` are computed from the
staged files.

Each upload is one obstore put of a complete file (multipart above the chunk size), so an
object appears only when all its bytes are there; its size is checked afterwards. A failed
conversion (or a delivery in which no raster could be converted) uploads the original bytes
as delivered. An asset's staging folder is removed when the asset is done, whatever happened;
each worker stages one asset at a time, and the whole staging folder is cleared at the start
and the end of every pull (leftovers of a killed run).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import obstore

from stacsync.catalog.layout import STATE_DIR
from stacsync.errors import ArchiveError, ConversionError, TransferError
from stacsync.sync.destinations import LocalSink, StoreDestination
from stacsync.sync.plan import AssetTask
from stacsync.sync.rasters import (
    COG_MEDIA_TYPE,
    ItemEdit,
    Placed,
    cog_edit,
    convert_zip,
    geotiff_to_cog,
    is_geotiff,
    is_zip,
    zip_has_rasters,
)

if TYPE_CHECKING:
    from stacsync.cog import Delivery

STAGING_DIR = "staging"
COG_DIR = ".cog"
"""Where a staged GeoTIFF's COG is written (the name never clashes with a delivery folder)."""


def staging_root(catalog_root: Path) -> Path:
    """The staging folder of the catalogue at ``catalog_root``."""
    return catalog_root / STATE_DIR / STAGING_DIR


class StagedSink(LocalSink):
    """A download into an asset's staging folder; dropping it removes the folder."""

    def __init__(self, folder: Path, name: str) -> None:
        super().__init__(folder / name, resume=False, durable=False, writer=os.writev)
        self.folder = folder

    async def discard(self) -> None:
        """See :meth:`Sink.discard`: the staging folder goes too."""
        await super().discard()
        await asyncio.to_thread(shutil.rmtree, self.folder, True)

    async def suspend(self) -> None:
        """Staged downloads are not resumed: same as :meth:`discard`."""
        await self.discard()


class Staging:
    """Stages, converts and uploads the raster assets of one pull to an object store."""

    def __init__(
        self, catalog_root: Path, destination: StoreDestination, slots: asyncio.Semaphore
    ) -> None:
        self.root = staging_root(catalog_root)
        self.dest = destination
        self.slots = slots

    def wants(self, task: AssetTask) -> bool:
        """Whether ``task``'s asset goes through the COG step (a GeoTIFF or a zip)."""
        return is_geotiff(task.media_type, task.name, task.roles) or is_zip(
            task.media_type, task.name, task.roles
        )

    def sink(self, task: AssetTask) -> StagedSink:
        """A sink in a fresh staging folder for ``task``."""
        folder = self.root.joinpath(task.collection, task.item, task.name)
        shutil.rmtree(folder, ignore_errors=True)
        return StagedSink(folder, task.name)

    def clear(self) -> None:
        """Remove every staged file (nothing may be in flight)."""
        shutil.rmtree(self.root, ignore_errors=True)

    async def place(self, task: AssetTask, sink: StagedSink) -> Placed:
        """Convert the verified download and upload the results; the folder is removed."""
        try:
            await sink.commit()
            if is_geotiff(task.media_type, task.name, task.roles):
                return await self._geotiff(task, sink.final)
            return await self._delivery(task, sink.final, sink.folder)
        finally:
            await asyncio.to_thread(shutil.rmtree, sink.folder, True)

    async def _geotiff(self, task: AssetTask, staged: Path) -> Placed:
        cog = staged.parent / COG_DIR / staged.name
        try:
            async with self.slots:
                checksum = await asyncio.to_thread(geotiff_to_cog, staged, cog)
        except ConversionError:
            await self._upload(task, staged, task.target, task.media_type)
            return Placed(False)
        size = await self._upload(task, cog, task.target, COG_MEDIA_TYPE)
        return Placed(True, size, cog_edit(task.key, size, checksum))

    async def _delivery(self, task: AssetTask, staged: Path, folder: Path) -> Placed:
        delivery = await self._convert(task, staged)
        if delivery is None:
            await self._upload(task, staged, task.target, task.media_type)
            return Placed(False)

        def target(path: Path) -> str:
            return f"{task.collection}/{task.item}/{path.relative_to(folder).as_posix()}"

        for path, media_type in _outputs(delivery):
            await self._upload(task, path, target(path), media_type)
        await self._upload(task, staged, task.target, task.media_type)
        return Placed(True, None, _rewrite(delivery, task.key, self.dest.location, target))

    async def _convert(self, task: AssetTask, staged: Path) -> Delivery | None:
        """The converted delivery, or ``None`` when it stays as delivered."""
        if not is_zip(task.media_type, task.name, task.roles):
            return None
        if not await asyncio.to_thread(zip_has_rasters, staged):
            return None
        try:
            async with self.slots:
                delivery = await asyncio.to_thread(convert_zip, staged)
        except (ArchiveError, ConversionError):
            return None
        return delivery if delivery.rasters else None

    async def _upload(
        self, task: AssetTask, path: Path, target: str, media_type: str | None
    ) -> int:
        """Put ``path`` at ``target`` in one atomic upload, check its size; the size."""
        size = path.stat().st_size
        attributes: Any = {"Content-Type": media_type} if media_type else None
        store = self.dest.store
        await obstore.put_async(
            store, target, path, attributes=attributes, chunk_size=self.dest.chunk_size
        )
        stored = (await obstore.head_async(store, target))["size"]
        if stored != size:
            where = self.dest.location(target)
            reason = f"the object store holds {stored} bytes, {size} were uploaded"
            raise TransferError(task.shown_href, where, reason)
        return size


def _outputs(delivery: Delivery) -> Iterable[tuple[Path, str | None]]:
    """The files a converted delivery adds to the item, with their media types."""
    for raster in delivery.rasters:
        yield raster.path, COG_MEDIA_TYPE
    for kept in delivery.files:
        kind = kept.fields.get("type")
        yield kept.path, kind if isinstance(kind, str) else None
    if delivery.thumbnail is not None:
        yield delivery.thumbnail, "image/png"


def _rewrite(
    delivery: Delivery, key: str, location: Callable[[str], str], target: Callable[[Path], str]
) -> ItemEdit:
    """The item edit of a converted delivery, with absolute store URLs."""

    def href_for(path: Path) -> str:
        return location(target(path))

    def edit(item: dict[str, Any]) -> dict[str, Any]:
        from stacsync.cog import rewrite_item

        return rewrite_item(item, delivery, href_for, archive_key=key)

    return edit
