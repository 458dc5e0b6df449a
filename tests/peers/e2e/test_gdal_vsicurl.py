"""GDAL reads the demo catalogue's COGs over HTTP range requests from ``stacsync browse``.

``/vsicurl/`` is GDAL's own HTTP client (libcurl), independent of stacsync: it must get the
same pixels as the local files while fetching only byte ranges.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import rasterio
from rasterio.io import DatasetReader

from stacsync import api
from stacsync.browse import BrowseServer
from stacsync.config import Settings
from tests.peers.e2e.conftest import DemoCatalog

COG = "profile=cloud-optimized"
GDAL_OPTIONS = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",  # no directory listing: only the file itself
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif",
    "GDAL_HTTP_MAX_RETRY": "0",
}


def cog_files(demo: DemoCatalog) -> list[Path]:
    """Every local COG asset of the catalogue."""
    found = set()
    for path in demo.items():
        item = json.loads(path.read_text())
        for asset in item.get("assets", {}).values():
            href = asset.get("href", "")
            if COG in asset.get("type", "") and "://" not in href:
                found.add((path.parent / href).resolve())
    return sorted(found)


@pytest.fixture(scope="module")
def browsed(
    demo_catalog: DemoCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowseServer]:
    """``stacsync browse`` serving the demo catalogue (STAC Browser is not needed here)."""
    no_browser = tmp_path_factory.mktemp("no-stac-browser")
    with api.browse(demo_catalog.root, Settings(), port=0, browser=no_browser) as server:
        yield server


def test_the_demo_has_cogs(demo_catalog: DemoCatalog) -> None:
    assert len(cog_files(demo_catalog)) >= 2


def assert_same_raster(remote: DatasetReader, here: DatasetReader, what: str) -> None:
    """The same grid, the same pixels, the same overviews."""
    assert remote.driver == "GTiff"
    assert (remote.crs, remote.transform, remote.nodata) == (here.crs, here.transform, here.nodata)
    assert (remote.count, remote.shape, remote.dtypes) == (here.count, here.shape, here.dtypes)
    assert np.array_equal(remote.read(), here.read()), what
    for band in remote.indexes:
        assert remote.overviews(band) == here.overviews(band), what
    overviews = here.overviews(1)
    if overviews:
        shape = (here.count, *(-(-n // overviews[-1]) for n in here.shape))
        assert np.array_equal(remote.read(out_shape=shape), here.read(out_shape=shape)), what


def test_gdal_reads_every_cog_over_range_requests(
    browsed: BrowseServer, demo_catalog: DemoCatalog
) -> None:
    for local in cog_files(demo_catalog):
        relative = local.relative_to(demo_catalog.root.resolve()).as_posix()
        url = browsed.file_url(relative)
        before = len(browsed.served())
        with (
            rasterio.Env(**GDAL_OPTIONS),
            rasterio.open(f"/vsicurl/{url}") as remote,
            rasterio.open(local) as here,
        ):
            assert_same_raster(remote, here, relative)
        path = urlsplit(url).path
        gets = [r for r in browsed.served()[before:] if r.path == path and r.method == "GET"]
        assert gets, f"GDAL never fetched {path}"
        assert all(r.range is not None and r.status == 206 for r in gets), gets
        # Ranges, not the file again and again.
        assert sum(r.length or 0 for r in gets) <= 2 * local.stat().st_size, gets


def test_gdal_sees_a_missing_cog_as_missing(browsed: BrowseServer) -> None:
    with (
        rasterio.Env(**GDAL_OPTIONS),
        pytest.raises(rasterio.errors.RasterioIOError),
        rasterio.open(f"/vsicurl/{browsed.file_url('no/such/file.tif')}"),
    ):
        pass
