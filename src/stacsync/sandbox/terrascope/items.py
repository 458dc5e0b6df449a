"""STAC Item payloads, shaped like the Items stac.terrascope.be returns (STAC 1.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stacsync.sandbox.terrascope.products import AssetFile, Product

OIDC_DESCRIPTION = "Authenticate with Terrascope OpenID Connect"


def auth_schemes(discovery_url: str) -> dict[str, Any]:
    """The item-level ``auth:schemes`` block."""
    return {
        "oidc": {
            "type": "openIdConnect",
            "description": OIDC_DESCRIPTION,
            "openIdConnectUrl": discovery_url,
        }
    }


def asset_payload(
    asset: AssetFile, download_url: str, size: Callable[[str], int]
) -> dict[str, Any]:
    """One asset of an Item; ``size`` gives the byte size of a served path."""
    href = f"{download_url}{asset.path}"
    if asset.query:
        href += f"?{asset.query}"
    payload: dict[str, Any] = {"href": href, "type": asset.media_type, **asset.head}
    if asset.sized:
        payload["file:size"] = asset.size if asset.size is not None else size(asset.path)
    payload.update(asset.tail)
    if asset.local_path is not None:
        payload["alternate"] = {"local": {"href": f"file://{asset.local_path}"}}
    if asset.protected:
        payload["auth:refs"] = ["oidc"]
    return payload


def item_payload(
    product: Product,
    *,
    stac_url: str,
    download_url: str,
    discovery_url: str,
    size: Callable[[str], int],
) -> dict[str, Any]:
    """The Item of ``product`` as the STAC API serves it."""
    collection_url = f"{stac_url}/collections/{product.collection}"
    properties = {**product.properties, "auth:schemes": auth_schemes(discovery_url)}
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": list(product.stac_extensions),
        "id": product.id,
        "collection": product.collection,
        "geometry": product.geometry,
        "bbox": list(product.bbox),
        "properties": properties,
        "links": [
            {
                "rel": "self",
                "type": "application/geo+json",
                "href": f"{collection_url}/items/{product.id}",
            },
            {"rel": "parent", "type": "application/json", "href": collection_url},
            {"rel": "collection", "type": "application/json", "href": collection_url},
            {"rel": "root", "type": "application/json", "href": f"{stac_url}/"},
        ],
        "assets": {asset.key: asset_payload(asset, download_url, size) for asset in product.assets},
    }
