"""Projection definitions for STAC Browser's map, served locally instead of from epsg.io.

To draw a COG in a CRS other than WGS 84 or Web Mercator, STAC Browser's map (OpenLayers
with proj4js) fetches the CRS's proj4 definition from ``https://epsg.io/<code>.proj4``.
Offline, or when a user would rather not tell a third party what they look at, that fails and
the preview stays empty. ``stacsync browse`` therefore answers those lookups itself, from the
PROJ database that rasterio ships: :data:`EPSG_LOOKUP_SHIM` (appended to ``/config.js``)
sends exactly those requests to ``/proj4/epsg/<code>.proj4`` on the same server.
"""

from __future__ import annotations

from functools import lru_cache

PROJ4_ROUTE = "/proj4/epsg/{code}.proj4"
"""Where the definitions are served (``{code}`` is the EPSG code)."""

EPSG_LOOKUP_SHIM = """\
// Projection definitions come from this server, not from epsg.io, so that COGs in any CRS
// are drawn offline too.
(function () {
  var fetchFromNetwork = window.fetch.bind(window);
  var epsgIo = /^https:\\/\\/epsg\\.io\\/(\\d{1,6})\\.proj4$/;
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || String(input);
    var match = epsgIo.exec(url);
    return fetchFromNetwork(match ? "/proj4/epsg/" + match[1] + ".proj4" : input, init);
  };
})();
"""
"""JavaScript that redirects STAC Browser's epsg.io lookups to :data:`PROJ4_ROUTE`."""


@lru_cache(maxsize=256)
def proj4_definition(code: int) -> str | None:
    """The proj4 string of ``EPSG:<code>``, or ``None`` if PROJ does not know the code."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    with rasterio.Env():
        try:
            params = CRS.from_epsg(code).to_dict()
        except (CRSError, ValueError):
            return None
    if not params:
        return None
    return " ".join(
        f"+{key}" if value is True else f"+{key}={value}" for key, value in params.items()
    )
