"""The real STAC Browser, in headless Chromium, shows the demo catalogue ``stacsync browse`` serves.

STAC Browser 4.0.1 is built by ``just stac-browser``; Chromium is Debian's; playwright-core
(``.peers/node``) drives it through ``browser_check.mjs``; ``.ci/install-e2e`` installs all
three. Every request that would leave the machine is aborted. Screenshots go to
``build/e2e-artefacts/``; with ``STACSYNC_E2E_UPDATE_DOCS=1`` they also replace the
documentation's ``docs/img/stac-browser-*.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from stacsync import api
from stacsync.browse import BrowseServer, StacBrowserBuild
from stacsync.config import Settings
from tests.peers.e2e.conftest import DemoCatalog

REPO = Path(__file__).resolve().parents[3]
ARTEFACTS = REPO / "build" / "e2e-artefacts"
DOCS_IMG = REPO / "docs" / "img"
SCRIPT = Path(__file__).with_name("browser_check.mjs")
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = (
    "install them with `.ci/install-e2e` (apt chromium, playwright-core in .peers/node, "
    "`just stac-browser`)"
)
# Read at import: tests/conftest.py scrubs STACSYNC_* variables around each test, and the
# STAC Browser build lives in the user's cache, not in the tests' temporary one.
REQUIRED = os.environ.get("STACSYNC_REQUIRE_PEERS", "") not in ("", "0")
UPDATE_DOCS = os.environ.get("STACSYNC_E2E_UPDATE_DOCS", "") not in ("", "0")
NODE_DIR = Path(os.environ.get("STACSYNC_E2E_NODE_DIR") or REPO / ".peers" / "node")
BUILD = api.stac_browser(Settings())

MAP = ".ol-viewport"
"""The map of STAC Browser (OpenLayers), whose pixels show whether the COG was drawn."""
DRAWN = 0.10
"""The share of the map's pixels that must be neither blank nor the footprint outline."""
DOCS_PAGES = {
    "catalog": "catalog",
    "collection": "collection-terrascope-s2-ndvi-v2",
    "item-cog": "cog-tree-cover-density-2018",
}
"""docs/img/stac-browser-<name>.png -> the page shown (the first of its kind if absent)."""


def _missing_tools() -> list[str]:
    missing = []
    if shutil.which("node") is None:
        missing.append("node")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (Debian chromium)")
    if not (NODE_DIR / "node_modules" / "playwright-core" / "package.json").is_file():
        missing.append(f"playwright-core in {NODE_DIR}")
    if not StacBrowserBuild(BUILD.dist).usable:
        missing.append(BUILD.hint())
    return missing


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """Skip (fail under STACSYNC_REQUIRE_PEERS) before the demo is built if a tool is missing."""
    missing = _missing_tools()
    if missing:
        message = f"missing {'; '.join(missing)}; {INSTALL_HINT}"
        if REQUIRED:
            pytest.fail(f"peer required (STACSYNC_REQUIRE_PEERS) but unavailable: {message}")
        pytest.skip(message)


@pytest.fixture(scope="module")
def browsed(browser_tools: None, demo_catalog: DemoCatalog) -> Iterator[BrowseServer]:
    """``stacsync browse`` serving the demo catalogue and the built STAC Browser."""
    with api.browse(demo_catalog.root, Settings(), port=0, browser=BUILD.dist) as server:
        yield server


def _title(path: Path) -> str:
    obj = json.loads(path.read_text())
    title = obj.get("title") or obj.get("properties", {}).get("title")
    return str(title or obj["id"])


def _relative(demo: DemoCatalog, path: Path | str) -> str:
    return Path(path).relative_to(demo.root).as_posix()


@dataclass(frozen=True)
class CogPage:
    """A COG item opened in STAC Browser, and its data file."""

    name: str
    item: Path
    title: str
    data: str  # the COG, relative to the catalogue root


@dataclass(frozen=True)
class BrowserRun:
    """What browser_check.mjs reported, and the pages it was asked for."""

    report: dict[str, Any]
    expected: dict[str, list[str]]
    screenshots: dict[str, Path]
    cogs: list[CogPage]

    def page(self, name: str) -> dict[str, Any]:
        return next(p for p in self.report["pages"] if p["name"] == name)


def _cog_pages(demo: DemoCatalog) -> list[CogPage]:
    pages = []
    for found in demo.cog_items():
        item = Path(found["_path"])
        data = (item.parent / found["assets"]["data"]["href"]).resolve()
        name = f"cog-{item.parent.parent.name}"
        pages.append(CogPage(name, item, _title(item), _relative(demo, data)))
    assert pages, "the demo catalogue has no COG item"
    return pages


@pytest.fixture(scope="module")
def browser_run(browsed: BrowseServer, demo_catalog: DemoCatalog) -> BrowserRun:
    """Open the catalogue, each collection and each COG item in Chromium, once."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    collections = demo_catalog.collections()
    expected = {"catalog": [_title(demo_catalog.catalog_json), *map(_title, collections)]}
    pages: list[dict[str, Any]] = []
    screenshots: dict[str, Path] = {}

    def add(name: str, url: str, **extra: Any) -> None:
        screenshots[name] = ARTEFACTS / f"stac-browser-{name}.png"
        pages.append(
            {
                "name": name,
                "url": url,
                "expect": expected[name],
                "screenshot": str(screenshots[name]),
            }
            | extra
        )

    add("catalog", browsed.browser_url or "")
    for collection in collections:
        name = f"collection-{collection.parent.name}"
        items = sorted(collection.parent.glob("*/*.json"))
        expected[name] = [
            _title(collection),
            *(_title(i) for i in items if i.stem == i.parent.name),
        ]
        add(name, browsed.page_url(_relative(demo_catalog, collection)), box=MAP)
    cogs = _cog_pages(demo_catalog)
    for cog in cogs:
        expected[cog.name] = [cog.title, "SHOWN"]
        add(cog.name, browsed.page_url(_relative(demo_catalog, cog.item)), box=MAP, settleMs=3000)

    plan = ARTEFACTS / "stac-browser-plan.json"
    plan.write_text(
        json.dumps({"playwright": str(NODE_DIR), "chromium": str(CHROMIUM), "pages": pages})
    )
    done = subprocess.run(
        ["node", str(SCRIPT), str(plan)], capture_output=True, text=True, timeout=300
    )
    assert done.stdout.strip(), f"browser_check.mjs printed nothing: {done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    (ARTEFACTS / "stac-browser-report.json").write_text(json.dumps(report, indent=2))
    return BrowserRun(report, expected, screenshots, cogs)


def test_catalogue_page_shows_every_collection(browser_run: BrowserRun) -> None:
    page = browser_run.page("catalog")
    assert len(browser_run.expected["catalog"]) == 5  # the catalogue and its 4 collections
    assert page["missing"] == [], page
    assert page["ok"]


def test_collection_pages_show_every_item_title(browser_run: BrowserRun) -> None:
    names = [n for n in browser_run.expected if n.startswith("collection-")]
    assert len(names) == 4
    for name in names:
        page = browser_run.page(name)
        assert len(browser_run.expected[name]) >= 2, name  # the collection and its items
        assert page["missing"] == [], page


def _drawn_share(screenshot: Path, box: dict[str, float]) -> float:
    """The share of the map's pixels that are neither near-white nor the footprint's blue."""
    window = Window(round(box["x"]), round(box["y"]), int(box["width"]), int(box["height"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(screenshot) as png:
            rgb = png.read((1, 2, 3), window=window).astype(int)
    blank = (rgb > 230).all(axis=0)
    outline = (abs(rgb[0] - 51) < 40) & (abs(rgb[1] - 136) < 40) & (rgb[2] > 160)
    return float(np.mean(~blank & ~outline))


def test_cog_item_previews_are_drawn(browser_run: BrowserRun, browsed: BrowseServer) -> None:
    served = browsed.served()
    for cog in browser_run.cogs:
        page = browser_run.page(cog.name)
        assert page["missing"] == [], page  # the item's title and the asset badge "SHOWN"
        pageerrors = [e for e in page["errors"] if e.startswith("pageerror")]
        assert pageerrors == [], pageerrors
        # The browser read the COG with range requests (geotiff.js), from the same origin ...
        cog_path = urlsplit(browsed.file_url(cog.data)).path
        reads = [r for r in served if r.path == cog_path and r.method == "GET"]
        assert reads, f"STAC Browser never fetched {cog_path}"
        assert all(r.range is not None and r.status == 206 for r in reads), reads
        # ... and drew it: the map is not just a blank background with the footprint outline.
        assert page["box"] is not None, f"no map on {cog.name}"
        share = _drawn_share(browser_run.screenshots[cog.name], page["box"])
        assert share > DRAWN, f"{cog.name}: only {share:.1%} of the map is drawn"


def test_a_map_without_a_cog_is_below_the_threshold(browser_run: BrowserRun) -> None:
    """The pixel check above can fail: a collection's map shows only its extent outline."""
    shares = {}
    for name, path in browser_run.screenshots.items():
        box = browser_run.page(name)["box"]
        if name.startswith("collection-") and box is not None:
            shares[name] = _drawn_share(path, box)
    assert shares, "no collection page has a map"
    assert min(shares.values()) < DRAWN / 2, shares


def test_nothing_left_the_machine_but_basemap_tiles(browser_run: BrowserRun) -> None:
    aborted = browser_run.report["aborted"]
    hosts = {urlsplit(url).hostname for url in aborted}
    # Projection definitions come from stacsync browse, not epsg.io.
    assert "epsg.io" not in hosts
    assert hosts <= {"tile.openstreetmap.org"}, hosts


def test_screenshots_are_saved(browser_run: BrowserRun) -> None:
    for name, path in browser_run.screenshots.items():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    if UPDATE_DOCS:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shots = browser_run.screenshots
        for name, wanted in DOCS_PAGES.items():
            kind = wanted.split("-")[0]
            page = wanted if wanted in shots else next(n for n in shots if n.startswith(kind))
            shutil.copyfile(shots[page], DOCS_IMG / f"stac-browser-{name}.png")
