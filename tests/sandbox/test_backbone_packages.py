"""The Backbone emulator's generated packages, AOI arithmetic, token lifetime and faults."""

from __future__ import annotations

import ctypes
import glob
import io
import math
import os
import sqlite3
import struct
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile
from rasterio.warp import transform_bounds

from stacsync.sandbox import (
    FaultOptions,
    ProviderOptions,
    SandboxClock,
    SandboxOptions,
    running_sandbox,
)
from stacsync.sandbox.backbone.aoi import WktError, area_km2, parse_wkt
from stacsync.sandbox.backbone.archive import ZIP_DATE
from stacsync.sandbox.backbone.geopackage import APPLICATION_ID
from stacsync.sandbox.backbone.orders import OrderBook, Status
from stacsync.sandbox.backbone.packages import order_package
from tests.sandbox.backbone_http import DATA, call, same_shape, sample

AOI = sample("gen1_get_product_request_example.json")["aoi"]


def make_order(tmp_path: Path, product: str, aoi: str = AOI) -> tuple[bytes, str]:
    book = OrderBook(SandboxClock(), 1.0, seed=7)
    o = book.create(
        service="get_product",
        product=product,
        user_id="u",
        payload={"aoi": aoi},
        aoi=parse_wkt(aoi),
    )
    data = order_package(o, seed=7, raster_size=128, workdir=tmp_path)
    return data, o.order_id


# -- AOI arithmetic ------------------------------------------------------------------------------


def test_area_of_the_manual_example() -> None:
    assert f"{area_km2(parse_wkt(AOI)):.2f} km2" == "7766.19 km2"


def test_wkt_variants() -> None:
    square = parse_wkt(
        "POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0), "
        "(0.25 0.25, 0.75 0.25, 0.75 0.75, 0.25 0.75, 0.25 0.25))"
    )
    full = parse_wkt("polygon z ((0 0 5, 1 0 5, 1 1 5, 0 1 5, 0 0 5))")
    assert math.isclose(area_km2(square), area_km2(full) * 0.75, rel_tol=1e-3)
    assert area_km2(parse_wkt("POINT (10 50)")) == 0
    assert parse_wkt("MULTIPOLYGON EMPTY").bounds is None
    assert area_km2(parse_wkt("POLYGON ((0 80, 1 80, 1 90, 0 90, 0 80))")) == math.inf
    for bad in (
        "POLYGON ((1 2, 3 4",
        "CIRCLE (1 2)",
        "POLYGON ((0 0, 1 0, 1 1, 0 0.5))",
        "POLYGON ((a b))",
    ):
        with pytest.raises(WktError):
            parse_wkt(bad)


def test_order_status_timeline() -> None:
    clock = SandboxClock(start=0)
    book = OrderBook(clock, 3.0, seed=1)
    raster = book.create(service="get_product", product="Raster", user_id="u", payload={})
    vector = book.create(service="get_product", product="Vector", user_id="u", payload={})
    assert raster.order_id != vector.order_id and len(raster.order_id) == 32
    seen = []
    for _ in range(6):
        seen.append((book.status(raster).value, book.status(vector).value))
        clock.advance(3.0)
    assert seen == [
        ("RECEIVED", "RECEIVED"),
        ("QUEUED", "QUEUED"),
        ("RUNNING", "RUNNING"),
        ("SUCCESS", "RUNNING"),
        ("SUCCESS", "SUCCESS"),
        ("SUCCESS", "SUCCESS"),
    ]
    book.queued = False
    assert (
        book.status(book.create(service="get_product", product="Raster", user_id="u", payload={}))
        is Status.RECEIVED
    )


# -- raster package ------------------------------------------------------------------------------


def test_raster_package_contents(tmp_path: Path) -> None:
    data, order_id = make_order(tmp_path, "Raster")
    archive = zipfile.ZipFile(io.BytesIO(data))
    listed = [
        line.split("|")[0].strip().replace("7725deb0346c7ac7519452ba8435d0f3", order_id)
        for line in (DATA / "gen1_raster_zip_filelist_example.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert archive.namelist() == sorted(listed)
    assert all(info.date_time == ZIP_DATE for info in archive.infolist())
    base = f"Raster_{order_id}"
    tif = archive.read(f"{base}.tif")
    with MemoryFile(tif) as memfile, memfile.open() as src:
        assert src.dtypes == ("uint8",) and src.nodata == 255
        assert src.crs.to_epsg() == 3035
        assert src.res[0] % 10 == 0 and src.res[0] == src.res[1]
        assert max(src.width, src.height) <= 130
        assert src.profile["compress"] == "lzw"
        cmap = src.colormap(1)
        assert (
            cmap[1] == (255, 0, 0, 255)
            and cmap[10] == (0, 128, 255, 255)
            and cmap[254] == (230, 230, 230, 255)
        )
        band = src.read(1)
        wanted = transform_bounds("EPSG:4326", "EPSG:3035", *parse_wkt(AOI).bounds)
        left, bottom, right, top = src.bounds
        assert left <= wanted[0] and bottom <= wanted[1] and right >= wanted[2] and top >= wanted[3]
    values = set(np.unique(band).tolist())
    assert 255 in values and values - {255} <= set(range(1, 12)) and len(values) > 3
    assert (
        band[0, 0] == 255 and band[band.shape[0] // 2, band.shape[1] // 2] != 255
    )  # clipped to the AOI

    (tmp_path / "x.tif").write_bytes(tif)
    (tmp_path / "x.tif.ovr").write_bytes(archive.read(f"{base}.tif.ovr"))
    with rasterio.open(tmp_path / "x.tif") as src:
        assert src.overviews(1)[:2] == [2, 4]
    tfw = [float(v) for v in archive.read(f"{base}.tfw").decode().split()]
    assert tfw[0] == -tfw[3] == src.res[0] and tfw[4] == src.bounds.left + src.res[0] / 2
    aux = ET.fromstring(archive.read(f"{base}.tif.aux.xml"))
    counts = aux.find(".//HistCounts").text.split("|")
    assert len(counts) == 256 and sum(map(int, counts)) == band.size
    assert archive.read(f"{base}.tif.vat.cpg") == b"UTF-8"
    clr = archive.read(f"{base}.tif.clr").decode().splitlines()
    assert clr[0] == "1 255 0 0" and len(clr) == 14
    assert "Woody needle leaved trees" in archive.read(f"{base}.txt").decode()
    ET.fromstring(archive.read(f"{base}.qml"))
    assert "10.2909/cd534ebf-f553-42f0-9ac1-62c1dc36d32c" in archive.read(f"{base}.xml").decode()
    legend = sample("clcplus_backbone_raster_legend_derived.json")["classes"]
    for entry in legend:
        assert cmap[entry["value"]][:3] == tuple(entry["rgb"])


def test_packages_are_deterministic(tmp_path: Path) -> None:
    for product in ("Raster", "Vector"):
        first, _ = make_order(tmp_path, product)
        second, _ = make_order(tmp_path, product)
        assert first == second


# -- vector package -------------------------------------------------------------------------------


def _gdal() -> ctypes.CDLL | None:
    libdir = os.path.join(os.path.dirname(rasterio.__file__), os.pardir, "rasterio.libs")
    found = glob.glob(os.path.join(libdir, "libgdal*.so*"))
    return ctypes.CDLL(found[0]) if found else None


def test_vector_geopackage_is_valid(tmp_path: Path) -> None:
    data, _ = make_order(tmp_path, "Vector")
    archive = zipfile.ZipFile(io.BytesIO(data))
    gpkgs = [n for n in archive.namelist() if n.endswith(".gpkg")]
    assert gpkgs
    path = tmp_path / "pu.gpkg"
    path.write_bytes(archive.read(gpkgs[0]))
    layer = gpkgs[0].split("/")[1].removesuffix(".gpkg")
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
        assert con.execute("SELECT data_type, srs_id FROM gpkg_contents").fetchall() == [
            ("features", 3035)
        ]
        assert con.execute("SELECT geometry_type_name FROM gpkg_geometry_columns").fetchone() == (
            "MULTIPOLYGON",
        )
        rows = con.execute(f'SELECT geom, CLASS FROM "{layer}"').fetchall()
    finally:
        con.close()
    assert rows and all(1 <= c <= 11 for _, c in rows)
    magic, version, flags, srs = struct.unpack("<2sBBi", rows[0][0][:8])
    assert (magic, version, flags, srs) == (b"GP", 0, 3, 3035)

    lib = _gdal()
    if lib is None:
        pytest.skip("rasterio's bundled libgdal not found")
    lib.GDALAllRegister()
    lib.GDALOpenEx.restype = ctypes.c_void_p
    lib.GDALOpenEx.argtypes = [
        ctypes.c_char_p,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    lib.GDALDatasetGetLayer.restype = ctypes.c_void_p
    lib.GDALDatasetGetLayer.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.GDALDatasetGetLayerCount.argtypes = [ctypes.c_void_p]
    lib.OGR_L_GetFeatureCount.restype = ctypes.c_longlong
    lib.OGR_L_GetFeatureCount.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.GDALClose.argtypes = [ctypes.c_void_p]
    dataset = lib.GDALOpenEx(str(path).encode(), 0x04, None, None, None)  # GDAL_OF_VECTOR
    assert dataset, "GDAL cannot open the GeoPackage"
    try:
        assert lib.GDALDatasetGetLayerCount(dataset) == 1
        assert lib.OGR_L_GetFeatureCount(lib.GDALDatasetGetLayer(dataset, 0), 1) == len(rows)
    finally:
        lib.GDALClose(dataset)


# -- token lifetime override and fault bodies ----------------------------------------------------


@pytest.fixture(scope="module")
def short_lived() -> Iterator[dict[str, dict[str, str]]]:
    options = SandboxOptions(
        providers=("backbone",),
        backbone=ProviderOptions(
            token_lifetime=60,
            faults=FaultOptions(error_rate=1.0, path_prefix="/v1/products/nations"),
        ),
    )
    with running_sandbox(options) as box:
        yield {
            "ep": box.endpoints()["backbone"],
            "creds": box.credentials()["backbone"],
            "box": box,
        }  # type: ignore[dict-item]


def test_token_lifetime_override(short_lived: dict[str, object]) -> None:
    ep, creds, box = short_lived["ep"], short_lived["creds"], short_lived["box"]
    reply = call(
        "POST", ep["token"], {"user_id": creds["user_id"], "client_secret": creds["client_secret"]}
    )
    body = reply.json()
    assert body["expires_in"] == "60"
    status_url = f"{ep['order_status']}/{'0' * 32}"
    assert call("GET", status_url, token=body["access_token"]).status == 404
    box.clock.advance(61)
    reply = call("GET", status_url, token=body["access_token"])
    assert reply.status == 401
    assert reply.json()["message"]["error_definition"]["message"].startswith("invalid_token: ")


# The core fault middleware stores its marker under a str key, which aiohttp 3.14 warns about.
@pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
def test_injected_fault_uses_the_envelope(short_lived: dict[str, object]) -> None:
    ep = short_lived["ep"]
    reply = call("GET", ep["api"] + "/products/nations")
    case = next(
        c for c in sample("gen1_error_responses_inferred.json")["cases"] if c["http_status"] == 503
    )
    assert reply.status == 503
    same_shape(case["body"], reply.json())
    assert reply.json() == case["body"]
