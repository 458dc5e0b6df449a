"""The sync state: one SQLite database per catalogue, ``<catalog>/.stacsync/state.sqlite``.

One row per asset, keyed by (collection, item, asset key), records where the bytes came from
(the remote href without secrets, its ETag, Last-Modified, size and sha2-256 multihash), where
the copy is, and the asset's status: ``synced``, ``partial`` (a ``.part`` file with the
validator it was started with), ``failed``, ``stale`` or ``ordered``. The database runs in WAL
mode, so ``stacsync status`` can read while a pull writes; only the pull that holds the
catalogue's writer lock writes. The schema carries a version; an unknown newer version is
refused rather than misread.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import astuple, dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from stacsync.catalog.layout import STATE_DIR
from stacsync.errors import CatalogError

STATE_FILE = "state.sqlite"
SCHEMA_VERSION = 1

AssetKey = tuple[str, str, str]
"""(collection id, item id, asset key)."""


class Status(StrEnum):
    """An asset's state between runs."""

    SYNCED = "synced"
    PARTIAL = "partial"
    FAILED = "failed"
    STALE = "stale"
    ORDERED = "ordered"


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetState:
    """What the database knows about one asset."""

    collection: str
    item: str
    asset: str
    remote_href: str
    status: Status
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    """Bytes of the remote file (as transferred and verified)."""
    checksum: str | None = None
    """sha2-256 multihash (hex) of the remote file's bytes."""
    local: str | None = None
    """The copy: a path relative to the catalogue root, or a URL in an object store."""
    local_size: int | None = None
    """Bytes of the copy (differs from ``size`` when it was converted to a COG)."""
    fingerprint: str | None = None
    """The item's and asset's ``updated`` when the copy was made."""
    error: str | None = None
    updated: float = 0.0

    @property
    def key(self) -> AssetKey:
        """The row's key."""
        return (self.collection, self.item, self.asset)


_COLUMNS = tuple(f.name for f in fields(AssetState))
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assets (
    collection TEXT NOT NULL,
    item TEXT NOT NULL,
    asset TEXT NOT NULL,
    remote_href TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s.value) for s in Status)})),
    etag TEXT,
    last_modified TEXT,
    size INTEGER,
    checksum TEXT,
    local TEXT,
    local_size INTEGER,
    fingerprint TEXT,
    error TEXT,
    updated REAL NOT NULL,
    PRIMARY KEY (collection, item, asset)
) WITHOUT ROWID;
"""
_NAMES = ", ".join(_COLUMNS)
_MARKS = ", ".join("?" * len(_COLUMNS))
_UPSERT = f"INSERT OR REPLACE INTO assets ({_NAMES}) VALUES ({_MARKS})"  # noqa: S608
_SELECT = f"SELECT {_NAMES} FROM assets"  # noqa: S608 (constant names)


def state_path(root: Path) -> Path:
    """Where the state database of the catalogue at ``root`` lives."""
    return root / STATE_DIR / STATE_FILE


def _row(values: tuple[object, ...]) -> AssetState:
    record = dict(zip(_COLUMNS, values, strict=True))
    record["status"] = Status(str(record["status"]))
    return AssetState(**record)  # type: ignore[arg-type]


class StateDB:
    """The state database of one catalogue.

    Use as a context manager. ``readonly`` opens an existing database for reading only (and
    yields no rows when there is none).
    """

    def __init__(self, root: Path, *, readonly: bool = False) -> None:
        self.path = state_path(root)
        self.readonly = readonly
        self._conn: sqlite3.Connection | None = None

    def __enter__(self) -> StateDB:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Open (and create or migrate) the database."""
        if self.readonly:
            if not self.path.exists():
                return
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        try:
            self._check_schema()
        except BaseException:
            self.close()
            raise

    def _check_schema(self) -> None:
        conn = self.connection
        if self.readonly:
            version = self._version()
            if version is not None and version > SCHEMA_VERSION:
                raise CatalogError(f"{self.path}: state schema {version} is newer than supported")
            return
        with closing(conn.cursor()) as cur:
            cur.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        cur.execute(statement)
                version = self._version()
                if version is None:
                    cur.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
                elif version > SCHEMA_VERSION:
                    raise CatalogError(
                        f"{self.path}: state schema {version} is newer than this stacsync "
                        f"understands ({SCHEMA_VERSION}); upgrade stacsync"
                    )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def _version(self) -> int | None:
        try:
            row = self.connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.OperationalError:
            return None
        return int(row[0]) if row else None

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection."""
        if self._conn is None:
            raise RuntimeError("the state database is not open")
        return self._conn

    def rows(self) -> Iterator[AssetState]:
        """Every row, in key order."""
        if self._conn is None:
            return
        cursor = self._conn.execute(_SELECT + " ORDER BY collection, item, asset")
        with closing(cursor):
            for values in cursor:
                yield _row(values)

    def load(self) -> dict[AssetKey, AssetState]:
        """Every row by key."""
        return {row.key: row for row in self.rows()}

    def get(self, key: AssetKey) -> AssetState | None:
        """The row of one asset."""
        cursor = self.connection.execute(
            _SELECT + " WHERE collection = ? AND item = ? AND asset = ?",
            key,
        )
        with closing(cursor):
            values = cursor.fetchone()
        return _row(values) if values else None

    def put(self, state: AssetState) -> AssetState:
        """Write one row (committed at once); returns it with its ``updated`` time."""
        stamped = replace(state, updated=time.time())
        self.connection.execute(_UPSERT, _values(stamped))
        return stamped

    def put_many(self, states: Iterable[AssetState]) -> None:
        """Write several rows in one transaction."""
        now = time.time()
        conn = self.connection
        conn.execute("BEGIN")
        try:
            conn.executemany(_UPSERT, (_values(replace(s, updated=now)) for s in states))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _values(state: AssetState) -> tuple[object, ...]:
    values = list(astuple(state))
    values[_COLUMNS.index("status")] = state.status.value
    return tuple(values)
