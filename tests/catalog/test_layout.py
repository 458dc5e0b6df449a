"""Ids that would escape their folder or break file names are refused; the rest are kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stacsync.catalog import layout
from stacsync.catalog.layout import MAX_ID_BYTES, check_id
from stacsync.errors import CatalogError, InvalidIdError

HOSTILE = [
    pytest.param("a/b", id="slash"),
    pytest.param("../escape", id="dotdot-slash"),
    pytest.param("a\\b", id="backslash"),
    pytest.param("..", id="dotdot"),
    pytest.param(".", id="dot"),
    pytest.param(".hidden", id="leading-dot"),
    pytest.param(".x.json.stacsync-tmp", id="temp-name"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("a\nb", id="newline"),
    pytest.param("a\tb", id="tab"),
    pytest.param("a\x1bb", id="escape"),
    pytest.param("a\x7fb", id="del"),
    pytest.param("", id="empty"),
    pytest.param(" leading", id="leading-space"),
    pytest.param("trailing ", id="trailing-space"),
    pytest.param("\u00a0nbsp", id="leading-nbsp"),
    pytest.param("x" * (MAX_ID_BYTES + 1), id="ascii-201-bytes"),
    pytest.param("é" * 101, id="multibyte-202-bytes"),
    pytest.param("🌍" * 51, id="emoji-204-bytes"),
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_are_refused_naming_the_id(value: str) -> None:
    with pytest.raises(InvalidIdError) as info:
        check_id("item", value)
    exc = info.value
    assert exc.kind == "item"
    assert exc.value == value
    assert exc.reason
    shown = value if len(value) <= 80 else value[:77] + "..."
    assert repr(shown) in str(exc)
    assert str(exc).startswith("invalid item id ")


def test_invalid_id_error_is_a_catalog_error_and_a_value_error() -> None:
    with pytest.raises(CatalogError):
        check_id("collection", "a/b")
    with pytest.raises(ValueError, match="invalid collection id 'a/b'"):
        check_id("collection", "a/b")


@pytest.mark.parametrize("value", [None, 42, b"bytes", ["a"], 3.5])
def test_non_string_ids_are_refused(value: object) -> None:
    with pytest.raises(InvalidIdError, match="ids must be strings") as info:
        check_id("collection", value)
    assert info.value.value == repr(value)
    assert repr(repr(value)) in str(info.value)


def test_reasons_are_specific() -> None:
    with pytest.raises(InvalidIdError, match="must not be empty"):
        check_id("item", "")
    with pytest.raises(InvalidIdError, match=re.escape("must not start with '.'")):
        check_id("item", "..")
    with pytest.raises(InvalidIdError, match="forbidden characters"):
        check_id("item", "a/b")
    with pytest.raises(InvalidIdError, match="whitespace"):
        check_id("item", "a ")
    with pytest.raises(InvalidIdError, match="202 bytes long, the limit is 200"):
        check_id("item", "é" * 101)


def test_long_ids_are_shortened_in_the_message() -> None:
    value = "y" * 300
    with pytest.raises(InvalidIdError) as info:
        check_id("item", value)
    assert info.value.value == value
    assert "y" * 77 + "..." in str(info.value)
    assert "y" * 78 not in str(info.value)


GOOD = [
    pytest.param("c_gls_NDVI300_202401010000_GLOBE_OLCI_V2.0.1", id="clms-name"),
    pytest.param("urn:eop:VITO:TERRASCOPE_S2_TOC_V2:S2B_20240819T103021_31TGM", id="urn-colons"),
    pytest.param("esa-worldcover-map-10m-2021-v2", id="dashes"),
    pytest.param("a.b.c", id="inner-dots"),
    pytest.param("x..y", id="inner-dotdot"),
    pytest.param("with inner space", id="inner-space"),
    pytest.param("Zürich_Ørsted_東京", id="unicode"),
    pytest.param("a", id="single-char"),
    pytest.param("x" * MAX_ID_BYTES, id="ascii-200-bytes"),
    pytest.param("é" * 100, id="multibyte-200-bytes"),
]


@pytest.mark.parametrize("value", GOOD)
def test_good_ids_are_accepted(value: str) -> None:
    assert check_id("item", value) == value


@pytest.mark.parametrize("value", ["urn:eop:VITO:X:Y", "Zürich_東京", "é" * 100])
def test_good_ids_make_usable_paths(tmp_path: Path, value: str) -> None:
    path = layout.item_path(tmp_path, "coll", value)
    assert path == tmp_path / "coll" / value / f"{value}.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{}")
    assert path.read_bytes() == b"{}"


def test_paths_and_hrefs() -> None:
    root = Path("/data/cat")
    assert layout.catalog_path(root) == root / "catalog.json"
    assert layout.collection_path(root, "c1") == root / "c1" / "collection.json"
    assert layout.item_path(root, "c1", "i1") == root / "c1" / "i1" / "i1.json"
    assert layout.collection_href("c1") == "./c1/collection.json"
    assert layout.item_href("i1") == "./i1/i1.json"


def test_c1_control_characters_are_refused() -> None:
    with pytest.raises(InvalidIdError):
        check_id("item", "a\x9bb")


def _allowed_by_the_rules(value: str) -> bool:
    """The rules of check_id written out character by character, for ASCII ids."""
    if not value or len(value) > MAX_ID_BYTES or value[0] == "." or value != value.strip():
        return False
    return all(c not in "/\\" and 0x20 <= ord(c) < 0x7F for c in value)


@pytest.mark.parametrize("where", ["start", "middle", "end", "alone"])
def test_every_ascii_character_in_every_position(where: str) -> None:
    for code in range(128):
        c = chr(code)
        value = {"start": f"{c}ab", "middle": f"a{c}b", "end": f"ab{c}", "alone": c}[where]
        if _allowed_by_the_rules(value):
            assert check_id("item", value) == value, repr(value)
        else:
            with pytest.raises(InvalidIdError):
                check_id("item", value)


@pytest.mark.parametrize("size", [MAX_ID_BYTES - 1, MAX_ID_BYTES, MAX_ID_BYTES + 1])
@pytest.mark.parametrize("tail", ["x", "é", " "])
def test_length_limit_at_the_boundary(size: int, tail: str) -> None:
    value = "x" * (size - len(tail.encode())) + tail
    if size <= MAX_ID_BYTES and tail != " ":
        assert check_id("item", value) == value
    else:
        with pytest.raises(InvalidIdError):
            check_id("item", value)
