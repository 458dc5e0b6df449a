"""The download-task registry and its life cycle on the sandbox clock.

A task is created ``Queued``; FME accepts it (``FMETaskId`` appears) half-way through the queued
phase, reports ``In_progress`` after ``order_delay`` sandbox seconds and ``Finished_ok`` (with
``DownloadURL``, ``FileSize``, ``Message``, ``FinalizationDateTime``) after another
``order_delay``. ``Cancelled`` (DELETE) and the forced states (test hooks) freeze the task at
the moment they are applied. Records are computed when read, so no background job is needed.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stacsync.sandbox.blobs import Blob
from stacsync.sandbox.clms.catalogue import BBox
from stacsync.sandbox.clms.constants import (
    FINISHED_NOK_MESSAGE,
    FINISHED_OK_MESSAGE,
    TERMINAL_STATUSES,
)
from stacsync.sandbox.clock import SandboxClock


@dataclass(frozen=True)
class Extraction:
    """One clip/convert item of a task, as FME will produce it."""

    dataset_uid: str
    product: str
    """File-name stem of the source (e.g. ``WAW_2018_010m_eu_03035_V2_0``)."""
    area: BBox | None
    """(west, south, east, north) in degrees; ``None`` when the NUTS code is unknown."""
    area_label: str
    """``bbox`` or the NUTS code."""
    output_gcs: str
    output_format: str
    start: str | None
    """``YYYYMMDD`` of the TemporalFilter start (the zip folder), if any."""
    index: int
    """1-based position of the item in the request."""


@dataclass(frozen=True)
class Prepackaged:
    """One pre-packaged file of a task."""

    dataset_uid: str
    file_name: str
    """Base name of the file's ``path`` (e.g. ``WAW_2018_010m_ch_03035_v020.zip``)."""
    area: BBox


Output = Extraction | Prepackaged


@dataclass
class Task:
    """A registered download task."""

    task_id: str
    user_id: str
    datasets: list[dict[str, Any]]
    outputs: Sequence[Output]
    registered: float
    fme_task_id: int | None
    """``None`` when the submission to FME failed (the task then stays ``Queued``)."""
    forced: tuple[str, float, str | None] | None = None
    """(status, sandbox time, message) of a cancellation or forced state."""
    package: bytes | None = field(default=None, repr=False)


def iso(timestamp: float) -> str:
    """A naive UTC ISO timestamp like the registry's (``2022-09-29T13:11:39.986121``)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).replace(tzinfo=None).isoformat()


class TaskRegistry:
    """Every task of the site, keyed by TaskID."""

    def __init__(
        self,
        *,
        clock: SandboxClock,
        delay: float,
        link_lifetime: float,
        seed: int,
        download_url: Callable[[int], str],
        producer: Callable[[Task], bytes],
    ) -> None:
        self._clock = clock
        self._delay = max(delay, 0.0)
        self.link_lifetime = link_lifetime
        self._rng = random.Random(seed)
        self._download_url = download_url
        self._producer = producer
        self._tasks: dict[str, Task] = {}
        self._next_fme = 4050 + seed % 1000
        self._lock = threading.RLock()

    def create(
        self,
        *,
        user_id: str,
        datasets: list[dict[str, Any]],
        outputs: Sequence[Output],
        fme_ok: bool = True,
    ) -> Task:
        """Register a task (``random.randint(0, 99999999999)`` TaskIDs, as the utility does)."""
        with self._lock:
            task_id = str(self._rng.randint(0, 99999999999))
            while task_id in self._tasks:
                task_id = str(self._rng.randint(0, 99999999999))
            fme: int | None = None
            if fme_ok:
                fme = self._next_fme
                self._next_fme += 1
            task = Task(
                task_id=task_id,
                user_id=user_id,
                datasets=datasets,
                outputs=tuple(outputs),
                registered=self._clock.now(),
                fme_task_id=fme,
            )
            self._tasks[task_id] = task
            return task

    def get(self, task_id: object) -> Task | None:
        """The task ``task_id`` (number or string)."""
        with self._lock:
            return self._tasks.get(str(task_id))

    def all(self) -> list[Task]:
        """Every task, in creation order."""
        with self._lock:
            return list(self._tasks.values())

    def by_fme_id(self, fme_task_id: int) -> Task | None:
        """The task FME knows as ``fme_task_id``."""
        with self._lock:
            return next((t for t in self._tasks.values() if t.fme_task_id == fme_task_id), None)

    def _natural(self, task: Task, at: float) -> tuple[str, float | None]:
        """(status, finalization time) of the undisturbed life cycle at sandbox time ``at``."""
        if task.fme_task_id is None:
            return "Queued", None
        elapsed = at - task.registered
        if elapsed < self._delay:
            return "Queued", None
        if elapsed < 2 * self._delay:
            return "In_progress", None
        done = task.registered + 2 * self._delay
        if any(isinstance(o, Extraction) and o.area is None for o in task.outputs):
            return "Finished_nok", done
        return "Finished_ok", done

    def status(self, task: Task) -> str:
        """The task's current status."""
        return self.state(task)[0]

    def state(self, task: Task) -> tuple[str, float | None, str | None, bool]:
        """(status, finalization time, message, whether a result zip exists)."""
        now = self._clock.now()
        with self._lock:
            forced = task.forced
        at = min(now, forced[1]) if forced else now
        status, finalized = self._natural(task, at)
        has_result = status == "Finished_ok"
        message: str | None = None
        if status == "Finished_ok":
            message = FINISHED_OK_MESSAGE
        elif status == "Finished_nok":
            message = FINISHED_NOK_MESSAGE
        if forced:
            status, finalized = forced[0], forced[1]
            message = forced[2] if forced[2] is not None else message
            has_result = has_result or status == "Finished_ok"
        return status, finalized, message, has_result

    def fme_visible(self, task: Task) -> bool:
        """Whether ``FMETaskId`` has been written back yet (half-way through ``Queued``)."""
        if task.fme_task_id is None:
            return False
        return self._clock.now() - task.registered >= self._delay / 2 or task.forced is not None

    def record(self, task: Task) -> dict[str, Any]:
        """The task as ``@datarequest_status_get`` returns it."""
        status, finalized, message, has_result = self.state(task)
        record: dict[str, Any] = {
            "Datasets": task.datasets,
            "RegistrationDateTime": iso(task.registered),
            "Status": status,
            "UserID": task.user_id,
        }
        if self.fme_visible(task) and task.fme_task_id is not None:
            record["FMETaskId"] = task.fme_task_id
        if has_result and task.fme_task_id is not None:
            record["DownloadURL"] = self._download_url(task.fme_task_id)
            record["FileSize"] = len(self.package(task))
        if finalized is not None and status in TERMINAL_STATUSES:
            record["FinalizationDateTime"] = iso(finalized)
        if message is not None:
            record["Message"] = message
        return record

    def package(self, task: Task) -> bytes:
        """The result zip (built once)."""
        with self._lock:
            if task.package is None:
                task.package = self._producer(task)
            return task.package

    def search(self, user_id: str, status: str | None = None) -> dict[str, dict[str, Any]]:
        """``@datarequest_search``: the user's tasks keyed by TaskID."""
        found: dict[str, dict[str, Any]] = {}
        for task in self.all():
            if task.user_id != user_id:
                continue
            record = self.record(task)
            if status is None or record["Status"] == status:
                found[task.task_id] = record
        return found

    def force(self, task: Task, status: str, message: str | None = None) -> None:
        """Freeze ``task`` in ``status`` now (DELETE -> ``Cancelled``; test hooks)."""
        with self._lock:
            task.forced = (status, self._clock.now(), message)

    def result(self, fme_task_id: int) -> Blob | None:
        """The downloadable zip of FME task ``fme_task_id``, or ``None`` (unknown / expired)."""
        task = self.by_fme_id(fme_task_id)
        if task is None:
            return None
        _status, finalized, _message, has_result = self.state(task)
        if not has_result or finalized is None:
            return None
        if self._clock.now() >= finalized + self.link_lifetime:
            return None
        return Blob(
            data=self.package(task),
            media_type="application/zip",
            modified=datetime.fromtimestamp(finalized, tz=UTC).replace(microsecond=0),
            filename=f"{fme_task_id}.zip",
        )
