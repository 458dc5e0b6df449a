"""CLC+ Backbone: AOI orders (asynchronous), national and Europe products (synchronous).

An AOI order's id is written to the ledger as soon as the API accepts it, so a re-run polls
that order instead of placing a second one; a failed order is reported and forgotten.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from stacsync.definition import BackboneSource
from stacsync.errors import AuthError, ConfigError, OrderFailedError, ProviderError, StacsyncError
from stacsync.events import OnEvent, SourceProgress
from stacsync.harvest.ledger import Ledger
from stacsync.harvest.model import HarvestOptions, SourceResult
from stacsync.harvest.polling import poll_until
from stacsync.providers.backbone import records, stac
from stacsync.providers.backbone.requests import (
    OrderKind,
    OrderRequest,
    check_order,
    order_payload,
    request_key,
)
from stacsync.transport.session import ProviderSession

PROVIDER = "backbone"


def order_request(source: BackboneSource) -> OrderRequest:
    """The order a source describes."""
    return OrderRequest(
        kind=OrderKind(source.kind), product=source.product, aoi=source.aoi, nation=source.nation
    )


def storage_for(session: ProviderSession) -> stac.S3Storage:
    """Where the provider mirrors AOI results (its S3 endpoint and bucket)."""
    config = session.config
    return stac.S3Storage(
        endpoint=config.endpoint("s3"),
        bucket=config.s3_bucket or stac.DEFAULT_STORAGE.bucket,
        region=config.s3_region or stac.DEFAULT_STORAGE.region,
    )


async def harvest_backbone(
    source: BackboneSource,
    session: ProviderSession,
    ledger: Ledger,
    options: HarvestOptions,
    *,
    existing: Callable[[str, str], object | None],
    on_event: OnEvent | None = None,
) -> SourceResult:
    """Order (or pick up) the source's product and map it to an item."""
    result = SourceResult(source.name, PROVIDER)
    request = order_request(source)
    key = request_key(request)
    collection = stac.collection_for(stac.collection_key(request))
    result.collections[collection["id"]] = collection

    def fail(error: StacsyncError) -> SourceResult:
        result.failures.append((f"{source.name}: {request.kind.value} order", error))
        result.complete = False
        return result

    known = ledger.order(source.name, key)
    if (
        known is not None
        and known.get("done")
        and existing(collection["id"], stac.item_id(request))
    ):
        result.keep.add((collection["id"], stac.item_id(request)))  # delivered by an earlier run
        _progress(on_event, source, result)
        return result
    try:
        check_order(request)
        session.config.require("user_id")
        assert session.config.user_id is not None
        body = order_payload(request, session.config.user_id)
        url = session.config.endpoint("api") + request.kind.endpoint
        if request.kind is not OrderKind.AOI:
            answer = await session.json("POST", url, json=body)
            status = records.parse_product_result(answer, url=url)
        else:
            order_id = await _order_id(session, ledger, source.name, key, url, body)
            status_url = f"{session.config.endpoint('order_status')}/{order_id}"

            async def check() -> tuple[bool, records.OrderStatus]:
                answer = await session.json("GET", status_url)
                parsed = records.parse_order_status(answer, url=status_url)
                return parsed.state is not records.OrderState.PENDING, parsed

            done, status = await poll_until(
                check,
                initial=options.poll_initial,
                maximum=options.poll_max,
                deadline=time.monotonic() + options.max_wait,
            )
            if not done:
                result.waiting.append(f"{source.name}: order {order_id} ({status.status})")
                result.complete = False
                return result
            if status.state is not records.OrderState.SUCCEEDED:
                ledger.forget_order(source.name, key)
                return fail(OrderFailedError(PROVIDER, order_id, f"status {status.status}"))
        result.items.append(stac.item_from_order(request, status, storage=storage_for(session)))
        ledger.record_order(source.name, key, order_id=status.order_id, done=True)
    except AuthError:
        raise
    except ProviderError as exc:
        return fail(exc)
    except ConfigError:
        raise
    except StacsyncError as exc:
        return fail(exc)
    finally:
        _progress(on_event, source, result)
    return result


def _progress(on_event: OnEvent | None, source: BackboneSource, result: SourceResult) -> None:
    if on_event is not None:
        on_event(
            SourceProgress(source.name, PROVIDER, 1, len(result.items), len(result.waiting), True)
        )


async def _order_id(
    session: ProviderSession, ledger: Ledger, source: str, key: str, url: str, body: object
) -> str:
    known = ledger.order(source, key)
    if known is not None and known.get("order_id"):
        return str(known["order_id"])
    answer = await session.json("POST", url, json=body)
    receipt = records.parse_order_receipt(answer, url=url)
    ledger.record_order(source, key, order_id=receipt.order_id)
    return receipt.order_id
