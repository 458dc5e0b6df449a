"""One writer per catalogue: an advisory lock file in the catalogue's root."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import filelock

from stacsync.errors import CatalogLockedError

LOCK_FILE = ".stacsync.lock"
DEFAULT_LOCK_TIMEOUT = 10.0


class CatalogLock:
    """An exclusive lock on a catalogue root, held by at most one process at a time.

    The lock is an OS-level lock (``flock``) on ``<root>/.stacsync.lock``: it is released
    when its holder exits, however it exits, so a killed writer never leaves it stuck.
    """

    def __init__(self, root: Path, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.root = root
        self.timeout = timeout
        self._lock = filelock.FileLock(root / LOCK_FILE, timeout=timeout, is_singleton=False)

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds; raise if another writer keeps it."""
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise CatalogLockedError(self.root, self.timeout) from exc

    def release(self) -> None:
        """Give the lock back."""
        self._lock.release()

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._lock.is_locked

    def __enter__(self) -> CatalogLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
