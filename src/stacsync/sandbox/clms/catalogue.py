"""The DataSet records the emulator serves, loaded from ``datasets.json``.

The records are plain data (field names as the CLMS Plone site serializes them). Keys that start
with ``_`` and ``path`` are the emulator's own (raster profile of generated data, time-series
range, auxiliary-API fixtures) and are never sent to clients.

The catalogue holds the 25 DataSets of the documented ``@search`` capture (2022), the six 2018
High Resolution Layers of the Living Earth notebook (their UIDs, DatasetDownloadInformationIDs
and FileIDs), a CLC+ Backbone 2018 raster record, and the datasets behind the documented
auxiliary-API and time-series examples.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""


@dataclass(frozen=True)
class RasterProfile:
    """How the emulator draws the pixels of a dataset's GeoTIFFs."""

    values: tuple[int, ...] | None = None
    """Class values of a categorical layer (``None``: continuous)."""
    value_range: tuple[float, float] = (0.0, 100.0)
    nodata: int = 255


@dataclass(frozen=True)
class Dataset:
    """One DataSet: its public fields and the emulator's extras."""

    uid: str
    path: str
    """Path below the site root, e.g. ``en/products/corine-land-cover/clc2018``."""
    fields: Mapping[str, Any]
    """Every public field, as serialized (without ``@id``)."""
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The title."""
        return str(self.fields.get("title", ""))

    @property
    def review_state(self) -> str:
        """``published`` or ``private``."""
        return str(self.fields.get("review_state", "published"))

    @property
    def download_information(self) -> list[dict[str, Any]]:
        """The ``dataset_download_information`` items."""
        info = self.fields.get("dataset_download_information") or {}
        return list(info.get("items", []))

    @property
    def downloadable_files(self) -> list[dict[str, Any]]:
        """The ``downloadable_files`` items (pre-packaged files)."""
        files = self.fields.get("downloadable_files") or {}
        return list(files.get("items", []))

    def info_item(self, info_id: object) -> dict[str, Any] | None:
        """The download-information item whose ``@id`` is ``info_id``."""
        return next((i for i in self.download_information if i.get("@id") == info_id), None)

    def file_item(self, file_id: object) -> dict[str, Any] | None:
        """The downloadable-file item whose ``@id`` is ``file_id``."""
        return next((f for f in self.downloadable_files if f.get("@id") == file_id), None)

    @property
    def raster(self) -> RasterProfile:
        """The profile of generated rasters (a generic categorical layer by default)."""
        spec = self.extras.get("raster") or {}
        values = spec.get("values")
        low, high = spec.get("range", (0, 100))
        return RasterProfile(
            values=tuple(values) if values is not None else None,
            value_range=(float(low), float(high)),
            nodata=int(spec.get("nodata", 255)),
        )

    @property
    def temporal_limit(self) -> int | None:
        """``download_limit_temporal_extent`` (days), if set."""
        value = self.fields.get("download_limit_temporal_extent")
        return (
            int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    @property
    def is_time_series(self) -> bool:
        """``mapviewer_istimeseries``."""
        return bool(self.fields.get("mapviewer_istimeseries"))

    @property
    def projections(self) -> list[str]:
        """The codes of ``characteristics_projection`` (``A/B`` lists several)."""
        text = str(self.fields.get("characteristics_projection") or "")
        return [code.strip() for code in text.split("/") if code.strip()]


@dataclass(frozen=True)
class Catalogue:
    """All datasets, in catalogue order, with lookups."""

    datasets: Sequence[Dataset]
    areas: Mapping[str, BBox]
    """Bounding boxes (lon/lat) of the ``area`` names used by pre-packaged files."""

    def by_uid(self, uid: object) -> Dataset | None:
        """The dataset with ``UID`` ``uid``."""
        return next((d for d in self.datasets if d.uid == uid), None)

    def by_path(self, path: str) -> Dataset | None:
        """The dataset at ``path`` (below the site root, no leading slash)."""
        path = path.strip("/")
        return next((d for d in self.datasets if d.path == path), None)


def _dataset(record: Mapping[str, Any]) -> Dataset:
    public = {k: v for k, v in record.items() if not k.startswith("_") and k != "path"}
    return Dataset(
        uid=str(record["UID"]),
        path=str(record["path"]),
        fields=public,
        extras=dict(record.get("_sandbox", {})),
    )


@cache
def load_catalogue() -> Catalogue:
    """The packaged catalogue (read once)."""
    text = resources.files(__package__).joinpath("datasets.json").read_text(encoding="utf-8")
    data = json.loads(text)
    areas = {
        name: (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        for name, b in data["areas"].items()
    }
    return Catalogue(datasets=tuple(_dataset(r) for r in data["datasets"]), areas=areas)
