"""The ``stacsync`` command line: parses arguments, calls :mod:`stacsync.api`, renders results.

Results go to stdout (text, or JSON with ``--json``); progress, logs and errors go to stderr.
Exit codes are defined once, in :class:`ExitCode`, and errors are mapped to them once, in
:func:`exit_code_for`.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import os
import signal
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from stacsync import __version__, api
from stacsync.browse import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    BrowseServer,
    display_likely,
    open_in_browser,
    stac_browser_dist,
)
from stacsync.config import Settings
from stacsync.definition import (
    CatalogDefinition,
    definition_from_source,
    parse_bbox,
    source_from_flags,
)
from stacsync.errors import AuthError, ConfigError, StacsyncError, StacsyncWarning
from stacsync.harvest import HarvestOptions, HarvestReport
from stacsync.harvest.model import sorted_rows
from stacsync.progress import HarvestProgress, PullProgress
from stacsync.sandbox import Sandbox, SandboxOptions
from stacsync.sandbox.options import build_options
from stacsync.sync import PullOptions, PullReport, store_options

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)
_python_show_warning = warnings.showwarning


class ExitCode(enum.IntEnum):
    """What ``stacsync`` exits with."""

    OK = 0
    FAILURES = 1
    """Finished, but some objects or assets failed (or a runtime error)."""
    USAGE = 2
    """Bad arguments, settings or configuration."""
    AUTH = 3
    """A provider refused the credentials."""


def exit_code_for(exc: StacsyncError) -> ExitCode:
    """The exit code of an error."""
    if isinstance(exc, ConfigError):
        return ExitCode.USAGE
    if isinstance(exc, AuthError):
        return ExitCode.AUTH
    return ExitCode.FAILURES


@contextmanager
def _reported() -> Iterator[None]:
    """Turn stacsync errors into a one-line message on stderr and the matching exit code."""
    try:
        yield
    except StacsyncError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(exit_code_for(exc)) from None


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        raise ConfigError(f"invalid STACSYNC_* environment setting: {exc}") from exc


def _print_json(data: Any) -> None:
    out.print_json(json.dumps(data), highlight=False)


app = typer.Typer(
    name="stacsync",
    help=(
        "Copernicus land-monitoring data (CLMS, CLC+ Backbone, Terrascope) as a clean, "
        "synced STAC catalogue."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    epilog=(
        "Examples:\n\n"
        "  stacsync harvest catalogs/demo.toml --sandbox   build the demo catalogue offline\n\n"
        "  stacsync validate out/catalog.json --schemas ./stac-schemas   "
        "validate a catalogue offline\n\n"
        "  stacsync sandbox up --json   run the provider emulators on 127.0.0.1"
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
)
sandbox_app = typer.Typer(
    help="Local emulators of the CLMS, CLC+ Backbone and Terrascope services.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")


def _version(value: bool) -> None:
    if value:
        out.print(f"stacsync {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More logging (-vv: debug).")
    ] = 0,
    quiet: Annotated[
        int, typer.Option("--quiet", "-q", count=True, help="Less output (errors only).")
    ] = 0,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Provider config file (TOML); sets STACSYNC_CONFIG for this run.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Copernicus land-monitoring data as a clean, synced STAC catalogue."""
    if config is not None:
        os.environ["STACSYNC_CONFIG"] = str(config)
    level = logging.WARNING - 10 * verbose + 10 * quiet
    logging.basicConfig(
        level=max(logging.DEBUG, min(level, logging.CRITICAL)),
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
        force=True,
    )
    warnings.showwarning = _show_warning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Show stacsync's own warnings as log lines (no source path), others as Python does."""
    if issubclass(category, StacsyncWarning):
        logging.getLogger("stacsync").warning("%s", message)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A catalog.json, collection.json or item file.")],
    schemas: Annotated[
        Path | None,
        typer.Option(
            "--schemas",
            help="Offline schema store (folder with schema-map.json). Default: "
            "$STACSYNC_SCHEMA_DIR, else schemas are downloaded once and cached.",
            file_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate a STAC catalogue (recursively) or one object against the official schemas.

    Example: [bold]stacsync validate out/demo/catalog.json --schemas ./stac-schemas[/]
    """
    with _reported():
        if not path.exists():
            raise ConfigError(f"{path} does not exist")
        store = api.schema_store(_settings(), schemas)
        report = api.validate(path, schemas=store)
    if as_json:
        _print_json(report.as_dict())
    else:
        for obj in report.invalid:
            label = " ".join(str(x) for x in (obj.type, obj.id) if x)
            out.print(f"[red]INVALID[/] {escape(str(obj.path))} ({escape(label or '?')})")
            for p in obj.problems:
                out.print(f"  {escape(p.location)}: {escape(p.message)}")
                out.print(f"    rule: {escape(p.rule)}", style="dim")
        verdict = "[green]valid[/]" if report.ok else f"[red]{len(report.invalid)} invalid[/]"
        out.print(f"{report.checked} objects checked, {verdict} ({escape(report.schema_source)})")
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.FAILURES)


PROVIDER_NAMES = ("clms", "backbone", "terrascope")
DEMO_DEFINITIONS = (
    Path(__file__).resolve().parent / "catalogs" / "demo.toml",  # installed wheel
    Path(__file__).resolve().parents[2] / "catalogs" / "demo.toml",  # source checkout
)
DEMO_CATALOG = Path("build") / "demo-catalog"


def _definition(target: str, catalog: Path | None, flags: dict[str, Any]) -> CatalogDefinition:
    given = {k: v for k, v in flags.items() if v not in (None, [], ())}
    if target in PROVIDER_NAMES:
        if catalog is None:
            raise ConfigError(f"stacsync harvest {target} needs --catalog DIR")
        source = source_from_flags(target, **given)
        return definition_from_source(source, catalog)
    if given:
        flag = "--" + next(iter(given)).replace("_", "-")
        raise ConfigError(f"{flag} only applies to ad-hoc harvests (stacsync harvest <provider>)")
    definition = api.load_catalog_definition(Path(target))
    return replace(definition, path=catalog.resolve()) if catalog is not None else definition


def _summary(report: HarvestReport) -> None:
    table = Table(title=f"Harvest of {report.catalog}", title_justify="left")
    for column in ("collection", "new", "updated", "unchanged", "withdrawn", "failed"):
        table.add_column(column, justify="left" if column == "collection" else "right")
    for row in sorted_rows(report.collections):
        table.add_row(
            escape(row.collection),
            *(str(getattr(row, c)) for c in ("new", "updated", "unchanged", "withdrawn")),
            f"[red]{row.failed}[/]" if row.failed else "0",
        )
    out.print(table)
    for what, error in report.failures:
        out.print(f"[red]failed[/] {escape(what)}: {escape(str(error))}")
    for what in report.waiting:
        out.print(f"[yellow]waiting[/] {escape(what)} (run harvest again to pick it up)")
    out.print(f"{report.files_written} files written")


@app.command()
def harvest(
    target: Annotated[
        str,
        typer.Argument(
            help="A catalogue definition (catalogs/demo.toml), or a provider for an ad-hoc "
            "harvest: clms, backbone or terrascope."
        ),
    ],
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog", help="Write here (required for ad-hoc harvests).", file_okay=False
        ),
    ] = None,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Run against the local provider sandbox.")
    ] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only these sources of the definition.")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(help="Only items acquired since then, where the provider supports it."),
    ] = None,
    max_wait: Annotated[
        float, typer.Option(help="Seconds to wait for orders before leaving them for later.")
    ] = 3600.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be requested and written.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    collection: Annotated[
        list[str] | None, typer.Option(help="terrascope: collection id (repeatable).")
    ] = None,
    bbox: Annotated[
        str | None, typer.Option(help="terrascope, clms: west,south,east,north.")
    ] = None,
    datetime_: Annotated[
        str | None, typer.Option("--datetime", help="terrascope, clms: start/end (RFC 3339).")
    ] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="terrascope: item id.")] = None,
    max_items: Annotated[int | None, typer.Option(help="terrascope: at most this many.")] = None,
    dataset: Annotated[
        list[str] | None, typer.Option(help="clms: dataset UID or short name (repeatable).")
    ] = None,
    nuts: Annotated[str | None, typer.Option(help="clms: NUTS code of the extraction.")] = None,
    resolution: Annotated[str | None, typer.Option(help="clms: source resolution (100m).")] = None,
    format_: Annotated[str | None, typer.Option("--format", help="clms: output format.")] = None,
    crs: Annotated[str | None, typer.Option(help="clms: output CRS (EPSG:3035).")] = None,
    prepackaged: Annotated[
        str | None,
        typer.Option(help="clms: pre-packaged files (FileIDs or areas, comma-separated)."),
    ] = None,
    kind: Annotated[str | None, typer.Option(help="backbone: aoi, national or europe.")] = None,
    aoi: Annotated[str | None, typer.Option(help="backbone: AOI as WKT (EPSG:4326).")] = None,
    nation: Annotated[str | None, typer.Option(help="backbone: country name (France).")] = None,
) -> None:
    """Harvest provider results into a static STAC catalogue.

    Examples:
    [bold]stacsync harvest catalogs/demo.toml --sandbox[/];
    [bold]stacsync harvest terrascope --collection terrascope-s2-ndvi-v2 --bbox 6.5,46.3,6.8,46.4
    --datetime 2024-06-01/2024-08-31 --catalog out/ndvi[/]
    """
    flags: dict[str, Any] = {
        "collections": collection,
        "bbox": bbox,
        "datetime": datetime_,
        "ids": ids,
        "max_items": max_items,
        "datasets": dataset,
        "nuts": nuts,
        "resolution": resolution,
        "format": format_,
        "crs": crs,
        "prepackaged": prepackaged,
        "kind": kind,
        "aoi": aoi,
        "nation": nation,
    }
    options = HarvestOptions(
        dry_run=dry_run,
        since=since if since is None or since.tzinfo else since.replace(tzinfo=UTC),
        max_wait=max_wait,
        sources=tuple(source or ()),
    )
    with _reported():
        settings = _settings()
        definition = _definition(target, catalog, flags)
        with ExitStack() as stack:
            described = stack.enter_context(api.provider_sandbox(settings)) if sandbox else None
            configs = api.provider_configs(settings, os.environ, sandbox=described)
            progress = stack.enter_context(
                HarvestProgress(err, enabled=not (as_json or dry_run or err.quiet))
            )
            report = asyncio.run(
                api.harvest(definition, configs, options, settings, on_event=progress)
            )
    if as_json:
        _print_json(report.as_dict())
    elif dry_run:
        _print_json(report.plan)
    else:
        _summary(report)
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.FAILURES)


def _catalog_root(catalog: Path) -> Path:
    root = catalog.parent if catalog.name == "catalog.json" else catalog
    if not (root / "catalog.json").is_file():
        raise ConfigError(f"{root} is not a stacsync catalogue (no catalog.json)")
    return root


def _pull_summary(report: PullReport) -> None:
    counts = report.as_dict()
    out.print(
        f"{counts['fetched']} fetched, {counts['resumed']} resumed, {counts['skipped']} "
        f"current, {counts['needs_order']} need an order, {counts['failed']} failed; "
        f"{counts['converted']} converted to COG; {report.bytes_transferred / 1e6:.1f} MB in "
        f"{report.elapsed:.1f} s ({report.throughput / 1e6:.1f} MB/s)"
    )
    for what, error in report.failures:
        out.print(f"[red]failed[/] {escape(what)}: {escape(str(error))}")


@app.command()
def pull(
    catalog: Annotated[Path, typer.Argument(help="The catalogue folder (or its catalog.json).")],
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Fetch from the local provider sandbox.")
    ] = False,
    collection: Annotated[list[str] | None, typer.Option(help="Only these collections.")] = None,
    item: Annotated[list[str] | None, typer.Option(help="Only these items.")] = None,
    asset_key: Annotated[list[str] | None, typer.Option(help="Only these asset keys.")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Only assets with this role.")] = None,
    media_type: Annotated[
        list[str] | None, typer.Option(help="Only assets whose type starts with this.")
    ] = None,
    bbox: Annotated[str | None, typer.Option(help="Only items in west,south,east,north.")] = None,
    datetime_: Annotated[
        str | None, typer.Option("--datetime", help="Only items in start/end (RFC 3339).")
    ] = None,
    dest: Annotated[
        str | None,
        typer.Option(help="A folder or object store URL (s3://, gs://, az://, file://)."),
    ] = None,
    dest_option: Annotated[
        list[str] | None,
        typer.Option(
            "--dest-option",
            metavar="KEY=VALUE",
            help="Object store setting, e.g. endpoint=http://127.0.0.1:9000 or "
            "allow_http=true (repeat; keep secrets in AWS_* variables, not here).",
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Assets transferred at once.")] = 8,
    cog: Annotated[bool, typer.Option("--cog/--no-cog", help="Convert rasters to COGs.")] = True,
    check_remote: Annotated[
        bool, typer.Option("--check-remote", help="Ask the providers whether files changed.")
    ] = False,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop at the first failure.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; fetch nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Download, verify and convert a catalogue's assets; resumable, atomic, exactly once.

    Example: [bold]stacsync pull build/demo-catalog --sandbox[/]
    """
    with _reported():
        settings = _settings()
        root = _catalog_root(catalog)
        options = PullOptions(
            collections=tuple(collection or ()),
            items=tuple(item or ()),
            asset_keys=tuple(asset_key or ()),
            roles=tuple(role or ()),
            media_types=tuple(media_type or ()),
            bbox=parse_bbox(bbox, what="--bbox") if bbox else None,
            datetime=datetime_,
            dest=dest,
            dest_options=store_options(_pairs(dest_option or [], "--dest-option")),
            concurrency=concurrency,
            cog=cog,
            check_remote=check_remote,
            fail_fast=fail_fast,
            durable=settings.durable,
            lock_timeout=settings.lock_timeout,
        )
        if dry_run:
            _print_json(api.pull_plan(root, options).as_dict())
            raise typer.Exit(ExitCode.OK)
        with ExitStack() as stack:
            described = stack.enter_context(api.provider_sandbox(settings)) if sandbox else None
            configs = api.provider_configs(settings, os.environ, sandbox=described)
            progress = stack.enter_context(PullProgress(err, enabled=not (as_json or err.quiet)))
            report = asyncio.run(api.pull(root, configs, options, on_event=progress))
    if as_json:
        _print_json(report.as_dict())
    else:
        _pull_summary(report)
    raise typer.Exit(ExitCode.FAILURES if report.failures else ExitCode.OK)


@app.command()
def status(
    catalog: Annotated[Path, typer.Argument(help="The catalogue folder (or its catalog.json).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Show which assets are synced, stale, failed, partial or waiting for an order.

    Example: [bold]stacsync status build/demo-catalog[/]
    """
    with _reported():
        report = api.status(_catalog_root(catalog))
    if as_json:
        _print_json(report.as_dict())
        return
    table = Table(title=f"{report.items} items, {len(report.assets)} assets", title_justify="left")
    table.add_column("state")
    table.add_column("assets", justify="right")
    for state, count in sorted(report.counts.items()):
        table.add_row(state, str(count))
    out.print(table)
    for asset in report.assets:
        if asset.error:
            out.print(f"[red]{escape(asset.state)}[/] {escape(asset.what)}: {escape(asset.error)}")


@app.command()
def demo(
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog", help="Where to build it [default: build/demo-catalog].", file_okay=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run the whole pipeline offline: sandbox, harvest, pull + COG, validate.

    Needs no credentials and no internet. Running it again reuses what is there.
    Example: [bold]stacsync demo[/]
    """
    with _reported():
        settings = _settings()
        found = next((p for p in DEMO_DEFINITIONS if p.is_file()), DEMO_DEFINITIONS[-1])
        definition = api.load_catalog_definition(found)
        definition = replace(definition, path=(catalog or DEMO_CATALOG).resolve())
        with ExitStack() as stack:
            described = stack.enter_context(api.provider_sandbox(settings))
            configs = api.provider_configs(settings, os.environ, sandbox=described)
            progress = stack.enter_context(HarvestProgress(err, enabled=not (as_json or err.quiet)))
            report = asyncio.run(api.demo(definition, configs, settings, on_event=progress))
    if as_json:
        _print_json(report.as_dict())
    else:
        _summary(report.harvest)
        _pull_summary(report.pull)
        verdict = "valid" if report.validation.ok else f"{len(report.validation.invalid)} invalid"
        out.print(f"{report.validation.checked} STAC objects checked offline: {verdict}")
        out.print(f"catalogue: [bold]{escape(str(report.catalog / 'catalog.json'))}[/]")
        out.print(f"browse it: [bold]stacsync browse {escape(_shown_path(report.catalog))}[/]")
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.FAILURES)


def _shown_path(path: Path) -> str:
    """``path`` relative to the working folder when it lies below it (shorter to copy)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print_browser_path(value: bool) -> None:
    if value:
        with _reported():
            out.print(escape(str(stac_browser_dist(_settings().cache_dir))))
        raise typer.Exit()


@contextmanager
def _stop_signal() -> Iterator[threading.Event]:
    """An event set by Ctrl-C (SIGINT) or SIGTERM while the block runs."""
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in signals}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _render_browse(server: BrowseServer, as_json: bool) -> None:
    if as_json:
        urls = {"browser": server.browser_url, "catalog": server.catalog_url}
        out.print(json.dumps(urls | {"problem": server.browser_problem}), highlight=False)
        return
    if server.browser_url is not None:
        out.print(f"STAC Browser  [bold]{escape(server.browser_url)}[/]")
    else:
        err.print(f"[yellow]warning:[/] {escape(server.options.browser.hint())}")
    out.print(f"catalogue     {escape(server.catalog_url)}")


@app.command()
def browse(
    catalog: Annotated[Path, typer.Argument(help="The catalogue folder (or its catalog.json).")],
    port: Annotated[
        int, typer.Option(help="Port to listen on (0: any free port).", min=0, max=65535)
    ] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(help="Interface to listen on; anything but 127.0.0.1 shares the catalogue."),
    ] = DEFAULT_HOST,
    open_: Annotated[
        bool | None,
        typer.Option(
            "--open/--no-open",
            help="Open STAC Browser in the web browser (default: only if there is a display).",
            show_default=False,
        ),
    ] = None,
    browser: Annotated[
        Path | None,
        typer.Option(
            "--browser",
            help="A built STAC Browser (its dist folder); default: the one `just stac-browser` "
            "builds (see --browser-path).",
            file_okay=False,
        ),
    ] = None,
    browser_path: Annotated[
        bool,
        typer.Option(
            "--browser-path",
            callback=_print_browser_path,
            is_eager=True,
            help="Print the folder STAC Browser is built into, and exit.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the URLs as one JSON line.")
    ] = False,
) -> None:
    """Serve a catalogue on 127.0.0.1 and show it in STAC Browser, until Ctrl-C.

    One origin with CORS and HTTP Range: COG previews work, and GDAL reads COGs via /vsicurl/.
    STAC Browser is built once with [bold]just stac-browser[/]; without it, only the
    catalogue is served.
    Example: [bold]stacsync browse build/demo-catalog[/]
    """
    with _reported():
        settings = _settings()
        with (
            _stop_signal() as stop,
            api.browse(catalog, settings, host=host, port=port, browser=browser) as server,
        ):
            _render_browse(server, as_json)
            out.file.flush()
            wanted = open_ if open_ is not None else display_likely(os.environ)
            url = server.browser_url
            if wanted and url is not None and not open_in_browser(url):
                err.print("No web browser found; open the STAC Browser URL yourself.")
            err.print("Serving; press Ctrl-C to stop.")
            while not stop.wait(0.5):
                pass


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key or not raw:
            raise ConfigError(f"{option} {value!r}: expected KEY=VALUE")
        pairs[key.strip()] = raw.strip()
    return pairs


@sandbox_app.command("up")
def sandbox_up(
    provider: Annotated[
        list[str] | None,
        typer.Option("--provider", "-p", help="Start only these (clms, backbone, terrascope)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        list[str] | None,
        typer.Option(help="Fixed port per server, e.g. --port terrascope.stac=8082."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Provider behaviour and faults, e.g. --set terrascope.token_lifetime=30 "
            "--set clms.order_delay=5 --set backbone.error_rate=0.1.",
        ),
    ] = None,
    time_scale: Annotated[float, typer.Option(help="Sandbox seconds per real second.")] = 1.0,
    raster_size: Annotated[int, typer.Option(help="Pixels per side of generated rasters.")] = 256,
    seed: Annotated[int, typer.Option(help="Seed of generated data and faults.")] = 20181231,
    as_json: Annotated[bool, typer.Option("--json", help="Print endpoints as JSON.")] = False,
) -> None:
    """Run the provider sandbox in the foreground until Ctrl-C.

    Example: [bold]stacsync sandbox up --json --set terrascope.token_lifetime=30[/]
    """
    with _reported():
        try:
            ports = {k: int(v) for k, v in _pairs(port or [], "--port").items()}
            top: dict[str, Any] = {"host": host, "time_scale": time_scale, "seed": seed}
            top["raster_size"] = raster_size
            if provider:
                top["providers"] = tuple(provider)
            options = build_options(settings=_pairs(set_ or [], "--set"), ports=ports, **top)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc

        def ready(sandbox: Sandbox) -> None:
            if as_json:
                out.print(json.dumps(sandbox.describe()), highlight=False)
            else:
                _render_sandbox(sandbox)
                err.print("Sandbox running; press Ctrl-C to stop.")

        asyncio.run(_serve_until_signal(options, ready))


async def _serve_until_signal(options: SandboxOptions, ready: Callable[[Sandbox], None]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await api.serve_sandbox(options, on_ready=ready, stop=stop)


def _render_sandbox(sandbox: Sandbox) -> None:
    for name, info in sandbox.describe().items():
        out.print(f"[bold]{name}[/]")
        for key, url in info["endpoints"].items():
            out.print(f"  {key:<16} {url}")
        for key, value in info["credentials"].items():
            out.print(f"  {key:<16} {value}", style="cyan")


def main() -> None:
    """Console-script entry point."""
    app()
