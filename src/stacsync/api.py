"""The functions behind each CLI command: parse nothing, print nothing, return results."""

from __future__ import annotations

import asyncio
import errno
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacsync import sync
from stacsync.browse import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    BrowseOptions,
    BrowseServer,
    StacBrowserBuild,
    running_browse,
    stac_browser_dist,
)
from stacsync.config import DEFAULT_CONFIG_FILE, Settings
from stacsync.definition import CatalogDefinition, load_definition
from stacsync.errors import ConfigError
from stacsync.events import ObjectValidated, OnEvent
from stacsync.harvest import HarvestOptions, HarvestReport
from stacsync.harvest import harvest as run_harvest
from stacsync.harvest.orderers import ProviderOrderers
from stacsync.sandbox import Sandbox, SandboxOptions, running_sandbox
from stacsync.sandbox.options import build_options
from stacsync.sync import Plan, PullOptions, PullReport, StatusReport
from stacsync.transport import ProviderConfig, load_provider_configs
from stacsync.transport.credentials import sandbox_configs
from stacsync.validation import Problem, SchemaStore, StacValidator, Visit, walk
from stacsync.validation.schemas import BUNDLED_STORE


@dataclass(frozen=True, slots=True)
class InvalidObject:
    """A file that failed validation, and why."""

    path: Path
    id: str | None
    type: str | None
    problems: tuple[Problem, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": str(self.path),
            "id": self.id,
            "type": self.type,
            "problems": [
                {"location": p.location, "message": p.message, "rule": p.rule}
                for p in self.problems
            ],
        }


@dataclass(kw_only=True)
class ValidationReport:
    """The outcome of validating a catalogue or a single object."""

    checked: int = 0
    invalid: list[InvalidObject] = field(default_factory=list)
    schema_source: str = ""

    @property
    def ok(self) -> bool:
        """Whether every object is valid."""
        return not self.invalid

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "valid": self.ok,
            "checked": self.checked,
            "invalid": [obj.as_dict() for obj in self.invalid],
            "schemas": self.schema_source,
        }


def schema_store(settings: Settings, schema_dir: Path | None = None) -> SchemaStore:
    """The schema store the settings (or an explicit folder) point at."""
    folder = schema_dir or settings.schema_dir
    if folder is not None:
        return SchemaStore(store=folder)
    return SchemaStore(cache=settings.cache_dir / "schemas")


def validate(
    path: Path, *, schemas: SchemaStore, on_event: OnEvent | None = None
) -> ValidationReport:
    """Validate the STAC object at ``path`` and everything it links to as child or item."""
    validator = StacValidator(schemas)
    report = ValidationReport(schema_source=schemas.describe())
    for visit in walk(path):
        report.checked += 1
        invalid = _check(validator, visit)
        if invalid is not None:
            report.invalid.append(invalid)
        if on_event is not None:
            on_event(ObjectValidated(visit.path, valid=invalid is None))
    return report


def _check(validator: StacValidator, visit: Visit) -> InvalidObject | None:
    obj = visit.obj
    if obj is None:
        where = f" (linked from {visit.linked_from})" if visit.linked_from else ""
        problem = Problem(location="$", message=f"{visit.error}{where}", rule="readable JSON")
        return InvalidObject(visit.path, None, None, (problem,))
    problems = validator.validate(obj)
    if not problems:
        return None
    kind, oid = obj.get("type"), obj.get("id")
    return InvalidObject(
        visit.path,
        oid if isinstance(oid, str) else None,
        kind if isinstance(kind, str) else None,
        tuple(problems),
    )


async def serve_sandbox(
    options: SandboxOptions,
    *,
    on_ready: Callable[[Sandbox], None],
    stop: asyncio.Event,
) -> None:
    """Run the provider sandbox until ``stop`` is set; call ``on_ready`` once it listens."""
    async with Sandbox(options) as sandbox:
        on_ready(sandbox)
        await stop.wait()


SANDBOX_SERVERS = (
    "clms.api",
    "clms.download",
    "backbone.api",
    "backbone.files",
    "backbone.s3",
    "terrascope.auth",
    "terrascope.stac",
    "terrascope.download",
)
"""The sandbox's servers, in the order of their fixed ports under ``--sandbox``."""


def provider_configs(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    sandbox: Mapping[str, Any] | None = None,
) -> dict[str, ProviderConfig]:
    """Every provider's configuration: environment, config file, ``~/.netrc``, defaults.

    With ``sandbox`` (what a running sandbox describes), endpoints and credentials point there.
    """
    configs = load_provider_configs(
        environ=environ,
        config_file=settings.config,
        default_config_file=DEFAULT_CONFIG_FILE,
        use_netrc=sandbox is None,
    )
    return sandbox_configs(sandbox, configs) if sandbox is not None else configs


@contextmanager
def provider_sandbox(settings: Settings, **options: Any) -> Iterator[dict[str, Any]]:
    """Run the provider sandbox in the background on its fixed ports; yield its description.

    Fixed ports keep the hrefs a sandbox harvest writes valid for a later ``--sandbox`` pull;
    the sandbox's data are deterministic, so a new sandbox serves the same files.
    """
    ports = {name: settings.sandbox_port + i for i, name in enumerate(SANDBOX_SERVERS)}
    try:
        with running_sandbox(build_options(ports=ports, **options)) as sandbox:
            yield sandbox.describe()
    except OSError as exc:
        raise ConfigError(
            f"cannot start the provider sandbox on ports {settings.sandbox_port}-"
            f"{settings.sandbox_port + len(SANDBOX_SERVERS) - 1} ({exc.strerror}); "
            "set STACSYNC_SANDBOX_PORT to a free range"
        ) from None


def load_catalog_definition(path: Path) -> CatalogDefinition:
    """Read a catalogue definition (TOML)."""
    return load_definition(path)


async def harvest(
    definition: CatalogDefinition,
    configs: Mapping[str, ProviderConfig],
    options: HarvestOptions,
    settings: Settings,
    *,
    on_event: OnEvent | None = None,
) -> HarvestReport:
    """Harvest a catalogue definition into its static catalogue."""
    return await run_harvest(
        definition,
        configs,
        options,
        on_event=on_event,
        lock_timeout=settings.lock_timeout,
        durable=settings.durable,
    )


async def pull(
    root: Path,
    configs: Mapping[str, ProviderConfig],
    options: PullOptions,
    *,
    on_event: OnEvent | None = None,
) -> PullReport:
    """Download, verify (and convert) the catalogue's assets; order what must be ordered."""
    async with AsyncExitStack() as stack:
        orderer = ProviderOrderers(configs, root, stack, on_event=on_event)
        return await sync.pull(root, configs, options, on_event=on_event, orderer=orderer)


def pull_plan(root: Path, options: PullOptions) -> Plan:
    """What ``pull`` would do (``--dry-run``)."""
    return sync.plan(root, options)


def status(root: Path) -> StatusReport:
    """The state of every asset of a catalogue."""
    return sync.status(root)


@dataclass
class DemoReport:
    """What ``stacsync demo`` did."""

    catalog: Path
    harvest: HarvestReport
    pull: PullReport
    validation: ValidationReport

    @property
    def ok(self) -> bool:
        """Whether every step succeeded."""
        return self.harvest.ok and not self.pull.failures and self.validation.ok

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "catalog": str(self.catalog / "catalog.json"),
            "harvest": self.harvest.as_dict(),
            "pull": self.pull.as_dict(),
            "validation": self.validation.as_dict(),
        }


async def demo(
    definition: CatalogDefinition,
    configs: Mapping[str, ProviderConfig],
    settings: Settings,
    *,
    on_event: OnEvent | None = None,
) -> DemoReport:
    """Harvest the demo definition, pull and convert its assets, validate the result."""
    harvested = await harvest(
        definition, configs, HarvestOptions(max_wait=120.0), settings, on_event=on_event
    )
    pulled = await pull(
        definition.path,
        configs,
        PullOptions(lock_timeout=settings.lock_timeout, durable=settings.durable),
        on_event=on_event,
    )
    schemas = SchemaStore(store=settings.schema_dir or BUNDLED_STORE)
    checked = await asyncio.to_thread(validate, definition.path / "catalog.json", schemas=schemas)
    return DemoReport(definition.path, harvested, pulled, checked)


def stac_browser(settings: Settings, dist: Path | None = None) -> StacBrowserBuild:
    """The STAC Browser ``browse`` serves: ``dist`` if given, else the build in the cache.

    ``just stac-browser`` builds into ``stac_browser_dist(settings.cache_dir)``.
    """
    return StacBrowserBuild(dist if dist is not None else stac_browser_dist(settings.cache_dir))


def browse_root(catalog: Path) -> Path:
    """The catalogue folder ``catalog`` (a folder or its catalog.json) names; checked."""
    root = catalog.parent if catalog.name == "catalog.json" else catalog
    index = root / "catalog.json"
    if not index.is_file():
        raise ConfigError(f"{root} is not a STAC catalogue (no catalog.json)")
    try:
        document = json.loads(index.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{index} is not a readable STAC catalogue: {exc}") from None
    if not isinstance(document, dict) or "links" not in document:
        raise ConfigError(f"{index} is not a STAC catalogue (no links)")
    return root.resolve()


@contextmanager
def browse(
    catalog: Path,
    settings: Settings,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    browser: Path | None = None,
) -> Iterator[BrowseServer]:
    """Serve a catalogue and STAC Browser on ``host:port`` in the background.

    Yields the running server: ``.browser_url`` (``None`` when STAC Browser is not built;
    ``.browser_problem`` says why), ``.catalog_url``, ``.page_url(path)``, ``.file_url(path)``
    and ``.served()``. ``port=0`` picks a free port. Raises :class:`ConfigError` for a folder
    without catalog.json or a port that cannot be bound.
    """
    options = BrowseOptions(
        root=browse_root(catalog),
        browser=stac_browser(settings, browser),
        host=host,
        port=port,
    )
    stack = ExitStack()
    try:
        server = stack.enter_context(running_browse(options))
    except OSError as exc:
        why = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise ConfigError(
            f"cannot serve on {host}:{port}: {why}; choose another with --port (0 picks a free one)"
        ) from None
    with stack:
        yield server
