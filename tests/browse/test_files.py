"""Which URL paths name a servable file of a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stacsync.browse.files import file_etag, lookup, range_applies, url_segments


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "c.json").write_text("{}")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x").write_text("x")
    (tmp_path / "secret").write_text("s")
    return root.resolve()


def test_plain_paths_are_found(folder: Path) -> None:
    found = lookup(folder, "a/b/c.json")
    assert (found.path, found.status) == (folder / "a" / "b" / "c.json", 200)
    assert lookup(folder, "a//b/c.json").path == folder / "a" / "b" / "c.json"


@pytest.mark.parametrize(
    "tail", ["../secret", "a/../../secret", "./a/b/c.json", ".hidden/x", "a\\..\\..\\secret", "\0"]
)
def test_dot_segments_hidden_names_and_odd_characters_are_refused(folder: Path, tail: str) -> None:
    found = lookup(folder, tail)
    assert found.path is None
    assert found.status == 404


def test_folders_and_missing_files_are_not_found(folder: Path) -> None:
    assert lookup(folder, "a/b").status == 404
    assert lookup(folder, "").status == 404
    assert lookup(folder, "a/none.json").status == 404


def test_symlinks_are_followed_but_must_stay_inside(folder: Path) -> None:
    os.symlink(folder.parent / "secret", folder / "out")
    os.symlink(folder / "a" / "b" / "c.json", folder / "in.json")
    os.symlink(folder / ".hidden" / "x", folder / "peek")
    assert (lookup(folder, "out").path, lookup(folder, "out").status) == (None, 403)
    assert lookup(folder, "in.json").path == folder / "a" / "b" / "c.json"
    assert (lookup(folder, "peek").path, lookup(folder, "peek").status) == (None, 404)


def test_url_segments() -> None:
    assert url_segments("/a/b/") == ("a", "b")
    assert url_segments("a/../b") is None
    assert url_segments(".well-known/x") is None


def test_range_applies(folder: Path) -> None:
    path = folder / "a" / "b" / "c.json"
    etag = file_etag(path)
    assert range_applies({}, path)
    assert range_applies({"Range": "bytes=0-1"}, path)
    assert range_applies({"Range": "bytes=0-1", "If-Range": etag}, path)
    assert range_applies({"Range": "bytes=0-1", "If-Range": "Sat, 01 Jan 2000 00:00:00 GMT"}, path)
    assert not range_applies({"Range": "bytes=0-1", "If-Range": '"stale"'}, path)
    assert not range_applies({"Range": "bytes=0-1", "If-Range": f"W/{etag}"}, path)
    assert not range_applies({"Range": "bytes=0-1,4-5"}, path)
