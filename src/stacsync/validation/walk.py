"""Walk a static catalogue from a file, following child and item links on disk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from stacsync.catalog import encoding
from stacsync.errors import CorruptCatalogError

FOLLOWED_RELS = frozenset({"child", "item"})


@dataclass(frozen=True, slots=True)
class Visit:
    """A file reached by the walk: its parsed object, or why it could not be read."""

    path: Path
    obj: dict[str, Any] | None
    error: str | None = None
    linked_from: Path | None = None


def _local_target(base: Path, href: str) -> Path | None:
    parsed = urlparse(href)
    if parsed.scheme in ("http", "https", "s3", "gs", "az"):
        return None
    raw = parsed.path if parsed.scheme == "file" else href
    target = Path(unquote(raw))
    return target if target.is_absolute() else (base.parent / target)


def walk(start: Path) -> Iterator[Visit]:
    """Every STAC object reachable from ``start`` through child/item links (each once)."""
    seen: set[Path] = set()
    stack: list[tuple[Path, Path | None]] = [(start, None)]
    while stack:
        path, parent = stack.pop()
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        if not path.exists():
            yield Visit(path, None, "linked file does not exist", parent)
            continue
        try:
            obj = encoding.read(path)
        except CorruptCatalogError as exc:
            yield Visit(path, None, exc.reason, parent)
            continue
        yield Visit(path, obj, None, parent)
        links = obj.get("links") or []
        children: list[tuple[Path, Path | None]] = []
        for link in links if isinstance(links, list) else []:
            if not isinstance(link, dict) or link.get("rel") not in FOLLOWED_RELS:
                continue
            href = link.get("href")
            target = _local_target(path, href) if isinstance(href, str) else None
            if target is not None:
                children.append((target, path))
        stack.extend(reversed(children))
