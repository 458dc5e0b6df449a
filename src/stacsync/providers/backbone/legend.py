"""The CLC+ Backbone raster legend, built in and parsed from a legend document.

Codes 1-11 are the thematic classes, 253 the coastal seawater buffer (from 2021 on), 254
outside area and 255 no data (the GeoTIFF nodata). Names are the 2023 product user manual's,
colours the EEA QC tool's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stacsync.providers.backbone.constants import PROVIDER
from stacsync.providers.payload import (
    At,
    optional_str,
    require,
    require_int,
    require_list,
    require_object,
    require_str,
)

_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")
_NON_NAME = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class LegendClass:
    """One raster value: its code, official name, colour and whether it is nodata."""

    value: int
    title: str
    """The official name (``Woody needle leaved trees``)."""
    color: str
    """``RRGGBB``, upper case."""
    nodata: bool = False

    @property
    def name(self) -> str:
        """A machine name for ``classification:classes`` (``woody-needle-leaved-trees``)."""
        return _NON_NAME.sub("-", self.title.lower()).strip("-")

    def stac(self) -> dict[str, Any]:
        """The ``classification:classes`` entry."""
        entry: dict[str, Any] = {
            "value": self.value,
            "name": self.name,
            "title": self.title,
            "color_hint": self.color,
        }
        if self.nodata:
            entry["nodata"] = True
        return entry


LEGEND: tuple[LegendClass, ...] = (
    LegendClass(1, "Sealed", "FF0000"),
    LegendClass(2, "Woody needle leaved trees", "228B22"),
    LegendClass(3, "Woody broadleaved deciduous trees", "80FF00"),
    LegendClass(4, "Woody broadleaved evergreen trees", "00FF08"),
    LegendClass(5, "Low-growing woody plants", "804000"),
    LegendClass(6, "Permanent herbaceous", "CCF24D"),
    LegendClass(7, "Periodically herbaceous", "FFFF80"),
    LegendClass(8, "Lichens and mosses", "FF80FF"),
    LegendClass(9, "Non and sparsely vegetated", "BFBFBF"),
    LegendClass(10, "Water", "0080FF"),
    LegendClass(11, "Snow and ice", "00FFFF"),
    LegendClass(253, "Coastal seawater buffer", "BFDFFF"),
    LegendClass(254, "Outside area", "E6E6E6", nodata=True),
    LegendClass(255, "No data", "000000", nodata=True),
)
"""Every code of the raster, thematic classes first."""

LEGEND_2018: tuple[LegendClass, ...] = tuple(c for c in LEGEND if c.value != 253)
"""The 2018 raster (what the API serves) has no coastal seawater buffer."""


def _color(entry: Any, at: At) -> str:
    text = optional_str(entry, "hex", at) or optional_str(entry, "color_hint", at)
    if text is None and "rgb" in entry:
        rgb = require_list(entry["rgb"], at / "rgb")
        if len(rgb) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in rgb):
            (at / "rgb").fail("expected three integers 0-255")
        return "{:02X}{:02X}{:02X}".format(*rgb)
    match = _HEX.match(text or "")
    if match is None:
        (at / "hex").fail(f"expected a colour like '#RRGGBB', got {text!r}")
    return match.group(1).upper()


def parse_legend(value: object, *, url: str | None = None) -> tuple[LegendClass, ...]:
    """A legend document ``{"classes": [{"value", "name"|"name_2023_pum", "hex"|"rgb"}]}``.

    ``nodata`` comes from the entry (or its ``stac_classification_suggestion``); 254 and 255
    are nodata when the document does not say.

    Raises:
        PayloadError: A class without an integer value, a name or a colour.
    """
    at = At(PROVIDER, url)
    obj = require_object(value, at)
    classes: list[LegendClass] = []
    for index, raw in enumerate(require_list(require(obj, "classes", at), at / "classes")):
        where = at / "classes" / index
        entry = require_object(raw, where)
        title = optional_str(entry, "name_2023_pum", where) or require_str(entry, "name", where)
        suggestion = entry.get("stac_classification_suggestion_INFERRED") or {}
        nodata = entry.get(
            "nodata", suggestion.get("nodata") if isinstance(suggestion, dict) else None
        )
        classes.append(
            LegendClass(
                value=require_int(entry, "value", where),
                title=title,
                color=_color(entry, where),
                nodata=bool(nodata)
                if nodata is not None
                else require_int(entry, "value", where) >= 254,
            )
        )
    return tuple(classes)
