"""Legends from .clr, .txt, .vat.dbf, .aux.xml RATs, .qml and colour tables."""

from __future__ import annotations

import struct
from pathlib import Path

from stacsync.cog.legend import (
    LegendClass,
    classification_classes,
    from_colormap,
    from_stac_classes,
    merge,
    parse_aux_rat,
    parse_dbf,
    parse_qml,
    parse_table_text,
    read_legend,
    slug,
)
from stacsync.sandbox.backbone.legend import clr_text, legend_text, qml_text
from stacsync.sandbox.backbone.raster import aux_xml, class_array
from tests.cog.helpers import backbone_grid, official_legend


def dbf(fields: list[tuple[str, str, int]], rows: list[list[str]], deleted: int = -1) -> bytes:
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(length for _, _, length in fields)
    out = bytearray(struct.pack("<BBBBIHH", 3, 124, 1, 1, len(rows), header_len, record_len))
    out += bytes(20)
    for name, kind, length in fields:
        out += name.encode().ljust(11, b"\x00") + kind.encode() + bytes(4) + bytes([length, 0])
        out += bytes(14)
    out += b"\x0d"
    for i, row in enumerate(rows):
        out += b"*" if i == deleted else b" "
        for (_, kind, length), value in zip(fields, row, strict=True):
            raw = value.encode("utf-8")
            out += raw.rjust(length) if kind == "N" else raw.ljust(length)
    return bytes(out + b"\x1a")


def test_backbone_sidecars_give_the_official_legend() -> None:
    official = official_legend()
    txt = {c.value: c for c in parse_table_text(legend_text())}
    clr = {c.value: c for c in parse_table_text(clr_text())}
    qml = {c.value: c for c in parse_qml(qml_text())}
    assert set(txt) == set(clr) == set(qml) == set(official)
    for value, (title, colour) in official.items():
        assert txt[value].title == qml[value].title == title
        assert txt[value].color_hint == clr[value].color_hint == qml[value].color_hint == colour
        assert clr[value].title is None


def test_aux_xml_attribute_table() -> None:
    data = class_array(backbone_grid(60), "legend")
    rat = {c.value: c for c in parse_aux_rat(aux_xml(data))}
    assert rat[1].title == "Sealed"
    assert rat[11].title == "Snow and ice"
    assert rat[3].count == int((data == 3).sum())
    assert 255 not in rat


def test_vat_dbf_with_codepage(tmp_path: Path) -> None:
    fields = [("Value", "N", 5), ("Count", "N", 10), ("Class_name", "C", 40)]
    rows = [["1", "10", "Sealed"], ["2", "3", "Forêt"], ["3", "0", "gone"]]
    raw = dbf(fields, rows, deleted=2)
    assert [(c.value, c.title, c.count) for c in parse_dbf(raw)] == [
        (1, "Sealed", 10),
        (2, "Forêt", 3),
    ]
    (tmp_path / "r.tif.vat.dbf").write_bytes(raw)
    (tmp_path / "r.tif.vat.cpg").write_text("UTF-8")
    (tmp_path / "r.tif.clr").write_text("1 255 0 0\n2 0 255 0\n")
    legend = read_legend(sorted(tmp_path.iterdir()))
    assert [(c.value, c.title, c.color_hint) for c in legend] == [
        (1, "Sealed", "FF0000"),
        (2, "Forêt", "00FF00"),
    ]


def test_table_variants() -> None:
    semicolon = "CODE;LABEL;R;G;B\n10;Forest;0;128;0\n20;Water;0;0;255\n"
    assert [(c.value, c.title, c.color_hint) for c in parse_table_text(semicolon)] == [
        (10, "Forest", "008000"),
        (20, "Water", "0000FF"),
    ]
    spaced = "# value r g b a label\n1 255 0 0 255 Sealed area\n2 0 0 0 255\n"
    assert [(c.value, c.title) for c in parse_table_text(spaced)] == [(1, "Sealed area"), (2, None)]
    assert parse_table_text("just some notes\nnothing numeric\n") == []


def test_merge_first_source_wins_per_field() -> None:
    names = [LegendClass(1, "One"), LegendClass(2, None, (1, 2, 3))]
    colours = from_colormap({1: (255, 0, 0, 255), 2: (9, 9, 9, 255), 3: (0, 0, 0, 255)})
    merged = merge(names, colours)
    assert [(c.value, c.title, c.color) for c in merged] == [
        (1, "One", (255, 0, 0)),
        (2, None, (1, 2, 3)),
        (3, None, (0, 0, 0)),
    ]
    classes = classification_classes(merged, nodata=3)
    assert classes == [{"value": 1, "name": "one", "title": "One", "color_hint": "FF0000"}]


def test_names_are_valid_and_unique() -> None:
    assert slug("Non- and sparsely-vegetated (bare)") == "non-and-sparsely-vegetated-bare"
    assert slug("???") == "class"
    classes = classification_classes([LegendClass(1, "A b"), LegendClass(2, "a-B")])
    assert [c["name"] for c in classes] == ["a-b", "a-b-2"]
    provider = from_stac_classes([{"value": 5, "name": "x", "title": "X", "color_hint": "00ff00"}])
    assert provider == [LegendClass(5, "X", (0, 255, 0))]
