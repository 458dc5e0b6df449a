"""The generated reference pages cover every command, option, setting and definition key."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import pytest
import typer

from stacsync.cli import app
from stacsync.config import Settings
from stacsync.transport.credentials import DEFAULT_ENDPOINTS, DEFAULT_RATE_LIMITS, ProviderConfig

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "docs" / "hooks" / "generate.py"
SCHEMA = ROOT / "schemas" / "catalog-definition.schema.json"


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stacsync_docs_generate", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    sys.path.insert(0, str(HOOK.parent))  # as mkdocs does while it loads a hook
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(HOOK.parent))
    return module


@pytest.fixture(scope="module")
def cli_page(generate: ModuleType) -> str:
    return generate.cli_reference()


@pytest.fixture(scope="module")
def config_page(generate: ModuleType) -> str:
    return generate.config_reference()


def _commands(command: Any, ctx: Any) -> Iterator[tuple[str, Any, Any]]:
    """Every (command path, command, context) of the app, walked independently of the hook."""
    yield ctx.command_path, command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            child = command.get_command(ctx, name)
            if child is not None and not child.hidden:
                yield from _commands(child, type(ctx)(child, parent=ctx, info_name=name))


def _all_commands() -> list[tuple[str, Any, Any]]:
    root = typer.main.get_command(app)
    return list(_commands(root, root.context_class(root, info_name="stacsync")))


def test_hook_imports_without_mkdocs(generate: ModuleType) -> None:
    assert not [m for m in sys.modules if m == "mkdocs" or m.startswith("mkdocs.")]
    assert callable(generate.on_files)
    assert set(generate.generated_pages()) == {"reference/cli.md", "reference/configuration.md"}


def test_cli_reference_has_every_command(cli_page: str) -> None:
    paths = [path for path, _, _ in _all_commands()]
    assert {"stacsync", "stacsync validate", "stacsync harvest", "stacsync sandbox up"} <= set(
        paths
    )
    for path in paths:
        assert f"`{path}` {{#" in cli_page, f"no section for {path}"


def test_cli_reference_has_every_option_and_argument(cli_page: str) -> None:
    for path, command, ctx in _all_commands():
        section = cli_page.split(f"`{path}` {{#", 1)[1].split("\n## ", 1)[0]
        for param in command.get_params(ctx):
            if param.hidden:
                continue
            if param.param_type_name == "argument":
                assert f"`{param.name.upper()}`" in section, (path, param.name)
            else:
                for opt in param.opts:
                    assert f"`{opt}`" in section, (path, opt)


def test_cli_reference_renders_help_defaults_and_no_rich_markup(cli_page: str) -> None:
    assert "| `--max-wait` | number | `3600.0` | Seconds to wait for orders" in cli_page
    assert "| `--seed` | integer | `20181231` |" in cli_page
    assert "| `--collection` | text, repeatable |" in cli_page
    assert "`stacsync harvest catalogs/demo.toml --sandbox`" in cli_page
    assert "[bold]" not in cli_page
    assert "[/]" not in cli_page


def test_cli_reference_of_another_app(generate: ModuleType) -> None:
    demo = typer.Typer(help="Demo [bold]tool[/].")
    sub = typer.Typer(help="Things.")
    demo.add_typer(sub, name="things")

    @demo.command()
    def copy(
        src: Annotated[Path, typer.Argument(help="From here.")],
        retries: Annotated[int, typer.Option(help="How often.")] = 3,
    ) -> None:
        """Copy a thing."""

    @demo.command(hidden=True)
    def secret() -> None:
        """Not documented."""

    @sub.command("list")
    def list_things(long: Annotated[bool, typer.Option("--long", "-l")] = False) -> None:
        """List the things."""

    page = generate.cli_reference(demo)
    assert "Demo `tool`." in page
    assert "## `stacsync copy` {#stacsync-copy}" in page
    assert "| `SRC` | path | yes | From here. |" in page
    assert "| `--retries` | integer | `3` | How often. |" in page
    assert "### `stacsync things list` {#stacsync-things-list}" in page
    assert "`--long`, `-l`" in page
    assert "secret" not in page


def test_config_reference_lists_every_setting(config_page: str) -> None:
    for name, field in Settings.model_fields.items():
        row = next(
            (line for line in config_page.splitlines() if f"`STACSYNC_{name.upper()}`" in line),
            None,
        )
        assert row is not None, name
        assert field.description is not None and " ".join(field.description.split()) in row
    assert "`STACSYNC_LOCK_TIMEOUT` | number | `10.0` | >= 0 |" in config_page
    assert "/root/" not in config_page and "/home/" not in config_page  # no machine paths


def test_config_reference_lists_every_provider_field(
    generate: ModuleType, config_page: str
) -> None:
    for name, field in ProviderConfig.model_fields.items():
        assert field.description or generate.PROVIDER_FIELD_HELP.get(name), (
            f"ProviderConfig.{name} has no description for the docs"
        )
        assert f"| `{name}` |" in config_page, name
    assert "`STACSYNC_CLMS_SERVICE_KEY_FILE`" in config_page
    assert "`STACSYNC_TERRASCOPE_PASSWORD`" in config_page
    assert "`STACSYNC_<PROVIDER>_MAX_ATTEMPTS`" in config_page


def test_config_reference_lists_provider_defaults(config_page: str) -> None:
    for provider, endpoints in DEFAULT_ENDPOINTS.items():
        for key, url in endpoints.items():
            assert f"`STACSYNC_{provider.upper()}_{key.upper()}_URL` | {url} |" in config_page
        for window in DEFAULT_RATE_LIMITS[provider]:
            assert f"`{window}`" in config_page


def _schema_paths(schema: dict[str, Any]) -> set[str]:
    defs = schema["$defs"]
    paths = set(schema["properties"])
    for name in ("clmsSource", "backboneSource", "terrascopeSource"):
        for key in defs[name]["properties"]:
            if key != "provider":
                paths.add(f"sources[].{key}")
    paths |= {f"sources[].extract.{key}" for key in defs["clmsExtraction"]["properties"]}
    return paths | {"sources[].provider"}


def test_config_reference_lists_every_definition_key(config_page: str) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    paths = _schema_paths(schema)
    assert len(paths) > 25
    for path in paths:
        assert f"| `{path}` |" in config_page, path
    assert "| `sources[].extract.nuts` | string | no | NUTS 0-3 code" in config_page
    assert '| `sources[].kind` | one of `"aoi"`, `"national"`, `"europe"` | yes |' in config_page


def test_plain_help(generate: ModuleType) -> None:
    text = "First line.\n\nExample: [bold]stacsync a\n  --b[/] and [dim]x[/dim]\n\n\b\n"
    assert generate.plain_help(text) == "First line.\n\nExample: `stacsync a --b` and x"
    assert generate.plain_help(None) == ""


def test_on_files_adds_virtual_pages(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

    (tmp_path / "docs").mkdir()
    config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config.load_dict(
        {
            "site_name": "t",
            "docs_dir": str(tmp_path / "docs"),
            "site_dir": str(tmp_path / "site"),
            "hooks": [str(HOOK)],
        }
    )
    errors, _ = config.validate()
    assert not errors
    files = config.plugins.on_files(Files([]), config=config)
    assert {f.src_uri for f in files} == {"reference/cli.md", "reference/configuration.md"}
    assert "# Command line reference" in files.get_file_from_path("reference/cli.md").content_string
    assert not (tmp_path / "docs" / "reference").exists()
