"""Where the built STAC Browser lives, and whether it is usable.

STAC Browser (npm ``@radiantearth/stac-browser``) is published as sources only, so it is
built once on the user's machine (``just stac-browser``) into the stacsync cache folder:
``<cache_dir>/stac-browser/<version>/dist``. :func:`stac_browser_dist` is the one place that
path is defined; the build recipe asks for it with ``stacsync browse --browser-path``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STAC_BROWSER_VERSION = "4.0.1"
"""The STAC Browser release stacsync serves (built with ``ol-stac`` pinned to 1.1.0)."""

BUILD_HINT = "build it once with `just stac-browser` (see docs/browse.md)"
"""How a user gets a built STAC Browser."""

CONFIG_SCRIPT = 'src="/config.js"'
"""What a build's index.html must load so that the runtime configuration applies."""


def stac_browser_dist(cache_dir: Path, version: str = STAC_BROWSER_VERSION) -> Path:
    """The folder a built STAC Browser ``version`` goes into (its ``dist``)."""
    return cache_dir / "stac-browser" / version / "dist"


@dataclass(frozen=True, slots=True)
class StacBrowserBuild:
    """A STAC Browser ``dist`` folder, possibly absent or unusable."""

    dist: Path

    @property
    def problem(self) -> str | None:
        """Why this build cannot be served, or ``None`` when it can."""
        index = self.dist / "index.html"
        if not index.is_file():
            return f"STAC Browser is not built in {self.dist}"
        try:
            html = index.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"cannot read {index}: {exc.strerror}"
        if CONFIG_SCRIPT not in html:
            return (
                f"the STAC Browser build in {self.dist} does not load /config.js "
                "(uncomment its script line in public/index.html before building)"
            )
        return None

    @property
    def usable(self) -> bool:
        """Whether the build can be served."""
        return self.problem is None

    def hint(self) -> str:
        """A one-line explanation and the way out, for when the build is unusable."""
        problem = self.problem
        if problem is None:
            return f"STAC Browser {self.dist}"
        return f"{problem}; {BUILD_HINT}"
