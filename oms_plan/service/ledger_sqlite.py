"""The SQLite ledger: one file in WAL mode, the default beside the dataset.

``BEGIN IMMEDIATE`` takes SQLite's single write lock before a writer reads what it has
missed, so writers of every process sharing the file are serialized; readers never block
(WAL). Processes of one machine first queue on an ``flock`` of ``PATH.lock``: the kernel
wakes the next writer the moment the lock is free, where SQLite's busy handler would poll
with sleeps of up to 25 ms (the lock dies with its process, so kill -9 leaves none behind).
``synchronous=FULL`` makes a commit durable before it returns: a reservation that
was answered 201 survives kill -9 of the service and a power loss of the machine.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: SQLite's busy timeout alone
    fcntl = None  # type: ignore[assignment]

from oms_plan.service.ledger import (
    Event,
    EventKind,
    LedgerError,
    dump_payload,
    event_sql,
    iter_rows,
)

_SQL = event_sql(seq_column="INTEGER PRIMARY KEY AUTOINCREMENT", placeholder="?", returning=False)
_SCHEMA, _SELECT, _INSERT = _SQL.schema, _SQL.select_after, _SQL.insert
#: How long a writer waits for another process's write lock before giving up (ms).
BUSY_TIMEOUT_MS = 30_000


class SqliteLedger:
    """The ledger in one SQLite file.

    Parameters
    ----------
    path
        The database file (created with its table when missing; its folder must exist).

    Raises
    ------
    LedgerError
        The file cannot be opened or is not an SQLite database.

    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._lock = threading.Lock()
        self._flock: IO[bytes] | None = None
        try:
            if fcntl is not None:
                self._flock = open(f"{self.path}.lock", "ab")  # noqa: SIM115 - kept open
        except OSError as exc:
            raise LedgerError(f"cannot open the ledger {self.path}: {exc}") from None
        try:
            # isolation_level=None: no implicit transactions; we say BEGIN ourselves.
            self._db = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise LedgerError(f"ledger {self.path}: cannot switch to WAL mode (got {mode})")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the ledger {self.path}: {exc}") from None

    def events_after(self, seq: int) -> list[Event]:
        """Committed events with a sequence number above ``seq``, in order."""
        with self._lock:
            return iter_rows(self._db.execute(_SELECT, (seq,)))

    @contextmanager
    def write(self) -> Iterator[_SqliteWrite]:
        """A write transaction holding SQLite's write lock; rolled back unless committed."""
        with self._lock:
            if self._flock is not None:
                fcntl.flock(self._flock, fcntl.LOCK_EX)
            try:
                self._db.execute("BEGIN IMMEDIATE")
                tx = _SqliteWrite(self._db)
                try:
                    yield tx
                finally:
                    if not tx.done:
                        self._db.execute("ROLLBACK")
            finally:
                if self._flock is not None:
                    fcntl.flock(self._flock, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
            if self._flock is not None:
                self._flock.close()


class _SqliteWrite:
    """An open ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.done = False

    def events_after(self, seq: int) -> list[Event]:
        return iter_rows(self._db.execute(_SELECT, (seq,)))

    def append(
        self,
        kind: EventKind,
        *,
        reservation: str | None = None,
        idempotency_key: str | None = None,
        payload: Mapping[str, Any] | None = None,
        created: str,
    ) -> int:
        cur = self._db.execute(
            _INSERT, (kind, reservation, idempotency_key, dump_payload(payload), created)
        )
        seq = cur.lastrowid
        assert seq is not None  # an INSERT into a rowid table always sets it
        return seq

    def commit(self) -> None:
        self._db.execute("COMMIT")
        self.done = True
