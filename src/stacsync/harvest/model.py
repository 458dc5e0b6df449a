"""What a harvest is asked to do, what each source yields, and what the run reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stacsync.errors import StacsyncError

WITHDRAWN = "stacsync:withdrawn"
"""Item property set to ``true`` on items that disappeared upstream (kept, never deleted)."""
SOURCE = "stacsync:source"
"""Item property naming the catalogue-definition source that produced the item."""
UPSTREAM = "stacsync:upstream"
"""Item property: a digest of the item as the provider described it (before any pull).

A re-harvest that maps the provider's data to the same digest leaves the stored item alone,
so the local hrefs, checksums and COG fields that ``stacsync pull`` wrote are kept; a
different digest means upstream changed, and the new item replaces the stored one."""


@dataclass(frozen=True, kw_only=True)
class HarvestOptions:
    """How to run a harvest.

    Attributes:
        dry_run: Print what would be requested and written; contact no provider.
        since: Only ask for items changed since then, where the provider supports it.
        max_wait: Seconds to wait for orders and extraction tasks before leaving them to a
            later run (they are remembered, never ordered twice).
        poll_initial: First wait between two status requests, in seconds.
        poll_max: Longest wait between two status requests, in seconds.
        sources: Only these sources of the definition (all when empty).
    """

    dry_run: bool = False
    since: datetime | None = None
    max_wait: float = 3600.0
    poll_initial: float = 1.0
    poll_max: float = 60.0
    sources: tuple[str, ...] = ()


@dataclass
class SourceResult:
    """Everything one source produced."""

    name: str
    provider: str
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[str, StacsyncError]] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    """Orders or tasks still running when ``max_wait`` ran out."""
    complete: bool = True
    """Whether the source saw everything upstream has (so absent items are withdrawn)."""
    keep: set[tuple[str, str]] = field(default_factory=set)
    """(collection, item) ids that exist in the catalogue and must not be rewritten."""


@dataclass
class CollectionCounts:
    """One row of the summary table."""

    collection: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "collection": self.collection,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
            "failed": self.failed,
        }


@dataclass
class HarvestReport:
    """What a harvest did, per collection, with every failure and what is still waiting."""

    catalog: str
    collections: dict[str, CollectionCounts] = field(default_factory=dict)
    failures: list[tuple[str, StacsyncError]] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    files_written: int = 0
    plan: list[dict[str, Any]] = field(default_factory=list)

    def counts(self, collection: str) -> CollectionCounts:
        """The row of ``collection`` (created on first use)."""
        return self.collections.setdefault(collection, CollectionCounts(collection))

    @property
    def ok(self) -> bool:
        """Whether nothing failed."""
        return not self.failures

    @property
    def changed(self) -> int:
        """New, updated and newly withdrawn items in all."""
        return sum(c.new + c.updated + c.withdrawn for c in self.collections.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (what ``--json`` prints)."""
        return {
            "catalog": self.catalog,
            "collections": [c.as_dict() for c in sorted_rows(self.collections)],
            "failures": [{"what": w, "error": str(e)} for w, e in self.failures],
            "waiting": list(self.waiting),
            "files_written": self.files_written,
            **({"plan": self.plan} if self.plan else {}),
        }


def sorted_rows(rows: dict[str, CollectionCounts]) -> list[CollectionCounts]:
    """Rows in collection-id order."""
    return [rows[k] for k in sorted(rows)]


OnProgress = Callable[[Any], None]
