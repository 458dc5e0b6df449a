"""CLMS: datasets from ``@search``, pre-packaged files as orderable items, extraction tasks.

Each extraction request is submitted once: its task id is written to the ledger before the
first status request, and when the ledger is lost the caller's finished and running tasks
(``@datarequest_search``) are matched against the request first. Failed, rejected and
cancelled tasks are reported with the provider's message and forgotten, so that a later run
orders again; tasks still running when ``max_wait`` runs out are left for a later run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from stacsync.definition import ClmsExtraction, ClmsSource
from stacsync.errors import (
    AuthError,
    OrderFailedError,
    ProviderError,
    RequestRejectedError,
    StacsyncError,
)
from stacsync.events import OnEvent, SourceProgress
from stacsync.harvest.ledger import Ledger
from stacsync.harvest.model import HarvestOptions, SourceResult
from stacsync.harvest.polling import poll_until
from stacsync.providers.clms import records, requests, stac, tasks
from stacsync.transport.session import ProviderSession

PROVIDER = "clms"
JSON = {"Accept": "application/json"}


def _is_uid(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value.lower())


def search_url(api: str, dataset: str) -> str:
    """The ``@search`` URL that finds one dataset by UID or short name, with full objects."""
    key = "UID" if _is_uid(dataset) else "id"
    query = {"portal_type": "DataSet", key: dataset, "fullobjects": "1", "b_size": "25"}
    return f"{api}/@search?{urlencode(query)}"


def extraction_spec(ds: records.Dataset, extract: ClmsExtraction) -> requests.ExtractionSpec:
    """The extraction request of ``ds`` that ``extract`` describes."""
    infos = ds.download_information
    if extract.download_information_id:
        infos = tuple(i for i in infos if i.id == extract.download_information_id)
    if extract.resolution:
        infos = tuple(i for i in infos if i.collection.lower() == extract.resolution.lower())
    if extract.full_source:
        infos = tuple(i for i in infos if i.full_source.upper() == extract.full_source.upper())
    if not infos:
        wanted = extract.download_information_id or extract.resolution or extract.full_source
        offered = ", ".join(sorted({i.collection for i in ds.download_information})) or "none"
        raise RequestRejectedError(
            PROVIDER,
            f"dataset {ds.slug!r} has no download source matching {wanted!r} "
            f"(resolutions offered: {offered})",
        )
    interval = extract.datetime
    return requests.ExtractionSpec(
        dataset_uid=ds.uid,
        download_information_id=infos[0].id,
        output_format=extract.output_format,
        output_gcs=extract.output_crs,
        nuts=extract.nuts,
        bbox=extract.bbox,
        layer=extract.layer,
        start=interval.start if interval else None,
        end=interval.end if interval else None,
    )


def wanted_files(
    ds: records.Dataset, wanted: bool | tuple[str, ...]
) -> list[records.DownloadableFile]:
    """The pre-packaged files a source asks for: all, or those whose id or area matches."""
    if wanted is False:
        return []
    files = [f for f in ds.downloadable_files if f.orderable]
    if wanted is True:
        return files
    keys = {w.lower() for w in wanted}
    return [f for f in files if f.id.lower() in keys or f.area.lower() in keys]


class ClmsHarvester:
    """Harvests one CLMS source through an open provider session."""

    def __init__(
        self,
        source: ClmsSource,
        session: ProviderSession,
        ledger: Ledger,
        options: HarvestOptions,
        *,
        existing: Callable[[str, str], dict[str, Any] | None],
        on_event: OnEvent | None = None,
    ) -> None:
        self.source = source
        self.session = session
        self.api = session.config.endpoint("api")
        self.ledger = ledger
        self.options = options
        self.existing = existing
        self.on_event = on_event
        self.result = SourceResult(source.name, PROVIDER)
        self.pages = 0

    def _progress(self, done: bool = False) -> None:
        if self.on_event is not None:
            self.on_event(
                SourceProgress(
                    self.source.name,
                    PROVIDER,
                    self.pages,
                    len(self.result.items),
                    len(self.result.waiting),
                    done,
                )
            )

    def _fail(self, what: str, error: StacsyncError) -> None:
        self.result.failures.append((f"{self.source.name}: {what}", error))
        self.result.complete = False

    async def run(self) -> SourceResult:
        """Resolve the datasets, then list files and run extractions; never raises per request."""
        for name in self.source.datasets:
            try:
                ds = await self._dataset(name)
            except AuthError:
                raise
            except (ProviderError, RequestRejectedError) as exc:
                self._fail(f"dataset {name}", exc)
                continue
            self.result.collections[stac.collection_id(ds)] = stac.collection_from_dataset(ds)
            self._prepackaged(ds)
            if self.source.extract is not None:
                await self._extract(ds, self.source.extract)
            self._progress()
        self._progress(done=True)
        return self.result

    async def _dataset(self, name: str) -> records.Dataset:
        url: str | None = search_url(self.api, name)
        while url is not None:
            body = await self.session.json("GET", url, auth=False, headers=JSON)
            self.pages += 1
            page = records.parse_search(body, url=url)
            for ds in page.datasets:
                if name in (ds.uid, ds.slug):
                    return ds
            url = page.next_url
        raise RequestRejectedError(PROVIDER, f"no dataset with UID or short name {name!r}")

    def _prepackaged(self, ds: records.Dataset) -> None:
        for file in wanted_files(ds, self.source.prepackaged):
            self.result.items.append(stac.item_from_prepackaged(ds, file))
        if self.source.prepackaged not in (False, ()) and not wanted_files(
            ds, self.source.prepackaged
        ):
            wanted = self.source.prepackaged
            self._fail(
                f"{ds.slug} files",
                RequestRejectedError(
                    PROVIDER, f"no pre-packaged file of {ds.slug!r} matches {wanted!r}"
                ),
            )

    async def _extract(self, ds: records.Dataset, extract: ClmsExtraction) -> None:
        try:
            spec = extraction_spec(ds, extract)
            requests.check_spec(spec, ds)
        except RequestRejectedError as exc:
            self._fail(f"{ds.slug} extraction", exc)
            return
        key = requests.request_key(spec)
        ids = (stac.collection_id(ds), stac.item_id(ds, spec))
        known = self.ledger.order(self.source.name, key)
        if known is not None and known.get("done") and self.existing(*ids) is not None:
            self.result.keep.add(ids)  # delivered by an earlier run: nothing to ask for
            return
        try:
            task_id = await self._task_for(ds, spec, key)
            done, task = await poll_until(
                lambda: self._status(task_id),
                initial=self.options.poll_initial,
                maximum=self.options.poll_max,
                deadline=time.monotonic() + self.options.max_wait,
            )
        except AuthError:
            raise
        except ProviderError as exc:
            self._fail(f"{ds.slug} extraction {key}", exc)
            return
        if not done:
            self.result.waiting.append(
                f"{self.source.name}: {ds.slug} task {task_id} ({task.status})"
            )
            self.result.complete = False
            self.result.keep.add(ids)
            return
        if task.state is not tasks.TaskState.SUCCEEDED:
            self.ledger.forget_order(self.source.name, key)
            reason = f"{task.status}: {task.message or 'no message from the provider'}"
            self._fail(f"{ds.slug} extraction", OrderFailedError(PROVIDER, task_id, reason))
            return
        self.result.items.append(stac.item_from_task(ds, spec, task))
        known = self.ledger.order(self.source.name, key) or {}
        self.ledger.record_order(
            self.source.name, key, **{**known, "task_id": task_id, "done": True}
        )

    async def _task_for(self, ds: records.Dataset, spec: requests.Spec, key: str) -> str:
        known = self.ledger.order(self.source.name, key)
        if known is not None:
            task_id = str(known["task_id"])
            try:
                await self._status(task_id)
                return task_id
            except RequestRejectedError as exc:
                if exc.status != 404:
                    raise
                self.ledger.forget_order(self.source.name, key)  # purged upstream
        found = await self._find_task(spec)
        if found is not None:
            payload = requests.build_datarequest([spec], {ds.uid: ds})
            self.ledger.record_order(
                self.source.name, key, task_id=found, dataset=ds.uid, payload=payload
            )
            return found
        body = requests.build_datarequest([spec], {ds.uid: ds})
        url = f"{self.api}/@datarequest_post"
        answer = await self.session.json("POST", url, json=body, headers=JSON)
        submission = tasks.parse_submission(answer, url=url)
        if submission.errors or not submission.task_ids:
            message = "; ".join(e.message for e in submission.errors) or "no task id returned"
            raise RequestRejectedError(PROVIDER, message, url=url)
        task_id = submission.task_ids[0]
        self.ledger.record_order(
            self.source.name, key, task_id=task_id, dataset=ds.uid, payload=body
        )
        return task_id

    async def _find_task(self, spec: requests.Spec) -> str | None:
        url = f"{self.api}/@datarequest_search"
        found = tasks.parse_task_search(await self.session.json("GET", url, headers=JSON), url=url)
        for task_id, task in sorted(found.items()):
            if task.state in (tasks.TaskState.PENDING, tasks.TaskState.SUCCEEDED) and any(
                requests.matches(spec, entry) for entry in task.datasets
            ):
                return task_id
        return None

    async def _status(self, task_id: str) -> tuple[bool, tasks.Task]:
        url = f"{self.api}/@datarequest_status_get?{urlencode({'TaskID': task_id})}"
        body = await self.session.json("GET", url, headers=JSON)
        task = tasks.parse_task(body, task_id=task_id, url=url)
        return task.final, task
