"""``stacsync status``: what is synced, stale, failed, partial or waiting for an order.

Built from the state database and the catalogue (read-only, no lock, no network): every asset
the catalogue lists is classified by the same rules a pull uses to decide what to do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacsync.sync.catalogue import iter_items
from stacsync.sync.plan import Action, AssetTask, PullOptions, StateIndex, build_plan
from stacsync.sync.state import AssetState, StateDB, Status

STATES = ("synced", "stale", "partial", "failed", "ordered", "missing", "invalid")


@dataclass(frozen=True, slots=True)
class AssetStatus:
    """One asset's state."""

    what: str
    state: str
    local: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The state of every asset of a catalogue."""

    assets: tuple[AssetStatus, ...]
    items: int

    @property
    def counts(self) -> dict[str, int]:
        """Assets per state (every state listed)."""
        counted = Counter(a.state for a in self.assets)
        return {state: counted.get(state, 0) for state in STATES}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready report (``--json``)."""
        return {
            "items": self.items,
            "assets": len(self.assets),
            "counts": self.counts,
            "problems": [
                {"asset": a.what, "state": a.state, "error": a.error}
                for a in self.assets
                if a.state != "synced"
            ],
        }


def classify(task: AssetTask, row: AssetState | None, root: Path) -> AssetStatus:
    """An asset's state from its planned action and its state row."""
    what = task.what
    if task.action is Action.INVALID:
        return AssetStatus(what, "invalid", error=task.reason)
    if row is None:
        state = "ordered" if task.action is Action.ORDER else "missing"
        return AssetStatus(what, state)
    if row.status is not Status.SYNCED:
        return AssetStatus(what, row.status.value, row.local, row.error)
    if task.action in (Action.FETCH, Action.CHECK):
        return AssetStatus(what, "stale", row.local, task.reason)
    if row.local and "://" not in row.local:
        path = Path(row.local) if Path(row.local).is_absolute() else root / row.local
        if not path.exists():
            return AssetStatus(what, "stale", row.local, "the copy is missing")
    return AssetStatus(what, "synced", row.local)


def status(root: Path) -> StatusReport:
    """The state of every asset of the catalogue at ``root``."""
    root = Path(root)
    with StateDB(root, readonly=True) as state:
        rows = state.load()
    options = PullOptions()
    plan = build_plan(iter_items(root), options, rows)
    index = StateIndex(rows)
    assets = tuple(classify(t, index.row(t), root) for t in plan.tasks)
    return StatusReport(assets, plan.items)
