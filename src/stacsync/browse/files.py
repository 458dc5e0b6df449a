"""Which file a URL path names below a served folder, refusing anything that would escape it.

A URL path is served only if every segment is a plain name: no ``..``, no ``.``, no hidden
names (``.stacsync/``, ``.stacsync.lock``), no backslashes or NUL bytes. The file is then
resolved with every symbolic link followed, and refused if it lands outside the folder or in a
hidden part of it.

:class:`ServedFile` is aiohttp's ``FileResponse`` (``Range``, ``ETag``, conditional requests)
with two corrections from RFC 9110: an ``If-Range`` entity tag that does not match the file
gets the whole file, not a part of a file that may have changed; and a request for several
ranges gets the whole file too (aiohttp would refuse it with 416).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter


@dataclass(frozen=True, slots=True)
class Lookup:
    """The outcome of looking a URL path up: a file to serve, or an HTTP status and why not."""

    path: Path | None
    status: int
    reason: str

    @classmethod
    def found(cls, path: Path) -> Lookup:
        """A regular file to serve."""
        return cls(path, 200, "ok")

    @classmethod
    def refused(cls, status: int, reason: str) -> Lookup:
        """Nothing to serve."""
        return cls(None, status, reason)


def _visible(parts: tuple[str, ...]) -> bool:
    return all(part and not part.startswith(".") for part in parts)


def url_segments(tail: str) -> tuple[str, ...] | None:
    """The segments of a decoded URL path, or ``None`` when one of them is not a plain name."""
    parts = tuple(part for part in tail.split("/") if part)
    if not _visible(parts):
        return None
    if any("\\" in part or "\0" in part for part in parts):
        return None
    return parts


def lookup(root: Path, tail: str) -> Lookup:
    """The file ``tail`` (a decoded URL path relative to ``root``) names, if it may be served.

    ``root`` must already be resolved (``Path.resolve()``), so that symbolic links inside the
    folder are compared against its real location.
    """
    parts = url_segments(tail)
    if parts is None:
        return Lookup.refused(404, "not a servable path")
    real = Path(os.path.realpath(root.joinpath(*parts)))
    if not real.is_relative_to(root):
        return Lookup.refused(403, "outside the served folder")
    if not _visible(real.relative_to(root).parts):
        return Lookup.refused(404, "not a servable path")
    if not real.is_file():
        return Lookup.refused(404, "no such file")
    return Lookup.found(real)


def file_etag(path: Path) -> str:
    """The strong ETag aiohttp's ``FileResponse`` gives ``path`` (modification time, size)."""
    st = path.stat()
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def range_applies(headers: Mapping[str, str], path: Path) -> bool:
    """Whether a request's ``Range`` may be answered with a part of ``path``.

    Not when it asks for several ranges, nor when its ``If-Range`` is an entity tag other
    than the file's current strong one (weak tags never match). ``If-Range`` dates are left to
    aiohttp.
    """
    wanted = headers.get("Range")
    if wanted is None:
        return True
    if "," in wanted:
        return False
    validator = headers.get("If-Range")
    if validator is None or not validator.startswith(('"', "W/")):
        return True
    return validator == file_etag(path)


class ServedFile(web.FileResponse):
    """A file response that sends the whole file when a range must not be honoured."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._served_path = path

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        """Send the file: a part if the request's range applies, else all of it."""
        try:
            whole = not range_applies(request.headers, self._served_path)
        except OSError:
            whole = False  # gone meanwhile: aiohttp answers 404
        if whole:
            headers = request.headers.copy()
            headers.popall("Range", None)
            headers.popall("If-Range", None)
            request = request.clone(headers=headers)
        return await super().prepare(request)
