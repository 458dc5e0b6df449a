"""A minimal, valid OGC GeoPackage written with :mod:`sqlite3`.

GDAL via rasterio has no vector drivers, so the file is built by hand.

The file has the three required metadata tables (``gpkg_spatial_ref_sys``, ``gpkg_contents``,
``gpkg_geometry_columns``) and one feature table of MULTIPOLYGONs stored as GeoPackage binary
geometries (``GP`` header with an XY envelope, then little-endian WKB). The bytes are stable for
the same features and SQLite version (fixed ``last_change``, no spatial index).
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from rasterio.crs import CRS

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10200  # GeoPackage 1.2
LAST_CHANGE = "2022-09-29T00:00:00.000Z"

Square = tuple[float, float, float, float]
"""(left, bottom, right, top) of one square feature."""


@dataclass(frozen=True, slots=True)
class Feature:
    """One polygon feature with the emulator's attribute schema."""

    fid: int
    box: Square
    class_code: int
    area_ha: float


def _wkb_multipolygon(box: Square) -> bytes:
    left, bottom, right, top = box
    ring = [(left, bottom), (right, bottom), (right, top), (left, top), (left, bottom)]
    polygon = struct.pack("<BII", 1, 3, 1) + struct.pack("<I", len(ring))
    polygon += b"".join(struct.pack("<dd", x, y) for x, y in ring)
    return struct.pack("<BII", 1, 6, 1) + polygon


def gpkg_geometry(box: Square, srs_id: int) -> bytes:
    """A GeoPackage binary MULTIPOLYGON of one square, with its envelope."""
    left, bottom, right, top = box
    header = b"GP" + struct.pack("<BBi", 0, 0b0000_0011, srs_id)
    header += struct.pack("<dddd", left, right, bottom, top)
    return header + _wkb_multipolygon(box)


def _srs_rows(epsg: int) -> list[tuple[str, int, str, int, str, str]]:
    rows = [
        (
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system",
        ),
        (
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system",
        ),
        (
            "WGS 84 geodetic",
            4326,
            "EPSG",
            4326,
            CRS.from_epsg(4326).to_wkt(),
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
        ),
    ]
    if epsg != 4326:
        crs = CRS.from_epsg(epsg)
        rows.append((f"EPSG:{epsg}", epsg, "EPSG", epsg, crs.to_wkt(), ""))
    return rows


_SCHEMA = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""


def geopackage_bytes(layer: str, epsg: int, features: Sequence[Feature]) -> bytes:
    """The bytes of a GeoPackage with one MULTIPOLYGON layer ``layer`` in ``EPSG:epsg``."""
    con = sqlite3.connect(":memory:")
    try:
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {USER_VERSION}")
        con.executescript(_SCHEMA)
        con.executemany(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", _srs_rows(epsg)
        )
        boxes = [f.box for f in features]
        extent = (
            (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            if boxes
            else (None, None, None, None)
        )
        con.execute(
            "INSERT INTO gpkg_contents VALUES (?, 'features', ?, '', ?, ?, ?, ?, ?, ?)",
            (layer, layer, LAST_CHANGE, *extent, epsg),
        )
        con.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'MULTIPOLYGON', ?, 0, 0)",
            (layer, epsg),
        )
        quoted = '"' + layer.replace('"', '""') + '"'
        con.execute(
            f"CREATE TABLE {quoted} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
            "geom MULTIPOLYGON, ID INTEGER, CLASS INTEGER, AREA_HA REAL)"
        )
        con.executemany(
            f"INSERT INTO {quoted} (fid, geom, ID, CLASS, AREA_HA) VALUES (?, ?, ?, ?, ?)",  # noqa: S608
            [(f.fid, gpkg_geometry(f.box, epsg), f.fid, f.class_code, f.area_ha) for f in features],
        )
        con.commit()
        data: bytes = con.serialize()
    finally:
        con.close()
    return data
