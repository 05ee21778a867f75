"""The in-memory state of one service process: a dataset's promiser plus the ledger's events.

The state is a function of (dataset, ledger): the live reservations (``reserve`` events
without a ``release``) are applied in sequence order to a fresh promiser; one whose
(order, line) is an open line of the dataset is **committed** (the nightly plan now holds it;
it takes nothing here), one that no longer fits is a **conflict** (held nowhere until it is
released or a later reload finds room for it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from oms_plan.atp import Promise
from oms_plan.errors import PlanningError
from oms_plan.service.adapter import PromiserAdapter
from oms_plan.service.ledger import Event, LedgerError

log = logging.getLogger("oms_plan.service")

Status = Literal["held", "conflict", "committed"]


@dataclass(slots=True)
class Entry:
    """A reservation of the ledger as this process sees it.

    Attributes
    ----------
    id
        The reservation id.
    promise
        The quote reserved (rebuilt from the ledger's record).
    created
        When it was made (ISO 8601, UTC; it is durable once answered).
    order, line
        The order line it is for, when the client said.
    idempotency_key, fingerprint
        The client's key and the hash of the request body, for retries.
    status
        ``held``, ``conflict`` or ``committed``; ``None`` once released.
    promiser_id
        The promiser's id of the hold (``status == "held"`` only).
    reason
        Why it is a conflict.

    """

    id: str
    promise: Promise
    created: str
    order: str | None
    line: str | None
    idempotency_key: str | None
    fingerprint: str | None
    status: Status | None = None
    promiser_id: str | None = None
    reason: str = ""

    def answer(self) -> dict[str, Any]:
        """The body of the 201 (and of an idempotent retry's 200)."""
        return {"reservation": self.id, "promise": self.promise.to_dict()}


@dataclass(slots=True)
class State:
    """A dataset's promiser with the ledger's reservations applied.

    Attributes
    ----------
    adapter
        The promiser of the dataset.
    dataset_path, fingerprint
        Where the dataset was loaded from and the hash of its files.
    applied
        Sequence number of the last ledger event applied.
    entries
        Every reservation made (released ones too: an idempotent retry still gets its
        answer), by id.
    keys
        Reservation id by idempotency key.
    lines
        Live (held or conflict) reservation id by ``(order, line)``.

    """

    adapter: PromiserAdapter
    dataset_path: str
    fingerprint: str
    applied: int = 0
    entries: dict[str, Entry] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    lines: dict[tuple[str, str], str] = field(default_factory=dict)

    # -- queries ----------------------------------------------------------------------------
    def count(self, status: Status) -> int:
        """Number of reservations with ``status``."""
        return sum(1 for e in self.entries.values() if e.status == status)

    def conflicts(self) -> list[dict[str, str]]:
        """``GET /v1/conflicts``: reservations that no longer fit, in ledger order."""
        return [
            {"reservation": e.id, "reason": e.reason}
            for e in self.entries.values()
            if e.status == "conflict"
        ]

    def live_line(self, order: str, line: str) -> Entry | None:
        """The live reservation (held or conflict) for ``(order, line)``, if any."""
        rid = self.lines.get((order, line))
        return None if rid is None else self.entries[rid]

    # -- changes ----------------------------------------------------------------------------
    def add(self, entry: Entry, seq: int, promiser_id: str | None = None) -> None:
        """Record a reservation: already held (``promiser_id``) or applied here now."""
        self.entries[entry.id] = entry
        if entry.idempotency_key is not None:
            self.keys[entry.idempotency_key] = entry.id
        if promiser_id is not None:
            entry.status, entry.promiser_id = "held", promiser_id
        else:
            self._apply_hold(entry)
        if entry.order is not None and entry.line is not None and entry.status != "committed":
            self.lines[(entry.order, entry.line)] = entry.id
        self.applied = max(self.applied, seq)

    def release(self, reservation: str, seq: int) -> None:
        """Apply a ``release`` event: give back what the reservation holds."""
        entry = self.entries.get(reservation)
        if entry is not None and entry.status is not None:
            if entry.status == "held" and entry.promiser_id is not None:
                self.adapter.release(entry.promiser_id)
            entry.status, entry.promiser_id, entry.reason = None, None, ""
            key = (entry.order or "", entry.line or "")
            if self.lines.get(key) == entry.id:
                del self.lines[key]
        self.applied = max(self.applied, seq)

    def apply(self, events: Iterable[Event]) -> None:
        """Apply ``reserve`` and ``release`` events newer than :attr:`applied`.

        ``reload`` events are handled by the caller (they replace the whole state).
        """
        for ev in events:
            if ev.seq <= self.applied:
                continue
            if ev.kind == "reserve" and ev.reservation is not None:
                self.add(entry_of(ev), ev.seq)
            elif ev.kind == "release" and ev.reservation is not None:
                self.release(ev.reservation, ev.seq)
            self.applied = max(self.applied, ev.seq)

    def _apply_hold(self, entry: Entry) -> None:
        """Hold a reservation made elsewhere (or before a restart) in this promiser."""
        if entry.order is not None and (entry.order, entry.line) in self.adapter.open_lines:
            entry.status, entry.reason = "committed", ""
            return
        try:
            entry.promiser_id = self.adapter.reserve(entry.promise)
        except PlanningError as exc:  # QuoteExpiredError, or an item this dataset lacks
            entry.status, entry.reason = "conflict", str(exc)
            log.warning("reservation %s no longer fits: %s", entry.id, exc)
            return
        entry.status, entry.reason = "held", ""


def build_state(
    adapter: PromiserAdapter, dataset_path: str, fingerprint: str, events: Iterable[Event]
) -> State:
    """The state of ``adapter``'s dataset after every event of the ledger (SCHEMA.md's rule).

    The live reservations are applied in ledger order; released ones are recorded (for
    idempotent retries) without ever being held.
    """
    events = list(events)
    released = {e.reservation for e in events if e.kind == "release"}
    state = State(adapter, dataset_path, fingerprint)
    for ev in events:
        if ev.kind == "reserve" and ev.reservation is not None:
            entry = entry_of(ev)
            if ev.reservation in released:
                state.entries[entry.id] = entry
                if entry.idempotency_key is not None:
                    state.keys[entry.idempotency_key] = entry.id
            else:
                state.add(entry, ev.seq)
        state.applied = max(state.applied, ev.seq)
    return state


def entry_of(ev: Event) -> Entry:
    """The reservation of a ``reserve`` event (not yet applied)."""
    payload: Mapping[str, Any] = ev.payload
    request: Mapping[str, Any] = payload.get("request") or {}
    assert ev.reservation is not None
    try:
        promise = Promise.from_dict(payload.get("promise"))  # type: ignore[arg-type]
    except PlanningError as exc:
        raise LedgerError(f"ledger event {ev.seq} ({ev.reservation}): {exc}") from None
    return Entry(
        id=ev.reservation,
        promise=promise,
        created=ev.created,
        order=_text(request.get("order")),
        line=_text(request.get("line")),
        idempotency_key=ev.idempotency_key,
        fingerprint=payload.get("fingerprint"),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)
