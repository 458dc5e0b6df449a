# stacsync development recipes. `just --list` shows them all.

set shell := ["bash", "-euo", "pipefail", "-c"]

schema_dir := env_var_or_default("STACSYNC_SCHEMA_DIR", justfile_directory() + "/../shared/stac-schemas")

# List the recipes.
default:
    @just --list

# Install stacsync and the development tools into the active environment.
install:
    pip install -e ".[dev]"

# Format the code.
fmt:
    ruff format src tests bench docs/hooks
    ruff check --fix src tests bench docs/hooks

# Lint: ruff (check + format --check) and mypy --strict on src.
lint:
    ruff check src tests bench docs/hooks
    ruff format --check src tests bench docs/hooks
    mypy src

# Run the test suite (offline; only 127.0.0.1 is reachable).
test *args:
    STACSYNC_SCHEMA_DIR="{{schema_dir}}" pytest {{args}}

# Install the third-party peers (PostgreSQL/PostGIS via apt, .peers/venv).
install-peers:
    .ci/install-peers

# Run only the tests against real third-party peers (stac-fastapi-pgstac, stac-validator).
test-peers *args:
    STACSYNC_SCHEMA_DIR="{{schema_dir}}" STACSYNC_REQUIRE_PEERS=1 pytest -m peers {{args}}

# Build the documentation site strictly into site/ (CLI and configuration references generated).
docs:
    NO_MKDOCS_2_WARNING=1 mkdocs build --strict --site-dir site

# Run a benchmark, e.g. `just bench catalog` (prints one JSON line).
bench name="catalog" *args:
    python bench/{{ if name == "catalog" { "catalog_write" } else { name } }}.py {{args}}

# Start the provider sandbox in the foreground.
sandbox *args:
    stacsync sandbox up {{args}}

# Validate a catalogue offline against the schema store.
validate path:
    stacsync validate --schemas "{{schema_dir}}" {{path}}
