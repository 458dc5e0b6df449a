"""The Terrascope emulator.

Keycloak (``auth``), the STAC API (``stac``) and the download service with the OpenSearch
catalogue (``download``, i.e. services.terrascope.be).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from stacsync.sandbox.emulator import ProviderContext
from stacsync.sandbox.requestlog import LogEntry
from stacsync.sandbox.terrascope.admin import admin_routes
from stacsync.sandbox.terrascope.bulk import BulkArchive
from stacsync.sandbox.terrascope.download import (
    DownloadService,
    download_fallback,
    rate_limit_middleware,
)
from stacsync.sandbox.terrascope.files import FileStore
from stacsync.sandbox.terrascope.keycloak import (
    CERTS_PATH,
    DEFAULT_ACCESS_LIFETIME,
    DEFAULT_REFRESH_LIFETIME,
    DISCOVERY_PATH,
    REALM_PATH,
    TOKEN_PATH,
    Realm,
)
from stacsync.sandbox.terrascope.opensearch import OpenSearch
from stacsync.sandbox.terrascope.products import Product
from stacsync.sandbox.terrascope.ratelimit import DEFAULT_LIMITS, SlidingWindowLimiter
from stacsync.sandbox.terrascope.responses import guard_middleware, keycloak_error, nginx_page
from stacsync.sandbox.terrascope.sentinel2 import sentinel2_products
from stacsync.sandbox.terrascope.stac_api import (
    StacApi,
    api_rate_limit_middleware,
    bearer_middleware,
    stac_fallback,
)
from stacsync.sandbox.terrascope.worldcover import worldcover_products
from stacsync.sandbox.tokens import TokenState


def _keycloak_fallback(status: int, _: web.Request) -> web.Response:
    if status in (404, 405):
        return keycloak_error(status, "Unable to find matching target resource method")
    return keycloak_error(500 if status >= 500 else status, "unknown_error")


class TerrascopeEmulator:
    """VITO Terrascope: OIDC, STAC API, download service (+ deprecated OpenSearch)."""

    name: ClassVar[str] = "terrascope"
    hosts: ClassVar[tuple[str, ...]] = ("auth", "stac", "download")

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        options = ctx.options
        self.username = f"sandbox-{secrets.token_hex(4)}"
        self.password = secrets.token_urlsafe(18)
        self.realm = Realm(
            issuer=f"{ctx.urls['auth']}{REALM_PATH}",
            clock=ctx.clock,
            username=self.username,
            password=self.password,
            access_lifetime=options.token_lifetime or DEFAULT_ACCESS_LIFETIME,
            refresh_lifetime=options.refresh_lifetime or DEFAULT_REFRESH_LIFETIME,
        )
        self.products: list[Product] = [
            *sentinel2_products(ctx.seed, ctx.raster_size),
            *worldcover_products(ctx.seed, ctx.raster_size),
        ]
        self.files = FileStore(self.products)
        limits = options.rate_limits or DEFAULT_LIMITS
        self.limiter = SlidingWindowLimiter(ctx.clock, limits)
        self.stac_limiter = (
            SlidingWindowLimiter(ctx.clock, limits) if options.stac_rate_limited else None
        )
        """The STAC API's own limiter (``stac_rate_limited``), separate from the downloads'."""
        self.bulk = BulkArchive(options.bulk_items, seed=ctx.seed) if options.bulk_items else None
        self.stac = StacApi(
            self.products,
            stac_url=ctx.urls["stac"],
            download_url=ctx.urls["download"],
            discovery_url=f"{ctx.urls['auth']}{DISCOVERY_PATH}",
            size=self.files.size,
            bulk=self.bulk,
        )
        self.download = DownloadService(
            self.files,
            username=self.username,
            password=self.password,
            check_token=self._token_state,
            login_url=f"{ctx.urls['auth']}{REALM_PATH}/protocol/openid-connect/auth",
        )
        self.opensearch = OpenSearch(
            self.products,
            base_url=ctx.urls["download"],
            size=self.files.size,
            clock_now=ctx.clock.utcnow,
        )

    def _token_state(self, value: str) -> TokenState:
        state, _ = self.realm.check_access(value)
        return state

    # -- Emulator protocol ---------------------------------------------------------------

    def apps(self) -> Mapping[str, web.Application]:
        """The three hosts' applications."""
        auth = self.ctx.new_app("auth", error_body=nginx_page)
        auth.middlewares.append(guard_middleware(_keycloak_fallback))
        auth.add_routes(self.realm.routes())
        auth.add_routes(admin_routes(self))

        stac = self.ctx.new_app("stac", error_body=nginx_page)
        if self.stac_limiter is not None:
            stac.middlewares.insert(1, api_rate_limit_middleware(self.stac_limiter))
        stac.middlewares.append(guard_middleware(stac_fallback))
        stac.middlewares.append(bearer_middleware(self._token_state))
        stac.add_routes(self.stac.routes())

        download = self.ctx.new_app("download", error_body=nginx_page)
        # after request logging, before fault injection: every logged non-429 was admitted
        download.middlewares.insert(1, rate_limit_middleware(self.limiter))
        download.middlewares.append(guard_middleware(download_fallback))
        download.add_routes(self.download.routes())
        download.add_routes(self.opensearch.routes())
        return {"auth": auth, "stac": stac, "download": download}

    def credentials(self) -> Mapping[str, Any]:
        """The sandbox user (HTTP Basic on downloads, password grant) and the client id."""
        return {"username": self.username, "password": self.password, "client_id": "public"}

    def endpoints(self) -> Mapping[str, str]:
        """Entry points: OIDC, STAC API, download service, OpenSearch, admin."""
        auth, stac, download = (self.ctx.urls[h] for h in self.hosts)
        return {
            "issuer": f"{auth}{REALM_PATH}",
            "oidc_discovery": f"{auth}{DISCOVERY_PATH}",
            "token_url": f"{auth}{TOKEN_PATH}",
            "jwks_url": f"{auth}{CERTS_PATH}",
            "stac_api": stac,
            "download": f"{download}/download/",
            "opensearch": f"{download}/catalogue/",
            "admin": f"{auth}/_sandbox/",
        }

    async def start(self) -> None:
        """Nothing to start outside the aiohttp apps."""

    async def stop(self) -> None:
        """Nothing to stop."""

    # -- control hooks -------------------------------------------------------------------

    def revoke_tokens(self) -> int:
        """Revoke every issued token and end every session (refresh then fails too)."""
        return self.realm.revoke_all()

    def reset_rate_limits(self) -> None:
        """Forget the rate-limit history (downloads and STAC API) of every client."""
        self.limiter.reset()
        if self.stac_limiter is not None:
            self.stac_limiter.reset()

    def set_unauthenticated_redirect(self, enabled: bool) -> None:
        """Answer downloads without credentials with a 302 to the login page (2022 behaviour)."""
        self.download.redirect_unauthenticated = enabled

    def request_log(self, path_prefix: str | None = None) -> list[LogEntry]:
        """The request log entries of this emulator's servers."""
        prefix = f"{self.name}."
        return [
            e for e in self.ctx.log.entries(path_prefix=path_prefix) if e.server.startswith(prefix)
        ]

    def item(self, collection: str, item_id: str) -> dict[str, Any]:
        """The STAC Item ``item_id`` of ``collection`` as the API serves it."""
        product = self.stac.find(collection, item_id)
        if product is None:
            raise KeyError(f"{collection}/{item_id}")
        return self.stac.item(product)

    def asset_bytes(self, path: str) -> bytes:
        """The bytes served at ``path`` (``/download/...``)."""
        return self.files.data(path)
