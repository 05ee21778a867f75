"""Group commit of reservations: every request waiting for the write lock, in one transaction.

A reservation costs little in memory and one durable commit in the ledger (an fsync). While
one commit is under way, the requests that arrive queue as :class:`Ticket` s; the next thread
to take the write lock decides all of them in arrival order — each one sees the holds of
those before it, exactly as if they had come one by one — appends their events and commits
once. A request is answered only after that commit; if it fails, every hold of the batch is
given back and every request of the batch gets the error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oms_plan.atp import Promise
from oms_plan.service.state import Entry, State

#: Most reservations committed in one transaction.
MAX_BATCH = 256


@dataclass(slots=True)
class Ticket:
    """One ``POST /v1/reservations`` waiting for its batch."""

    body: Mapping[str, Any]
    key: str | None
    digest: str
    done: bool = False
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    # Filled while the batch is decided, before the commit:
    entry: Entry | None = None
    promiser_id: str | None = None
    record: dict[str, Any] | None = None
    same_as: Ticket | None = None  # an earlier ticket of the batch with the same key

    def result(self) -> tuple[int, dict[str, Any]]:
        """The answer, or the error raised."""
        if self.error is not None:
            raise self.error
        return self.status, self.answer


class Queue:
    """Tickets waiting for the write lock (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tickets: list[Ticket] = []

    def put(self, ticket: Ticket) -> None:
        """Add a ticket."""
        with self._lock:
            self._tickets.append(ticket)

    def take(self) -> list[Ticket]:
        """The oldest :data:`MAX_BATCH` tickets, removed from the queue."""
        with self._lock:
            batch, self._tickets = self._tickets[:MAX_BATCH], self._tickets[MAX_BATCH:]
            return batch


@dataclass(slots=True)
class Batch:
    """What the tickets of one transaction decided so far (keys and lines not yet committed)."""

    keys: dict[str, Ticket] = field(default_factory=dict)
    lines: dict[tuple[str, str], Ticket] = field(default_factory=dict)

    def new_entry(
        self, ticket: Ticket, quote: Promise, promiser_id: str, new_id: Callable[[], str], now: str
    ) -> None:
        """Record the hold of ``ticket`` (committed with the batch)."""
        body = ticket.body
        order, line = body.get("order"), body.get("line")
        ticket.entry = Entry(
            id=new_id(),
            promise=quote,
            created=now,
            order=None if order is None else str(order),
            line=None if line is None else str(line),
            idempotency_key=ticket.key,
            fingerprint=ticket.digest,
        )
        ticket.promiser_id = promiser_id
        ticket.record = {
            "promise": quote.to_record(),
            "request": dict(body),
            "fingerprint": ticket.digest,
        }
        if ticket.key is not None:
            self.keys[ticket.key] = ticket
        if ticket.entry.order is not None and ticket.entry.line is not None:
            self.lines[(ticket.entry.order, ticket.entry.line)] = ticket


def finish(state: State, made: list[tuple[Ticket, int]]) -> None:
    """After the commit: record the new reservations in ``state`` and answer their tickets."""
    for ticket, seq in made:
        assert ticket.entry is not None and ticket.promiser_id is not None
        state.add(ticket.entry, seq, ticket.promiser_id)
        ticket.status, ticket.answer = 201, ticket.entry.answer()
