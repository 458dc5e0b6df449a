"""Safe unpacking of delivery zips: no zip-slip, no links or devices, no zip bombs.

Entries are streamed to disk and counted while they are written, so a header that lies about
sizes does not get past the limits. Files are created with ``O_EXCL | O_NOFOLLOW`` inside the
target folder only; on any refusal every file written so far is removed and an
:class:`~stacsync.errors.ArchiveError` names the archive and the entry.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from stacsync.errors import ArchiveError

CHUNK = 1 << 20
RATIO_GRACE_BYTES = 1 << 20
"""Entries are not held to ``max_ratio`` until they have produced this many bytes."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """What an archive may expand to before it is refused as a zip bomb.

    Attributes:
        max_total_bytes: Uncompressed bytes over all entries (and nested archives).
        max_ratio: Uncompressed / compressed size of one entry, and of the whole archive.
        max_entries: Number of entries, folders included.
    """

    max_total_bytes: int = 64 * 1024**3
    max_ratio: float = 250.0
    max_entries: int = 10_000

    def __post_init__(self) -> None:
        if self.max_total_bytes <= 0 or self.max_ratio <= 1 or self.max_entries <= 0:
            raise ValueError(f"archive limits must be positive (ratio > 1): {self}")


def entry_parts(name: str) -> tuple[str, ...] | None:
    """The path components of a safe entry name, or ``None`` if it must be refused."""
    if not name or "\x00" in name or "\\" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return None
    parts = tuple(p for p in path.parts if p not in ("", "."))
    if not parts or any(p == ".." for p in parts):
        return None
    return parts


def _entry_kind(info: zipfile.ZipInfo) -> str:
    mode = info.external_attr >> 16
    if info.is_dir():
        return "dir"
    if stat.S_IFMT(mode) == 0 or stat.S_ISREG(mode):  # no type bits: a plain file
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "special file"


class _Unpacker:
    def __init__(self, archive: Path, into: Path, limits: ArchiveLimits, budget: int) -> None:
        self.archive = archive
        self.into = into
        self.limits = limits
        self.budget = budget
        self.written: list[Path] = []
        self.created_dirs: list[Path] = []
        self.total = 0
        self.current: str | None = None

    def refuse(self, reason: str, entry: str | None = None) -> ArchiveError:
        return ArchiveError(self.archive, reason, entry=entry)

    def check(self, infos: list[zipfile.ZipInfo]) -> None:
        if len(infos) > self.limits.max_entries:
            raise self.refuse(
                f"{len(infos)} entries, more than the limit of {self.limits.max_entries}"
            )
        declared = sum(i.file_size for i in infos)
        if declared > self.budget:
            raise self.refuse(
                f"declares {declared} uncompressed bytes, more than the {self.budget} "
                "allowed (zip bomb?)"
            )
        for info in infos:
            if entry_parts(info.filename) is None:
                raise self.refuse("unsafe path (absolute, '..' or malformed)", info.filename)
            kind = _entry_kind(info)
            if kind in ("symlink", "special file"):
                raise self.refuse(
                    f"is a {kind}; only regular files and folders are unpacked", info.filename
                )
            if info.flag_bits & 0x1:
                raise self.refuse("is encrypted", info.filename)

    def mkdirs(self, parts: tuple[str, ...]) -> Path:
        folder = self.into
        for part in parts:
            folder = folder / part
            if folder.is_symlink():
                raise self.refuse(f"folder {part!r} is a link", "/".join(parts))
            if not folder.is_dir():
                folder.mkdir()
                self.created_dirs.append(folder)
        return folder

    def extract(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Path | None:
        self.current = info.filename
        parts = entry_parts(info.filename)
        assert parts is not None  # checked before
        if _entry_kind(info) == "dir":
            self.mkdirs(parts)
            return None
        folder = self.mkdirs(parts[:-1])
        target = folder / parts[-1]
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(target, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
        except FileExistsError:
            raise self.refuse("appears twice in the archive", info.filename) from None
        self.written.append(target)
        produced = 0
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            while chunk := src.read(CHUNK):
                produced += len(chunk)
                self.total += len(chunk)
                self.guard(info, produced)
                out.write(chunk)
        return target

    def guard(self, info: zipfile.ZipInfo, produced: int) -> None:
        if self.total > self.budget:
            raise self.refuse(f"expands beyond {self.budget} bytes (zip bomb?)", info.filename)
        if produced > info.file_size:
            raise self.refuse(
                f"expands beyond its declared size of {info.file_size} bytes", info.filename
            )
        ratio = produced / max(info.compress_size, 1)
        if produced > RATIO_GRACE_BYTES and ratio > self.limits.max_ratio:
            raise self.refuse(
                f"compression ratio above {self.limits.max_ratio:g} (zip bomb?)", info.filename
            )

    def cleanup(self) -> None:
        for path in reversed(self.written):
            path.unlink(missing_ok=True)
        for folder in reversed(self.created_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()


def unpack(
    archive: Path, into: Path, limits: ArchiveLimits | None = None, *, budget: int | None = None
) -> list[Path]:
    """Extract ``archive`` into the existing folder ``into``; return the files written.

    Args:
        archive: The zip file.
        into: Target folder (must exist); nothing is written outside it.
        limits: Size, ratio and entry-count limits (defaults: :class:`ArchiveLimits`).
        budget: Uncompressed bytes still allowed (for nested archives); defaults to
            ``limits.max_total_bytes``.

    Raises:
        ArchiveError: The archive is unreadable, or an entry is unsafe or too large; files
            already written are removed first.
    """
    limits = limits or ArchiveLimits()
    budget = limits.max_total_bytes if budget is None else min(budget, limits.max_total_bytes)
    unpacker = _Unpacker(archive, into, limits, budget)
    if not into.is_dir():
        raise ArchiveError(archive, f"target folder {into} does not exist")
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            unpacker.check(infos)
            files = [p for info in infos if (p := unpacker.extract(zf, info)) is not None]
        archive_size = max(archive.stat().st_size, 1)
        if unpacker.total > RATIO_GRACE_BYTES and unpacker.total / archive_size > limits.max_ratio:
            raise unpacker.refuse(f"compression ratio above {limits.max_ratio:g} (zip bomb?)")
    except ArchiveError:
        unpacker.cleanup()
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        unpacker.cleanup()
        raise ArchiveError(archive, f"unreadable zip: {exc}", entry=unpacker.current) from exc
    except OSError as exc:
        unpacker.cleanup()
        raise ArchiveError(archive, f"cannot unpack: {exc}", entry=unpacker.current) from exc
    except BaseException:
        unpacker.cleanup()
        raise
    return files


def unpacked_bytes(files: list[Path]) -> int:
    """Total size of unpacked files (to carry a budget into nested archives)."""
    return sum(p.stat().st_size for p in files)
