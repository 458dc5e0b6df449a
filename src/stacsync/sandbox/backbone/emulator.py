"""The CLC+ Backbone emulator: three hosts (``api``, ``files``, ``s3``) and test hooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from stacsync.sandbox.backbone.admin import add_admin_routes
from stacsync.sandbox.backbone.api import BASE, add_api_routes
from stacsync.sandbox.backbone.envelope import fault_body
from stacsync.sandbox.backbone.files import add_files_routes, swift_error
from stacsync.sandbox.backbone.orders import Order, Status
from stacsync.sandbox.backbone.service import BackboneService
from stacsync.sandbox.backbone.storage import BUCKET, REGION
from stacsync.sandbox.emulator import ProviderContext


class BackboneEmulator:
    """The gen-1 CLC+ Backbone product API, its Swift result host and an S3 server."""

    name: ClassVar[str] = "backbone"
    hosts: ClassVar[tuple[str, ...]] = ("api", "files", "s3")

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.service = BackboneService(ctx)
        self._apps: dict[str, web.Application] | None = None

    def apps(self) -> Mapping[str, web.Application]:
        """The ``api`` and ``files`` applications (``s3`` is moto's own server)."""
        if self._apps is None:
            api = self.ctx.new_app("api", error_body=fault_body)
            add_api_routes(api, self.service)
            add_admin_routes(api, self.service)
            files = self.ctx.new_app("files", error_body=swift_error)
            add_files_routes(files, self.service)
            self._apps = {"api": api, "files": files}
        return self._apps

    def credentials(self) -> Mapping[str, Any]:
        """The API client credentials and the S3 key pair."""
        authority, s3 = self.service.authority, self.service.s3
        return {
            "user_id": authority.user_id,
            "client_secret": authority.client_secret,
            "s3_access_key_id": s3.access_key_id,
            "s3_secret_access_key": s3.secret_access_key,
            "s3_bucket": BUCKET,
            "s3_region": REGION,
        }

    def endpoints(self) -> Mapping[str, str]:
        """The API base, the token URL, the result container and the S3 endpoint."""
        api = self.ctx.urls["api"] + BASE
        return {
            "api": api,
            "token": f"{api}/auth/get_bearer_token",
            "order_status": f"{api}/services/order_status",
            "swagger": f"{api}/swagger.json",
            "files": self.service.products_url,
            "s3": self.service.s3.endpoint,
            "admin": self.ctx.urls["api"] + "/_sandbox",
        }

    async def start(self) -> None:
        """Start the S3 server and the result publisher."""
        await self.service.start()

    async def stop(self) -> None:
        """Stop them."""
        await self.service.stop()

    # -- test hooks -------------------------------------------------------------------------

    def revoke_tokens(self) -> int:
        """Revoke every issued token; returns how many."""
        return self.service.authority.tokens.revoke_all()

    def issue_token(self, scope: str = "user") -> dict[str, str]:
        """A token response as ``get_bearer_token`` gives it, with a chosen scope."""
        return self.service.authority.issue(scope=scope)

    def force_status(self, order_id: str, status: str | Status) -> bool:
        """Force an order into ``status`` now (FAILED, INVALID, ...); False if unknown."""
        return self.service.orders.force(order_id, Status(str(status).upper()))

    def fail_next_order(self, status: str | Status = Status.FAILED) -> None:
        """Make the next AOI order end in ``status`` after its normal progression."""
        self.service.orders.fail_next(Status(str(status).upper()))

    def set_queued(self, queued: bool) -> None:
        """Whether orders pass through QUEUED (default True)."""
        self.service.orders.queued = queued

    def orders(self) -> list[Order]:
        """Every order, oldest first."""
        return self.service.orders.all()

    def order_status(self, order_id: str) -> str | None:
        """The current status of an order (None if unknown)."""
        order = self.service.orders.get(order_id)
        return None if order is None else self.service.orders.status(order).value

    def published(self) -> list[str]:
        """Keys published on the ``files`` host (below ``products/``)."""
        return self.service.results.keys()
