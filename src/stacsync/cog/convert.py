"""Turning one raster into a validated Cloud-Optimized GeoTIFF, atomically.

Conversion uses GDAL's COG driver (``rasterio.shutil.copy(..., driver="COG")``): it reads and
writes block by block, builds overviews in a temporary file next to the output and was the
fastest path measured (see ``docs/adr/0005-cog-conversion.md``). rio-cogeo's
``cog_validate`` decides whether an input is already a COG and checks every output before it
is renamed into place. The GDAL block cache, thread count and temporary folder are bounded
per conversion, so memory stays flat whatever the raster size.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import rasterio
import rasterio.errors
import rasterio.shutil
from rasterio._err import CPLE_BaseError
from rio_cogeo.cogeo import cog_validate

from stacsync.atomic import temp_path
from stacsync.cog.describe import is_georeferenced, open_raster
from stacsync.cog.profile import CogProfile, is_categorical
from stacsync.errors import ConversionError

Action = Literal["converted", "copied", "kept"]
RASTER_ERRORS: tuple[type[Exception], ...] = (
    rasterio.errors.RasterioError,
    CPLE_BaseError,
    OSError,
)
"""What GDAL and file access raise for unreadable or unwritable rasters."""


@dataclass(frozen=True, slots=True)
class CogResult:
    """What :func:`to_cog` did.

    Attributes:
        source: The input raster.
        path: The COG (equal to ``source`` when the input was kept in place).
        action: ``converted`` (written by the COG driver), ``copied`` (already a COG with an
            acceptable profile, linked or copied unchanged) or ``kept`` (already a COG at
            ``path``).
        categorical: Whether the data was treated as classes.
        resampling: The overview resampling used (``None`` when not converted).
        seconds: Wall time spent.
    """

    source: Path
    path: Path
    action: Action
    categorical: bool
    resampling: str | None
    seconds: float


@dataclass(frozen=True, slots=True)
class CogJob:
    """One conversion for :func:`convert_many`."""

    source: Path
    target: Path
    categorical: bool | None = None


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def gdal_options(profile: CogProfile, *, threads: int, tmpdir: Path) -> dict[str, str | int]:
    """GDAL configuration for one conversion: bounded cache, threads and temp folder."""
    return {
        "GDAL_CACHEMAX": profile.cache_mb * 1024 * 1024,
        "GDAL_NUM_THREADS": str(threads),
        "CPL_TMPDIR": str(tmpdir),
        "GDAL_PAM_ENABLED": "NO",
        "GDAL_TIFF_OVR_BLOCKSIZE": str(profile.blocksize),
    }


def validation_problems(path: Path) -> list[str]:
    """rio-cogeo's errors and warnings for ``path`` (empty: a clean COG)."""
    try:
        valid, errors, warnings = cog_validate(str(path), quiet=True)
    except Exception as exc:  # rio-cogeo raises plain exceptions for unreadable files
        return [f"cannot be validated: {exc}"]
    if valid and not warnings:
        return []
    return [*errors, *warnings] or ["not a valid COG"]


def is_acceptable_cog(path: Path, profile: CogProfile) -> bool:
    """Whether ``path`` is already a clean COG compressed with an accepted codec."""
    if validation_problems(path):
        return False
    with open_raster(path) as src:
        codec = (src.compression.value if src.compression else "none").lower()
    return codec in profile.accept_compressions


def _has_attribute_table(src: Path) -> bool:
    aux = Path(f"{src}.aux.xml")
    if aux.is_file() and aux.stat().st_size < 64 * 1024 * 1024:
        with aux.open("rb") as handle:
            if b"GDALRasterAttributeTable" in handle.read():
                return True
    stem = src.with_suffix("")
    return any(Path(f"{base}.vat.dbf").is_file() for base in (src, stem))


def detect_categorical(src: Path) -> bool:
    """Classes or measurements: a colour table or an attribute table means classes."""
    with open_raster(src) as ds:
        if not is_georeferenced(ds):
            raise ConversionError(src, "has no georeferencing (no CRS, geotransform or GCPs)")
        try:
            has_colormap = bool(ds.colormap(1))
        except ValueError:
            has_colormap = False
        dtype = ds.dtypes[0]
    return is_categorical(
        dtype=dtype,
        has_colormap=has_colormap,
        has_attribute_table=_has_attribute_table(src),
        has_legend=False,
    )


def _place_unchanged(src: Path, dst: Path) -> Action:
    if src.resolve() == dst.resolve():
        return "kept"
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(temp_path(dst))
    tmp.unlink(missing_ok=True)
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        tmp.replace(dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return "copied"


def _remove_temporaries(tmp: Path) -> None:
    for leftover in (tmp, Path(f"{tmp}.ovr.tmp"), Path(f"{tmp}.aux.xml"), Path(f"{tmp}.msk")):
        leftover.unlink(missing_ok=True)


def to_cog(
    src: Path,
    dst: Path,
    profile: CogProfile | None = None,
    *,
    categorical: bool | None = None,
    threads: int | None = None,
) -> CogResult:
    """Write ``src`` as a COG at ``dst`` (atomically), or keep it if it already is one.

    The output is written under a temporary name in ``dst``'s folder, checked with
    ``cog_validate`` and moved into place with :func:`os.replace`; a failed conversion leaves
    no file behind.

    Args:
        src: Any raster GDAL reads.
        dst: Where the COG goes (may equal ``src`` for an input that is already a COG).
        profile: Compression, tiling and overview settings.
        categorical: Force categorical (or continuous) handling; ``None`` decides from the
            data (colour table, attribute table).
        threads: Threads for this conversion (default: ``profile.threads`` or all CPUs).

    Raises:
        ConversionError: The raster cannot be read, converted or validated.
    """
    profile = profile or CogProfile()
    threads = threads or profile.threads or cpu_count()
    started = time.perf_counter()
    try:
        if categorical is None:
            categorical = detect_categorical(src)
        if is_acceptable_cog(src, profile):
            action = _place_unchanged(src, dst)
            return CogResult(src, dst, action, categorical, None, time.perf_counter() - started)
    except RASTER_ERRORS as exc:
        raise ConversionError(src, f"cannot read raster: {exc}") from exc
    if src.resolve() == dst.resolve():
        raise ConversionError(src, "is not a COG and cannot be converted onto itself")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(temp_path(dst))
    _remove_temporaries(tmp)
    try:
        with rasterio.Env(**gdal_options(profile, threads=threads, tmpdir=dst.parent)):
            with open_raster(src) as ds:
                dtype = ds.dtypes[0]
            options = profile.creation_options(
                categorical=categorical, dtype=dtype, threads=threads
            )
            rasterio.shutil.copy(src, tmp, driver="COG", **options)
        problems = validation_problems(tmp)
        if problems:
            raise ConversionError(src, "output is not a valid COG: " + "; ".join(problems))
        tmp.replace(dst)
    except ConversionError:
        _remove_temporaries(tmp)
        raise
    except RASTER_ERRORS as exc:
        _remove_temporaries(tmp)
        raise ConversionError(src, f"cannot convert to COG: {exc}") from exc
    except BaseException:
        _remove_temporaries(tmp)
        raise
    resampling = profile.resampling(categorical=categorical)
    return CogResult(src, dst, "converted", categorical, resampling, time.perf_counter() - started)


def default_workers(jobs: int) -> int:
    """Parallel conversions: at most one per CPU and one per job."""
    return max(1, min(jobs, cpu_count()))


def convert_many(
    jobs: Sequence[CogJob], profile: CogProfile | None = None, *, workers: int | None = None
) -> list[CogResult | ConversionError]:
    """Convert several rasters in a bounded thread pool (GDAL releases the GIL).

    Threads per conversion are the CPUs divided by the workers, so the machine is never
    oversubscribed. Results come back in the order of ``jobs``; failures are returned, not
    raised, so one bad raster does not stop the others.
    """
    if not jobs:
        return []
    profile = profile or CogProfile()
    workers = min(workers or default_workers(len(jobs)), len(jobs))
    threads = profile.threads or max(1, cpu_count() // workers)

    def run(job: CogJob) -> CogResult | ConversionError:
        try:
            return to_cog(
                job.source, job.target, profile, categorical=job.categorical, threads=threads
            )
        except ConversionError as exc:
            return exc

    if workers == 1:
        return [run(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stacsync-cog") as pool:
        return list(pool.map(run, jobs))
