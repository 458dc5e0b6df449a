"""Terrascope: a STAC API search with pystac-client; items and collections copied and normalised.

No token is sent to the STAC API (public collections answer anonymously, and a token would
only add a failure mode); tokens are for downloads. Every page request goes through the
provider's limiter. ``--since`` raises the start of the search's datetime interval.

Pages are fetched ahead (at most :data:`PREFETCH`), in a second thread, while the previous one
is normalised: the server's time to answer and the wait for the limiter overlap the mapping.
"""

from __future__ import annotations

import asyncio
import gc
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from typing import Any

from pystac_client import Client

from stacsync.definition import DatetimeInterval, TerrascopeSource
from stacsync.errors import PayloadError, ProviderError, StacsyncError
from stacsync.events import OnEvent, SourceProgress
from stacsync.harvest.model import HarvestOptions, SourceResult
from stacsync.providers.terrascope.stac import normalize_collection, normalize_item
from stacsync.transport.redact import redact_url
from stacsync.transport.session import ProviderSession
from stacsync.transport.stacapi import open_stac_api

PROVIDER = "terrascope"
PAGE_SIZE = 100
PREFETCH = 2
"""Pages fetched ahead of the one being normalised."""


def search_parameters(source: TerrascopeSource, since: datetime | None = None) -> dict[str, Any]:
    """The pystac-client ``search`` arguments of a source."""
    interval = source.datetime
    if since is not None:
        start = since if interval is None or interval.start is None else max(since, interval.start)
        interval = DatetimeInterval(start, interval.end if interval else None)
    limit = PAGE_SIZE if source.max_items is None else max(1, min(PAGE_SIZE, source.max_items))
    params: dict[str, Any] = {"collections": list(source.collections), "limit": limit}
    if source.bbox is not None:
        params["bbox"] = list(source.bbox)
    if interval is not None:
        params["datetime"] = interval.to_stac()
    if source.ids:
        params["ids"] = list(source.ids)
    if source.filter is not None:
        params["filter"] = dict(source.filter)
        params["filter_lang"] = "cql2-json"
    if source.max_items is not None:
        params["max_items"] = source.max_items
    return params


async def harvest_terrascope(
    source: TerrascopeSource,
    session: ProviderSession,
    options: HarvestOptions,
    *,
    on_event: OnEvent | None = None,
) -> SourceResult:
    """Search, then normalise every item and the collections they belong to."""
    result = SourceResult(source.name, PROVIDER)
    loop = asyncio.get_running_loop()
    api = session.config.endpoint("stac_api")
    pages = 0

    def progress(done: bool = False) -> None:
        if on_event is not None:
            event = SourceProgress(source.name, PROVIDER, pages, len(result.items), 0, done)
            loop.call_soon_threadsafe(on_event, event)

    def search() -> None:
        nonlocal pages
        client = open_stac_api(api, session, loop)
        params = search_parameters(source, options.since)
        with (
            closing(_prefetched(_pages(client, params))) as pages_ahead,
            _settled_items() as settle,
        ):
            for page in pages_ahead:
                pages += 1
                for raw in page.get("features", []):
                    try:
                        result.items.append(normalize_item(raw))
                    except PayloadError as exc:
                        result.failures.append((f"{source.name}: item", _located(exc, api)))
                        result.complete = False
                del page
                settle()
                progress()
        wanted = {item["collection"] for item in result.items} | set(source.collections)
        for raw in _collections(client, api, sorted(wanted)):
            collection = normalize_collection(raw)
            result.collections[collection["id"]] = collection

    try:
        await asyncio.to_thread(search)
    except StacsyncError as exc:
        # terra-stac-api answers 401 for collections that are unknown or not public.
        result.failures.append((f"{source.name}: search", exc))
        result.complete = False
    if source.max_items is not None and len(result.items) >= source.max_items:
        result.complete = False  # more may exist upstream: nothing is marked withdrawn
    missing = {item["collection"] for item in result.items} - set(result.collections)
    if missing:
        reason = f"collections {sorted(missing)} are not served by the STAC API"
        result.failures.append((f"{source.name}: collections", PayloadError(PROVIDER, reason)))
        result.items = [i for i in result.items if i["collection"] not in missing]
        result.complete = False
    progress(done=True)
    return result


def _pages(client: Client, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from client.search(**params).pages_as_dicts()


@contextmanager
def _settled_items() -> Iterator[Callable[[], None]]:
    """A function to call after each page so the cyclic GC stops re-scanning harvested items.

    10,000 Terrascope items are millions of dicts and lists; as they pile up, every full
    collection walks all of them again: about 40 % of a 10,000-item harvest's time.
    The function moves every object alive into the GC's permanent generation
    (:func:`gc.freeze`); leaving the block moves them back (:func:`gc.unfreeze`), so cyclic
    garbage made meanwhile is collected later, never leaked. Objects are still freed as soon
    as nothing refers to them. When something else already froze objects, or the GC is off,
    the GC is left alone.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield lambda: None
        return
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _prefetched(
    pages: Iterator[dict[str, Any]], depth: int = PREFETCH
) -> Generator[dict[str, Any], None, None]:
    """``pages`` fetched by a second thread, at most ``depth`` ahead of the consumer.

    An exception raised while fetching is raised here, after the pages before it; a consumer
    that stops early stops the fetching thread before the generator returns.
    """
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for page in pages:
                if not put(("page", page)):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(("error", exc))
        else:
            put(("end", None))

    fetcher = threading.Thread(target=fetch, name="stacsync-terrascope-pages", daemon=True)
    fetcher.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        fetcher.join()


def _collections(client: Client, api: str, ids: list[str]) -> Iterator[dict[str, Any]]:
    io = client._stac_io  # the limited StacApiIO that ``open_stac_api`` installed
    assert io is not None
    for cid in ids:
        url = f"{api.rstrip('/')}/collections/{cid}"
        try:
            raw = io.read_json(url)
        except ProviderError as exc:
            if exc.status == 404:
                continue
            raise
        if not isinstance(raw, dict):
            raise PayloadError(PROVIDER, "collection is not a JSON object", url=redact_url(url))
        yield raw


def _located(exc: PayloadError, api: str) -> PayloadError:
    return PayloadError(PROVIDER, exc.reason, url=exc.url or redact_url(api), field=None)
