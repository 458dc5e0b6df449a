"""The emulated back end: customers, orders, production and publication of results.

When an AOI order reaches SUCCESS (seen by a status request, a download or the background
sweeper, whichever comes first), its zip is built and published on the ``files`` host and in
the S3 bucket before any client can learn the result URL.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from stacsync.sandbox.backbone.auth import DEFAULT_TOKEN_LIFETIME, Authority, gen_salt
from stacsync.sandbox.backbone.nations import EUROPE_FILE, SWIFT_PREFIX, Nation, national_file
from stacsync.sandbox.backbone.orders import Order, OrderBook, Status
from stacsync.sandbox.backbone.packages import europe_geotiff, national_package, order_package
from stacsync.sandbox.backbone.storage import ResultStore, S3Mirror
from stacsync.sandbox.blobs import Blob
from stacsync.sandbox.emulator import ProviderContext

SWEEP_INTERVAL = 0.1
"""Real seconds between two checks for orders that reached SUCCESS."""


class BackboneService:
    """State and behaviour shared by the ``api``, ``files`` and ``s3`` hosts."""

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        lifetime = ctx.options.token_lifetime
        self.authority = Authority(
            ctx.clock, DEFAULT_TOKEN_LIFETIME if lifetime is None else lifetime
        )
        self.orders = OrderBook(ctx.clock, ctx.options.order_delay, ctx.seed)
        self.results = ResultStore()
        self.s3 = S3Mirror(ctx.host, ctx.ports["s3"], gen_salt(20).upper(), gen_salt(40))
        self._publish_lock = asyncio.Lock()
        self._sweeper: asyncio.Task[None] | None = None

    # -- URLs -------------------------------------------------------------------------------

    @property
    def products_url(self) -> str:
        """The public Swift ``products`` folder on the ``files`` host."""
        return self.ctx.urls["files"] + SWIFT_PREFIX

    def result_url(self, key: str) -> str:
        """The public URL of a file below ``products/``."""
        return f"{self.products_url}/{key}"

    # -- orders -----------------------------------------------------------------------------

    async def status_body(self, order: Order) -> dict[str, Any]:
        """The ``order_status`` body; publishes the result first if it just succeeded."""
        if order.service == "get_product" and self.orders.status(order) is Status.SUCCESS:
            await self.publish(order)
        status = self.orders.status(order)
        result = None
        if status is Status.SUCCESS:
            result = self.result_url(order.file_name) if order.published else order.result
        return {"order_id": order.order_id, "status": status.value, "result": result}

    async def publish(self, order: Order) -> None:
        """Build and publish an AOI order's zip (once)."""
        async with self._publish_lock:
            if order.published:
                return
            try:
                data = await asyncio.to_thread(
                    order_package,
                    order,
                    seed=self.ctx.seed,
                    raster_size=self.ctx.raster_size,
                    workdir=self.ctx.workdir / "build",
                )
            except Exception as exc:  # a production failure: the DAG's failure callback
                order.reason = f"{type(exc).__name__}: {exc}"
                self.orders.force(order.order_id, Status.FAILED)
                return
            self.results.put(order.file_name, self._blob(data, "application/zip", order.file_name))
            await asyncio.to_thread(self.s3.put, order.file_name, data)
            order.published = True

    async def publish_due(self) -> None:
        """Publish every AOI order that has reached SUCCESS."""
        for order in self.orders.all():
            if (
                order.service == "get_product"
                and not order.published
                and self.orders.status(order) is Status.SUCCESS
            ):
                await self.publish(order)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            await self.publish_due()

    # -- static products --------------------------------------------------------------------

    async def static_blob(self, key: str) -> Blob | None:
        """A national zip or the European GeoTIFF, generated on first request."""
        blob = self.results.get(key)
        if blob is not None:
            return blob
        if key == EUROPE_FILE:
            data = await asyncio.to_thread(
                europe_geotiff, seed=self.ctx.seed, raster_size=self.ctx.raster_size
            )
            blob = self._blob(data, "image/tiff", key)
        elif key.startswith("national/"):
            found = national_file(key.removeprefix("national/"))
            if found is None:
                return None
            blob = await self._national_blob(*found, key)
        else:
            return None
        self.results.put(key, blob)
        return blob

    async def _national_blob(self, nation: Nation, product: str, key: str) -> Blob:
        data = await asyncio.to_thread(
            national_package,
            nation,
            product,
            seed=self.ctx.seed,
            raster_size=self.ctx.raster_size,
            workdir=self.ctx.workdir / "build",
        )
        return self._blob(data, "application/zip", key.rsplit("/", 1)[-1])

    def _blob(self, data: bytes, media_type: str, name: str) -> Blob:
        modified: datetime = self.ctx.clock.utcnow().replace(microsecond=0)
        return Blob(data=data, media_type=media_type, modified=modified, filename=name)

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the S3 server and the publication sweeper."""
        await asyncio.to_thread(self.s3.start)
        self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        """Stop the sweeper and the S3 server."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await asyncio.to_thread(self.s3.stop)
