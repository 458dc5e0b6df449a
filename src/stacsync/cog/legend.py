"""Class legends of categorical rasters, read from what a delivery ships.

Sources: ArcGIS ``.clr`` colour maps (``value R G B``), ``.txt``/``.csv`` legends (with or
without a header, comma, semicolon, tab or space separated), ``.vat.dbf`` value attribute
tables, GDAL's raster attribute tables in ``.aux.xml``, QGIS ``.qml`` palettes and GDAL colour
tables. :func:`merge` combines them (first source wins per field) and
:func:`classification_classes` turns the result into ``classification:classes``.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

MAX_SIDECAR_BYTES = 16 * 1024 * 1024
RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class LegendClass:
    """One class value with whatever the legend says about it."""

    value: int
    title: str | None = None
    color: RGB | None = None
    count: int | None = None

    @property
    def color_hint(self) -> str | None:
        """The colour as six hex digits (no ``#``), or ``None``."""
        return None if self.color is None else "{:02X}{:02X}{:02X}".format(*self.color)


def _int(token: str) -> int | None:
    try:
        number = float(token)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _rgb(values: Sequence[int | None]) -> RGB | None:
    if len(values) < 3 or any(v is None or not 0 <= v <= 255 for v in values[:3]):
        return None
    r, g, b = values[:3]
    assert r is not None and g is not None and b is not None
    return (r, g, b)


_HEADER_VALUE = re.compile(r"^(value|code|class_?value|pixel_?value|val)$", re.IGNORECASE)
_HEADER_NAME = re.compile(r"(name|label|class|description|title|legend)", re.IGNORECASE)
_HEADER_COLOR = {"red": 0, "r": 0, "green": 1, "g": 1, "blue": 2, "b": 2}


def _split(line: str) -> list[str]:
    for sep in ("\t", ";", ","):
        if sep in line:
            return [t.strip().strip('"') for t in line.split(sep)]
    return line.split()


def _row_without_header(tokens: list[str]) -> LegendClass | None:
    value = _int(tokens[0]) if tokens else None
    if value is None:
        return None
    numbers: list[int | None] = []
    rest = tokens[1:]
    while rest and len(numbers) < 4 and _int(rest[0]) is not None:
        numbers.append(_int(rest.pop(0)))
    title = " ".join(rest).strip() or None
    return LegendClass(value, title, _rgb(numbers))


def _rows_with_header(header: list[str], rows: Iterable[list[str]]) -> list[LegendClass]:
    keys = [h.strip().lower() for h in header]
    value_col = next((i for i, k in enumerate(keys) if _HEADER_VALUE.match(k)), 0)
    name_col = next(
        (i for i, k in enumerate(keys) if i != value_col and _HEADER_NAME.search(k)), None
    )
    color_cols = {_HEADER_COLOR[k]: i for i, k in enumerate(keys) if k in _HEADER_COLOR}
    count_col = next((i for i, k in enumerate(keys) if k in ("count", "pixel_count")), None)
    classes = []
    for row in rows:
        value = _int(row[value_col]) if len(row) > value_col else None
        if value is None:
            continue
        title = (
            row[name_col].strip() or None if name_col is not None and name_col < len(row) else None
        )
        color = None
        if len(color_cols) == 3 and max(color_cols.values()) < len(row):
            color = _rgb([_int(row[color_cols[c]]) for c in range(3)])
        count = _int(row[count_col]) if count_col is not None and count_col < len(row) else None
        classes.append(LegendClass(value, title, color, count))
    return classes


def parse_table_text(text: str) -> list[LegendClass]:
    """A ``.clr`` colour map or a ``.txt``/``.csv`` legend, with or without a header."""
    lines = [
        line.strip()
        for line in text.replace("\r\n", "\n").split("\n")
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        return []
    first = _split(lines[0])
    if first and _int(first[0]) is None:
        return _rows_with_header(first, (_split(line) for line in lines[1:]))
    return [c for line in lines if (c := _row_without_header(_split(line))) is not None]


def parse_qml(text: str) -> list[LegendClass]:
    """The palette (or exact colour-ramp items) of a QGIS ``.qml`` raster style."""
    root = ET.fromstring(text)  # noqa: S314 - size-limited local file; expat guards entities
    classes = []
    entries = list(root.iter("paletteEntry"))
    for shader in root.iter("colorrampshader"):
        if shader.get("colorRampType", "").upper() == "EXACT":
            entries += list(shader.iter("item"))
    for entry in entries:
        value = _int(entry.get("value", ""))
        if value is None:
            continue
        colour = entry.get("color", "")
        rgb = None
        if re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
            rgb = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
        classes.append(LegendClass(value, entry.get("label") or None, rgb))
    return classes


_RAT_NAME, _RAT_MINMAX, _RAT_COUNT, _RAT_RED, _RAT_GREEN, _RAT_BLUE = 2, 5, 1, 6, 7, 8


def parse_aux_rat(text: str, band: int = 1) -> list[LegendClass]:
    """The raster attribute table of ``band`` in GDAL's ``.aux.xml``."""
    root = ET.fromstring(text)  # noqa: S314 - size-limited local file; expat guards entities
    for pam_band in root.iter("PAMRasterBand"):
        if pam_band.get("band", "1") != str(band):
            continue
        table = pam_band.find("GDALRasterAttributeTable")
        if table is None:
            continue
        fields: list[tuple[str, int]] = [
            ((f.findtext("Name") or "").lower(), int(f.findtext("Usage") or 0))
            for f in table.findall("FieldDefn")
        ]
        header = [
            "value"
            if usage == _RAT_MINMAX
            else "name"
            if usage == _RAT_NAME
            else "count"
            if usage == _RAT_COUNT
            else {_RAT_RED: "red", _RAT_GREEN: "green", _RAT_BLUE: "blue"}.get(usage, name or "x")
            for name, usage in fields
        ]
        rows = [[(f.text or "") for f in row.findall("F")] for row in table.findall("Row")]
        return _rows_with_header(header, rows)
    return []


def parse_dbf(data: bytes, encoding: str = "utf-8") -> list[LegendClass]:
    """An ArcGIS value attribute table (``.vat.dbf``, dBASE III)."""
    if len(data) < 32:
        return []
    records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields: list[tuple[str, int]] = []
    offset = 32
    while offset + 32 <= header_len and data[offset] != 0x0D:
        name = data[offset : offset + 11].split(b"\x00", 1)[0].decode("ascii", "replace")
        fields.append((name, data[offset + 16]))
        offset += 32
    header = [name for name, _ in fields]
    rows = []
    for index in range(records):
        start = header_len + index * record_len
        record = data[start : start + record_len]
        if len(record) < record_len or record[:1] == b"*":
            continue
        position, row = 1, []
        for _, length in fields:
            raw = record[position : position + length]
            row.append(raw.decode(encoding, "replace").strip())
            position += length
        rows.append(row)
    return _rows_with_header(header, rows)


def from_colormap(colormap: Mapping[int, Sequence[int]]) -> list[LegendClass]:
    """Colours of a GDAL colour table (no names)."""
    return [
        LegendClass(int(v), None, (int(c[0]), int(c[1]), int(c[2]))) for v, c in colormap.items()
    ]


def merge(*sources: Iterable[LegendClass]) -> list[LegendClass]:
    """One class per value; for each field the first source that has it wins."""
    merged: dict[int, LegendClass] = {}
    for source in sources:
        for entry in source:
            known = merged.get(entry.value)
            if known is None:
                merged[entry.value] = entry
                continue
            merged[entry.value] = replace(
                known,
                title=known.title or entry.title,
                color=known.color or entry.color,
                count=known.count if known.count is not None else entry.count,
            )
    return [merged[v] for v in sorted(merged)]


def _read_text(path: Path, encoding: str = "utf-8") -> str:
    with path.open("rb") as handle:
        data = handle.read(MAX_SIDECAR_BYTES)
    return data.decode(encoding, "replace").lstrip("\ufeff")


def _codepage(path: Path) -> str:
    for cpg in (path.with_suffix(".cpg"), Path(str(path) + ".cpg")):
        if cpg.is_file():
            name = _read_text(cpg).strip() or "utf-8"
            return {"ANSI 1252": "cp1252", "1252": "cp1252"}.get(name, name)
    return "utf-8"


def read_legend_file(path: Path) -> list[LegendClass]:
    """Classes from one sidecar file (chosen by suffix); ``[]`` if it holds none."""
    name = path.name.lower()
    try:
        if name.endswith(".dbf"):
            encoding = _codepage(path)
            try:
                "".encode(encoding)
            except LookupError:
                encoding = "utf-8"
            with path.open("rb") as handle:
                return parse_dbf(handle.read(MAX_SIDECAR_BYTES), encoding)
        if name.endswith(".aux.xml"):
            return parse_aux_rat(_read_text(path))
        if name.endswith(".qml"):
            return parse_qml(_read_text(path))
        if name.endswith((".clr", ".txt", ".csv")):
            return parse_table_text(_read_text(path))
    except (ET.ParseError, struct.error, ValueError, UnicodeError):
        return []
    return []


LEGEND_ORDER = (".vat.dbf", ".txt", ".csv", ".aux.xml", ".qml", ".clr")
"""Which sidecars are trusted first for names (colours come from any of them)."""


def read_legend(files: Iterable[Path]) -> list[LegendClass]:
    """The merged legend of a raster's sidecar files (names from tables before styles)."""

    def rank(path: Path) -> int:
        name = path.name.lower()
        return next((i for i, s in enumerate(LEGEND_ORDER) if name.endswith(s)), len(LEGEND_ORDER))

    ordered = sorted(
        (p for p in files if rank(p) < len(LEGEND_ORDER)), key=lambda p: (rank(p), p.name)
    )
    return merge(*(read_legend_file(p) for p in ordered))


def slug(title: str) -> str:
    """A ``classification`` class name (``[0-9A-Za-z-_]+``) from a human title."""
    text = re.sub(r"[^0-9A-Za-z]+", "-", title).strip("-").lower()
    return text or "class"


def classification_classes(
    legend: Iterable[LegendClass], *, nodata: float | None = None
) -> list[dict[str, object]]:
    """``classification:classes`` for every class that has a title."""
    classes: list[dict[str, object]] = []
    used: set[str] = set()
    for entry in legend:
        if not entry.title:
            continue
        name = slug(entry.title)
        if name in used:
            name = f"{name}-{entry.value}"
        used.add(name)
        item: dict[str, object] = {"value": entry.value, "name": name, "title": entry.title}
        if entry.color_hint:
            item["color_hint"] = entry.color_hint
        if nodata is not None and entry.value == nodata:
            item["nodata"] = True
        classes.append(item)
    return classes


def from_stac_classes(classes: Iterable[Mapping[str, object]]) -> list[LegendClass]:
    """A legend from existing ``classification:classes`` (e.g. a provider's own)."""
    legend = []
    for c in classes:
        value = c.get("value")
        if not isinstance(value, int):
            continue
        title = c.get("title") or c.get("description") or c.get("name")
        hint = c.get("color_hint")
        color = None
        if isinstance(hint, str) and re.fullmatch(r"[0-9A-Fa-f]{6}", hint):
            color = (int(hint[0:2], 16), int(hint[2:4], 16), int(hint[4:6], 16))
        legend.append(LegendClass(value, str(title) if title else None, color))
    return legend
