"""Progress events rendered on stderr with rich (the library only emits events)."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from stacsync.events import (
    AssetSynced,
    Event,
    OrderWaiting,
    PullPlanned,
    RequestRetried,
    SourceProgress,
    TokenIssued,
    TransferProgress,
    TransferStarted,
)
from stacsync.events import PullProgress as PullProgressEvent

log = logging.getLogger("stacsync")


class _Display:
    """A rich progress display shown while the ``with`` block runs."""

    _progress: Progress

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()


class HarvestProgress(_Display):
    """One line per source: pages read, items mapped, orders waiting."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[source]}[/] ({task.fields[provider]})"),
            TextColumn("{task.fields[pages]} pages, {task.fields[items]} items"),
            TextColumn("{task.fields[waiting]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, event: Event) -> None:
        """Render one event."""
        if isinstance(event, SourceProgress):
            waiting = f"{event.waiting} orders waiting" if event.waiting else ""
            fields: dict[str, Any] = {
                "source": event.source,
                "provider": event.provider,
                "pages": event.pages,
                "items": event.items,
                "waiting": waiting,
            }
            task = self._tasks.get(event.source)
            if task is None:
                task = self._tasks[event.source] = self._progress.add_task("", total=1, **fields)
            self._progress.update(task, completed=1 if event.done else 0, **fields)
        else:
            _log_transport(event)


def _log_transport(event: Event) -> None:
    if isinstance(event, RequestRetried):
        log.info(
            "%s: retrying %s in %.1f s (%s, attempt %d)",
            event.provider,
            event.url,
            event.delay,
            event.reason,
            event.attempt,
        )
    elif isinstance(event, TokenIssued):
        log.info("%s: new %s token (valid %g s)", event.provider, event.grant, event.lifetime)


class PullProgress(_Display):
    """Overall assets and bytes, one bar per file in flight, orders waiting."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not enabled,
        )
        self._overall: TaskID | None = None
        self._files: dict[str, TaskID] = {}
        self._waiting = 0

    def __call__(self, event: Event) -> None:
        """Render one event."""
        progress = self._progress
        if isinstance(event, PullPlanned):
            self._overall = progress.add_task(
                f"{event.to_fetch} to fetch, {event.to_skip} current, {event.to_order} to order",
                total=event.bytes_known or None,
            )
        elif isinstance(event, TransferStarted):
            self._files[event.what] = progress.add_task(
                event.what[-50:], total=event.total, completed=event.offset
            )
        elif isinstance(event, TransferProgress):
            task = self._files.get(event.what)
            if task is not None:
                progress.update(task, completed=event.done, total=event.total)
        elif isinstance(event, AssetSynced):
            task = self._files.pop(event.what, None)
            if task is not None:
                progress.remove_task(task)
            if event.outcome == "failed":
                log.warning("failed: %s: %s", event.what, event.reason)
        elif isinstance(event, OrderWaiting):
            self._waiting += 1 if event.waiting else -1
            log.info("order %s: %s", "placed" if event.waiting else "done", event.what)
        elif isinstance(event, PullProgressEvent) and self._overall is not None:
            progress.update(
                self._overall,
                completed=event.bytes_done,
                description=f"{event.assets_done}/{event.assets_total} assets, "
                f"{event.items_done}/{event.items_total} items"
                + (f", {self._waiting} orders waiting" if self._waiting > 0 else ""),
            )
        else:
            _log_transport(event)
