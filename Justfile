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

# Install what the end-to-end tests need: Chromium (apt), playwright-core (.peers/node), STAC Browser.
install-e2e:
    .ci/install-e2e

# Build STAC Browser once into the stacsync cache, where `stacsync browse` serves it from (node, npm).
stac-browser:
    #!/usr/bin/env bash
    set -euo pipefail
    # The destination comes from stacsync itself: <cache>/stac-browser/<version>/dist.
    dist="$(stacsync browse --browser-path)"
    if [ -f "$dist/index.html" ] && grep -q 'src="/config.js"' "$dist/index.html"; then
        echo "STAC Browser already built in $dist"; exit 0
    fi
    home="$(dirname "$dist")"; version="$(basename "$home")"
    mkdir -p "$home"
    work="$(mktemp -d "$home/build.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    cd "$work"
    echo "building STAC Browser $version in $work (npm install + build, about 3 min)"
    npm pack --silent "@radiantearth/stac-browser@$version" >/dev/null
    tar xzf "radiantearth-stac-browser-$version.tgz"
    cd package
    # ol-stac >= 1.2 needs OpenLayers >= 10.7, but STAC Browser 4.0.1 pins ol ~10.6.
    npm pkg set dependencies.ol-stac=1.1.0
    npm install --no-audit --no-fund --ignore-scripts --loglevel=error
    # Load the runtime configuration (/config.js) that `stacsync browse` generates.
    sed -i 's#<!-- <script defer="defer" src="/config.js"></script> -->#<script defer="defer" src="/config.js"></script>#' public/index.html
    grep -q 'src="/config.js"' public/index.html
    SB_historyMode=hash npm run build:minimal >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; exit 1; }
    rm -rf "$dist"
    mv dist "$dist"
    echo "STAC Browser $version built in $dist ($(du -sh "$dist" | cut -f1))"

# Run the end-to-end tests: the demo catalogue in STAC Browser (headless Chromium), GDAL, odc-stac.
test-e2e *args:
    STACSYNC_E2E=1 STACSYNC_REQUIRE_PEERS=1 STACSYNC_SCHEMA_DIR="{{schema_dir}}" pytest tests/peers/e2e {{args}}

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
