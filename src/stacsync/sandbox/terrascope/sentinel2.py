"""Sentinel-2 products of the emulator: ``terrascope-s2-toc-v2`` and ``terrascope-s2-ndvi-v2``.

Items follow the captured STAC 1.1 TOC item (asset keys, roles, raster/projection fields,
``alternate.local.href``, ``auth:refs``); the rasters are small deterministic stand-ins whose
``proj:shape``/``proj:transform`` describe the served files (the 109.8 km tile at
``raster_size`` pixels for 10 m bands, half of that for 20 m, a sixth for 60 m).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stacsync.sandbox.rasters import RasterSpec
from stacsync.sandbox.terrascope.products import (
    COG_TYPE,
    DOWNLOAD_PREFIX,
    LOCAL_ROOT,
    PREVIEW_PREFIX,
    AssetFile,
    Product,
    footprint,
    number,
    proj_geometry,
    rfc3339,
)
from stacsync.sandbox.terrascope.sentinel2_specs import (
    ACQUISITIONS,
    AUXILIARY,
    REFLECTANCE,
    S2_EXTENSIONS,
    TILE_SIZE,
    TILES,
    TOC_ORDER,
    Tile,
)

TOC_COLLECTION = "terrascope-s2-toc-v2"
NDVI_COLLECTION = "terrascope-s2-ndvi-v2"
VERSION = "V210"


def pixels(raster_size: int, resolution: float) -> int:
    """Pixels per side of a band of nominal ``resolution`` metres in the sandbox."""
    if resolution <= 10:
        return raster_size
    return max(8, int(raster_size * 10 // resolution))


def file_seed(seed: int, path: str) -> int:
    """A raster seed derived from the sandbox seed and the file path."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{path}".encode()).digest()[:4], "big")


def _fraction(seed: int, text: str) -> float:
    digest = hashlib.sha256(f"{seed}:{text}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


@dataclass(frozen=True)
class _Context:
    """What every asset of one product needs."""

    tile: Tile
    folder: str
    """``Sentinel2/TOC_V2/2024/05/16/<product>``."""
    local_folder: str
    prefix: str
    """``S2A_20240516T103021_31TGM``."""
    created: datetime
    raster_size: int
    seed: int

    def grid(self, resolution: float, size: int | None = None) -> tuple[int, float, list[Any]]:
        """Pixels, pixel size and ``proj:transform`` of a band."""
        n = size if size is not None else pixels(self.raster_size, resolution)
        res = TILE_SIZE / n
        left, _, _, top = self.tile.bounds
        affine = [number(res), 0, number(left), 0, number(-res), number(top), 0, 0, 1]
        return n, res, affine

    def spec(self, path: str, resolution: float, **kwargs: Any) -> tuple[RasterSpec, Any]:
        """The raster of a band and its projection fields."""
        n, res, affine = self.grid(resolution, kwargs.pop("size", None))
        left, _, _, top = self.tile.bounds
        spec = RasterSpec(
            width=n,
            height=n,
            epsg=self.tile.epsg,
            origin=(left, top),
            resolution=res,
            seed=file_seed(self.seed, path),
            **kwargs,
        )
        return spec, {"proj:shape": [n, n], "proj:transform": affine}

    def updated(self, index: int) -> str:
        """The asset ``updated`` timestamp of the ``index``-th file."""
        return rfc3339(self.created - timedelta(seconds=50 - 0.61 * index))

    def raster(
        self,
        key: str,
        filename: str,
        resolution: float,
        head: dict[str, Any],
        fields: dict[str, Any],
        index: int,
        *,
        protected: bool = True,
        gsd: bool = True,
        opensearch: tuple[str, str, str | None] | None = None,
        **spec_kwargs: Any,
    ) -> AssetFile:
        """A GeoTIFF asset of this product."""
        path = f"{DOWNLOAD_PREFIX}{self.folder}/{filename}"
        spec, proj = self.spec(path, resolution, **spec_kwargs)
        tail = {"updated": self.updated(index), **fields, **proj}
        if gsd and resolution > 10:
            tail["gsd"] = int(resolution)
        return AssetFile(
            key=key,
            path=path,
            media_type=COG_TYPE,
            head=head,
            tail=tail,
            local_path=f"{self.local_folder}/{filename}",
            protected=protected,
            spec=spec,
            opensearch=opensearch,
        )


def _raster_fields(dtype: str, scale: float, nodata: int | None, unit: str | None) -> Any:
    fields: dict[str, Any] = {
        "data_type": dtype,
        "raster:scale": scale,
        "raster:offset": 0,
        "raster:sampling": "area",
    }
    if nodata is not None:
        fields["nodata"] = nodata
    if unit is not None:
        fields["unit"] = unit
    return fields


def _toc_assets(ctx: _Context, product_id: str, collection: str) -> list[AssetFile]:
    assets: dict[str, AssetFile] = {}
    p = ctx.prefix
    for key, (common, centre, fwhm, res, wavelength) in REFLECTANCE.items():
        name = f"{p}_TOC-{key}_{res}M_{VERSION}.tif"
        band = key.replace("B0", "Band0").replace("B1", "Band1").replace("B8A", "Band8A")
        head = {
            "title": key,
            "description": f"S2-MSI {band}, {res}M resolution, "
            f"Top Of Canopy Reflectance at {wavelength}",
            "roles": ["data"],
        }
        fields = _raster_fields("int16", 0.0001, 32767, "-")
        fields["bands"] = [
            {
                "name": key,
                "eo:common_name": common,
                "eo:center_wavelength": centre,
                "eo:full_width_half_max": fwhm,
            }
        ]
        assets[key] = ctx.raster(
            key, name, res, head, fields, len(assets),
            opensearch=("data", f"TOC-{key}_{res}M", None),
            dtype="int16", nodata=32767, value_range=(100, 4000),
        )  # fmt: skip
    for key, (infix, res, dtype, scale, nodata, unit, text, span) in AUXILIARY.items():
        name = f"{p}_{infix}_{res}M_{VERSION}.tif"
        head = {
            "title": key,
            "description": f"{text} at native {res}M resolution",
            "roles": ["data"],
        }
        fields = {**_raster_fields(dtype, scale, nodata, unit), "bands": [{"name": key}]}
        assets[key] = ctx.raster(
            key, name, res, head, fields, len(assets),
            opensearch=("related", f"{infix}_{res}M", "QUALITY"),
            dtype=dtype, nodata=nodata, value_range=span,
        )  # fmt: skip
    scl_fields = {**_raster_fields("uint8", 1, None, None), "bands": [{"name": "SCL"}]}
    assets["SCL"] = ctx.raster(
        "SCL", f"{p}_SCENECLASSIFICATION_20M_{VERSION}.tif", 20,
        {"title": "SCL", "description": "Scene classification generated by Sen2Cor",
         "roles": ["data-mask"]},
        scl_fields, len(assets),
        opensearch=("related", "SCENECLASSIFICATION_20M", "QUALITY"),
        dtype="uint8", values=(4, 5, 6, 8, 9, 10),
    )  # fmt: skip
    assets["CLOUDMASK"] = ctx.raster(
        "CLOUDMASK", f"{p}_CLOUDMASK_20M_{VERSION}.tif", 20,
        {"title": "CLOUDMASK", "roles": ["data-mask", "cloud"]},
        _raster_fields("uint8", 1, 255, None), len(assets),
        dtype="uint8", nodata=255, values=(0, 1),
    )  # fmt: skip
    quicklook = max(8, ctx.raster_size * 686 // 10980)
    assets["QUICKLOOK"] = ctx.raster(
        "QUICKLOOK", f"{p}_TOC_QUICKLOOK_{VERSION}.tif", TILE_SIZE / quicklook,
        {"title": "QUICKLOOK", "roles": ["thumbnail"]},
        _raster_fields("uint8", 1, 255, None), len(assets),
        protected=False, gsd=False, opensearch=("previews", "", "QUICKLOOK"),
        size=quicklook, dtype="uint8", nodata=255, value_range=(10, 240),
    )  # fmt: skip
    assets["metadata"] = _metadata(ctx, product_id, len(assets))
    assets["preview"] = _preview(collection, product_id, "assets=B04&assets=B03&assets=B02")
    return [assets[key] for key in TOC_ORDER]


def _metadata(ctx: _Context, product_id: str, index: int) -> AssetFile:
    name = f"{product_id}.xml"
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" '
        'xmlns:gco="http://www.isotc211.org/2005/gco">\n'
        f"  <gmd:fileIdentifier><gco:CharacterString>{product_id}"
        "</gco:CharacterString></gmd:fileIdentifier>\n"
        f"  <gmd:dateStamp><gco:DateTime>{rfc3339(ctx.created, digits=0)}"
        "</gco:DateTime></gmd:dateStamp>\n"
        "</gmd:MD_Metadata>\n"
    )
    return AssetFile(
        key="metadata",
        path=f"{DOWNLOAD_PREFIX}{ctx.folder}/{name}",
        media_type="application/xml",
        head={"title": "metadata", "description": "INSPIRE metadata", "roles": ["metadata"]},
        tail={"updated": ctx.updated(index)},
        local_path=f"{ctx.local_folder}/{name}",
        protected=False,
        text=text,
        opensearch=("alternates", "Inspire metadata", None),
    )


def _preview(collection: str, product_id: str, bands: str) -> AssetFile:
    rescale = "&".join(["rescale=200,1600"] * bands.count("assets="))
    return AssetFile(
        key="preview",
        path=f"{PREVIEW_PREFIX}collections/{collection}/items/{product_id}/preview",
        query=f"{bands}&format=png&max_size=256&{rescale}",
        media_type="image/png",
        head={
            "title": "Preview",
            "description": "Preview image",
            "roles": ["thumbnail", "overview"],
        },
        tail={"proj:shape": [256, 256], "proj:code": None},
        protected=False,
        sized=False,
    )


def absolute_orbit(platform: str, sensed: datetime) -> int:
    """``sat:absolute_orbit`` of an overpass (14.3 orbits a day from a 2024 reference)."""
    days = (sensed.date() - datetime(2024, 1, 1).date()).days
    return (44600 if platform == "S2A" else 35700) + days * 143 // 10


def cloud_cover(seed: int, product_id: str) -> float:
    """``eo:cloud_cover`` of a product (0-60 %, drawn from its id)."""
    return round(_fraction(seed, product_id) * 60, 2)


def _properties(
    product_id: str, platform: str, sensed: datetime, tile: Tile, ctx: _Context, kind: str
) -> dict[str, Any]:
    absolute = absolute_orbit(platform, sensed)
    cloud = cloud_cover(ctx.seed, product_id)
    return {
        "title": product_id,
        "datetime": rfc3339(sensed),
        "created": rfc3339(ctx.created),
        "updated": rfc3339(ctx.created + timedelta(seconds=0.42)),
        "start_datetime": rfc3339(sensed),
        "end_datetime": rfc3339(sensed),
        "providers": [
            {"name": "ESA", "roles": ["producer"], "url": "https://earth.esa.int/"},
            {"name": "VITO", "roles": ["processor", "host"], "url": "https://terrascope.be/"},
        ],
        "platform": f"sentinel-2{platform[-1].lower()}",
        "instruments": ["msi"],
        "constellation": "sentinel-2",
        "gsd": 10,
        "eo:cloud_cover": number(cloud),
        "sat:absolute_orbit": absolute,
        "sat:relative_orbit": 108,
        "sat:orbit_state": "descending",
        "product:type": kind,
        "mgrs:utm_zone": int(tile.name[:2]),
        "mgrs:latitude_band": tile.name[2],
        "mgrs:grid_square": tile.name[3:],
        "grid:code": f"MGRS-{tile.name}",
        "processing:facility": "VITO",
        "processing:datetime": rfc3339(ctx.created - timedelta(seconds=4.45), digits=3),
        "processing:version": VERSION[1:],
        "image_refining": True,
        "proj:code": f"EPSG:{tile.epsg}",
        "proj:geometry": proj_geometry(tile.bounds),
        "proj:bbox": [number(v) for v in tile.bounds],
        "processing:software": {"sentinel2_terrascope": "1.1.0"},
    }


def _ndvi_assets(ctx: _Context, product_id: str) -> list[AssetFile]:
    head = {
        "title": "NDVI",
        "description": "Normalized Difference Vegetation Index, 10M resolution",
        "roles": ["data"],
    }
    fields = {
        "data_type": "uint8",
        "raster:scale": 0.004,
        "raster:offset": -0.08,
        "raster:sampling": "area",
        "nodata": 255,
        "unit": "-",
        "bands": [{"name": "NDVI"}],
    }
    ndvi = ctx.raster(
        "NDVI", f"{product_id}.tif", 10, head, fields, 0,
        opensearch=("data", "NDVI_10M", None),
        dtype="uint8", nodata=255, value_range=(5, 245),
    )  # fmt: skip
    return [ndvi, _metadata(ctx, product_id.replace("_10M", ""), 1)]


def s2_product(
    kind: str,
    platform: str,
    sensed: datetime,
    tile: Tile,
    *,
    seed: int,
    raster_size: int,
    footprint_of: tuple[Any, tuple[float, float, float, float]] | None = None,
) -> Product:
    """One S2 product of ``kind`` (``TOC`` or ``NDVI``) for an overpass of ``tile``.

    ``footprint_of`` is the tile's lon/lat (geometry, bbox) when the caller already has it
    (reprojecting the corners is the slow part of building a product).
    """
    stamp = sensed.strftime("%Y%m%dT%H%M%S")
    day = sensed.strftime("%Y/%m/%d")
    created = sensed + timedelta(hours=12, minutes=33, seconds=34.594)
    geometry, bbox = footprint_of or footprint(tile.epsg, tile.bounds)
    prefix = f"{platform}_{stamp}_{tile.name}"
    collection, folder_name = (
        (TOC_COLLECTION, "TOC_V2") if kind == "TOC" else (NDVI_COLLECTION, "NDVI_V2")
    )
    folder_id = f"{prefix}_{kind}_{VERSION}"
    ctx = _Context(
        tile=tile,
        folder=f"Sentinel2/{folder_name}/{day}/{folder_id}",
        local_folder=f"{LOCAL_ROOT}TERRASCOPE_Sentinel2/{folder_name}/{day}/{folder_id}",
        prefix=prefix,
        created=created,
        raster_size=raster_size,
        seed=seed,
    )
    if kind == "TOC":
        product_id = folder_id
        assets = _toc_assets(ctx, product_id, collection)
    else:
        product_id = f"{prefix}_NDVI_10M_{VERSION}"
        assets = _ndvi_assets(ctx, product_id)
    properties = _properties(product_id, platform, sensed, tile, ctx, kind)
    return Product(
        collection=collection,
        id=product_id,
        datetime=sensed,
        geometry=geometry,
        bbox=bbox,
        properties=properties,
        stac_extensions=S2_EXTENSIONS,
        assets=tuple(assets),
        opensearch={
            "platform": platform,
            "tile": tile.name,
            "version": VERSION,
            "product_type": kind,
            "cloud": properties["eo:cloud_cover"],
            "orbit": properties["sat:absolute_orbit"],
            "created": created,
        },
    )


def sentinel2_products(seed: int, raster_size: int) -> list[Product]:
    """Every S2 TOC and NDVI product of the emulator."""
    products: list[Product] = []
    for platform, sensed in ACQUISITIONS:
        for tile in TILES:
            shape = footprint(tile.epsg, tile.bounds)
            for kind in ("TOC", "NDVI"):
                products.append(
                    s2_product(
                        kind,
                        platform,
                        sensed,
                        tile,
                        seed=seed,
                        raster_size=raster_size,
                        footprint_of=shape,
                    )
                )
    return products
