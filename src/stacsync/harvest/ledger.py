"""What earlier harvests did, kept in the catalogue: orders placed and items each source made.

``<catalog>/.stacsync/harvest.json`` (written atomically after every change) lets a re-run pick
up extraction tasks and orders that were already submitted instead of ordering twice, and tell
which items disappeared upstream since the last complete run of a source. It holds provider
ids only, never a token or a credential.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stacsync.atomic import read_if_exists, write_atomic
from stacsync.catalog.layout import STATE_DIR
from stacsync.errors import CorruptCatalogError

LEDGER_FILE = "harvest.json"
VERSION = 1


@dataclass
class Ledger:
    """Orders by ``(source, request key)`` and item ids by source."""

    path: Path
    orders: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    items: dict[str, list[list[str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> Ledger:
        """The ledger of the catalogue at ``root`` (empty if there is none yet)."""
        path = root / STATE_DIR / LEDGER_FILE
        raw = read_if_exists(path)
        if raw is None:
            return cls(path)
        try:
            data = orjson.loads(raw)
            if data.get("version") != VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            return cls(path, dict(data["orders"]), dict(data["items"]))
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            raise CorruptCatalogError(path, f"unreadable harvest ledger ({exc})") from None

    def save(self) -> None:
        """Write the ledger atomically (only when it changed)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": VERSION, "orders": self.orders, "items": self.items}
        blob = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
        if read_if_exists(self.path) != blob:
            write_atomic(self.path, blob)

    def order(self, source: str, key: str) -> dict[str, Any] | None:
        """The order placed for request ``key`` of ``source``, if any."""
        return self.orders.get(source, {}).get(key)

    def record_order(self, source: str, key: str, **fields: Any) -> None:
        """Remember an order (and save at once: a crash right after must not reorder)."""
        self.orders.setdefault(source, {})[key] = fields
        self.save()

    def forget_order(self, source: str, key: str) -> None:
        """Drop an order that failed, so that a later run orders again."""
        if self.orders.get(source, {}).pop(key, None) is not None:
            self.save()

    def source_items(self, source: str) -> set[tuple[str, str]]:
        """(collection, item) ids the last complete run of ``source`` produced."""
        return {(c, i) for c, i in self.items.get(source, [])}

    def set_source_items(self, source: str, ids: set[tuple[str, str]]) -> None:
        """Record what ``source`` produced in a complete run."""
        self.items[source] = [[c, i] for c, i in sorted(ids)]
