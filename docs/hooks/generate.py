"""Reference pages generated at build time: the CLI and the configuration.

Registered in ``mkdocs.yml`` under ``hooks:``. :func:`on_files` adds two pages that exist only
in the build, never in the repository:

* ``reference/cli.md``, from the typer app ``stacsync.cli:app`` (every command and
  sub-command, with its help, usage, arguments and options; :mod:`ref_cli`);
* ``reference/configuration.md``, from :class:`stacsync.config.Settings`,
  :class:`stacsync.transport.credentials.ProviderConfig` with the providers' default endpoints
  and rate limits (:mod:`ref_settings`), and ``schemas/catalog-definition.schema.json``
  (:mod:`ref_definition`).

:func:`cli_reference` and :func:`config_reference` are plain functions (mkdocs is imported only
inside :func:`on_files`), so the test suite can check that the pages cover every command and
every setting. mkdocs puts this folder on ``sys.path`` while it loads the hook, which is how
the sibling modules are found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ref_cli import cli_reference
from ref_definition import DEFINITION_SCHEMA, definition_reference
from ref_markdown import GENERATED_NOTE, plain_help, table
from ref_settings import (
    MACHINE_DEFAULTS,
    PROVIDER_FIELD_HELP,
    provider_defaults,
    provider_rows,
    settings_rows,
)

from stacsync.config import DEFAULT_CONFIG_FILE
from stacsync.transport.credentials import PROVIDERS

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

__all__ = [
    "PROVIDER_FIELD_HELP",
    "cli_reference",
    "config_reference",
    "generated_pages",
    "on_files",
    "plain_help",
]

CLI_PAGE = "reference/cli.md"
CONFIG_PAGE = "reference/configuration.md"


def config_reference(schema_path: Path = DEFINITION_SCHEMA) -> str:
    """The configuration reference page (Markdown)."""
    lines = [
        "# Configuration reference",
        "",
        GENERATED_NOTE.format(
            source="`stacsync.config.Settings`, `stacsync.transport.credentials.ProviderConfig` "
            "and `schemas/catalog-definition.schema.json`"
        ),
        "stacsync reads its configuration once, when a command starts; library code never reads "
        "the environment. There are three kinds: [general settings](#settings) "
        "(`STACSYNC_*` environment variables), [provider settings](#provider-settings) (endpoints, "
        "credentials, rate limits, retries) and [catalogue definitions](#catalogue-definitions) "
        "(the TOML files that say what to harvest).",
        "",
        "## Settings",
        "",
        "Environment variables only. Boolean values accept `1`/`0`, `true`/`false`, `yes`/`no`. "
        "An invalid value stops the command with exit code 2.",
        "",
        *table(("variable", "type", "default", "range", "description"), settings_rows()),
        "## Provider settings",
        "",
        "One set per provider (`clms`, `backbone`, `terrascope`). For every field the first "
        "source that sets it wins:",
        "",
        "1. the environment: `STACSYNC_<PROVIDER>_<FIELD>` (for example "
        "`STACSYNC_TERRASCOPE_PASSWORD`, `STACSYNC_BACKBONE_CLIENT_SECRET`); endpoints as "
        "`STACSYNC_<PROVIDER>_<ENDPOINT>_URL`; rate limits comma-separated;",
        "2. the config file (`STACSYNC_CONFIG`, else "
        f"{MACHINE_DEFAULTS[DEFAULT_CONFIG_FILE]}): one TOML table per provider with the same "
        "field names in lower case, endpoints under `[<provider>.endpoints]`. A config file "
        "that holds secrets and that group or others can read gives a warning;",
        "3. `~/.netrc` (Backbone and Terrascope): the entry for the host of the provider's token "
        "endpoint gives the login and password (Backbone: user id and client secret; "
        "Terrascope: username and password);",
        "4. the defaults below: the real services' endpoints and conservative rate limits.",
        "",
        "With `--sandbox`, the endpoints and credentials point at the local provider sandbox "
        "instead, and the rate windows shrink with the sandbox's time scale; limits, retries and "
        "timeouts stay as configured.",
        "",
        "```toml",
        "# ~/.config/stacsync/config.toml (chmod 600: it holds secrets)",
        "[clms]",
        'service_key_file = "~/.config/stacsync/clms-service-key.json"',
        "",
        "[backbone]",
        'user_id = "..."',
        'client_secret = "..."',
        "",
        "[terrascope]",
        'username = "..."',
        'password = "..."',
        'rate_limits = ["80/10s", "200/60s"]',
        "",
        "[terrascope.endpoints]",
        'stac_api = "https://stac.terrascope.be"',
        "```",
        "",
        *table(
            ("field", "environment variable", "type", "default", "range", "description"),
            provider_rows(),
        ),
        "### Defaults per provider",
        "",
        *[line for provider in PROVIDERS for line in provider_defaults(provider)],
        "## Catalogue definitions",
        "",
        "The TOML files in `catalogs/` (see [catalogue definitions](../concepts/definitions.md)). "
        "Every table is closed: a misspelt key is an error. `sources[]` is the array of tables "
        "`[[sources]]`; `sources[].extract.bbox` is the key `bbox` of the table "
        "`[sources.extract]`.",
        "",
        *definition_reference(schema_path),
    ]
    return "\n".join(lines).rstrip() + "\n"


def generated_pages() -> dict[str, str]:
    """Every generated page by its path under ``docs/``."""
    return {CLI_PAGE: cli_reference(), CONFIG_PAGE: config_reference()}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages to the build (they are never written into ``docs/``)."""
    from mkdocs.structure.files import File

    for path, content in generated_pages().items():
        files.append(File.generated(config, path, content=content))
    return files
