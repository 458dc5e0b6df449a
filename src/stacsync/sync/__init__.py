"""The sync engine behind ``stacsync pull`` and ``stacsync status``.

``plan`` (pure, for ``--dry-run``) turns the catalogue into asset tasks; ``pull`` runs them
concurrently (https through the transport, s3:// through obstore, file://), resumes partial
files, verifies every byte, records the state in ``<catalog>/.stacsync/state.sqlite`` and
points the items at the copies; ``status`` reports what is synced, stale, failed, partial or
waiting for an order. See ``docs/adr/0006-sync-engine.md``.
"""

from collections.abc import Mapping
from pathlib import Path

from stacsync.catalog import CatalogStore
from stacsync.events import OnEvent
from stacsync.sync.catalogue import iter_items
from stacsync.sync.destinations import Destination, destination_for, store_options
from stacsync.sync.engine import Orderer, PullRun
from stacsync.sync.plan import Action, AssetTask, Plan, PullOptions, build_plan
from stacsync.sync.report import AssetOutcome, Outcome, PullReport
from stacsync.sync.sources import Sources, provider_for
from stacsync.sync.state import AssetState, StateDB, Status
from stacsync.sync.status import AssetStatus, StatusReport, status
from stacsync.transport.credentials import ProviderConfig

__all__ = [
    "Action",
    "AssetOutcome",
    "AssetState",
    "AssetStatus",
    "AssetTask",
    "Orderer",
    "Outcome",
    "Plan",
    "PullOptions",
    "PullReport",
    "StateDB",
    "Status",
    "StatusReport",
    "plan",
    "provider_for",
    "pull",
    "status",
    "store_options",
]


async def pull(
    root: Path,
    configs: Mapping[str, ProviderConfig],
    options: PullOptions,
    *,
    on_event: OnEvent | None = None,
    orderer: Orderer | None = None,
    destination: Destination | None = None,
) -> PullReport:
    """Make the catalogue's assets local (or put them in an object store); see the module doc.

    Args:
        root: The catalogue folder.
        configs: Every provider's configuration (credentials, endpoints, limits).
        options: Filters and behaviour.
        on_event: Progress callback.
        orderer: Orders orderable assets; without one they are reported as needing an order.
        destination: Overrides ``options.dest`` (tests inject failing writers here).

    Raises:
        CatalogLockedError: Another pull (or harvest) is writing to the catalogue.
        AuthError: A provider refused the credentials.
    """
    root = Path(root)
    with CatalogStore.open(root, lock_timeout=options.lock_timeout) as store:
        dest = destination or destination_for(
            options.dest,
            root,
            options.dest_options,
            durable=options.durable,
            chunk_size=options.chunk_size,
        )
        with StateDB(root) as state:
            async with Sources(configs, chunk_size=options.chunk_size, on_event=on_event) as src:
                run = PullRun(
                    root, store, state, dest, src, options, on_event=on_event, orderer=orderer
                )
                return await run.run()


def plan(root: Path, options: PullOptions) -> Plan:
    """What a pull would do, without doing it (``--dry-run``); takes no lock."""
    root = Path(root)
    with StateDB(root, readonly=True) as state:
        rows = state.load()
    items = iter_items(root, collections=options.collections, items=options.items)
    return build_plan(items, options, rows)
