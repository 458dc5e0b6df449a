"""The COG step of a pull: GeoTIFF data assets and zip deliveries of rasters become COGs.

Synchronous and CPU-bound (GDAL); the engine runs these in worker threads under their own
semaphore. A GeoTIFF is converted from the verified ``.part`` straight onto the final path
(an input that already is a valid COG is kept as it is). A zip delivery that contains rasters
is unpacked next to the archive, in a folder named after it, and the item is rewritten by
:func:`stacsync.cog.rewrite_item` (COG data assets, kept files, thumbnail, archive asset).
Object-store destinations run the same functions in a local staging folder
(:mod:`stacsync.sync.staging`).
"""

from __future__ import annotations

import asyncio
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from stacsync.errors import ArchiveError, ConversionError
from stacsync.sync.destinations import LocalSink

if TYPE_CHECKING:
    from stacsync.cog import Delivery

COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
GEOTIFF_SUFFIXES = (".tif", ".tiff")
ItemEdit = Callable[[dict[str, Any]], dict[str, Any]]
RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".gtif", ".img", ".jp2", ".asc"})
"""What :mod:`stacsync.cog.delivery` converts (GDAL is imported only when converting)."""


def _data_role(roles: Sequence[str]) -> bool:
    return not roles or "data" in roles


def is_geotiff(media_type: str | None, name: str, roles: Sequence[str]) -> bool:
    """A GeoTIFF data asset (by media type, else by file name)."""
    if not _data_role(roles):
        return False
    if media_type:
        return media_type.lower().startswith("image/tiff")
    return name.lower().endswith(GEOTIFF_SUFFIXES)


def is_zip(media_type: str | None, name: str, roles: Sequence[str]) -> bool:
    """A zip delivery data asset."""
    if not _data_role(roles):
        return False
    if media_type:
        return media_type.lower().startswith("application/zip")
    return name.lower().endswith(".zip")


def _lists_rasters(names: Sequence[str]) -> bool:
    return any(PurePosixPath(n).suffix.lower() in RASTER_SUFFIXES for n in names)


def zip_has_rasters(path: Path) -> bool:
    """Whether the archive, or a zip inside it, lists a raster file (only listings are read).

    Pre-packaged CLMS files arrive as a zip holding the product's own zip; the COG step
    unpacks one such level, so this looks one level down too.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if _lists_rasters(names):
                return True
            for name in names:
                if PurePosixPath(name).suffix.lower() == ".zip":
                    with archive.open(name) as member, zipfile.ZipFile(member) as inner:
                        if _lists_rasters(inner.namelist()):
                            return True
    except (OSError, zipfile.BadZipFile):
        return False
    return False


def geotiff_to_cog(part: Path, final: Path) -> str:
    """Write the verified download ``part`` as a COG at ``final``, remove the part.

    Returns the COG's ``file:checksum``.
    """
    from stacsync.cog import multihash_sha256, to_cog

    to_cog(part, final)
    part.unlink(missing_ok=True)
    return multihash_sha256(final)


def delivery_folder(archive: Path) -> Path:
    """Where a delivery's files go: ``<item folder>/<archive stem>/``."""
    return archive.with_name(archive.name.rsplit(".", 1)[0] or archive.name)


def convert_zip(archive: Path) -> Delivery:
    """Unpack and convert a raster delivery next to its archive."""
    from stacsync.cog import convert_delivery

    return convert_delivery(archive, delivery_folder(archive))


def rewrite(item: dict[str, Any], delivery: Delivery, key: str, item_dir: Path) -> dict[str, Any]:
    """``item`` rewritten from the converted delivery of its asset ``key``."""
    from stacsync.cog import rewrite_item

    return rewrite_item(item, delivery, href_maker(item_dir), archive_key=key)


def href_maker(item_dir: Path) -> Callable[[Path], str]:
    """Maps output files to hrefs relative to the item's folder."""
    base = item_dir.resolve()

    def href_for(path: Path) -> str:
        relative = Path(os.path.relpath(path.resolve(), base)).as_posix()
        return relative if relative.startswith("../") else f"./{relative}"

    return href_for


@dataclass(frozen=True, slots=True)
class Placed:
    """What the COG step did with one verified download."""

    converted: bool
    size: int | None = None
    """Bytes of the copy when it differs from the download (a COG)."""
    edit: ItemEdit | None = None


def cog_edit(key: str, size: int, checksum: str) -> ItemEdit:
    """The item edit of a GeoTIFF asset converted to a COG of ``size`` bytes."""

    def edit(item: dict[str, Any]) -> dict[str, Any]:
        asset = (item.get("assets") or {}).get(key)
        if asset is not None:
            asset["file:size"], asset["file:checksum"] = size, checksum
            asset["type"] = COG_MEDIA_TYPE
        return item

    return edit


async def place(
    media_type: str | None,
    name: str,
    roles: Sequence[str],
    key: str,
    sink: LocalSink,
    slots: asyncio.Semaphore,
) -> Placed:
    """Commit ``sink``'s verified bytes, converting a GeoTIFF or a raster zip on the way.

    A conversion that fails keeps the original bytes (the asset stays as delivered).
    """
    if is_geotiff(media_type, name, roles):
        await sink.suspend()
        try:
            async with slots:
                checksum = await asyncio.to_thread(geotiff_to_cog, sink.part, sink.final)
        except ConversionError:
            await sink.commit()
            return Placed(False)
        size = sink.final.stat().st_size
        return Placed(True, size, cog_edit(key, size, checksum))
    await sink.commit()
    archive = sink.final
    if not is_zip(media_type, name, roles):
        return Placed(False)
    if not await asyncio.to_thread(zip_has_rasters, archive):
        return Placed(False)
    try:
        async with slots:
            delivery = await asyncio.to_thread(convert_zip, archive)
    except (ArchiveError, ConversionError):
        return Placed(False)
    if not delivery.rasters:  # nothing converted: the asset stays as delivered
        return Placed(False)
    folder = archive.parent

    def edit(item: dict[str, Any]) -> dict[str, Any]:
        return rewrite(item, delivery, key, folder)

    return Placed(True, None, edit)
