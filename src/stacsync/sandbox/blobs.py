"""Serving in-memory files the way a real download server does.

``Content-Length``, ``ETag``, ``Last-Modified``, ``Accept-Ranges``, single byte ranges
(206 / 416), ``If-Range`` and ``If-None-Match``, and HEAD. Bodies are ``bytes`` so that the
fault middleware can drop or truncate them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class Blob:
    """A file's bytes and the metadata a server reports about it."""

    data: bytes
    media_type: str = "application/octet-stream"
    modified: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    filename: str | None = None

    @property
    def etag(self) -> str:
        """A strong ETag derived from the content."""
        return '"' + hashlib.sha256(self.data).hexdigest()[:32] + '"'

    @property
    def last_modified(self) -> str:
        """The ``Last-Modified`` header value."""
        return format_datetime(self.modified.astimezone(UTC), usegmt=True)


def _if_range_matches(request: web.BaseRequest, blob: Blob) -> bool:
    validator = request.headers.get("If-Range")
    if validator is None:
        return True
    if validator.startswith(('"', 'W/"')):
        return validator == blob.etag
    try:
        return parsedate_to_datetime(validator) >= blob.modified.replace(microsecond=0)
    except (TypeError, ValueError):
        return False


def serve_blob(request: web.BaseRequest, blob: Blob) -> web.Response:
    """Answer a GET or HEAD for ``blob``, honouring ranges and validators."""
    headers = {
        "ETag": blob.etag,
        "Last-Modified": blob.last_modified,
        "Accept-Ranges": "bytes",
        "Content-Type": blob.media_type,
    }
    if blob.filename:
        headers["Content-Disposition"] = f'attachment; filename="{blob.filename}"'
    if request.headers.get("If-None-Match") == blob.etag:
        return web.Response(status=304, headers=headers)
    size = len(blob.data)
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("Range")
    if range_header and _if_range_matches(request, blob):
        match = _RANGE.match(range_header.strip())
        if match is None or (not match.group(1) and not match.group(2)):
            return _unsatisfiable(headers, size)
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:
            start = max(size - int(last), 0)
        if start >= size or start > end:
            return _unsatisfiable(headers, size)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    # aiohttp sends the headers (Content-Length included) but no body for HEAD.
    return web.Response(status=status, headers=headers, body=blob.data[start : end + 1])


def _unsatisfiable(headers: dict[str, str], size: int) -> web.Response:
    headers = {**headers, "Content-Range": f"bytes */{size}"}
    return web.Response(status=416, headers=headers)
