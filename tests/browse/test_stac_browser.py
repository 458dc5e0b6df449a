"""Where STAC Browser is built, and when a build is usable; when to open a web browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacsync import api
from stacsync.browse import STAC_BROWSER_VERSION, StacBrowserBuild, display_likely
from stacsync.config import Settings


def test_the_build_lives_in_the_cache_folder(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path)
    build = api.stac_browser(settings)
    assert build.dist == tmp_path / "stac-browser" / STAC_BROWSER_VERSION / "dist"
    assert api.stac_browser(settings, tmp_path / "mine").dist == tmp_path / "mine"


def test_missing_build(tmp_path: Path) -> None:
    build = StacBrowserBuild(tmp_path / "dist")
    assert not build.usable
    assert build.problem == f"STAC Browser is not built in {tmp_path / 'dist'}"
    assert "just stac-browser" in build.hint()


def test_build_must_load_the_runtime_config(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<script defer="defer" src="/other.js"></script>')
    build = StacBrowserBuild(tmp_path)
    assert build.problem is not None and "/config.js" in build.problem
    (tmp_path / "index.html").write_text('<script defer="defer" src="/config.js"></script>')
    assert build.usable and build.problem is None


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({}, "darwin", True),
        ({}, "win32", True),
        ({"SSH_CONNECTION": "1 2 3 4"}, "darwin", False),
        ({"SSH_CONNECTION": "1 2 3 4", "DISPLAY": "localhost:10"}, "linux", True),
    ],
)
def test_display_likely(environ: dict[str, str], platform: str, expected: bool) -> None:
    assert display_likely(environ, platform) is expected
