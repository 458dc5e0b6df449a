"""The CLC+ Backbone raster legend and the style files derived from it.

Codes, names and colours follow the 2023 product user manual and the EEA QC tool (identical
RGB for 2018, 2021 and 2023); 253/254/255 are the technical codes. The delivered ``.tif.clr``,
``.txt`` and ``.qml`` files of the real packages were not found verbatim, so their layout here is
the usual ArcGIS / QGIS one (a documented deviation).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LegendClass:
    """One raster value of the legend."""

    value: int
    name: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        """The colour as ``#RRGGBB``."""
        r, g, b = self.rgb
        return f"#{r:02X}{g:02X}{b:02X}"


LEGEND: tuple[LegendClass, ...] = (
    LegendClass(1, "Sealed", (255, 0, 0)),
    LegendClass(2, "Woody needle leaved trees", (34, 139, 34)),
    LegendClass(3, "Woody broadleaved deciduous trees", (128, 255, 0)),
    LegendClass(4, "Woody broadleaved evergreen trees", (0, 255, 8)),
    LegendClass(5, "Low-growing woody plants", (128, 64, 0)),
    LegendClass(6, "Permanent herbaceous", (204, 242, 77)),
    LegendClass(7, "Periodically herbaceous", (255, 255, 128)),
    LegendClass(8, "Lichens and mosses", (255, 128, 255)),
    LegendClass(9, "Non and sparsely vegetated", (191, 191, 191)),
    LegendClass(10, "Water", (0, 128, 255)),
    LegendClass(11, "Snow and ice", (0, 255, 255)),
    LegendClass(253, "Coastal seawater buffer", (191, 223, 255)),
    LegendClass(254, "Outside area", (230, 230, 230)),
    LegendClass(255, "No data", (0, 0, 0)),
)
"""Every code of the raster, thematic classes first."""

THEMATIC_VALUES: tuple[int, ...] = tuple(c.value for c in LEGEND if c.value <= 11)
"""The eleven thematic codes (1-11)."""

NODATA = 255
OUTSIDE_AREA = 254


def colormap() -> dict[int, tuple[int, int, int, int]]:
    """The GeoTIFF colour table (RGBA) for every legend code."""
    return {c.value: (*c.rgb, 255) for c in LEGEND}


def clr_text() -> str:
    """The ArcGIS ``.tif.clr`` colour map: ``value R G B`` per line."""
    return "".join(f"{c.value} {c.rgb[0]} {c.rgb[1]} {c.rgb[2]}\n" for c in LEGEND)


def legend_text() -> str:
    """The ``.txt`` legend: values, colours and class names (comma separated)."""
    lines = ["Value,Red,Green,Blue,Alpha,Class_name"]
    lines += [f"{c.value},{c.rgb[0]},{c.rgb[1]},{c.rgb[2]},255,{c.name}" for c in LEGEND]
    return "\r\n".join(lines) + "\r\n"


def qml_text() -> str:
    """A QGIS ``.qml`` paletted-raster style with the legend's colours and labels."""
    entries = "\n".join(
        f'          <paletteEntry value="{c.value}" color="{c.hex.lower()}" '
        f'label="{c.name}" alpha="255"/>'
        for c in LEGEND
    )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.16.0-Hannover" styleCategories="AllStyleCategories">\n'
        "  <pipe>\n"
        '    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" '
        'nodataColor="">\n'
        "      <rasterTransparency/>\n"
        "      <colorPalette>\n"
        f"{entries}\n"
        "      </colorPalette>\n"
        "    </rasterrenderer>\n"
        "  </pipe>\n"
        "  <blendMode>0</blendMode>\n"
        "</qgis>\n"
    )


def sld_text(name: str, attribute: str) -> str:
    """An SLD 1.0 polygon style colouring features by their ``attribute`` class code."""
    rules = "\n".join(
        "        <sld:Rule>\n"
        f"          <sld:Name>{c.value}</sld:Name>\n"
        f"          <sld:Title>{c.name}</sld:Title>\n"
        "          <ogc:Filter><ogc:PropertyIsEqualTo>"
        f"<ogc:PropertyName>{attribute}</ogc:PropertyName>"
        f"<ogc:Literal>{c.value}</ogc:Literal>"
        "</ogc:PropertyIsEqualTo></ogc:Filter>\n"
        "          <sld:PolygonSymbolizer><sld:Fill>"
        f'<sld:CssParameter name="fill">{c.hex.lower()}</sld:CssParameter>'
        "</sld:Fill></sld:PolygonSymbolizer>\n"
        "        </sld:Rule>"
        for c in LEGEND
        if c.value in THEMATIC_VALUES
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" '
        'xmlns:ogc="http://www.opengis.net/ogc" xmlns:sld="http://www.opengis.net/sld" '
        'version="1.0.0">\n'
        "  <sld:NamedLayer>\n"
        f"    <sld:Name>{name}</sld:Name>\n"
        "    <sld:UserStyle>\n"
        f"      <sld:Name>{name}</sld:Name>\n"
        "      <sld:FeatureTypeStyle>\n"
        f"{rules}\n"
        "      </sld:FeatureTypeStyle>\n"
        "    </sld:UserStyle>\n"
        "  </sld:NamedLayer>\n"
        "</StyledLayerDescriptor>\n"
    )
