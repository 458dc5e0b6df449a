"""Safe unpacking: zip-slip, links, devices, bombs, duplicates, unreadable archives."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from stacsync.cog.archive import ArchiveLimits, entry_parts, unpack
from stacsync.errors import ArchiveError
from tests.cog.helpers import make_zip


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_unpacks_files_and_folders(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"x.tif": b"tif", "sub/": b"", "sub/y.xml": b"<a/>"})
    into = tmp_path / "out"
    into.mkdir()
    files = unpack(archive, into)
    assert sorted(p.relative_to(into).as_posix() for p in files) == ["sub/y.xml", "x.tif"]
    assert (into / "sub" / "y.xml").read_bytes() == b"<a/>"


@pytest.mark.parametrize(
    "name", ["../evil.txt", "a/../../evil.txt", "/tmp/evil.txt", "C:/evil.txt", "a\\..\\evil"]
)
def test_refuses_zip_slip(tmp_path: Path, name: str) -> None:
    archive = make_zip(tmp_path / "slip.zip", {"ok.txt": b"fine", name: b"pwned"})
    into = tmp_path / "dest" / "out"
    into.mkdir(parents=True)
    with pytest.raises(ArchiveError) as caught:
        unpack(archive, into)
    assert caught.value.entry == name
    assert caught.value.archive == archive
    assert "slip.zip" in str(caught.value) and repr(name) in str(caught.value)
    assert tree(tmp_path / "dest") == ["out"]  # nothing written anywhere, not even ok.txt
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        (stat.S_IFLNK | 0o777, "symlink"),
        (stat.S_IFCHR | 0o600, "special file"),
        (stat.S_IFIFO | 0o600, "special file"),
    ],
)
def test_refuses_links_and_devices(tmp_path: Path, mode: int, kind: str) -> None:
    archive = make_zip(
        tmp_path / "l.zip", {"a.txt": b"a", "link": b"/etc/passwd"}, modes={"link": mode}
    )
    into = tmp_path / "out"
    into.mkdir()
    with pytest.raises(ArchiveError, match=kind) as caught:
        unpack(archive, into)
    assert caught.value.entry == "link"
    assert tree(into) == []


def test_refuses_a_high_ratio_bomb_while_reading(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(30 * 1024 * 1024)})
    assert archive.stat().st_size < 100_000
    into = tmp_path / "out"
    into.mkdir()
    with pytest.raises(ArchiveError, match="ratio") as caught:
        unpack(archive, into, ArchiveLimits(max_ratio=100))
    assert caught.value.entry == "zeros.bin"
    assert tree(into) == []  # the partial file was removed


def test_refuses_more_than_the_total_size(tmp_path: Path) -> None:
    entries = {f"f{i}.bin": bytes(range(256)) * 4000 for i in range(3)}
    archive = make_zip(tmp_path / "big.zip", entries)
    into = tmp_path / "out"
    into.mkdir()
    with pytest.raises(ArchiveError, match="declares"):
        unpack(archive, into, ArchiveLimits(max_total_bytes=2_000_000))
    files = unpack(archive, into, ArchiveLimits(max_total_bytes=4_000_000))
    assert len(files) == 3


def test_counts_bytes_actually_read_not_headers(tmp_path: Path) -> None:
    """A header that understates the size is caught while streaming."""
    archive = make_zip(tmp_path / "liar.zip", {"big.bin": bytes(range(256)) * 20_000})
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("big.bin")
    real = info.file_size.to_bytes(4, "little")
    fake = (1000).to_bytes(4, "little")
    assert data.count(real) == 2  # local header and central directory
    archive.write_bytes(bytes(data).replace(real, fake))
    into = tmp_path / "out"
    into.mkdir()
    with pytest.raises(ArchiveError) as caught:
        unpack(archive, into)
    assert caught.value.entry == "big.bin"
    assert tree(into) == []


def test_refuses_too_many_entries_and_duplicates(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", {f"{i}.txt": b"x" for i in range(20)})
    into = tmp_path / "out"
    into.mkdir()
    with pytest.raises(ArchiveError, match="20 entries"):
        unpack(archive, into, ArchiveLimits(max_entries=10))
    dup = tmp_path / "dup.zip"
    with zipfile.ZipFile(dup, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("a.txt", b"first")
        zf.writestr("a.txt", b"second")
    with pytest.raises(ArchiveError, match="twice") as caught:
        unpack(dup, into)
    assert caught.value.entry == "a.txt"
    assert tree(into) == []


def test_unreadable_archive(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"<html>not a zip</html>")
    into = tmp_path / "out"
    into.mkdir()
    with pytest.raises(ArchiveError, match="unreadable zip") as caught:
        unpack(bad, into)
    assert caught.value.entry is None


def test_entry_parts() -> None:
    assert entry_parts("a/./b.tif") == ("a", "b.tif")
    assert entry_parts("dir/") == ("dir",)
    for bad in ("", "..", "/x", "a/../../b", "x\x00y", "D:x"):
        assert entry_parts(bad) is None, bad


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ArchiveLimits(max_ratio=1)
