"""Orders and their life cycle on the sandbox clock.

An AOI order is ``RECEIVED`` when submitted, then ``QUEUED``, then ``RUNNING``, then reaches its
outcome (``SUCCESS``, or ``FAILED`` when the DAG would fail: unknown product file, AOI without
data). Each non-terminal state lasts ``order_delay`` sandbox seconds; vector orders run twice
as long ("Raster being the faster delivered products"). Tests can force any status.
"""

from __future__ import annotations

import enum
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from stacsync.sandbox.backbone.aoi import Aoi
from stacsync.sandbox.clock import SandboxClock


class Status(enum.StrEnum):
    """Values of ``customer.service_orders.status``."""

    RECEIVED = "RECEIVED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    INVALID = "INVALID"
    ABORTED = "ABORTED"


TERMINAL = frozenset({Status.SUCCESS, Status.FAILED, Status.INVALID, Status.ABORTED})
PRODUCTS = ("Raster", "Vector")
"""Product names with a data cube (``/mnt/products/<product>.nc``); case-sensitive."""


@dataclass(slots=True)
class Order:
    """One row of the order table."""

    order_id: str
    service: str
    """``get_product``, ``get_national_product`` or ``get_product_europe``."""
    product: str
    user_id: str
    payload: dict[str, Any]
    created: float
    aoi: Aoi | None = None
    outcome: Status = Status.SUCCESS
    """The status the order ends in when nobody forces another one."""
    reason: str = ""
    """Why the outcome is not SUCCESS (emulator bookkeeping, never sent to clients)."""
    result: str | None = None
    """The result URL of a synchronous order."""
    forced: Status | None = None
    published: bool = False

    @property
    def file_name(self) -> str:
        """``<Product>_<order_id>.zip``, the result object's name."""
        return f"{self.product}_{self.order_id}.zip"


@dataclass
class OrderBook:
    """Every order of the emulator, thread-safe (tests call the hooks from another thread)."""

    clock: SandboxClock
    delay: float
    seed: int
    queued: bool = True
    """Whether orders pass through QUEUED (the manual lists it; the products DAG skips it)."""
    _orders: dict[str, Order] = field(default_factory=dict)
    _next_outcome: list[Status] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(
        self,
        *,
        service: str,
        product: str,
        user_id: str,
        payload: dict[str, Any],
        aoi: Aoi | None = None,
        outcome: Status = Status.SUCCESS,
        reason: str = "",
        result: str | None = None,
    ) -> Order:
        """Insert an order; its id is a deterministic 32-hex digest."""
        with self._lock:
            text = json.dumps(payload, sort_keys=True, default=str)
            digest = f"{self.seed}:{len(self._orders)}:{service}:{text}"
            order_id = hashlib.md5(digest.encode(), usedforsecurity=False).hexdigest()
            if self._next_outcome and service == "get_product":
                outcome, reason = self._next_outcome.pop(0), "forced by the sandbox"
            order = Order(
                order_id=order_id,
                service=service,
                product=product,
                user_id=user_id,
                payload=payload,
                created=self.clock.now(),
                aoi=aoi,
                outcome=outcome,
                reason=reason,
                result=result,
            )
            self._orders[order_id] = order
        return order

    def get(self, order_id: str) -> Order | None:
        """The order with this id, if any."""
        with self._lock:
            return self._orders.get(order_id)

    def all(self) -> list[Order]:
        """Every order, oldest first."""
        with self._lock:
            return list(self._orders.values())

    def status(self, order: Order) -> Status:
        """The order's status now."""
        if order.forced is not None:
            return order.forced
        if order.service != "get_product":
            return order.outcome
        elapsed = self.clock.now() - order.created
        stages = [Status.RECEIVED, *([Status.QUEUED] if self.queued else []), Status.RUNNING]
        for stage in stages:
            length = self.delay * (
                2 if stage is Status.RUNNING and order.product == "Vector" else 1
            )
            if elapsed < length:
                return stage
            elapsed -= length
        return order.outcome

    def force(self, order_id: str, status: Status) -> bool:
        """Set an order's status now (e.g. FAILED, INVALID); False if the id is unknown."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                return False
            order.forced = status
            return True

    def fail_next(self, status: Status = Status.FAILED) -> None:
        """Make the next AOI order end in ``status`` instead of SUCCESS."""
        with self._lock:
            self._next_outcome.append(status)
