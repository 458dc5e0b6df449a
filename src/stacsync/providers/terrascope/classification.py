"""Migrate classification v1 classes to the v2 shape the catalogue declares.

Classification v1 classes are named by their ``description``; v2 requires a machine
``name`` (``^[0-9A-Za-z-_]+$``) and moves the label to ``title``. Terrascope declares v2
on items whose classes still have the v1 shape (the WorldCover maps), which no v2
validator accepts. A class without a ``name`` gets one made from its description (or its
value) and the description as its ``title``; classes that already have a name are kept.
Functions return new objects and never modify their input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

CLASSES = "classification:classes"
_NOT_NAME = re.compile(r"[^0-9A-Za-z]+")


def class_name(entry: Mapping[str, Any]) -> str:
    """A v2 ``name`` for a class: its description as a slug, else ``class-<value>``."""
    text = entry.get("description")
    slug = _NOT_NAME.sub("-", text).strip("-").lower() if isinstance(text, str) else ""
    return slug or f"class-{entry.get('value')}"


def _migrated(entry: object) -> object:
    if not isinstance(entry, Mapping) or "name" in entry:
        return entry
    out = dict(entry)
    out["name"] = class_name(entry)
    if isinstance(entry.get("description"), str):
        out.setdefault("title", entry["description"])
    return out


def name_classes(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` (properties, asset or band) with every class named; its bands too."""
    out = dict(obj)
    classes = obj.get(CLASSES)
    if isinstance(classes, list):
        out[CLASSES] = [_migrated(entry) for entry in classes]
    bands = obj.get("bands")
    if isinstance(bands, list):
        out["bands"] = [name_classes(b) if isinstance(b, Mapping) else b for b in bands]
    return out
