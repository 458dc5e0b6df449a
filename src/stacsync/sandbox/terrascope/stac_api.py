"""The STAC API host (stac.terrascope.be, terra-stac-api on stac-fastapi + SFEOS 6.7.6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

from stacsync.sandbox.terrascope.bulk import BulkArchive, BulkItem
from stacsync.sandbox.terrascope.collections import COLLECTION_IDS, collection_document
from stacsync.sandbox.terrascope.items import item_payload
from stacsync.sandbox.terrascope.products import Product
from stacsync.sandbox.terrascope.ratelimit import SlidingWindowLimiter
from stacsync.sandbox.terrascope.responses import Handler, fastapi_detail, stac_error
from stacsync.sandbox.terrascope.search import (
    Hit,
    SearchError,
    SearchRequest,
    execute,
    parse_get,
    parse_post,
    validation_error,
)
from stacsync.sandbox.tokens import TokenState

CONFORMANCE = (
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#fields",
    "https://api.stacspec.org/v1.0.0/item-search#fields",
    "https://api.stacspec.org/v1.0.0/item-search#sort",
    "https://api.stacspec.org/v1.0.0/item-search#query",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
)
"""Conformance classes (stac-fastapi core plus the extensions terra-stac-api registers)."""
GEOJSON = "application/geo+json"
AUTHENTICATED: web.RequestKey[bool] = web.RequestKey("terrascope_authenticated", bool)


def merge_params(url: str, params: dict[str, str]) -> str:
    """SFEOS ``merge_params``: re-encode the query with ``params`` replaced or appended."""
    parts = urlsplit(url)
    query: dict[str, Any] = parse_qs(parts.query)
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def bearer_middleware(check: Callable[[str], TokenState]) -> Middleware:
    """terra-stac-api's OIDC middleware: a bad bearer token is refused on every route."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and not request.path.startswith("/_sandbox/"):
            if check(value.strip()) is not TokenState.VALID:
                return fastapi_detail(401, "Invalid token", {"WWW-Authenticate": "Bearer"})
            request[AUTHENTICATED] = True
        return await handler(request)

    return middleware


def api_rate_limit_middleware(limiter: SlidingWindowLimiter) -> Middleware:
    """Refuse requests beyond the limits with 429, as SFEOS's optional slowapi limiter would.

    SFEOS rate-limits every route when ``STAC_FASTAPI_RATE_LIMIT`` is set (whether Terrascope
    sets it is unknown); slowapi's default handler answers ``{"error": "Rate limit exceeded:
    <limit>"}`` without ``Retry-After`` [inferred from slowapi's code]; the sandbox names
    every window it enforces.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_sandbox/") or limiter.acquire(request.remote or "") is None:
            return await handler(request)
        limits = "; ".join(f"{count} per {window:g} second" for count, window in limiter.limits)
        return web.json_response({"error": f"Rate limit exceeded: {limits}"}, status=429)

    return middleware


def stac_fallback(status: int, _: web.Request) -> web.Response:
    """FastAPI's bodies for routing errors; stac-fastapi's for unexpected failures."""
    if status == 404:
        return fastapi_detail(404, "Not Found")
    if status == 405:
        return fastapi_detail(405, "Method Not Allowed")
    if status >= 500:
        return stac_error(500, "Exception", "Internal server error")
    return fastapi_detail(status, "Bad Request")


class StacApi:
    """Routes of the STAC API over a product inventory."""

    def __init__(
        self,
        products: list[Product],
        *,
        stac_url: str,
        download_url: str,
        discovery_url: str,
        size: Callable[[str], int],
        bulk: BulkArchive | None = None,
    ) -> None:
        self.products = products
        self.bulk = bulk
        """Generated items served with the hand-made ones (``ProviderOptions.bulk_items``)."""
        self.by_collection: dict[str, dict[str, Product]] = {cid: {} for cid in COLLECTION_IDS}
        for product in products:
            self.by_collection.setdefault(product.collection, {})[product.id] = product
        self.stac_url = stac_url
        self.download_url = download_url
        self.discovery_url = discovery_url
        self.size = size

    def find(self, collection: str, item_id: str) -> Product | None:
        """The product ``item_id`` of ``collection``, or ``None``."""
        product = self.by_collection.get(collection, {}).get(item_id)
        if product is None and self.bulk is not None and collection == self.bulk.collection:
            product = self.bulk.find(item_id)
        return product

    def item(self, product: Product) -> dict[str, Any]:
        """The Item payload of ``product``."""
        return item_payload(
            product,
            stac_url=self.stac_url,
            download_url=self.download_url,
            discovery_url=self.discovery_url,
            size=self.size,
        )

    def _feature(self, hit: Hit) -> Any:
        """A search result as JSON: a payload, or a generated item's pre-rendered bytes."""
        if isinstance(hit, BulkItem) and self.bulk is not None:
            return orjson.Fragment(self.bulk.render(hit.index, self.item))
        assert isinstance(hit, Product)
        return self.item(hit)

    def _json(self, body: Any, content_type: str = "application/json") -> web.Response:
        return web.Response(body=orjson.dumps(body), content_type=content_type)

    async def landing(self, _: web.Request) -> web.Response:
        """``GET /``."""
        base = self.stac_url
        links = [
            {"rel": "self", "type": "application/json", "href": f"{base}/"},
            {"rel": "root", "type": "application/json", "href": f"{base}/"},
            {"rel": "data", "type": "application/json", "href": f"{base}/collections"},
            {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"},
            {"rel": "search", "type": GEOJSON, "method": "GET", "href": f"{base}/search"},
            {"rel": "search", "type": GEOJSON, "method": "POST", "href": f"{base}/search"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
             "type": "application/schema+json", "href": f"{base}/queryables"},
            {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
             "href": f"{base}/api"},
            {"rel": "service-doc", "type": "text/html", "href": f"{base}/api.html"},
        ]  # fmt: skip
        return self._json(
            {
                "type": "Catalog",
                "id": "terrascope-stac-api",
                "title": "Terrascope STAC API",
                "description": "Terrascope STAC API (sandbox emulator)",
                "stac_version": "1.0.0",
                "conformsTo": list(CONFORMANCE),
                "links": links,
                "stac_extensions": [],
            }
        )

    async def conformance(self, _: web.Request) -> web.Response:
        """``GET /conformance``."""
        return self._json({"conformsTo": list(CONFORMANCE)})

    async def queryables(self, _: web.Request) -> web.Response:
        """``GET /queryables`` (the fields the sandbox filter understands)."""
        props = {
            "id": {"type": "string"},
            "collection": {"type": "string"},
            "datetime": {"type": "string", "format": "date-time"},
            "eo:cloud_cover": {"type": "number", "minimum": 0, "maximum": 100},
            "platform": {"type": "string"},
            "grid:code": {"type": "string"},
            "product:type": {"type": "string"},
        }
        return self._json(
            {
                "$schema": "https://json-schema.org/draft/2019-09/schema",
                "$id": f"{self.stac_url}/queryables",
                "type": "object",
                "title": "Queryables for STAC API",
                "properties": props,
                "additionalProperties": True,
            },
            "application/schema+json",
        )

    async def collections(self, _: web.Request) -> web.Response:
        """``GET /collections`` (every collection, no paging: terra-stac-api's TODO)."""
        base = self.stac_url
        return self._json(
            {
                "collections": [collection_document(c, base) for c in self.by_collection],
                "links": [
                    {"rel": "root", "type": "application/json", "href": f"{base}/"},
                    {"rel": "parent", "type": "application/json", "href": f"{base}/"},
                    {"rel": "self", "type": "application/json", "href": f"{base}/collections"},
                ],
            }
        )

    async def collection(self, request: web.Request) -> web.Response:
        """``GET /collections/{collection_id}``."""
        cid = request.match_info["collection_id"]
        if cid not in self.by_collection:
            return stac_error(404, "NotFoundError", f"Collection {cid} not found")
        return self._json(collection_document(cid, self.stac_url))

    async def get_item(self, request: web.Request) -> web.Response:
        """``GET /collections/{collection_id}/items/{item_id}``."""
        cid, iid = request.match_info["collection_id"], request.match_info["item_id"]
        if cid not in self.by_collection:
            return stac_error(404, "NotFoundError", f"Collection {cid} not found")
        product = self.find(cid, iid)
        if product is None:
            return stac_error(
                404, "NotFoundError", f"Item {iid} does not exist inside Collection {cid}"
            )
        return self._json(self.item(product), GEOJSON)

    async def items(self, request: web.Request) -> web.Response:
        """``GET /collections/{collection_id}/items``."""
        cid = request.match_info["collection_id"]
        if cid not in self.by_collection:
            return fastapi_detail(404, "Collection not found")
        try:
            search = parse_get(request.query, collection=cid)
        except SearchError as exc:
            return web.json_response(exc.body, status=exc.status)
        return self._search(request, search, collection=cid)

    async def get_search(self, request: web.Request) -> web.Response:
        """``GET /search``."""
        try:
            search = parse_get(request.query)
        except SearchError as exc:
            return web.json_response(exc.body, status=exc.status)
        return self._search(request, search)

    async def post_search(self, request: web.Request) -> web.Response:
        """``POST /search``."""
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError as exc:
            error = validation_error(
                [{"type": "json_invalid", "loc": ["body", exc.pos], "msg": "JSON decode error",
                  "input": {}, "ctx": {"error": exc.msg}}],
                raw.decode(errors="replace"),
            )  # fmt: skip
            return web.json_response(error.body, status=error.status)
        try:
            search = parse_post(body)
        except SearchError as exc:
            return web.json_response(exc.body, status=exc.status)
        return self._search(request, search, body=body)

    def _refuse_collections(self, request: web.Request, search: SearchRequest) -> web.Response:
        if request.get(AUTHENTICATED):
            return stac_error(403, "ForbiddenError", "Insufficient permissions")
        return stac_error(401, "UnauthorizedError", "Unauthorized, please authenticate")

    def _search(
        self,
        request: web.Request,
        search: SearchRequest,
        *,
        collection: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> web.Response:
        if search.collections and any(c not in self.by_collection for c in search.collections):
            # terra-stac-api: a collection the caller may not read (or that does not exist)
            return self._refuse_collections(request, search)
        try:
            sources = () if self.bulk is None else (self.bulk,)
            page, matched, token = execute(self.products, search, sources)
        except SearchError as exc:
            return web.json_response(exc.body, status=exc.status)
        self_href = f"{self.stac_url}{request.rel_url}"
        links: list[dict[str, Any]] = []
        if token is not None:
            if body is None:
                href = merge_params(self_href, {"token": token})
                links.append({"rel": "next", "type": "application/json", "method": "GET",
                              "href": href})  # fmt: skip
            else:
                links.append({"rel": "next", "type": "application/json", "method": "POST",
                              "href": self_href, "body": {**body, "token": token}})  # fmt: skip
        links.append({"rel": "root", "type": "application/json", "href": f"{self.stac_url}/"})
        links.append({"rel": "self", "type": "application/json", "href": self_href})
        if collection is not None:
            href = f"{self.stac_url}/collections/{collection}"
            links.append({"rel": "collection", "type": "application/json", "href": href})
            links.append({"rel": "parent", "type": "application/json", "href": href})
        payload = {
            "type": "FeatureCollection",
            "features": [self._feature(hit) for hit in page],
            "links": links,
            "numberReturned": len(page),
            "numberMatched": matched,
        }
        return self._json(payload, GEOJSON)

    def routes(self) -> list[web.RouteDef]:
        """Every route of the STAC API."""
        return [
            web.get("/", self.landing),
            web.get("/conformance", self.conformance),
            web.get("/queryables", self.queryables),
            web.get("/collections", self.collections),
            web.get("/collections/{collection_id}", self.collection),
            web.get("/collections/{collection_id}/items", self.items),
            web.get("/collections/{collection_id}/items/{item_id}", self.get_item),
            web.get("/search", self.get_search),
            web.post("/search", self.post_search),
        ]
