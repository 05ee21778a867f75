"""The PostgreSQL ledger: several service processes (machines) share one event log.

A writer opens a transaction and takes a transaction-level advisory lock
(``pg_advisory_xact_lock``) on a key derived from the schema and table name, so writers of
every process are serialized and the lock is released by the commit itself (or by the
server when a connection dies: a killed process never leaves it held). The ``BIGSERIAL``
sequence is drawn under that lock, so sequence numbers follow commit order. The default
``synchronous_commit = on`` makes a commit durable before it returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from oms_plan.service.ledger import (
    TABLE,
    Event,
    EventKind,
    LedgerError,
    dump_payload,
    event_sql,
    iter_rows,
    redact,
)

try:
    import psycopg
except ImportError:  # pragma: no cover - the service extra installs it
    psycopg = None  # type: ignore[assignment]

log = logging.getLogger("oms_plan.service")

_SQL = event_sql(seq_column="BIGSERIAL PRIMARY KEY", placeholder="%s", returning=True)
_SCHEMA, _SELECT, _INSERT = _SQL.schema, _SQL.select_after, _SQL.insert
# One lock per (schema, table): ledgers in different schemas of one database do not wait
# for each other.
_LOCK = f"SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.{TABLE}'))"
_DDL_LOCK = f"SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.{TABLE}.ddl'))"


class PostgresLedger:
    """The ledger in a PostgreSQL table (psycopg 3).

    Parameters
    ----------
    url
        A libpq connection URI (``postgresql://user@host:5432/db``).

    Raises
    ------
    LedgerError
        psycopg is missing, the server is unreachable, or the table cannot be created.

    """

    def __init__(self, url: str) -> None:
        if psycopg is None:  # pragma: no cover - the service extra installs it
            raise LedgerError(
                'the PostgreSQL ledger needs psycopg: pip install "oms-plan[service]"'
            )
        self.url = url
        self._lock = threading.Lock()
        self._db = self._connect()
        try:
            with self._db.transaction():
                # Two processes starting at once must not race on CREATE TABLE.
                self._db.execute(_DDL_LOCK)
                for statement in _SCHEMA:
                    self._db.execute(statement)
        except psycopg.Error as exc:
            raise LedgerError(f"cannot create the ledger table at {redact(url)}: {exc}") from None

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise LedgerError(f"cannot connect to the ledger {redact(self.url)}: {exc}") from None

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, opened again if the server dropped it."""
        if self._db.closed or self._db.broken:
            self._db = self._connect()
        return self._db

    def events_after(self, seq: int) -> list[Event]:
        """Committed events with a sequence number above ``seq``, in order."""
        with self._lock:
            return iter_rows(iter(self._live().execute(_SELECT, (seq,)).fetchall()))

    @contextmanager
    def write(self) -> Iterator[_PostgresWrite]:
        """A transaction holding the ledger's advisory lock; rolled back unless committed."""
        with self._lock:
            db = self._live()
            tx = _PostgresWrite(db)
            db.execute("BEGIN")
            try:
                db.execute(_LOCK)
                yield tx
            finally:
                if not tx.done and not db.closed:
                    try:
                        db.execute("ROLLBACK")
                    except psycopg.Error:  # the connection died: the server rolled back
                        log.warning("ledger connection lost; reconnecting on the next call")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


class _PostgresWrite:
    """An open transaction holding the advisory lock."""

    def __init__(self, db: psycopg.Connection[Any]) -> None:
        self._db = db
        self.done = False

    def events_after(self, seq: int) -> list[Event]:
        return iter_rows(iter(self._db.execute(_SELECT, (seq,)).fetchall()))

    def append(
        self,
        kind: EventKind,
        *,
        reservation: str | None = None,
        idempotency_key: str | None = None,
        payload: Mapping[str, Any] | None = None,
        created: str,
    ) -> int:
        row = self._db.execute(
            _INSERT, (kind, reservation, idempotency_key, dump_payload(payload), created)
        ).fetchone()
        assert row is not None  # INSERT ... RETURNING yields one row
        return int(row[0])

    def commit(self) -> None:
        self._db.execute("COMMIT")
        self.done = True
