"""CLC+ Backbone orders to STAC 1.1.0: collections per delivery kind, one item per order.

Collections: ``clc-backbone-2018-raster`` and ``clc-backbone-2018-vector`` (AOI orders),
``clc-backbone-2018-national`` (national products, in their national CRS) and
``clc-backbone-2018-europe`` (the pan-European raster). Items carry the product's dates (the
Sentinel-2 input period, the EEA publication date), never the clock's; their ids come from the
request key. AOI results are also in the S3 bucket ``dissemination`` under the bare file name:
that location is an alternate asset described with the storage extension.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stacsync.errors import OrderFailedError
from stacsync.providers.backbone.aoi import parse_aoi
from stacsync.providers.backbone.constants import (
    DESCRIPTION,
    EUROPE_BBOX,
    EUROPE_CRS,
    KEYWORDS,
    LICENSE,
    LICENSE_URL,
    PRODUCT_PAGE,
    PROVIDER,
    PROVIDER_ID,
    PROVIDERS,
    RASTER_2018,
    VECTOR_2018,
    Release,
)
from stacsync.providers.backbone.legend import LEGEND_2018
from stacsync.providers.backbone.nations import NATIONS, nation, parse_national_file
from stacsync.providers.backbone.records import OrderState, OrderStatus
from stacsync.providers.backbone.requests import OrderKind, OrderRequest, request_key
from stacsync.providers.payload import stac_datetime

STAC_VERSION = "1.1.0"
PROJECTION = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
CLASSIFICATION = "https://stac-extensions.github.io/classification/v2.0.0/schema.json"
SCIENTIFIC = "https://stac-extensions.github.io/scientific/v1.0.0/schema.json"
ORDER = "https://stac-extensions.github.io/order/v1.1.0/schema.json"
ALTERNATE = "https://stac-extensions.github.io/alternate-assets/v1.2.0/schema.json"
STORAGE = "https://stac-extensions.github.io/storage/v2.0.0/schema.json"
COLLECTIONS: tuple[str, ...] = ("raster", "vector", "national", "europe")
"""The delivery kinds, one collection each."""
COLLECTION_LINK = {"rel": "collection", "href": "../collection.json", "type": "application/json"}
ZIP = "application/zip"
GEOTIFF = "image/tiff; application=geotiff"
GSD = 10.0


@dataclass(frozen=True)
class S3Storage:
    """The S3 service that holds AOI results (the manual's boto3 example by default)."""

    endpoint: str = "https://cf2.cloudferro.com:8080"
    bucket: str = "dissemination"
    region: str = "eu-central-1"
    name: str = "cloudferro"
    """The key of the ``storage:schemes`` entry."""

    def scheme(self) -> dict[str, Any]:
        """The ``storage:schemes`` entry (storage extension v2, a custom S3 platform)."""
        return {
            "type": "custom-s3",
            "platform": f"{self.endpoint.rstrip('/')}/{{bucket}}",
            "bucket": self.bucket,
            "region": self.region,
            "requester_pays": False,
        }

    def href(self, key: str) -> str:
        """``s3://<bucket>/<key>``."""
        return f"s3://{self.bucket}/{key}"


DEFAULT_STORAGE = S3Storage()


def collection_key(request: OrderRequest) -> str:
    """Which collection an order's item belongs to (one of :data:`COLLECTIONS`)."""
    if request.kind is OrderKind.AOI:
        return "vector" if request.product == "Vector" else "raster"
    return request.kind.value


def collection_id(key: str) -> str:
    """``clc-backbone-2018-<key>``."""
    if key not in COLLECTIONS:
        raise ValueError(f"unknown CLC+ Backbone collection {key!r}; expected one of {COLLECTIONS}")
    return f"{PROVIDER_ID}-{RASTER_2018.year}-{key}"


def _polygon(bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    west, south, east, north = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _links(release: Release) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = [
        {"rel": "license", "href": LICENSE_URL, "type": "text/html", "title": "Data policy"},
        {"rel": "about", "href": PRODUCT_PAGE, "type": "text/html", "title": release.title},
    ]
    if release.doi:
        links.append({"rel": "cite-as", "href": f"https://doi.org/{release.doi}"})
    return links


def _classes() -> list[dict[str, Any]]:
    return [c.stac() for c in LEGEND_2018]


def item_id(request: OrderRequest) -> str:
    """The id of the item an order becomes (stable for the same request)."""
    return f"{collection_id(collection_key(request))}-{request_key(request)}"


def collection_for(key: str) -> dict[str, Any]:
    """The STAC Collection of a delivery kind (``raster``, ``vector``, ``national``, ``europe``)."""
    release = VECTOR_2018 if key == "vector" else RASTER_2018
    titles = {
        "raster": "CLC+ Backbone 2018 raster, AOI orders",
        "vector": "CLC+ Backbone 2018 vector, AOI orders",
        "national": "CLC+ Backbone 2018, national products",
        "europe": "CLC+ Backbone 2018 raster, Europe",
    }
    extensions = {PROJECTION}
    if key == "national":
        codes = sorted({n.crs for n in NATIONS.values() if n.crs}, key=lambda c: int(c[5:]))
    else:
        codes = [EUROPE_CRS]
    summaries: dict[str, Any] = {"proj:code": codes}
    if key != "vector":
        summaries["gsd"] = [GSD]
    collection: dict[str, Any] = {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "id": collection_id(key),
        "title": titles[key],
        "description": DESCRIPTION,
        "keywords": list(KEYWORDS),
        "license": LICENSE,
        "providers": [dict(p) for p in PROVIDERS],
        "extent": {
            "spatial": {"bbox": [list(EUROPE_BBOX)]},
            "temporal": {"interval": [[stac_datetime(release.start), stac_datetime(release.end)]]},
        },
        "summaries": summaries,
        "links": _links(release),
        "created": stac_datetime(release.published),
        "updated": stac_datetime(release.published),
    }
    if key in {"raster", "europe"}:
        collection["item_assets"] = {
            "data": {"roles": ["data"], "title": "Land cover", "classification:classes": _classes()}
        }
        extensions.add(CLASSIFICATION)
    if release.doi and key != "national":
        collection["sci:doi"] = release.doi
        extensions.add(SCIENTIFIC)
    collection["stac_extensions"] = sorted(extensions)
    return collection


def _crs(request: OrderRequest, status: OrderStatus) -> str | None:
    if request.kind is not OrderKind.NATIONAL:
        return EUROPE_CRS
    parsed = parse_national_file(status.file_name or "")
    if parsed is not None:
        return parsed.crs
    row = nation(request.nation or "")
    return row.crs if row is not None else None


def item_from_order(
    request: OrderRequest,
    status: OrderStatus,
    *,
    storage: S3Storage = DEFAULT_STORAGE,
    updated: datetime | None = None,
    ordered: datetime | None = None,
) -> dict[str, Any]:
    """The Item of a delivered order.

    Args:
        request: What was ordered (gives the id, geometry and CRS).
        status: The final status (AOI) or the synchronous result (national, Europe).
        storage: The S3 service that mirrors AOI results.
        updated: When the provider last changed the result (e.g. its ``Last-Modified``);
            the product's publication date otherwise.
        ordered: When the order was placed, if the caller recorded the provider's ``Date``.

    Raises:
        OrderFailedError: The order did not succeed.
    """
    if status.state is not OrderState.SUCCEEDED or not status.result:
        order = status.order_id or request_key(request)
        raise OrderFailedError(PROVIDER, order, f"status {status.status}, no product")
    raster = request.kind is OrderKind.EUROPE or request.product == "Raster"
    release = RASTER_2018 if raster else VECTOR_2018
    key = collection_key(request)
    extensions = {PROJECTION, ORDER}
    properties: dict[str, Any] = {
        "datetime": None,
        "start_datetime": stac_datetime(release.start),
        "end_datetime": stac_datetime(release.end),
        "created": stac_datetime(release.published),
        "updated": stac_datetime(updated or release.published),
        "proj:code": _crs(request, status),
        "order:status": "succeeded",
        "clcplus:product": "Raster" if raster else "Vector",
        "clcplus:request_key": request_key(request),
    }
    if status.order_id:
        properties["order:id"] = status.order_id
    if ordered is not None:
        properties["order:date"] = stac_datetime(ordered)
    if request.nation:
        properties["clcplus:nation"] = request.nation.strip().title()
    if raster:
        properties["gsd"] = GSD
    if release.doi and raster:
        properties["sci:doi"] = release.doi
        extensions.add(SCIENTIFIC)
    name = status.file_name or ""
    asset: dict[str, Any] = {
        "href": status.result if status.is_url else storage.href(name),
        "type": GEOTIFF if name.lower().endswith((".tif", ".tiff")) else ZIP,
        "title": name,
        "roles": ["data"],
    }
    if raster:
        asset["classification:classes"] = _classes()
        extensions.add(CLASSIFICATION)
    if request.kind is OrderKind.AOI and name:
        properties["storage:schemes"] = {storage.name: storage.scheme()}
        if status.is_url:
            asset["alternate:name"] = "HTTPS"
            asset["alternate"] = {
                "s3": {
                    "href": storage.href(name),
                    "alternate:name": "S3",
                    "storage:refs": [storage.name],
                }
            }
            extensions.add(ALTERNATE)
        else:
            asset["storage:refs"] = [storage.name]
        extensions.add(STORAGE)
    geometry: dict[str, Any] | None = None
    bbox: list[float] | None = None
    if request.kind is OrderKind.AOI and request.aoi:
        aoi = parse_aoi(request.aoi)
        geometry, bbox = aoi.geometry(), list(aoi.bbox)
    elif request.kind is OrderKind.EUROPE:
        geometry, bbox = _polygon(EUROPE_BBOX), list(EUROPE_BBOX)
    item: dict[str, Any] = {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": sorted(extensions),
        "id": item_id(request),
        "collection": collection_id(key),
        "geometry": geometry,
        "properties": properties,
        "assets": {"data": asset},
        "links": [COLLECTION_LINK, *_links(release)],
    }
    if bbox is not None:
        item["bbox"] = bbox
    return item
