"""``stacsync browse``: a catalogue in STAC Browser, served from 127.0.0.1.

The catalogue folder and a locally built STAC Browser are served from one origin (CORS and
HTTP Range included, so COG previews and GDAL's ``/vsicurl/`` work). Start it with
``stacsync browse CATALOG`` or, from Python and tests, with :func:`running_browse` (a
background thread) or :class:`BrowseServer` (``async with``).
"""

from stacsync.browse.desktop import display_likely, open_in_browser
from stacsync.browse.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    BrowseOptions,
    BrowseServer,
    ServedRequest,
    config_script,
    running_browse,
)
from stacsync.browse.stac_browser import (
    BUILD_HINT,
    STAC_BROWSER_VERSION,
    StacBrowserBuild,
    stac_browser_dist,
)

__all__ = [
    "BUILD_HINT",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "STAC_BROWSER_VERSION",
    "BrowseOptions",
    "BrowseServer",
    "ServedRequest",
    "StacBrowserBuild",
    "config_script",
    "display_likely",
    "open_in_browser",
    "running_browse",
    "stac_browser_dist",
]
