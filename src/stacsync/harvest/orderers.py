"""Ordering on demand for ``stacsync pull``: CLMS pre-packaged files and expired extractions.

A pre-packaged file's item carries its dataset UID and FileID; ordering it submits the
download-tool request, polls the task and returns its ``DownloadURL``. An extraction whose link
expired is ordered again with the exact request body the harvest submitted (kept in the
ledger). The new task id replaces the old one in the ledger.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from stacsync.errors import OrderFailedError
from stacsync.events import OnEvent
from stacsync.harvest.ledger import Ledger
from stacsync.harvest.model import SOURCE
from stacsync.harvest.polling import poll_until
from stacsync.providers.clms import requests, tasks
from stacsync.transport import ProviderConfig, open_provider
from stacsync.transport.session import ProviderSession

PROVIDER = "clms"
JSON = {"Accept": "application/json"}


class ClmsOrderer:
    """Orders CLMS assets through an open CLMS session; one instance per pull.

    Args:
        session: The CLMS provider session (authenticated).
        root: The catalogue root (its ledger holds the harvest's request bodies).
        max_wait: Seconds to wait for a task before giving up for this run.
        poll_initial: First wait between status requests.
        poll_max: Longest wait between status requests.
    """

    def __init__(
        self,
        session: ProviderSession,
        root: Path,
        *,
        max_wait: float = 3600.0,
        poll_initial: float = 1.0,
        poll_max: float = 30.0,
    ) -> None:
        self.session = session
        self.api = session.config.endpoint("api")
        self.ledger = Ledger.load(root)
        self.max_wait = max_wait
        self.poll_initial = poll_initial
        self.poll_max = poll_max

    def handles(self, item: dict[str, Any]) -> bool:
        """Whether ``item`` is a CLMS item this orderer can order."""
        props = item.get("properties", {})
        return "clms:dataset_uid" in props

    async def order(self, item: dict[str, Any], asset_key: str) -> str:
        """Order the asset's file and return its download URL once the task has finished."""
        payload, key, source = self._payload(item)
        url = f"{self.api}/@datarequest_post"
        answer = await self.session.json("POST", url, json=payload, headers=JSON)
        submission = tasks.parse_submission(answer, url=url)
        what = f"{item.get('id')}/{asset_key}"
        if submission.errors or not submission.task_ids:
            message = "; ".join(e.message for e in submission.errors) or "no task id returned"
            raise OrderFailedError(PROVIDER, what, message, url=url)
        task_id = submission.task_ids[0]
        if key is not None and source is not None:
            known = self.ledger.order(source, key) or {}
            self.ledger.record_order(source, key, **{**known, "task_id": task_id})
        done, task = await poll_until(
            lambda: self._status(task_id),
            initial=self.poll_initial,
            maximum=self.poll_max,
            deadline=time.monotonic() + self.max_wait,
        )
        if not done:
            raise OrderFailedError(PROVIDER, task_id, f"still {task.status}; pull again later")
        if task.state is not tasks.TaskState.SUCCEEDED or not task.download_url:
            reason = f"{task.status}: {task.message or 'no download URL'}"
            raise OrderFailedError(PROVIDER, task_id, reason)
        return task.download_url

    def _payload(self, item: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
        props = item.get("properties", {})
        uid, file_id = props.get("clms:dataset_uid"), props.get("clms:file_id")
        if isinstance(uid, str) and isinstance(file_id, str):
            spec = requests.PrepackagedSpec(dataset_uid=uid, file_id=file_id)
            return requests.build_datarequest([spec]), None, None
        key, source = props.get("clms:request_key"), props.get(SOURCE)
        known = self.ledger.order(str(source), str(key)) if key and source else None
        if known is None or not isinstance(known.get("payload"), dict):
            raise OrderFailedError(
                PROVIDER,
                str(item.get("id")),
                "the extraction request is not in this catalogue's ledger; "
                "run stacsync harvest again to order it",
            )
        return dict(known["payload"]), str(key), str(source)

    async def _status(self, task_id: str) -> tuple[bool, tasks.Task]:
        url = f"{self.api}/@datarequest_status_get?{urlencode({'TaskID': task_id})}"
        body = await self.session.json("GET", url, headers=JSON)
        task = tasks.parse_task(body, task_id=task_id, url=url)
        return task.final, task


class ProviderOrderers:
    """The orderer ``stacsync pull`` gets: opens each provider's session on first use.

    Args:
        configs: Every provider's configuration.
        root: The catalogue root.
        stack: Where opened sessions are registered for closing.
        on_event: Receives transport events.
    """

    def __init__(
        self,
        configs: Mapping[str, ProviderConfig],
        root: Path,
        stack: AsyncExitStack,
        *,
        on_event: OnEvent | None = None,
    ) -> None:
        self.configs = configs
        self.root = root
        self.stack = stack
        self.on_event = on_event
        self._clms: ClmsOrderer | None = None

    async def order(self, item: dict[str, Any], asset_key: str) -> str:
        """Order ``item``'s asset with its provider."""
        if "clms:dataset_uid" in item.get("properties", {}):
            if "clms" not in self.configs:
                raise OrderFailedError(
                    "clms",
                    f"{item.get('id')}/{asset_key}",
                    "no CLMS credentials are configured (see the CLMS provider page)",
                )
            if self._clms is None:
                session = await self.stack.enter_async_context(
                    open_provider(self.configs["clms"], on_event=self.on_event)
                )
                self._clms = ClmsOrderer(session, self.root)
            return await self._clms.order(item, asset_key)
        provider = str(item.get("properties", {}).get(SOURCE, "unknown"))
        raise OrderFailedError(
            provider,
            f"{item.get('id')}/{asset_key}",
            "this asset cannot be ordered on demand; run stacsync harvest again",
        )
