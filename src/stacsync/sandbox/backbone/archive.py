"""Deterministic zip archives: sorted entries, fixed timestamps and permissions."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

ZIP_DATE = (2021, 11, 18, 12, 32, 0)
"""Entry timestamp (the date of the manual's example package)."""


def build_zip(entries: Mapping[str, bytes]) -> bytes:
    """A deflated zip holding ``entries`` (name -> bytes) in sorted order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name])
    return buffer.getvalue()
