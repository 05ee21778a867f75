"""The promise service without HTTP: quotes, durable reservations, reloads.

Concurrency (docs/service.md, "The ledger and its guarantees"):

* **In one process** a write lock serializes everything that changes reservations
  (reserve, release, reload, and catching up with the ledger); a state lock guards the
  promiser for the short in-memory parts, so quotes are answered while a writer waits for
  its commit.
* **Across processes** sharing a ledger, a writer holds the ledger's write lock (SQLite
  ``BEGIN IMMEDIATE``, PostgreSQL advisory lock) while it applies the events it has not seen,
  promises and reserves in memory, appends its event and commits. No two processes ever
  decide from the same stale view, so no unit is promised twice.
* **Durability**: the answer is sent after the commit; if the commit fails the hold is
  given back in memory and the client gets 503. On start the state is the dataset plus the
  ledger (:func:`~oms_plan.service.state.build_state`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oms_plan.atp import Promise
from oms_plan.errors import DatasetError, PlanningError
from oms_plan.service.adapter import PromiserAdapter, wholly_short
from oms_plan.service.config import ServiceConfig
from oms_plan.service.datasets import load_dataset
from oms_plan.service.ledger import Event, Ledger, LedgerWrite
from oms_plan.service.ledger_url import open_ledger
from oms_plan.service.reserving import Batch, Queue, Ticket, finish
from oms_plan.service.state import State, build_state

log = logging.getLogger("oms_plan.service")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One entry of a 422 answer."""

    field: str
    message: str


class ServiceError(Exception):
    """A request the service answers with an error status (never a bug).

    Parameters
    ----------
    status
        HTTP status (404, 409, 422, 503).
    errors
        What is wrong, field by field.
    extra
        More members of the answer body (a 409 carries the promise).

    """

    def __init__(
        self, status: int, errors: list[FieldError], extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.status = status
        self.errors = errors
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The JSON answer."""
        return {
            **self.extra,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }


def invalid(field: str, message: str) -> ServiceError:
    """A 422 about one field."""
    return ServiceError(422, [FieldError(field, message)])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """Hash of a request body (canonical JSON), to tell a retry from a different request."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def new_reservation_id() -> str:
    """A reservation id unique across processes and restarts (122 random bits)."""
    return "R-" + uuid.uuid4().hex


class PromiseService:
    """Quotes and durable reservations over one dataset and one ledger.

    Parameters
    ----------
    config
        Dataset, ledger URL, token, polling interval.

    Raises
    ------
    DatasetError
        The dataset is invalid.
    LedgerError
        The ledger cannot be opened.

    """

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        dataset, path, digest = load_dataset(config.dataset)
        adapter = PromiserAdapter(dataset)
        self.ledger: Ledger = open_ledger(config.ledger)
        self._write = threading.Lock()  # one writer (or catch-up) at a time per process
        self._lock = threading.Lock()  # the promiser and the maps of the state
        self._queue = Queue()  # reservations waiting for the write lock (group commit)
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        self.error: str | None = None  # set when following a reload failed
        with self._write, self.ledger.write() as tx:
            events = tx.events_after(0)
            last = next((e for e in reversed(events) if e.kind == "reload"), None)
            if last is None or last.payload.get("fingerprint") != digest:
                # A restart on another dataset is a reload for every process of the ledger.
                payload = {"dataset": path, "fingerprint": digest}
                seq = tx.append("reload", payload=payload, created=_now())
                events.append(Event(seq, "reload", None, None, payload, _now()))
            tx.commit()
            self.state = build_state(adapter, path, digest, events)
        log.info(
            "serving %s with %d reservation(s), %d conflict(s)",
            path,
            self.state.count("held"),
            self.state.count("conflict"),
        )

    # -- life cycle ---------------------------------------------------------------------------
    def start_following(self) -> None:
        """Poll the ledger in the background for what other processes change."""
        if self._follower is None:
            self._follower = threading.Thread(
                target=self._follow, name="oms-plan-ledger-follower", daemon=True
            )
            self._follower.start()

    def close(self) -> None:
        """Stop following and close the ledger."""
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
        with self._write:
            self.ledger.close()

    def _follow(self) -> None:
        failing = False
        while not self._stop.wait(self.config.poll_seconds):
            # A busy writer catches up anyway; never queue behind it.
            if not self._write.acquire(blocking=False):
                continue
            try:
                self._catch_up(None)
                if failing:
                    log.info("following the ledger again")
                failing = False
            except Exception as exc:  # keep following: the next poll retries
                if not failing:  # once per outage, not every poll
                    log.error("following the ledger failed (retrying): %s", exc)
                failing = True
            finally:
                self._write.release()

    # -- reads ----------------------------------------------------------------------------------
    def promise(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/promise``: a quote; nothing is reserved."""
        state = self.state
        self._check_ids(state, body)
        with self._lock:
            quote = self._quote(state, body)
        return quote.to_dict()

    def atp(self, item: str, location: str) -> list[dict[str, Any]]:
        """``GET /v1/atp``: projected stock and ATP per day, reservations included."""
        self.sync()
        state = self.state
        if item not in state.adapter.items:
            raise invalid("item", f"unknown item {item!r}")
        if location not in state.adapter.locations:
            raise invalid("location", f"unknown location {location!r}")
        with self._lock:
            return state.adapter.atp(item, location)

    def get(self, reservation: str) -> dict[str, Any]:
        """``GET /v1/reservations/{id}``."""
        self.sync()
        entry = self.state.entries.get(reservation)
        if entry is None or entry.status is None:
            raise ServiceError(404, [_unknown(reservation)])
        return {
            "reservation": entry.id,
            "promise": entry.promise.to_dict(),
            "created": entry.created,
            "status": entry.status,
        }

    def conflicts(self) -> list[dict[str, str]]:
        """``GET /v1/conflicts``."""
        self.sync()
        with self._lock:
            return self.state.conflicts()

    def health(self) -> dict[str, Any]:
        """``GET /health``: the number of reservations held."""
        self.sync()
        with self._lock:
            return {"status": "ok", "reservations": self.state.count("held")}

    def held(self) -> int:
        """Reservations held, as this process last saw the ledger (no catching up)."""
        with self._lock:
            return self.state.count("held")

    def sync(self) -> None:
        """Apply what other processes committed to the ledger (reads that must be current)."""
        with self._write:
            self._catch_up(None)

    # -- writes ---------------------------------------------------------------------------------
    def reserve(self, body: Mapping[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
        """``POST /v1/reservations``: ``(201, answer)``, or ``(200, first answer)`` on a retry.

        Requests that arrive while a commit is under way are committed together
        (:mod:`oms_plan.service.reserving`); each is answered after its commit.

        Raises
        ------
        ServiceError
            422 for bad input or a key reused for another request, 409 when nothing can be
            promised (nothing is reserved), 503 when the ledger cannot commit.

        """
        ticket = Ticket(body, key, request_fingerprint(body))
        self._queue.put(ticket)
        while not ticket.done:
            with self._write:
                if not ticket.done:
                    self._reserve_batch(self._queue.take())
        return ticket.result()

    def _reserve_batch(self, tickets: list[Ticket]) -> None:
        """Decide ``tickets`` in order, commit the holds at once (caller holds the write lock)."""
        try:
            with self.ledger.write() as tx:
                self._catch_up(tx)
                state, batch = self.state, Batch()
                for ticket in tickets:
                    try:
                        self._decide(state, batch, ticket)
                    except Exception as exc:  # this request's answer; the others go on
                        ticket.error = exc
                made = [t for t in tickets if t.entry is not None]
                try:
                    seqs = [
                        tx.append(
                            "reserve",
                            reservation=t.entry.id,
                            idempotency_key=t.key,
                            payload=t.record,
                            created=t.entry.created,
                        )
                        for t in made
                        if t.entry is not None
                    ]
                    if made:
                        tx.commit()
                except BaseException:
                    with self._lock:
                        for t in reversed(made):
                            if t.promiser_id is not None:
                                state.adapter.release(t.promiser_id)
                    raise
                with self._lock:
                    finish(state, list(zip(made, seqs, strict=True)))
            for ticket in tickets:
                if ticket.same_as is not None:
                    ticket.error = ticket.same_as.error
                    ticket.status, ticket.answer = 200, ticket.same_as.answer
        except BaseException as exc:  # the ledger failed: nobody of the batch is committed
            for ticket in tickets:
                if ticket.error is None and ticket.status == 0:
                    ticket.error = exc
        finally:
            for ticket in tickets:
                ticket.done = True

    def _decide(self, state: State, batch: Batch, ticket: Ticket) -> None:
        """Answer a retry, refuse bad input, or hold the quote of one ticket in memory."""
        body, key, digest = ticket.body, ticket.key, ticket.digest
        first = None
        if key is not None:
            earlier = batch.keys.get(key)
            if earlier is not None and earlier.entry is not None:
                first = earlier.entry
                if first.fingerprint == digest:
                    ticket.same_as = earlier  # answered once ``earlier`` is committed
                    return
            elif key in state.keys:
                first = state.entries[state.keys[key]]
                if first.fingerprint == digest:
                    ticket.status, ticket.answer = 200, first.answer()
                    return
        if first is not None:
            raise invalid(
                "Idempotency-Key",
                f"key {key!r} was used for a different request (reservation {first.id}); "
                "use a new key for a new request",
            )
        self._check_ids(state, body)
        order, line = body.get("order"), body.get("line")
        if order is not None and line is not None:
            self._check_line(state, str(order), str(line))
            if (str(order), str(line)) in batch.lines:
                raise invalid("line", f"order {order!r} line {line!r} is already being reserved")
        with self._lock:
            quote = self._quote(state, body)
            if wholly_short(quote):
                raise ServiceError(
                    409,
                    [FieldError("quantity", f"nothing can be promised ({quote.binding})")],
                    {"promise": quote.to_dict()},
                )
            promiser_id = state.adapter.reserve(quote)
        batch.new_entry(ticket, quote, promiser_id, new_reservation_id, _now())

    def release(self, reservation: str) -> dict[str, Any]:
        """``DELETE /v1/reservations/{id}``: the quantity is available again."""
        with self._write, self.ledger.write() as tx:
            self._catch_up(tx)
            state = self.state
            entry = state.entries.get(reservation)
            if entry is None or entry.status is None:
                raise ServiceError(404, [_unknown(reservation)])
            seq = tx.append("release", reservation=reservation, created=_now())
            tx.commit()
            with self._lock:
                state.release(reservation, seq)
        return {"reservation": reservation, "released": True}

    def reload(self, dataset: str | None) -> dict[str, int]:
        """``POST /v1/reload``: promise from ``dataset`` (default: the same folder, read again).

        Reservations whose (order, line) the new dataset holds are dropped as committed; the
        others are applied again; those that no longer fit are listed as conflicts.
        """
        folder = dataset if dataset is not None else self.state.dataset_path
        try:
            ds, path, digest = load_dataset(folder)
        except DatasetError as exc:
            raise ServiceError(
                422, [FieldError("dataset", str(i)) for i in exc.errors[:50]]
            ) from None
        adapter = PromiserAdapter(ds)  # the slow part, before any lock
        with self._write, self.ledger.write() as tx:
            payload = {"dataset": path, "fingerprint": digest}
            tx.append("reload", payload=payload, created=_now())
            events = tx.events_after(0)
            tx.commit()
            state = build_state(adapter, path, digest, events)
            with self._lock:
                self.state = state
            self.error = None
        return {"reservations": state.count("held"), "conflicts": state.count("conflict")}

    # -- internals --------------------------------------------------------------------------------
    def _catch_up(self, tx: LedgerWrite | None) -> None:
        """Apply the ledger's events this process has not seen (caller holds the write lock)."""
        state = self.state
        source = tx if tx is not None else self.ledger
        events = source.events_after(state.applied)
        if not events:
            return
        reloads = [e for e in events if e.kind == "reload"]
        if reloads and reloads[-1].payload.get("fingerprint") != state.fingerprint:
            self._follow_reload(reloads[-1], source.events_after(0))
            return
        with self._lock:
            state.apply(events)

    def _follow_reload(self, event: Event, events: list[Event]) -> None:
        """Another process reloaded: load its dataset and rebuild from the whole ledger."""
        where = str(event.payload.get("dataset"))
        try:
            ds, path, digest = load_dataset(where)
        except (DatasetError, OSError) as exc:
            # Promising from the old data would disagree with the other processes: refuse
            # writes until an operator fixes it (health says why).
            self.error = f"cannot load the dataset {where!r} another process reloaded: {exc}"
            log.error(self.error)
            raise ServiceError(503, [FieldError("dataset", self.error)]) from None
        if digest != event.payload.get("fingerprint"):
            log.warning("dataset %s changed since it was reloaded; promising from it", path)
        state = build_state(PromiserAdapter(ds), path, digest, events)
        state.applied = max(state.applied, events[-1].seq if events else 0)
        with self._lock:
            self.state = state
        self.error = None

    def _check_ids(self, state: State, body: Mapping[str, Any]) -> None:
        """422 naming the field for ids the dataset does not know."""
        adapter = state.adapter
        errors = []
        if body["item"] not in adapter.items:
            errors.append(FieldError("item", f"unknown item {body['item']!r}"))
        if body["ship_to"] not in adapter.regions:
            errors.append(FieldError("ship_to", f"unknown region {body['ship_to']!r}"))
        location = body.get("location")
        if location is not None and location not in adapter.locations:
            errors.append(FieldError("location", f"unknown location {location!r}"))
        if errors:
            raise ServiceError(422, errors)

    def _check_line(self, state: State, order: str, line: str) -> None:
        if (order, line) in state.adapter.open_lines:
            raise invalid(
                "line", f"order {order!r} line {line!r} is already an open line of the dataset"
            )
        held = state.live_line(order, line)
        if held is not None:
            raise invalid("line", f"order {order!r} line {line!r} is already reserved as {held.id}")

    def _quote(self, state: State, body: Mapping[str, Any]) -> Promise:
        """The promiser's quote; its ``PlanningError`` becomes a 422 naming a field."""
        try:
            return state.adapter.promise(body)
        except PlanningError as exc:
            raise invalid(_field_of(str(exc), body), str(exc)) from None


def _unknown(reservation: str) -> FieldError:
    return FieldError(
        "id", f"unknown reservation {reservation!r} (never made, or already released)"
    )


def _field_of(message: str, body: Mapping[str, Any]) -> str:
    """The request field a promiser message is about (its first field name), else ``body``."""
    hits = [(message.find(name), name) for name in body if name in message]
    hits += [(message.find("date"), "requested_date")] if "date" in message else []
    return min(hits)[1] if hits else "body"
