"""A delivery zip in, analysis-ready files out: unpack, convert, describe, preview.

:func:`convert_delivery` unpacks the archive into a temporary folder inside ``out_dir``
(nested zips one level down too), converts every raster to a COG, keeps vector files and
useful sidecars (metadata XML, styles), renders a thumbnail and describes everything as STAC
asset fields. The temporary folder is removed even on failure; the archive itself is never
touched. Per-raster failures are collected in :attr:`Delivery.errors`, so one corrupt file does
not lose the others.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacsync.cog.archive import ArchiveLimits, unpack
from stacsync.cog.convert import RASTER_ERRORS, CogJob, CogResult, convert_many
from stacsync.cog.describe import (
    COG_MEDIA_TYPE,
    band_fields,
    file_fields,
    footprint,
    is_georeferenced,
    media_type,
    open_raster,
    projection_fields,
)
from stacsync.cog.legend import (
    LegendClass,
    classification_classes,
    from_colormap,
    merge,
    read_legend,
    slug,
)
from stacsync.cog.profile import CogProfile, is_categorical
from stacsync.cog.thumbnail import write_thumbnail
from stacsync.errors import ArchiveError, ConversionError

Fields = dict[str, Any]
RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".gtif", ".img", ".jp2", ".asc"})
VECTOR_SUFFIXES = frozenset({".gpkg", ".geojson", ".fgb", ".parquet"})
STYLE_SUFFIXES = frozenset({".qml", ".sld", ".lyrx"})
SIDECAR_SUFFIXES = frozenset(
    {
        ".aux",
        ".xml",
        ".ovr",
        ".clr",
        ".vat",
        ".dbf",
        ".cpg",
        ".txt",
        ".csv",
        ".tfw",
        ".prj",
        ".qml",
        ".sld",
        ".lyrx",
        ".msk",
        ".tif",
        ".tiff",
        ".img",
        ".jp2",
        ".asc",
        ".gtif",
    }
)
MAX_NESTING = 2


@dataclass(frozen=True, slots=True)
class RasterAsset:
    """A raster of the delivery, now a COG, with its STAC asset fields."""

    key: str
    path: Path
    entry: str
    """Its path inside the archive."""
    result: CogResult
    fields: Fields
    geometry: Fields
    bbox: list[float]


@dataclass(frozen=True, slots=True)
class FileAsset:
    """A file kept as it was delivered (vector data, metadata, style)."""

    key: str
    path: Path
    entry: str
    fields: Fields


@dataclass(frozen=True, slots=True)
class Delivery:
    """What :func:`convert_delivery` produced from one archive."""

    archive: Path
    archive_fields: Fields
    rasters: tuple[RasterAsset, ...] = ()
    files: tuple[FileAsset, ...] = ()
    thumbnail: Path | None = None
    errors: tuple[ConversionError, ...] = field(default=())

    def raise_first_error(self) -> None:
        """Raise the first per-raster error, if any."""
        if self.errors:
            raise self.errors[0]


def stem(path: Path) -> str:
    """The name shared by a raster and its sidecars (``a.tif.vat.dbf`` -> ``a``)."""
    name = path.name.lower()
    while True:
        base, dot, ext = name.rpartition(".")
        if not dot or not base or f".{ext}" not in SIDECAR_SUFFIXES:
            return name
        name = base


def _unpack_all(archive: Path, into: Path, limits: ArchiveLimits) -> list[Path]:
    files = unpack(archive, into, limits)
    budget = limits.max_total_bytes - sum(p.stat().st_size for p in files)
    for depth in range(MAX_NESTING):
        nested = [p for p in files if p.suffix.lower() == ".zip"]
        if not nested:
            break
        if depth == MAX_NESTING - 1:
            raise ArchiveError(archive, "archives nested too deep", entry=nested[0].name)
        for inner in nested:
            folder = inner.with_suffix("")
            if folder.exists():
                folder = inner.with_name(inner.name + ".d")
            folder.mkdir()
            try:
                extracted = unpack(inner, folder, limits, budget=max(budget, 0))
            except ArchiveError as exc:
                entry = f"{inner.relative_to(into)}!{exc.entry}" if exc.entry else inner.name
                raise ArchiveError(archive, exc.reason, entry=entry) from exc
            budget -= sum(p.stat().st_size for p in extracted)
            inner.unlink()
            files.remove(inner)
            files += extracted
    return sorted(files)


def _keys(names: Sequence[str], prefix: str) -> list[str]:
    if len(names) == 1:
        return [prefix]
    keys: list[str] = []
    for name in names:
        key = f"{prefix}-{slug(name)}"
        while key in keys:
            key += "-1"
        keys.append(key)
    return keys


def _raster_legend(
    path: Path, sidecars: list[Path], fallback: Sequence[LegendClass]
) -> tuple[list[LegendClass], bool, bool]:
    with open_raster(path) as ds:
        if not is_georeferenced(ds):
            raise ConversionError(path, "has no georeferencing (no CRS, geotransform or GCPs)")
        try:
            colormap = ds.colormap(1)
        except ValueError:
            colormap = {}
        dtype = ds.dtypes[0]
    legend = merge(read_legend(sidecars), fallback, from_colormap(colormap))
    has_rat = any(
        p.name.lower().endswith(".vat.dbf") or p.name.lower().endswith(".aux.xml") for p in sidecars
    ) and any(c.title for c in legend)
    titled = any(c.title for c in legend)
    categorical = is_categorical(
        dtype=dtype, has_colormap=bool(colormap), has_attribute_table=has_rat, has_legend=titled
    )
    return legend, categorical, titled


def describe_cog(
    path: Path, profile: CogProfile, legend: Sequence[LegendClass]
) -> tuple[Fields, Fields, list[float]]:
    """STAC asset fields of a COG (type, roles, proj, raster, classification, file)."""
    with open_raster(path) as ds:
        fields: Fields = {"type": COG_MEDIA_TYPE, "roles": ["data"]}
        fields.update(projection_fields(ds))
        bands = band_fields(ds, exact=profile.exact_stats, stats_pixels=profile.stats_pixels)
        nodata = ds.nodatavals[0]
        geometry, bbox = footprint(ds)
        count = ds.count
    classes = classification_classes(legend, nodata=nodata)
    if classes and count == 1:
        fields["classification:classes"] = classes
    elif classes:
        bands[0]["classification:classes"] = classes
    fields["raster:bands"] = bands
    fields.update(file_fields(path))
    return fields, geometry, bbox


def _move(src: Path, root: Path, out_dir: Path) -> Path:
    target = out_dir / src.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    src.replace(target)
    return target


def _kept_files(files: list[Path], root: Path, out_dir: Path, *, data_key: str) -> list[FileAsset]:
    groups: dict[str, list[Path]] = {data_key: [], "metadata": [], "style": []}
    for p in files:
        suffix, name = p.suffix.lower(), p.name.lower()
        if suffix in VECTOR_SUFFIXES:
            groups[data_key].append(p)
        elif suffix in STYLE_SUFFIXES:
            groups["style"].append(p)
        elif suffix == ".xml" and not re.search(r"\.(aux|dbf|ovr|clr)\.xml$", name):
            groups["metadata"].append(p)
    kept = []
    for prefix, paths in groups.items():
        names = [str(p.relative_to(root).with_suffix("")) for p in paths]
        role = "data" if prefix == data_key else prefix
        for key, path in zip(_keys(names, prefix), paths, strict=True):
            target = _move(path, root, out_dir)
            fields: Fields = {"roles": [role], "title": path.name}
            if (kind := media_type(path)) is not None:
                fields["type"] = kind
            fields.update(file_fields(target))
            kept.append(FileAsset(key, target, str(path.relative_to(root)), fields))
    return kept


def _name_in_archive(error: ConversionError, archive: Path, root: Path) -> ConversionError:
    if not error.source.is_relative_to(root):
        return error
    entry = error.source.relative_to(root)
    named = ConversionError(Path(f"{archive}!{entry}"), error.reason.replace(f"{root}/", ""))
    named.__cause__ = error.__cause__
    return named


def convert_delivery(
    archive: Path,
    out_dir: Path,
    profile: CogProfile | None = None,
    limits: ArchiveLimits | None = None,
    *,
    legend: Sequence[LegendClass] = (),
    workers: int | None = None,
    thumbnail: bool = True,
) -> Delivery:
    """Unpack ``archive`` into ``out_dir`` and turn its rasters into described COGs.

    Outputs keep their relative path inside the archive (rasters get a ``.tif`` suffix).

    Args:
        archive: The delivered zip (left untouched).
        out_dir: Where COGs, kept files and the thumbnail go.
        profile: COG settings.
        limits: Zip-bomb limits.
        legend: The provider's own legend, used for classes the delivery does not name.
        workers: Parallel conversions (default: one per CPU, at most one per raster).
        thumbnail: Render ``<first raster>.thumbnail.png``.

    Raises:
        ArchiveError: The archive is unsafe or unreadable (nothing is kept).
    """
    profile = profile or CogProfile()
    limits = limits or ArchiveLimits()
    out_dir.mkdir(parents=True, exist_ok=True)
    archive_fields = {"type": "application/zip", **file_fields(archive)}
    root = Path(tempfile.mkdtemp(prefix=".unpack-", dir=out_dir))
    try:
        files = _unpack_all(archive, root, limits)
        rasters = [p for p in files if p.suffix.lower() in RASTER_SUFFIXES]
        others = [p for p in files if p not in rasters]
        by_stem: dict[str, list[Path]] = {}
        for p in others:
            by_stem.setdefault(stem(p), []).append(p)
        errors: list[ConversionError] = []
        jobs: list[CogJob] = []
        legends: list[list[LegendClass]] = []
        for raster in rasters:
            sidecars = by_stem.get(stem(raster), others if len(rasters) == 1 else [])
            try:
                found, categorical, _ = _raster_legend(raster, sidecars, legend)
            except RASTER_ERRORS as exc:
                errors.append(ConversionError(raster, f"cannot read raster: {exc}"))
                continue
            except ConversionError as exc:
                errors.append(exc)
                continue
            legends.append(found)
            target = out_dir / raster.relative_to(root).with_suffix(".tif")
            jobs.append(CogJob(raster, target, categorical))
        outcomes = convert_many(jobs, profile, workers=workers)
        names = [str(j.source.relative_to(root).with_suffix("")) for j in jobs]
        described: list[RasterAsset] = []
        for key, job, outcome, found in zip(
            _keys(names, "data"), jobs, outcomes, legends, strict=True
        ):
            if isinstance(outcome, ConversionError):
                errors.append(outcome)
                continue
            try:
                fields, geometry, bbox = describe_cog(outcome.path, profile, found)
            except RASTER_ERRORS as exc:
                errors.append(ConversionError(job.source, f"cannot describe the COG: {exc}"))
                continue
            fields["title"] = job.source.name
            entry = str(job.source.relative_to(root))
            described.append(RasterAsset(key, outcome.path, entry, outcome, fields, geometry, bbox))
        preview = None
        if thumbnail and described:
            first = described[0].path
            preview = write_thumbnail(first, first.with_name(first.stem + ".thumbnail.png"))
        kept = _kept_files(others, root, out_dir, data_key="vector" if rasters else "data")
        named_errors = tuple(_name_in_archive(e, archive, root) for e in errors)
        return Delivery(
            archive, archive_fields, tuple(described), tuple(kept), preview, named_errors
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
