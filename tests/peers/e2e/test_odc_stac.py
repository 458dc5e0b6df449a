"""odc-stac loads the demo catalogue's COGs into xarray with the pixels of the files themselves.

odc-stac (Open Data Cube) builds its output grid from the items' ``proj:code``, ``proj:shape``
and ``proj:transform`` and reads the assets with GDAL. Loading each pulled COG item on its
native grid must give that grid exactly (CRS, resolution, shape, origin) and the very pixel
values rasterio reads from the file: a wrong projection field shifts or resizes the grid and
the comparison fails. The Terrascope NDVI COGs of one MGRS tile stack into a time series.

The second half pulls the COGs with stacsync to an ``s3://`` destination on a real
``moto_server`` (a separate process on 127.0.0.1) and has odc-stac read them back through
GDAL's ``/vsis3/`` with the usual ``AWS_*`` settings: same grid, same pixels.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import boto3
import numpy as np
import odc.stac as odc_stac  # the dev extra; the e2e tests require it
import pystac
import pytest
import rasterio
import xarray as xr
from affine import Affine

from stacsync import api
from stacsync.sync import PullOptions
from tests.peers.e2e.conftest import DemoCatalog

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


pytestmark = [
    # Deprecations raised inside odc-geo's own calls, not by anything this project does.
    pytest.mark.filterwarnings(
        r"ignore:Use `@` matmul instead of `\*` mul operator:PendingDeprecationWarning"
    ),
    pytest.mark.filterwarnings(
        r"ignore:The 'shapely.ops.transform\(\)' function is deprecated:DeprecationWarning"
    ),
]

COG = "profile=cloud-optimized"
NDVI = "terrascope-s2-ndvi-v2"
HOST = "127.0.0.1"
BUCKET = "e2e-cogs"
PREFIX = "mirror"
REGION = "us-east-1"
KEYS = {"aws_access_key_id": "e2e-key", "aws_secret_access_key": "e2e-secret"}
T = TypeVar("T")


@dataclass(frozen=True)
class Grid:
    """A raster grid: CRS, shape (rows, cols) and affine transform."""

    crs: str
    shape: tuple[int, int]
    transform: Affine

    def same_as(self, other: Grid) -> bool:
        """Equal CRS and shape, transforms equal to a millionth of a unit."""
        return (
            self.crs == other.crs
            and self.shape == other.shape
            and self.transform.almost_equals(other.transform, precision=1e-6)
        )


def item_grid(item: dict[str, Any], key: str) -> Grid:
    """The grid an item declares for asset ``key`` (asset fields over item properties)."""
    fields = item["properties"] | item["assets"][key]
    a, b, c, d, e, f = fields["proj:transform"][:6]
    rows, cols = fields["proj:shape"]
    return Grid(str(fields["proj:code"]), (rows, cols), Affine(a, b, c, d, e, f))


def loaded_grid(ds: xr.Dataset) -> Grid:
    """The grid of an odc-stac Dataset."""
    geobox = ds.odc.geobox
    rows, cols = geobox.shape
    return Grid(f"EPSG:{geobox.crs.epsg}", (rows, cols), geobox.affine)


def read_file(path: str | Path) -> tuple[Grid, np.ndarray]:
    """The grid of the file at ``path`` and its band 1, read directly with rasterio."""
    with rasterio.open(path) as src:
        grid = Grid(f"EPSG:{src.crs.to_epsg()}", (src.height, src.width), src.transform)
        return grid, np.asarray(src.read(1))


def assert_same_raster(ds: xr.Dataset, band: str, index: int, path: str | Path) -> None:
    """Slice ``index`` of ``ds[band]`` is the file at ``path``: same grid, same pixels."""
    grid, expected = read_file(path)
    loaded = loaded_grid(ds)
    assert loaded.same_as(grid), (loaded, grid)
    pixels = ds[band].isel(time=index).values
    assert pixels.dtype == expected.dtype
    np.testing.assert_array_equal(pixels, expected, err_msg=str(path))
    assert np.unique(expected).size > 1, "a constant raster would prove little"


def demo_cogs(demo: DemoCatalog) -> list[tuple[pystac.Item, str]]:
    """Every pulled COG of the demo catalogue: (item, asset key)."""
    found = []
    for path in demo.items():
        item = json.loads(path.read_text())
        for key, asset in item["assets"].items():
            if COG in asset.get("type", "") and "data" in asset.get("roles", []):
                found.append((pystac.Item.from_file(str(path)), key))
    return found


def test_cog_items_load_on_their_native_grid_with_the_files_pixels(
    demo_catalog: DemoCatalog,
) -> None:
    cog_items = demo_catalog.cog_items()
    assert len(cog_items) >= 2, [i["id"] for i in cog_items]
    for raw in cog_items:
        item = pystac.Item.from_file(raw["_path"])
        href = item.assets["data"].get_absolute_href()
        assert href is not None and Path(href).is_file(), href

        ds = odc_stac.load([item], bands=["data"])  # no crs/resolution: the items' own grid

        assert list(ds.data_vars) == ["data"]
        assert ds.sizes["time"] == 1
        assert loaded_grid(ds) == item_grid(raw, "data"), item.id  # taken from proj:*
        assert ds["data"].dtype == np.uint8
        assert_same_raster(ds, "data", 0, href)


def test_ndvi_cogs_of_one_tile_stack_into_a_time_series(demo_catalog: DemoCatalog) -> None:
    ndvi = [(item, key) for item, key in demo_cogs(demo_catalog) if item.collection_id == NDVI]
    by_grid: dict[Grid, list[pystac.Item]] = {}
    for item, key in ndvi:
        assert key == "NDVI"
        by_grid.setdefault(item_grid(item.to_dict(), key), []).append(item)
    declared, items = max(by_grid.items(), key=lambda entry: len(entry[1]))
    assert len(items) >= 2, by_grid

    ds = odc_stac.load(items, bands=["NDVI"])  # one time slice per acquisition, in time order

    items.sort(key=lambda i: i.datetime or 0)
    times = [np.datetime64(i.datetime.replace(tzinfo=None), "us") for i in items if i.datetime]
    assert list(ds.time.values) == times
    assert loaded_grid(ds) == declared
    for index, item in enumerate(items):
        href = item.assets["NDVI"].get_absolute_href()
        assert href is not None
        assert_same_raster(ds, "NDVI", index, href)
    first, second = (ds["NDVI"].isel(time=i).values for i in (0, 1))
    assert not np.array_equal(first, second), "the dates must differ in their pixels"


# -- an s3:// destination on moto_server ------------------------------------------------------


@dataclass(frozen=True)
class MotoServer:
    """A ``moto_server`` process on 127.0.0.1."""

    port: int

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def client(self) -> S3Client:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=KEYS["aws_access_key_id"],
            aws_secret_access_key=KEYS["aws_secret_access_key"],
        )


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """``moto_server`` (moto's S3 over HTTP) on a random port; stopped by its PID afterwards."""
    program = Path(sys.executable).parent / "moto_server"
    assert program.is_file(), f"moto[server] is a dependency; {program} is missing"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    for _ in range(3):  # the random port may be taken by another run
        port = random.randrange(12000, 30000)
        with log.open("ab") as out:
            process = subprocess.Popen(
                [program, "-H", HOST, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 30
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(f"http://{HOST}:{port}/moto-api/"):
                    yield MotoServer(port)
                    return
                time.sleep(0.1)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
            process.wait()
    pytest.fail(f"moto_server did not start: {log.read_text()[-2000:]}")


def _as_remote(item: dict[str, Any], cog: Path) -> dict[str, Any]:
    """``item`` with its ``data`` asset published at ``cog`` (a file:// source to pull)."""
    asset = dict(item["assets"]["data"])
    asset.pop("alternate", None)
    asset["href"] = cog.as_uri()
    asset["order:status"] = "succeeded"  # a delivered file, whatever the item's order says
    return item | {"assets": item["assets"] | {"data": asset}}


@dataclass(frozen=True)
class S3Copy:
    """A copy of the demo catalogue whose COG items point at their copies in the bucket."""

    root: Path
    items: list[dict[str, Any]]  # the COG items as the demo wrote them (with "_path")
    pulled: dict[str, Path]  # item id -> its item file in the copy


@pytest.fixture(scope="module")
def s3_copy(
    demo_catalog: DemoCatalog, moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> S3Copy:
    """The demo's COGs pulled by stacsync to ``s3://<bucket>/<prefix>`` on moto_server."""
    root = tmp_path_factory.mktemp("s3-copy") / "catalog"
    shutil.copytree(demo_catalog.root, root, ignore=shutil.ignore_patterns(".stacsync*"))
    cog_items = demo_catalog.cog_items()
    pulled = {}
    for raw in cog_items:
        original = Path(raw["_path"])
        item = {k: v for k, v in raw.items() if k != "_path"}
        cog = (original.parent / item["assets"]["data"]["href"]).resolve()
        copy = root / original.relative_to(demo_catalog.root)
        copy.write_text(json.dumps(_as_remote(item, cog)))
        pulled[item["id"]] = copy
    moto_server.client().create_bucket(Bucket=BUCKET)
    options = PullOptions(
        items=tuple(pulled),
        asset_keys=("data",),
        cog=False,
        dest=f"s3://{BUCKET}/{PREFIX}",
        dest_options={
            "endpoint": moto_server.endpoint,
            "access_key_id": KEYS["aws_access_key_id"],
            "secret_access_key": KEYS["aws_secret_access_key"],
            "region": REGION,
            "virtual_hosted_style_request": False,
            "client_options": {"allow_http": True},
        },
    )
    report = asyncio.run(api.pull(root, {}, options))
    assert report.ok, report.failures
    assert report.fetched == len(pulled) >= 2
    return S3Copy(root, cog_items, pulled)


def in_fresh_thread(work: Callable[[], T]) -> T:
    """Run ``work`` in a new thread: odc-stac caches one GDAL session per thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def test_stacsync_pulls_the_cogs_to_s3_and_points_the_items_there(
    s3_copy: S3Copy, moto_server: MotoServer
) -> None:
    client = moto_server.client()
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    keys = sorted(entry["Key"] for entry in listed)
    expected_keys = []
    for raw in s3_copy.items:
        pulled = json.loads(s3_copy.pulled[raw["id"]].read_text())
        href = pulled["assets"]["data"]["href"]
        parts = urlsplit(href)
        assert (parts.scheme, parts.netloc) == ("s3", BUCKET), href
        key = parts.path.lstrip("/")
        assert key.startswith(f"{PREFIX}/{raw['collection']}/{raw['id']}/")
        expected_keys.append(key)
        local = Path(raw["_path"]).parent / raw["assets"]["data"]["href"]
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert body == local.read_bytes()
        assert len(body) == pulled["assets"]["data"]["file:size"]
    assert keys == sorted(expected_keys)


def test_odc_stac_reads_the_s3_copies_with_the_local_pixels(
    s3_copy: S3Copy, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GDAL's /vsis3/ takes the endpoint and credentials from the process environment.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_NO_SIGN_REQUEST", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    settings = {
        "AWS_ACCESS_KEY_ID": KEYS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": KEYS["aws_secret_access_key"],
        "AWS_REGION": REGION,
        "AWS_S3_ENDPOINT": f"{HOST}:{moto_server.port}",
        "AWS_HTTPS": "NO",
        "AWS_VIRTUAL_HOSTING": "FALSE",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)

    for raw in s3_copy.items:
        item = pystac.Item.from_file(str(s3_copy.pulled[raw["id"]]))
        assert item.assets["data"].href.startswith(f"s3://{BUCKET}/")

        def load(item: pystac.Item = item) -> xr.Dataset:
            with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"):
                ds: xr.Dataset = odc_stac.load([item], bands=["data"], fail_on_error=True)
            return ds

        ds = in_fresh_thread(load)
        assert loaded_grid(ds) == item_grid(raw, "data"), item.id
        assert_same_raster(ds, "data", 0, Path(raw["_path"]).parent / raw["assets"]["data"]["href"])
