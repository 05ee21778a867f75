"""The durable reservation ledger: an append-only event log behind one interface.

Every change to the reservations is one **event** with a sequence number: ``reserve`` (a
promise held, with its id, idempotency key and the quote), ``release`` (given back) and
``reload`` (every process sharing the ledger switches to another dataset). A service
process keeps the sequence number of the last event it applied to its in-memory
:class:`~oms_plan.Promiser`; it never changes that promiser except by applying events in
sequence order, or by the event it is about to commit itself.

Writers are serialized by the ledger (:meth:`Ledger.write`): SQLite's write lock
(``BEGIN IMMEDIATE``) or a PostgreSQL transaction-level advisory lock. Inside that lock a
writer first applies the events it has not seen, then decides (promise + reserve), appends
its event and commits. Because writers hold the lock from before they read until after
they commit, sequence numbers are assigned in commit order: a reader that sees event *n*
has every earlier committed event too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from oms_plan.errors import PlanningError

#: Event kinds of the log.
EventKind = Literal["reserve", "release", "reload"]

#: Name of the one table (SQLite and PostgreSQL alike).
TABLE = "oms_plan_ledger_events"


@dataclass(frozen=True, slots=True)
class EventSql:
    """The event table's SQL in one dialect: the schema, the read and the append.

    Both ledgers keep the same table; only the sequence column's type, the parameter
    placeholder and how the new sequence number comes back differ.
    """

    schema: tuple[str, ...]
    select_after: str
    insert: str


def event_sql(*, seq_column: str, placeholder: str, returning: bool) -> EventSql:
    """The event table's statements for a dialect.

    Parameters
    ----------
    seq_column
        The sequence column's type and key, e.g. ``"BIGSERIAL PRIMARY KEY"``.
    placeholder
        The driver's parameter placeholder (``"?"`` for sqlite3, ``"%s"`` for psycopg).
    returning
        Whether the insert returns the new sequence number (``RETURNING seq``).

    Returns
    -------
    EventSql
        The statements, parameterized (never formatted with values).

    """
    schema = (
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq {seq_column},
        kind TEXT NOT NULL CHECK (kind IN ('reserve', 'release', 'reload')),
        reservation TEXT,
        idempotency_key TEXT,
        payload TEXT NOT NULL,
        created TEXT NOT NULL
    )""",
        # The safety net under the service's own checks: a reservation is made and released
        # once, and an idempotency key names one reservation.
        f"""CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_reserve
        ON {TABLE} (reservation) WHERE kind = 'reserve'""",
        f"""CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_release
        ON {TABLE} (reservation) WHERE kind = 'release'""",
        f"""CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_key
        ON {TABLE} (idempotency_key) WHERE kind = 'reserve' AND idempotency_key IS NOT NULL""",
    )
    select_after = (
        f"SELECT seq, kind, reservation, idempotency_key, payload, created FROM {TABLE} "
        f"WHERE seq > {placeholder} ORDER BY seq"
    )
    values = ", ".join([placeholder] * 5)
    insert = (
        f"INSERT INTO {TABLE} (kind, reservation, idempotency_key, payload, created) "
        f"VALUES ({values})" + (" RETURNING seq" if returning else "")
    )
    return EventSql(schema, select_after, insert)


class LedgerError(PlanningError):
    """The ledger cannot be opened or used (bad URL, unreachable database, bad file)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the ledger.

    Attributes
    ----------
    seq
        Sequence number (increasing in commit order; gaps are possible).
    kind
        ``reserve``, ``release`` or ``reload``.
    reservation
        The reservation id (``reserve`` and ``release``), else ``None``.
    idempotency_key
        The client's ``Idempotency-Key`` of a ``reserve``, else ``None``.
    payload
        JSON-ready data: for ``reserve`` ``{"promise": record, "request": body,
        "fingerprint": hash of the request}``; for ``reload`` ``{"dataset": path,
        "fingerprint": dataset hash}``; for ``release`` ``{}``.
    created
        UTC time of the commit's start, ISO 8601.

    """

    seq: int
    kind: EventKind
    reservation: str | None
    idempotency_key: str | None
    payload: Mapping[str, Any]
    created: str


class LedgerWrite(Protocol):
    """An open write transaction, holding the ledger's write lock."""

    def events_after(self, seq: int) -> list[Event]:
        """Committed events with a sequence number above ``seq``, in order."""
        ...

    def append(
        self,
        kind: EventKind,
        *,
        reservation: str | None = None,
        idempotency_key: str | None = None,
        payload: Mapping[str, Any] | None = None,
        created: str,
    ) -> int:
        """Add an event (visible to others after :meth:`commit`); return its number."""
        ...

    def commit(self) -> None:
        """Make the appended events durable; the write lock is released."""
        ...


class Ledger(Protocol):
    """A durable, shared event log (SQLite or PostgreSQL)."""

    url: str

    def events_after(self, seq: int) -> list[Event]:
        """Committed events with a sequence number above ``seq``, in order (no lock)."""
        ...

    def write(self) -> AbstractContextManager[LedgerWrite]:
        """A write transaction under the ledger's write lock; rolled back unless committed."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


def redact(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def dump_payload(payload: Mapping[str, Any] | None) -> str:
    """Canonical JSON of a payload (sorted keys, no NaN)."""
    return json.dumps(payload or {}, sort_keys=True, separators=(",", ":"), allow_nan=False)


def event_from_row(row: Sequence[Any]) -> Event:
    """An :class:`Event` from a ``(seq, kind, reservation, key, payload, created)`` row."""
    seq, kind, reservation, key, payload, created = row
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise LedgerError(f"ledger event {seq}: unreadable payload ({exc})") from None
    if not isinstance(data, dict):
        raise LedgerError(f"ledger event {seq}: the payload is not an object")
    return Event(int(seq), kind, reservation, key, data, str(created))


def iter_rows(rows: Iterator[Sequence[Any]]) -> list[Event]:
    """Events of database rows, in the order given."""
    return [event_from_row(r) for r in rows]
