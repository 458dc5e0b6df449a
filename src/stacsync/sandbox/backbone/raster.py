"""The raster package of an AOI order (``Raster_<order_id>.zip``) and its files.

The zip is flat and holds, all named ``<base>.<ending>`` (manual Figure 12): ``.tif`` (uint8,
LZW, nodata 255, EPSG:3035, with the legend's colour table), ``.tfw``, ``.tif.aux.xml``
(statistics, histogram and attribute table), ``.tif.ovr`` (external overviews 2/4/8/16),
``.tif.clr``, ``.tif.vat.cpg``, ``.qml``, ``.txt`` and ``.xml``. Like the real package there is
no ``.tif.vat.dbf``.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.transform import Affine

from stacsync.sandbox.backbone.footprint import Grid
from stacsync.sandbox.backbone.legend import (
    LEGEND,
    NODATA,
    THEMATIC_VALUES,
    clr_text,
    colormap,
    legend_text,
    qml_text,
)
from stacsync.sandbox.backbone.metadata import raster_metadata_xml

OVERVIEW_LEVELS = (2, 4, 8, 16)


def class_array(grid: Grid, seed_text: str) -> np.ndarray:
    """Blocky, deterministic land-cover codes (1-11) for ``grid``."""
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    h, w = grid.height, grid.width
    block = max(2, min(h, w) // 12)
    coarse = rng.choice(
        np.asarray(THEMATIC_VALUES, dtype="uint8"), size=(-(-h // block), -(-w // block))
    )
    data: np.ndarray = np.kron(coarse, np.ones((block, block), dtype="uint8"))[:h, :w]
    return data.astype("uint8")


def geotiff_bytes(data: np.ndarray, grid: Grid) -> bytes:
    """An LZW GeoTIFF of ``data`` on ``grid`` with nodata 255 and the legend's colours."""
    profile: dict[str, object] = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": "uint8",
        "crs": f"EPSG:{grid.epsg}",
        "transform": Affine(grid.resolution, 0.0, grid.left, 0.0, -grid.resolution, grid.top),
        "nodata": NODATA,
        "compress": "lzw",
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dst:
            dst.write(data, 1)
            dst.write_colormap(1, colormap())
        result: bytes = memfile.read()
    return result


def overview_bytes(tif: bytes, workdir: Path) -> bytes:
    """The external ``.ovr`` that ``gdaladdo -ro`` writes (LZW, nearest, 2/4/8/16)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = Path(tmp) / "raster.tif"
        path.write_bytes(tif)
        with (
            rasterio.Env(TIFF_USE_OVR=True, COMPRESS_OVERVIEW="LZW"),
            rasterio.open(path, "r+") as dst,
        ):
            levels = [f for f in OVERVIEW_LEVELS if max(dst.width, dst.height) // f >= 1]
            dst.build_overviews(levels or [2], Resampling.nearest)
        return path.with_name("raster.tif.ovr").read_bytes()


def world_file(grid: Grid) -> str:
    """The ``.tfw`` world file (pixel-centre origin)."""
    res = grid.resolution
    values = [res, 0.0, 0.0, -res, grid.left + res / 2, grid.top - res / 2]
    return "".join(f"{v:.10f}\n" for v in values)


def aux_xml(data: np.ndarray) -> str:
    """GDAL's PAM ``.tif.aux.xml``: histogram, statistics and the value attribute table."""
    counts = np.bincount(data.ravel(), minlength=256)
    valid = data[data != NODATA].astype("float64")
    stats = {
        "STATISTICS_MAXIMUM": f"{valid.max():.0f}" if valid.size else "0",
        "STATISTICS_MEAN": f"{valid.mean():.14g}" if valid.size else "0",
        "STATISTICS_MINIMUM": f"{valid.min():.0f}" if valid.size else "0",
        "STATISTICS_STDDEV": f"{valid.std():.14g}" if valid.size else "0",
        "STATISTICS_VALID_PERCENT": f"{100 * valid.size / max(data.size, 1):.6g}",
    }
    rows = "\n".join(
        f'      <Row index="{i}">\n        <F>{c.value}</F>\n        <F>{counts[c.value]}</F>\n'
        f"        <F>{c.name}</F>\n      </Row>"
        for i, c in enumerate(x for x in LEGEND if x.value != NODATA)
    )
    mdi = "\n".join(f'      <MDI key="{k}">{v}</MDI>' for k, v in stats.items())
    return (
        "<PAMDataset>\n"
        '  <PAMRasterBand band="1">\n'
        "    <Histograms>\n      <HistItem>\n"
        "        <HistMin>-0.5</HistMin>\n        <HistMax>255.5</HistMax>\n"
        "        <BucketCount>256</BucketCount>\n"
        "        <IncludeOutOfRange>0</IncludeOutOfRange>\n        <Approximate>0</Approximate>\n"
        f"        <HistCounts>{'|'.join(str(int(c)) for c in counts)}</HistCounts>\n"
        "      </HistItem>\n    </Histograms>\n"
        '    <GDALRasterAttributeTable tableType="thematic">\n'
        '      <FieldDefn index="0">\n        <Name>Value</Name>\n        <Type>0</Type>\n'
        "        <Usage>5</Usage>\n      </FieldDefn>\n"
        '      <FieldDefn index="1">\n        <Name>Count</Name>\n        <Type>0</Type>\n'
        "        <Usage>1</Usage>\n      </FieldDefn>\n"
        '      <FieldDefn index="2">\n        <Name>Class_name</Name>\n        <Type>2</Type>\n'
        "        <Usage>2</Usage>\n      </FieldDefn>\n"
        f"{rows}\n"
        "    </GDALRasterAttributeTable>\n"
        f"    <Metadata>\n{mdi}\n    </Metadata>\n"
        "  </PAMRasterBand>\n"
        "</PAMDataset>\n"
    )


def raster_entries(base: str, data: np.ndarray, grid: Grid, workdir: Path) -> dict[str, bytes]:
    """Every file of a raster package, keyed by its name inside the zip."""
    tif = geotiff_bytes(data, grid)
    return {
        f"{base}.tif": tif,
        f"{base}.tfw": world_file(grid).encode(),
        f"{base}.tif.aux.xml": aux_xml(data).encode(),
        f"{base}.tif.ovr": overview_bytes(tif, workdir),
        f"{base}.tif.clr": clr_text().encode(),
        f"{base}.tif.vat.cpg": b"UTF-8",
        f"{base}.qml": qml_text().encode(),
        f"{base}.txt": legend_text().encode(),
        f"{base}.xml": raster_metadata_xml().encode(),
    }
