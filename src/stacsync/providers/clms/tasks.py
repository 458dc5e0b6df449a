"""Download-tool records: tokens, ``@datarequest_post`` answers, task records, error bodies.

Task records come from ``@datarequest_status_get`` (one record) and ``@datarequest_search``
(an object keyed by TaskID). Statuses are the download tool's ``STATUS_LIST``; CDSE child
tasks use upper-case variants, which are understood too. An unknown status is kept verbatim,
reported with a :class:`~stacsync.errors.ProviderWarning` and treated as still running.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from stacsync.providers.clms.constants import PROVIDER
from stacsync.providers.payload import (
    At,
    optional_datetime,
    optional_int,
    optional_str,
    require,
    require_datetime,
    require_int,
    require_list,
    require_object,
    require_str,
    string_list,
    to_datetime,
    to_float,
)


class TaskState(enum.Enum):
    """What a task status means for the harvest."""

    PENDING = "pending"
    """Queued or running: poll again."""
    SUCCEEDED = "succeeded"
    """``Finished_ok``: the DownloadURL is ready."""
    FAILED = "failed"
    """``Finished_nok``, ``Rejected``: no result."""
    CANCELLED = "cancelled"


_STATES: Mapping[str, TaskState] = {
    "queued": TaskState.PENDING,
    "in_progress": TaskState.PENDING,
    "in progress": TaskState.PENDING,
    "finished_ok": TaskState.SUCCEEDED,
    "finished_nok": TaskState.FAILED,
    "rejected": TaskState.FAILED,
    "cancelled": TaskState.CANCELLED,
}
ORDER_STATUS: Mapping[TaskState, str] = {
    TaskState.PENDING: "pending",
    TaskState.SUCCEEDED: "succeeded",
    TaskState.FAILED: "failed",
    TaskState.CANCELLED: "canceled",
}
"""The order extension's ``order:status`` for each state."""


@dataclass(frozen=True)
class Token:
    """An access token from the ``@@oauth2-token`` JWT-bearer grant."""

    access_token: str = field(repr=False)
    expires_in: int
    """Lifetime in seconds."""
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)


@dataclass(frozen=True)
class TaskDataset:
    """One entry of a task's ``Datasets`` list, as the registry stores it."""

    dataset_id: str
    title: str | None = None
    nuts_id: str | None = None
    nuts_name: str | None = None
    bounding_box: tuple[float, float, float, float] | None = None
    """``BoundingBox`` as sent (two opposite lon/lat corners)."""
    start: datetime | None = None
    end: datetime | None = None
    output_format: str | None = None
    output_gcs: str | None = None
    layer: str | None = None
    file_id: str | None = None
    source: str | None = None
    metadata: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """A download task record."""

    task_id: str
    status: str
    """The status exactly as sent (``Finished_ok``, ``In_progress`` ...)."""
    state: TaskState
    registered: datetime
    datasets: tuple[TaskDataset, ...] = ()
    finalized: datetime | None = None
    download_url: str | None = None
    file_size: int | None = None
    message: str | None = None
    fme_task_id: int | None = None

    @property
    def final(self) -> bool:
        """Whether the status will not change any more."""
        return self.state is not TaskState.PENDING


@dataclass(frozen=True)
class RejectedTask:
    """A task the portal registered but could not hand to its processing service."""

    task_id: str | None
    message: str


@dataclass(frozen=True)
class Submission:
    """The answer of ``@datarequest_post`` (HTTP 201)."""

    task_ids: tuple[str, ...]
    errors: tuple[RejectedTask, ...] = ()


def parse_token(value: object, *, url: str | None = None) -> Token:
    """The token endpoint's 200 body ``{"access_token", "expires_in", "token_type"}``."""
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    token_type = optional_str(obj, "token_type", at) or "Bearer"
    if token_type.lower() != "bearer":
        (at / "token_type").fail(f"expected 'Bearer', got {token_type!r}")
    return Token(
        access_token=require_str(obj, "access_token", at),
        expires_in=require_int(obj, "expires_in", at, numeric_str=True),
        token_type=token_type,
    )


def _task_id(value: object, at: At) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        at.fail("expected a TaskID (a string of digits)")
    return str(value).strip()


def parse_submission(value: object, *, url: str | None = None) -> Submission:
    """``{"TaskIds": [{"TaskID"}], "ErrorTaskIds": [...]}`` from ``@datarequest_post``."""
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    ids: list[str] = []
    for index, entry in enumerate(require_list(require(obj, "TaskIds", at), at / "TaskIds")):
        where = at / "TaskIds" / index
        ids.append(
            _task_id(require(require_object(entry, where), "TaskID", where), where / "TaskID")
        )
    errors: list[RejectedTask] = []
    raw_errors = require_list(obj.get("ErrorTaskIds") or [], at / "ErrorTaskIds")
    for index, entry in enumerate(raw_errors):
        where = at / "ErrorTaskIds" / index
        if isinstance(entry, str | int) and not isinstance(entry, bool):
            errors.append(RejectedTask(str(entry), "submission to the processing service failed"))
            continue
        record = require_object(entry, where)
        task_id = record.get("TaskID")
        message = error_message(record) or "submission to the processing service failed"
        errors.append(RejectedTask(None if task_id is None else str(task_id), message))
    return Submission(task_ids=tuple(ids), errors=tuple(errors))


def _bounding_box(value: object, at: At) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    numbers = [to_float(v) for v in require_list(value, at)]
    if len(numbers) != 4 or any(n is None for n in numbers):
        at.fail("expected four numbers")
    a, b, c, d = (float(n) for n in numbers if n is not None)
    return (a, b, c, d)


def _task_dataset(value: object, at: At) -> TaskDataset:
    obj = require_object(value, at)
    temporal = obj.get("TemporalFilter")
    start = end = None
    if temporal is not None:
        span = require_object(temporal, at / "TemporalFilter")
        start = to_datetime(span.get("StartDate"))
        end = to_datetime(span.get("EndDate"))
        if start is None or end is None:
            (at / "TemporalFilter").warn("StartDate/EndDate are not dates; ignored")
    return TaskDataset(
        dataset_id=require_str(obj, "DatasetID", at),
        title=optional_str(obj, "DatasetTitle", at),
        nuts_id=optional_str(obj, "NUTSID", at),
        nuts_name=optional_str(obj, "NUTSName", at),
        bounding_box=_bounding_box(obj.get("BoundingBox"), at / "BoundingBox"),
        start=start,
        end=end,
        output_format=optional_str(obj, "OutputFormat", at),
        output_gcs=optional_str(obj, "OutputGCS", at),
        layer=optional_str(obj, "Layer", at),
        file_id=optional_str(obj, "FileID", at),
        source=optional_str(obj, "DatasetSource", at),
        metadata=string_list(obj, "Metadata", at),
    )


def state_of(status: str, at: At) -> TaskState:
    """The :class:`TaskState` of a status string (unknown: warn, pending)."""
    state = _STATES.get(status.strip().lower())
    if state is None:
        (at / "Status").warn(f"unknown task status {status!r}; treated as still running")
        return TaskState.PENDING
    return state


def parse_task(value: object, *, task_id: str | None = None, url: str | None = None) -> Task:
    """One task record (``@datarequest_status_get``, or a value of ``@datarequest_search``).

    Args:
        value: The decoded record.
        task_id: The TaskID (the search key, or the one asked for).
        url: The request URL, for errors.

    Raises:
        PayloadError: A required field is missing or mistyped, or a ``Finished_ok`` task has no
            ``DownloadURL``.
    """
    at = At(PROVIDER, url, task_id or "")
    obj = require_object(value, at)
    status = require_str(obj, "Status", at)
    state = state_of(status, at)
    datasets = require_list(require(obj, "Datasets", at), at / "Datasets")
    download_url = optional_str(obj, "DownloadURL", at)
    if state is TaskState.SUCCEEDED and download_url is None:
        (at / "DownloadURL").fail(f"missing although the task is {status}")
    size = optional_int(obj, "FileSize", at)
    if size is not None and size < 0:
        (at / "FileSize").fail(f"negative size {size}")
    finalized = optional_datetime(obj, "FinalizationDateTime", at)
    if state is not TaskState.PENDING and finalized is None:
        (at / "FinalizationDateTime").warn(f"missing although the task is {status}")
    return Task(
        task_id=task_id or "",
        status=status,
        state=state,
        registered=require_datetime(obj, "RegistrationDateTime", at),
        datasets=tuple(_task_dataset(d, at / "Datasets" / i) for i, d in enumerate(datasets)),
        finalized=finalized,
        download_url=download_url,
        file_size=size,
        message=optional_str(obj, "Message", at),
        fme_task_id=optional_int(obj, "FMETaskId", at, numeric_str=True),
    )


def parse_task_search(value: object, *, url: str | None = None) -> dict[str, Task]:
    """``@datarequest_search``: the caller's tasks keyed by TaskID (``{}`` when none)."""
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    if obj.get("status") == "error":
        at.fail(f"an error body instead of tasks: {error_message(obj) or 'no message'}")
    return {str(key): parse_task(record, task_id=str(key), url=url) for key, record in obj.items()}


def error_message(value: object) -> str | None:
    """The provider's message in any CLMS error body, or ``None``.

    Understands ``{"status": "error", "msg"}`` (download tool), ``{"message"}`` (auxiliary API,
    plone.restapi ``{"message", "type"}``) and ``{"error", "error_description"}`` (token).
    """
    if not isinstance(value, Mapping):
        return None
    for key in ("msg", "message", "error_description", "error"):
        text = value.get(key)
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


def expires_at(task: Task, lifetime: timedelta) -> datetime | None:
    """When the task's DownloadURL stops working (``finalized + lifetime``), if known."""
    if task.finalized is None:
        return None
    return (task.finalized + lifetime).astimezone(UTC)
