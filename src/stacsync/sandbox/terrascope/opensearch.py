"""The deprecated OpenSearch catalogue (services.terrascope.be/catalogue), minimal surface.

``/catalogue/collections`` and ``/catalogue/products`` with ``collection``, ``start``, ``end``,
``bbox``, ``startIndex`` (1-based), ``count``, ``accessedFrom`` (``MEP`` gives ``file://``
hrefs) and ``sortKeys``; paging links are lists under ``properties.links``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from stacsync.sandbox.terrascope.collections import DESCRIPTIONS
from stacsync.sandbox.terrascope.products import AssetFile, Product, rfc3339
from stacsync.sandbox.terrascope.search import SearchError, parse_bbox, parse_interval

URNS = {
    "urn:eop:VITO:TERRASCOPE_S2_TOC_V2": "terrascope-s2-toc-v2",
    "urn:eop:VITO:TERRASCOPE_S2_NDVI_V2": "terrascope-s2-ndvi-v2",
    "urn:eop:VITO:ESA_WorldCover_10m_2020_V1": "esa-worldcover-map-10m-2020-v1",
    "urn:eop:VITO:ESA_WorldCover_10m_2021_V2": "esa-worldcover-map-10m-2021-v2",
}
"""OpenSearch collection URN -> STAC collection id."""
DEFAULT_COUNT = 100
_LINK_TYPES = {"application/xml": "application/vnd.iso.19139+xml"}


def _ms(value: datetime) -> str:
    return rfc3339(value, digits=3)


def _link(asset: AssetFile, href: str, length: int) -> dict[str, Any]:
    assert asset.opensearch is not None
    _, title, category = asset.opensearch
    media_type = _LINK_TYPES.get(asset.media_type, "image/tiff")
    link: dict[str, Any] = {"href": href, "type": media_type, "length": length}
    if title:
        link["title"] = title
    if category:
        link["category"] = category
    return link


def product_feature(
    product: Product, urn: str, href: Callable[[AssetFile], str], size: Callable[[str], int]
) -> dict[str, Any]:
    """One OpenSearch product (feature) of ``product``."""
    meta = product.opensearch
    created: datetime = meta.get("created", product.datetime)
    links: dict[str, list[dict[str, Any]]] = {
        "previews": [], "alternates": [], "related": [], "data": []
    }  # fmt: skip
    for asset in product.assets:
        if asset.opensearch is not None:
            links[asset.opensearch[0]].append(_link(asset, href(asset), size(asset.path)))
    west, south, east, north = product.bbox
    links["previews"].append(
        {
            "href": "https://services.terrascope.be/wms/v2?SERVICE=WMS&REQUEST=getMap&VERSION=1.3.0"
            f"&CRS=EPSG:4326&LAYERS=CGS_S2_RADIOMETRY&TIME={product.datetime:%Y-%m-%d}"
            f"&BBOX={south},{west},{north},{east}&WIDTH=80&HEIGHT=80&FORMAT=image/png",
            "type": "image/png",
            "title": "WMS",
            "category": "QUICKLOOK",
        }
    )
    identifier = f"{urn}:{product.id}"
    platform = str(meta.get("platform", "S2A"))
    end = datetime.fromisoformat(str(product.properties.get("end_datetime")))
    return {
        "type": "Feature",
        "id": identifier,
        "geometry": product.geometry,
        "bbox": list(product.bbox),
        "properties": {
            "date": _ms(product.datetime),
            "updated": _ms(created),
            "available": rfc3339(created, digits=0),
            "published": rfc3339(created, digits=0),
            "status": "ARCHIVED",
            "parentIdentifier": urn,
            "title": product.id,
            "identifier": identifier,
            "acquisitionInformation": [
                {
                    "platform": {
                        "platformShortName": "Sentinel-2",
                        "platformSerialIdentifier": platform,
                    },
                    "acquisitionParameters": {
                        "acquisitionType": "NOMINAL",
                        "orbitDirection": "DESCENDING",
                        "orbitNumber": int(meta.get("orbit", 0)),
                        "relativeOrbitNumber": 108,
                        "beginningDateTime": _ms(product.datetime),
                        "endingDateTime": _ms(end),
                        "tileId": str(meta.get("tile", "")),
                    },
                }
            ],
            "productInformation": {
                "cloudCover": meta.get("cloud", 0),
                "productType": str(meta.get("product_type", "")),
                "availabilityTime": rfc3339(created, digits=0),
                "productVersion": str(meta.get("version", "")),
                "processingCenter": "VITO",
                "processingDate": _ms(created),
            },
            "links": links,
        },
    }


def collection_feature(urn: str, collection: str, base: str) -> dict[str, Any]:
    """One entry of ``/catalogue/collections``."""
    title, abstract, start, _ = DESCRIPTIONS[collection]
    return {
        "id": urn,
        "bbox": [-180, -84, 180, 84],
        "properties": {
            "title": title,
            "abstract": abstract,
            "keyword": ["VITO", "Terrascope", collection],
            "links": {
                "describedby": [
                    {"href": "https://docs.terrascope.be/", "type": "text/html",
                     "title": "Online User Documentation"}
                ],
                "search": [
                    {"href": f"{base}/catalogue/description.geojson?collection={urn}",
                     "type": "application/geo+json", "title": "OpenSearch entry point"}
                ],
            },
            "acquisitionInformation": [
                {"acquisitionParameters": {"beginningDateTime": start},
                 "instrument": {"instrumentShortName": "MSI"}}
            ],
            "bands": [
                {"description": f"{title} data", "type": "DATA", "title": "DATA",
                 "resolution": 10, "bitPerValue": 16}
            ],
        },
    }  # fmt: skip


class OpenSearch:
    """The ``/catalogue`` routes over a product inventory."""

    def __init__(
        self,
        products: list[Product],
        *,
        base_url: str,
        size: Callable[[str], int],
        clock_now: Callable[[], datetime],
    ) -> None:
        self.products = products
        self.base_url = base_url
        self.size = size
        self.clock_now = clock_now

    def _json(self, body: Any) -> web.Response:
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def collections(self, _: web.Request) -> web.Response:
        """``GET /catalogue/collections``."""
        return self._json(
            {
                "type": "FeatureCollection",
                "id": f"{self.base_url}/catalogue/collections",
                "properties": {
                    "title": "Product Search result",
                    "creator": "VITO OpenSearch Service",
                    "updated": rfc3339(self.clock_now(), digits=0),
                    "lang": "en",
                },
                "features": [
                    collection_feature(urn, cid, self.base_url) for urn, cid in URNS.items()
                ],
            }
        )

    def _page_link(self, query: Mapping[str, str], start: int, title: str) -> dict[str, Any]:
        params = {k: v for k, v in query.items() if k != "startIndex"}
        params["startIndex"] = str(start)
        href = f"{self.base_url}/catalogue/products?{urlencode(params)}"
        return {"href": href, "type": "application/geo+json", "title": title}

    async def products_route(self, request: web.Request) -> web.Response:
        """``GET /catalogue/products``."""
        query = request.query
        urn = query.get("collection")
        if not urn:
            return web.json_response({"error": "Missing parameter: collection"}, status=400)
        try:
            start_index = int(query.get("startIndex", "1"))
            count = int(query.get("count", str(DEFAULT_COUNT)))
            bbox = parse_bbox(query["bbox"]) if query.get("bbox") else None
            start = _instant(query.get("start"), "T00:00:00Z")
            end = _instant(query.get("end"), "T23:59:59Z")
        except (ValueError, SearchError) as exc:
            return web.json_response({"error": f"Invalid parameter: {exc}"}, status=400)
        if start_index < 1 or count < 0:
            return web.json_response({"error": "Invalid parameter: startIndex/count"}, status=400)
        collection = URNS.get(urn)
        matched = sorted(
            (
                p
                for p in self.products
                if p.collection == collection
                and (bbox is None or _overlaps(p.bbox, bbox))
                and (start is None or p.datetime >= start)
                and (end is None or p.datetime <= end)
                and query.get("tileId", p.opensearch.get("tile")) == p.opensearch.get("tile")
            ),
            key=lambda p: p.id,
        )
        page = matched[start_index - 1 : start_index - 1 + count]
        mep = query.get("accessedFrom", "").upper() == "MEP"

        def href(asset: AssetFile) -> str:
            if mep and asset.local_path is not None:
                return f"file://{asset.local_path}"
            return f"{self.base_url}{asset.path}"

        page_size = max(count, 1)
        last = max(1, 1 + ((len(matched) - 1) // page_size) * page_size)
        links: dict[str, list[dict[str, Any]]] = {
            "last": [self._page_link(query, last, "last")],
            "first": [self._page_link(query, 1, "first")],
        }
        if start_index - 1 + count < len(matched):
            links["next"] = [self._page_link(query, start_index + count, "next")]
        if start_index > 1:
            links["previous"] = [self._page_link(query, max(1, start_index - count), "previous")]
        links["search"] = [
            {"href": f"{self.base_url}/catalogue/description.geojson?collection={urn}",
             "type": "application/geo+json", "title": "search"}
        ]  # fmt: skip
        links["profiles"] = [
            {"href": "http://www.opengis.net/spec/owc-geojson/1.0/req/core"},
            {"href": "http://www.opengis.net/spec/os-geojson/1.0/req/core"},
        ]
        echo: dict[str, Any] = {}
        if bbox is not None:
            echo["geo:box"] = query["bbox"]
        if query.get("accessedFrom"):
            echo["referrer:accessedFrom"] = query["accessedFrom"]
        echo["startIndex"] = start_index
        if query.get("sortKeys"):
            echo["sru:sortKeys"] = f"{query['sortKeys'].split(',')[0]},,1,0,highValue"
        if start is not None:
            echo["time:start"] = rfc3339(start, digits=0)
        if end is not None:
            echo["time:end"] = rfc3339(end, digits=0)
        return self._json(
            {
                "@context": "http://schemas.opengis.net/os-geojson/1.0/os-geojson.jsonld",
                "type": "FeatureCollection",
                "id": f"{self.base_url}{request.rel_url}",
                "totalResults": len(matched),
                "startIndex": start_index,
                "itemsPerPage": len(page),
                "queries": {"request": [echo]},
                "properties": {
                    "title": "Product Search result",
                    "subtitle": f"Number of results: {len(matched)}",
                    "creator": "VITO OpenSearch Service",
                    "authors": [{"type": "Agent", "name": "VITO"}],
                    "updated": rfc3339(self.clock_now(), digits=0),
                    "lang": "en",
                    "links": links,
                },
                "features": [product_feature(p, urn, href, self.size) for p in page],
            }
        )

    def routes(self) -> list[web.RouteDef]:
        """The OpenSearch routes."""
        return [
            web.get("/catalogue/collections", self.collections),
            web.get("/catalogue/products", self.products_route),
        ]


def _instant(text: str | None, default_time: str) -> datetime | None:
    if not text:
        return None
    value = text if "T" in text else f"{text}{default_time}"
    if value[-1] not in "Zz" and "+" not in value[10:] and "-" not in value[10:]:
        value += "Z"
    start, _ = parse_interval(value)
    return start


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
