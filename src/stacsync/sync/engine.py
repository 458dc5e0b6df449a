"""The pull engine: plan, then run the asset tasks concurrently and update the catalogue.

Order of effects for one asset, chosen so that an interruption at any point is harmless:

1. the state row becomes ``partial`` with the validator of the response, *before* the first
   byte is written to ``<name>.part``;
2. the bytes are verified, then the part is renamed onto the final path (a file at its final
   path is therefore always complete and verified);
3. the state row becomes ``synced``;
4. the item is rewritten (in batches, atomically) to point at the copy.

A run killed between 2 and 4 leaves a complete copy the next run adopts; nothing ever points
at a file that does not exist.

For an object-store destination, GeoTIFFs and zip deliveries are downloaded into a local
staging folder for the COG step and uploaded from there (:mod:`stacsync.sync.staging`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from obstore.exceptions import BaseError as ObjectStoreError

from stacsync.catalog import CatalogStore
from stacsync.errors import (
    AuthError,
    ChecksumMismatchError,
    ProviderError,
    StacsyncError,
    TransferError,
)
from stacsync.events import (
    AssetSynced,
    OnEvent,
    OrderWaiting,
    PullPlanned,
    PullProgress,
    TransferProgress,
    TransferStarted,
)
from stacsync.sync import rasters
from stacsync.sync.catalogue import ItemEdit, ItemUpdates, apply_copy, iter_items
from stacsync.sync.destinations import Destination, LocalSink, Sink, StoreDestination
from stacsync.sync.plan import (
    Action,
    AssetTask,
    Plan,
    PullOptions,
    StateIndex,
    build_plan,
    name_for,
)
from stacsync.sync.report import AssetOutcome, Outcome, PullReport
from stacsync.sync.sources import Sources, Validators
from stacsync.sync.staging import StagedSink, Staging
from stacsync.sync.state import AssetKey, AssetState, StateDB, Status
from stacsync.sync.transfer import Expected, SpeedMeter, Transfer, Transferred
from stacsync.transport.redact import redact_url

EXPIRED_STATUSES = frozenset({403, 404, 410})
FLUSH_INTERVAL = 1.0
"""Seconds between catalogue writes while assets complete."""


class Orderer(Protocol):
    """Orders an orderable asset and returns the href to download it from."""

    async def order(self, item: dict[str, Any], asset_key: str) -> str:
        """Order ``item``'s asset ``asset_key``; raise OrderFailedError if it cannot be had."""
        ...


def _expired(expires: str | None) -> bool:
    if not expires:
        return False
    try:
        when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return False
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when <= datetime.now(UTC)


def _write_failure(exc: OSError | ObjectStoreError) -> str:
    """Why the copy could not be written (obstore also raises OSErrors, without a strerror)."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot write: {exc.strerror}"
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    return (
        f"object store: {first}" if isinstance(exc, ObjectStoreError) else f"cannot write: {first}"
    )


class PullRun:
    """One pull: owns the plan, the workers, the pending item edits and the report."""

    def __init__(
        self,
        root: Path,
        store: CatalogStore,
        state: StateDB,
        destination: Destination,
        sources: Sources,
        options: PullOptions,
        *,
        on_event: OnEvent | None,
        orderer: Orderer | None,
    ) -> None:
        self.root = root
        self.store = store
        self.state = state
        self.dest = destination
        self.sources = sources
        self.options = options
        self.on_event = on_event
        self.orderer = orderer
        self.report = PullReport()
        self.rows: dict[AssetKey, AssetState] = {}
        self.updates = ItemUpdates(store, batch=options.item_batch, interval=FLUSH_INTERVAL)
        self.remaining: dict[tuple[str, str], int] = {}
        self.items_done = 0
        self.stop = False
        self.cog_slots = asyncio.Semaphore(max(1, options.cog_concurrency))
        self.staging = (
            Staging(root, destination, self.cog_slots)
            if options.cog and isinstance(destination, StoreDestination)
            else None
        )
        self.started = time.monotonic()
        self.progress = SpeedMeter(0.5)
        self.total = 0

    def emit(self, event: Any) -> None:
        """Send ``event`` to the callback, if any."""
        if self.on_event is not None:
            self.on_event(event)

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> PullReport:
        """Plan and execute every task; return the report."""
        self.rows = self.state.load()
        options = self.options
        items = iter_items(self.root, collections=options.collections, items=options.items)
        plan = build_plan(items, options, self.rows)
        self._adopt_renamed(plan)
        self.report.items = plan.items
        self.total = len(plan.tasks)
        for task in plan.tasks:
            key = (task.collection, task.item)
            self.remaining[key] = self.remaining.get(key, 0) + 1
        self.emit(
            PullPlanned(
                items=plan.items,
                assets=len(plan.tasks),
                to_fetch=plan.count(Action.FETCH, Action.CHECK),
                to_skip=plan.count(Action.SKIP, Action.RELINK),
                to_order=plan.count(Action.ORDER),
                bytes_known=plan.bytes_known,
            )
        )
        work = [t for t in plan.tasks if not self._settle_quickly(t)]
        iterator = iter(work)
        try:
            if self.staging is not None:
                self.staging.clear()  # what a killed run left behind
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, min(options.concurrency, len(work)))):
                    group.create_task(self._worker(iterator))
        except* AuthError as group:
            await self.updates.flush(force=True)
            raise group.exceptions[0] from None
        finally:
            if self.staging is not None:
                self.staging.clear()
        await self.updates.flush(force=True)
        self.report.elapsed = time.monotonic() - self.started
        self._emit_progress(force=True)
        return self.report

    def _adopt_renamed(self, plan: Plan) -> None:
        """File rows of assets the COG step renamed (``data`` -> ``archive``) under the new key."""
        index = StateIndex(self.rows)
        for task in plan.tasks:
            if task.ident not in self.rows:
                found = index.row(task)
                if found is not None:
                    self._put_row(replace(found, asset=task.key))

    def _settle_quickly(self, task: AssetTask) -> bool:
        """Finish tasks that need no request (skip, relink, invalid); False if work remains."""
        if task.action is Action.INVALID:
            error = TransferError(redact_url(task.href), task.target, task.reason or "invalid")
            self._done(task, AssetOutcome(task.what, Outcome.FAILED, reason=str(error)), error)
            self._maybe_stop()
            return True
        if task.action not in (Action.SKIP, Action.RELINK):
            return False
        row = self.rows.get(task.ident)
        if row is None or not self._copy_ok(task, row):
            return False
        if task.action is Action.RELINK or task.current_href != self._href(task):
            self._edit_copy(task, row, row.size, row.checksum)
            self._done(task, AssetOutcome(task.what, Outcome.RELINKED))
        else:
            self._done(task, AssetOutcome(task.what, Outcome.SKIPPED))
        return True

    def _copy_ok(self, task: AssetTask, row: AssetState) -> bool:
        if row.local != self.dest.location(task.target):
            return False
        if self.dest.local_root is None:
            return True
        present = self.dest.present(task.target)
        return present is not None and (row.local_size is None or present == row.local_size)

    async def _worker(self, tasks: Any) -> None:
        for task in tasks:
            if self.stop:
                return  # fail-fast: the remaining tasks are not started
            await self._process(task)
            await self.updates.flush()

    async def _process(self, task: AssetTask) -> None:
        action = task.action
        row = self.rows.get(task.ident)
        if action in (Action.SKIP, Action.RELINK):
            action = Action.FETCH  # the copy is missing or elsewhere
            row = None
        try:
            if action is Action.ORDER:
                ordered = await self._order(task)
                if ordered is None:
                    return
                task, row = ordered, None
            await self._fetch(task, row, conditional=action is Action.CHECK)
        except AuthError:
            self.stop = True
            raise
        except StacsyncError as error:
            self._fail(task, error)

    async def _order(self, task: AssetTask) -> AssetTask | None:
        if self.orderer is None:
            self.emit(OrderWaiting(task.what, waiting=True))
            self._put_state(task, Status.ORDERED, error="needs an order")
            self._done(task, AssetOutcome(task.what, Outcome.NEEDS_ORDER, reason="needs order"))
            return None
        self.emit(OrderWaiting(task.what, waiting=False))
        self._put_state(task, Status.ORDERED)
        item = self.store.read_item(task.collection, task.item)
        href = await self.orderer.order(item, task.key)
        # The copy is named after the file the order delivers, as later runs will name it.
        name = name_for(task.key, href, set(), task.item) or task.name
        return replace(task, href=href, name=name, expires=None, orderable=False)

    async def _fetch(self, task: AssetTask, row: AssetState | None, *, conditional: bool) -> None:
        try:
            await self._transfer(task, row, conditional=conditional)
        except ProviderError as error:
            # An order's link (it has an expiry) that answers "gone" is ordered again, also
            # before its stated expiry: providers revoke links early and lose finished orders.
            if error.status not in EXPIRED_STATUSES or task.expires is None:
                raise
            if self.orderer is None:
                gone = (
                    "expired at"
                    if _expired(task.expires)
                    else f"answers HTTP {error.status} before its expiry"
                )
                raise TransferError(
                    redact_url(task.href),
                    task.target,
                    f"the download link {gone} {task.expires}; order the asset again",
                ) from error
            item = self.store.read_item(task.collection, task.item)
            href = await self.orderer.order(item, task.key)
            await self._transfer(replace(task, href=href, expires=None), None, conditional=False)

    async def _transfer(
        self, task: AssetTask, row: AssetState | None, *, conditional: bool
    ) -> None:
        shown = redact_url(task.href)
        same = row is not None and row.remote_href == shown
        resume = (
            same
            and row is not None
            and row.status is Status.PARTIAL
            and self.dest.resumable
            and row.local == self.dest.location(task.target)
        )
        sink = self._sink(task, resume=resume)
        validators = Validators(row.etag, row.last_modified) if row is not None else None
        meter = SpeedMeter(0.5)

        def begin(current: Validators) -> None:
            if self.dest.resumable:
                self._put_state(task, Status.PARTIAL, validators=current, error=None)

        def progress(done: int, total: int | None) -> None:
            if meter.due(done):
                self.emit(TransferProgress(task.what, done, total, meter.speed))

        self.emit(TransferStarted(task.what, shown, sink.offset, task.expected_size))
        transfer = Transfer(
            self.sources.for_href(task.href),
            task.href,
            sink,
            Expected(task.expected_size, task.expected_checksum, task.media_type),
            where=self.dest.location(task.target),
            on_begin=begin,
            on_progress=progress,
        )
        try:
            result = await self._run_transfer(
                transfer,
                resume=validators if resume else None,
                unless=validators if conditional and same else None,
            )
        except ChecksumMismatchError:
            await sink.discard()
            raise
        except (OSError, ObjectStoreError) as exc:
            await sink.suspend()
            raise TransferError(shown, task.target, _write_failure(exc)) from exc
        except BaseException:
            await sink.suspend()
            raise
        if result.not_modified:
            assert row is not None
            self._put_row(replace(row, fingerprint=task.fingerprint, status=Status.SYNCED))
            if not task.pulled or task.current_href != self._href(task):
                self._edit_copy(task, row, row.size, row.checksum)
            self._done(task, AssetOutcome(task.what, Outcome.UNCHANGED))
            return
        try:
            local_size, edit = await self._place(task, sink, result)
        except (OSError, ObjectStoreError) as exc:
            await sink.discard()
            raise TransferError(shown, task.target, _write_failure(exc)) from exc
        new_row = self._put_state(
            task,
            Status.SYNCED,
            validators=result.validators,
            size=result.size,
            checksum=result.checksum,
            local_size=local_size,
            error=None,
        )
        self._edit_copy(task, new_row, result.size, result.checksum, edit=edit)
        outcome = Outcome.RESUMED if result.resumed_from else Outcome.FETCHED
        self._done(task, AssetOutcome(task.what, outcome, result.transferred))

    def _sink(self, task: AssetTask, *, resume: bool) -> Sink:
        """Where ``task``'s bytes go: the destination, or staging before the COG step."""
        if self.staging is not None and self.staging.wants(task):
            return self.staging.sink(task)
        return self.dest.sink(task.target, resume=resume)

    async def _run_transfer(
        self, transfer: Transfer, *, resume: Validators | None, unless: Validators | None
    ) -> Transferred:
        try:
            return await transfer.run(resume=resume, unless=unless)
        except BaseException:
            self.report.bytes_transferred += transfer.transferred  # bytes moved, then lost
            raise

    async def _place(
        self, task: AssetTask, sink: Any, result: Transferred
    ) -> tuple[int, ItemEdit | None]:
        """Commit the verified bytes (converting rasters); the copy's size and an item edit."""
        if isinstance(sink, StagedSink) and self.staging is not None:
            placed = await self.staging.place(task, sink)
        elif self.options.cog and isinstance(sink, LocalSink):
            placed = await rasters.place(
                task.media_type, task.name, task.roles, task.key, sink, self.cog_slots
            )
        else:
            await sink.commit()
            return result.size, None
        if placed.converted:
            self.report.converted += 1
        return placed.size if placed.size is not None else result.size, placed.edit

    # -- state, items, report --------------------------------------------------------------

    def _href(self, task: AssetTask) -> str:
        item_dir = self.root / task.collection / task.item
        return self.dest.href(task.target, item_dir)

    def _put_row(self, row: AssetState) -> AssetState:
        stored = self.state.put(row)
        self.rows[row.key] = stored
        return stored

    def _put_state(self, task: AssetTask, status: Status, **fields: Any) -> AssetState:
        validators: Validators | None = fields.pop("validators", None)
        previous = self.rows.get(task.ident)
        base = previous or AssetState(
            collection=task.collection,
            item=task.item,
            asset=task.key,
            remote_href=redact_url(task.href),
            status=status,
        )
        changes: dict[str, Any] = {
            "remote_href": redact_url(task.href),
            "status": status,
            "local": self.dest.location(task.target),
            "fingerprint": task.fingerprint if status is Status.SYNCED else base.fingerprint,
            **fields,
        }
        if validators is not None:
            changes["etag"], changes["last_modified"] = validators.etag, validators.last_modified
        return self._put_row(replace(base, **changes))

    def _fail(self, task: AssetTask, error: StacsyncError) -> None:
        row = self.rows.get(task.ident)
        keep = row is not None and row.status is Status.PARTIAL
        status = Status.PARTIAL if keep else Status.FAILED
        self._put_state(task, status, error=str(error))
        self._done(task, AssetOutcome(task.what, Outcome.FAILED, reason=str(error)), error)
        self._maybe_stop()

    def _maybe_stop(self) -> None:
        if self.options.fail_fast:
            self.stop = True
            self.report.stopped_early = True

    def _edit_copy(
        self,
        task: AssetTask,
        row: AssetState,
        size: int | None,
        checksum: str | None,
        *,
        edit: ItemEdit | None = None,
    ) -> None:
        href = self._href(task)
        key, remote = task.key, task.href

        def point(item: dict[str, Any]) -> dict[str, Any]:
            return apply_copy(item, key, href=href, remote=remote, size=size, checksum=checksum)

        self.updates.add((task.collection, task.item), point)
        if edit is not None:
            self.updates.add((task.collection, task.item), edit)

    def _done(
        self, task: AssetTask, outcome: AssetOutcome, error: StacsyncError | None = None
    ) -> None:
        self.report.add(outcome, error)
        self.emit(AssetSynced(task.what, outcome.outcome.value, outcome.bytes, outcome.reason))
        key = (task.collection, task.item)
        self.remaining[key] -= 1
        if self.remaining[key] == 0:
            self.items_done += 1
            self.updates.item_done(key)
        self._emit_progress()

    def _emit_progress(self, *, force: bool = False) -> None:
        if self.on_event is None or not (force or self.progress.due(len(self.report.outcomes))):
            return
        self.emit(
            PullProgress(
                assets_done=len(self.report.outcomes),
                assets_total=self.total,
                items_done=self.items_done,
                items_total=len(self.remaining),
                bytes_done=self.report.bytes_transferred,
                elapsed=time.monotonic() - self.started,
            )
        )
