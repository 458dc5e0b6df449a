"""What a pull did, per asset and in total (``as_dict()`` for ``--json``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stacsync.errors import StacsyncError, SyncError


class Outcome(StrEnum):
    """How one asset ended in one run."""

    FETCHED = "fetched"
    """Transferred from zero."""
    RESUMED = "resumed"
    """Transferred, continuing a partial file."""
    SKIPPED = "skipped"
    """Current, decided from the stored state (no request)."""
    UNCHANGED = "unchanged"
    """Current, confirmed by a conditional request."""
    RELINKED = "relinked"
    """Current; the item was pointed at the copy again."""
    NEEDS_ORDER = "needs_order"
    """Orderable and no orderer was given: waiting for an order."""
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AssetOutcome:
    """One asset's result."""

    what: str
    outcome: Outcome
    bytes: int = 0
    reason: str | None = None


@dataclass(kw_only=True)
class PullReport:
    """Every asset's outcome, the failures with their errors, bytes and time."""

    outcomes: list[AssetOutcome] = field(default_factory=list)
    failures: list[tuple[str, StacsyncError]] = field(default_factory=list)
    bytes_transferred: int = 0
    elapsed: float = 0.0
    items: int = 0
    converted: int = 0
    stopped_early: bool = False

    def add(self, outcome: AssetOutcome, error: StacsyncError | None = None) -> None:
        """Record one asset's outcome."""
        self.outcomes.append(outcome)
        self.bytes_transferred += outcome.bytes
        if error is not None:
            self.failures.append((outcome.what, error))

    @property
    def counts(self) -> dict[str, int]:
        """Assets per outcome (every outcome listed, zeros included)."""
        counted = Counter(o.outcome for o in self.outcomes)
        return {o.value: counted.get(o, 0) for o in Outcome}

    def count(self, outcome: Outcome) -> int:
        """Assets with ``outcome``."""
        return sum(1 for o in self.outcomes if o.outcome is outcome)

    @property
    def fetched(self) -> int:
        """Assets transferred (from zero or resumed)."""
        return self.count(Outcome.FETCHED) + self.count(Outcome.RESUMED)

    @property
    def resumed(self) -> int:
        """Assets that continued a partial file."""
        return self.count(Outcome.RESUMED)

    @property
    def skipped(self) -> int:
        """Assets that needed no transfer."""
        current = (Outcome.SKIPPED, Outcome.UNCHANGED, Outcome.RELINKED)
        return sum(1 for o in self.outcomes if o.outcome in current)

    @property
    def failed(self) -> int:
        """Assets that failed."""
        return self.count(Outcome.FAILED)

    @property
    def throughput(self) -> float:
        """Bytes transferred per second of the run."""
        return self.bytes_transferred / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def ok(self) -> bool:
        """Whether no asset failed."""
        return not self.failures

    def raise_for_failures(self) -> None:
        """Raise :class:`~stacsync.errors.SyncError` with every failure, if any."""
        if self.failures:
            raise SyncError(self.failures)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (``--json``)."""
        return {
            "items": self.items,
            "assets": len(self.outcomes),
            "fetched": self.fetched,
            "resumed": self.resumed,
            "skipped": self.skipped,
            "failed": self.failed,
            "needs_order": self.count(Outcome.NEEDS_ORDER),
            "converted": self.converted,
            "counts": self.counts,
            "bytes": self.bytes_transferred,
            "seconds": round(self.elapsed, 3),
            "throughput": round(self.throughput, 1),
            "stopped_early": self.stopped_early,
            "failures": [{"asset": what, "error": str(error)} for what, error in self.failures],
        }
