"""A stub of the Swagger 2.0 document Flask-RESTX serves at ``/v1/swagger.json``.

Only the header, the public namespaces and the paths a harvester uses are listed; the
request models follow the gen-1 code's field names and examples.
"""

from __future__ import annotations

from typing import Any

_AUTH_HEADER = {
    "name": "Authorization",
    "in": "header",
    "type": "string",
    "required": True,
    "description": "An access token is required to query this resource",
}


def _post(tag: str, model: str, summary: str) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {
            "name": "payload",
            "in": "body",
            "required": True,
            "schema": {"$ref": f"#/definitions/{model}"},
        }
    ]
    if tag != "auth":
        params.insert(0, _AUTH_HEADER)
    return {"post": {"tags": [tag], "summary": summary, "parameters": params}}


def _model(**fields: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(fields),
        "properties": {
            name: {"type": "string", "description": desc, "example": example}
            for name, (desc, example) in fields.items()
        },
    }


def swagger_document() -> dict[str, Any]:
    """The stub document."""
    user = ("ID of the current customer", "S6aIHB1NOSbaj1ghq99pXq9a")
    product = ("Name of the CLC+ Backbone product", "Raster")
    return {
        "swagger": "2.0",
        "basePath": "/v1",
        "info": {
            "title": "CLCplus Backbone API",
            "version": "21.08",
            "description": "CLCplus Backbone Service API based on a Microservice architecture",
            "contact": {"email": "IT-Services@geoville.com"},
        },
        "tags": [
            {"name": "auth", "description": "Authentication related operations"},
            {"name": "services", "description": "Service related operations"},
            {"name": "products", "description": "Order final products"},
        ],
        "paths": {
            "/auth/get_bearer_token": _post(
                "auth", "get_bearer_token_request_model", "Returns a bearer token"
            ),
            "/products/get_product": _post(
                "products", "products_request_model", "Order a product for an AOI"
            ),
            "/products/get_national_product": _post(
                "products", "national_products_request_model", "Order a national product"
            ),
            "/products/get_product_europe": _post(
                "products", "european_products_request_model", "Order the European product"
            ),
            "/products/nations": {"get": {"tags": ["products"], "parameters": [_AUTH_HEADER]}},
            "/services/order_status/{order_id}": {
                "get": {
                    "tags": ["services"],
                    "parameters": [
                        _AUTH_HEADER,
                        {"name": "order_id", "in": "path", "required": True, "type": "string"},
                    ],
                }
            },
        },
        "definitions": {
            "get_bearer_token_request_model": _model(
                user_id=("User specific client id", "8KfYSDj8Wq2iNtIly98M5ES4"),
                client_secret=("User specific client secret", "Cgc8lMd5LozQz5ifiqMks"),
            ),
            "products_request_model": _model(
                product=product,
                aoi=(
                    "Area of Interest as MultiPolygon (WKT) in WGS84 (EPSG:4326)",
                    "MULTIPOLYGON (((17.227309445590443 46.668932137424534, 17.2371487027879 "
                    "47.10769387054001, 18.217384701084143 47.095973145761874, "
                    "18.19278655809051 46.65458260506014, 17.227309445590443 "
                    "46.668932137424534)))",
                ),
                user_id=user,
            ),
            "national_products_request_model": _model(
                product=product,
                nation=("Country name in English (e.g. Austria)", "Austria"),
                user_id=user,
            ),
            "european_products_request_model": _model(product=product, user_id=user),
        },
    }
