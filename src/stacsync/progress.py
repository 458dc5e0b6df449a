"""Progress events rendered on stderr with rich (the library only emits events)."""

from __future__ import annotations

import logging
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from stacsync.events import Event, RequestRetried, SourceProgress, TokenIssued

log = logging.getLogger("stacsync")


class HarvestProgress:
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

    def __enter__(self) -> HarvestProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, event: Event) -> None:
        """Render one event."""
        if isinstance(event, SourceProgress):
            waiting = f"{event.waiting} orders waiting" if event.waiting else ""
            fields = {
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
        elif isinstance(event, RequestRetried):
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
