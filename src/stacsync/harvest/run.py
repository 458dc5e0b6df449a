"""A harvest run: each source through its provider's session, results into the catalogue.

Sources run one after the other; what a source yields is written before the next one starts,
so a failure later never loses what was harvested before it. Per-request failures (a rejected
extraction, a failed order, a malformed item) are collected and reported; authentication and
configuration errors stop the run. Items that a complete run of a source no longer yields are
kept and marked ``stacsync:withdrawn``; nothing is deleted.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import orjson

from stacsync.catalog.store import CatalogInfo, CatalogStore
from stacsync.definition import BackboneSource, CatalogDefinition, ClmsSource, Source
from stacsync.errors import CatalogError, ConfigError
from stacsync.events import OnEvent
from stacsync.harvest.backbone import harvest_backbone, order_request
from stacsync.harvest.clms import ClmsHarvester, search_url
from stacsync.harvest.ledger import Ledger
from stacsync.harvest.model import (
    SOURCE,
    UPSTREAM,
    WITHDRAWN,
    HarvestOptions,
    HarvestReport,
    SourceResult,
)
from stacsync.harvest.terrascope import harvest_terrascope, search_parameters
from stacsync.providers.backbone.requests import normalised as backbone_request
from stacsync.transport import ProviderConfig, open_provider


def selected(definition: CatalogDefinition, names: Sequence[str]) -> list[Source]:
    """The sources to run (all, or those named; an unknown name is a :class:`ConfigError`)."""
    if not names:
        return list(definition.sources)
    known = {s.name for s in definition.sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"unknown source(s) {', '.join(unknown)}; the definition has {', '.join(sorted(known))}"
        )
    return [s for s in definition.sources if s.name in names]


def plan_harvest(
    definition: CatalogDefinition,
    configs: Mapping[str, ProviderConfig],
    options: HarvestOptions,
) -> list[dict[str, Any]]:
    """What a harvest would request and where it would write, without contacting anyone."""
    plan: list[dict[str, Any]] = []
    for source in selected(definition, options.sources):
        config = configs[source.provider]
        entry: dict[str, Any] = {"source": source.name, "provider": source.provider}
        if isinstance(source, ClmsSource):
            api = config.endpoint("api")
            entry["requests"] = [f"GET {search_url(api, d)}" for d in source.datasets]
            if source.extract is not None:
                extract = {k: v for k, v in asdict(source.extract).items() if v is not None}
                entry["requests"].append(f"POST {api}/@datarequest_post (one per dataset)")
                entry["extract"] = _jsonable(extract)
            if source.prepackaged:
                entry["prepackaged"] = _jsonable(source.prepackaged)
        elif isinstance(source, BackboneSource):
            request = order_request(source)
            entry["requests"] = [f"POST {config.endpoint('api')}{request.kind.endpoint}"]
            entry["order"] = backbone_request(request)
        else:
            entry["requests"] = [f"POST {config.endpoint('stac_api').rstrip('/')}/search"]
            entry["search"] = _jsonable(search_parameters(source, options.since))
        entry["writes"] = str(definition.path)
        plan.append(entry)
    return plan


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


async def harvest(
    definition: CatalogDefinition,
    configs: Mapping[str, ProviderConfig],
    options: HarvestOptions,
    *,
    on_event: OnEvent | None = None,
    lock_timeout: float = 0.0,
    durable: bool = False,
) -> HarvestReport:
    """Run the definition's sources and write the results into its catalogue."""
    root = definition.path
    report = HarvestReport(str(root / "catalog.json"))
    sources = selected(definition, options.sources)
    if options.dry_run:
        report.plan = plan_harvest(definition, configs, options)
        return report
    info = CatalogInfo(id=definition.id, title=definition.title, description=definition.description)
    with CatalogStore.open(root, create=info, lock_timeout=lock_timeout, durable=durable) as store:
        ledger = Ledger.load(root)
        for source in sources:
            # The Terrascope STAC API is public: searching needs no credentials.
            authenticated = source.provider != "terrascope"
            config = configs[source.provider]
            async with open_provider(
                config, authenticated=authenticated, on_event=on_event
            ) as session:
                if isinstance(source, ClmsSource):
                    harvester = ClmsHarvester(
                        source,
                        session,
                        ledger,
                        options,
                        existing=lambda c, i: _existing(store, c, i),
                        on_event=on_event,
                    )
                    result = await harvester.run()
                elif isinstance(source, BackboneSource):
                    result = await harvest_backbone(
                        source,
                        session,
                        ledger,
                        options,
                        existing=lambda c, i: _existing(store, c, i),
                        on_event=on_event,
                    )
                else:
                    result = await harvest_terrascope(source, session, options, on_event=on_event)
            _write(store, ledger, result, report)
        ledger.save()
    return report


def _existing(store: CatalogStore, collection: str, item: str) -> dict[str, Any] | None:
    try:
        return store.read_item(collection, item)
    except (CatalogError, OSError):
        return None


def _write(
    store: CatalogStore, ledger: Ledger, result: SourceResult, report: HarvestReport
) -> None:
    for record in result.collections.values():
        report.files_written += len(store.upsert_collection(record).files_written)
    by_collection: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in result.items:
        item["properties"][SOURCE] = result.name
        digest = upstream_digest(item)
        stored = _existing(store, item["collection"], item["id"])
        kept = stored.get("properties", {}) if stored is not None else {}
        if kept.get(UPSTREAM) == digest and not kept.get(WITHDRAWN):
            result.keep.add((item["collection"], item["id"]))  # same upstream: keep as synced
            continue
        item["properties"][UPSTREAM] = digest
        by_collection[item["collection"]].append(item)
    for collection, items in sorted(by_collection.items()):
        upserted = store.upsert_items(items)
        row = report.counts(collection)
        row.new += upserted.created
        row.updated += upserted.updated
        row.unchanged += upserted.unchanged
        report.files_written += len(upserted.files_written)
    for collection in result.collections:
        report.counts(collection)
    for collection, _ in result.keep:
        report.counts(collection).unchanged += 1
    current = {(i["collection"], i["id"]) for i in result.items} | result.keep
    previous = ledger.source_items(result.name)
    if result.complete:
        _withdraw(store, sorted(previous - current), report)
        ledger.set_source_items(result.name, current)
    else:
        ledger.set_source_items(result.name, previous | current)
    row_for_failures = next(iter(result.collections), result.name)
    report.counts(row_for_failures).failed += len(result.failures)
    report.failures.extend(result.failures)
    report.waiting.extend(result.waiting)


def upstream_digest(item: dict[str, Any]) -> str:
    """A digest of an item as harvested (``stacsync:*`` bookkeeping excluded)."""
    properties = {k: v for k, v in item.get("properties", {}).items() if k != UPSTREAM}
    canonical = orjson.dumps({**item, "properties": properties}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:32]


def _withdraw(store: CatalogStore, gone: list[tuple[str, str]], report: HarvestReport) -> None:
    for collection, item_id in gone:
        item = _existing(store, collection, item_id)
        if item is None or item.get("properties", {}).get(WITHDRAWN) is True:
            continue
        item["properties"][WITHDRAWN] = True
        upserted = store.upsert_items([item])
        report.counts(collection).withdrawn += 1
        report.files_written += len(upserted.files_written)
