"""Reservations held by a promiser: their ids, the quotes they hold, idempotency keys.

A quote is plain data, so :meth:`~oms_plan.Promiser.reserve` trusts nothing in it:
:func:`checked_shipments` rejects quantities that are not positive and finite, or that add
up to more than the quote's quantity, before the ledger is touched. :class:`ReservationBook`
keeps which quote each reservation holds, so that the same quote is not held twice, and
which idempotency key made it, so that a retried call gets the first id back.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from oms_plan.atp.ledger import EPS
from oms_plan.atp.types import DuplicateReservationError, Promise
from oms_plan.errors import PlanningError
from oms_plan.schema import MAX_MAGNITUDE as MAX_QUANTITY

_KINDS = frozenset({"direct", "transfer", "replenishment"})
_SOURCES = frozenset({"", "stock", "supply", "transfer", "make", "buy"})


@dataclass(frozen=True, slots=True)
class Reservation:
    """A reserved promise.

    Attributes
    ----------
    id
        The reservation id: ``"R-"`` and 32 random hex digits (128 bits, as a UUID4),
        unique across promisers, processes and restarts.
    promise
        The promise reserved.
    legs
        ``(buffer, day, quantity)`` taken from the ledger (replenishment takes nothing).
    idempotency_key
        The key given to :meth:`~oms_plan.Promiser.reserve`, if any.
    loads
        ``(workstation, day, minutes)`` booked by the promise's new supply (capable-to-promise).

    """

    id: str
    promise: Promise
    legs: tuple[tuple[int, int, float], ...]
    idempotency_key: str | None = None
    loads: tuple[tuple[int, int, float], ...] = ()


def new_reservation_id() -> str:
    """A fresh reservation id: ``"R-"`` and 128 random bits as 32 hex digits.

    As unique as a UUID4 (the same random bits, without the version digits), and several
    times cheaper to make than ``uuid.uuid4().hex``.
    """
    return "R-" + os.urandom(16).hex()


def checked_shipments(promise: object, integral: Mapping[str, bool]) -> Promise:
    """Return ``promise`` when its public fields can be reserved as they are.

    Parameters
    ----------
    promise
        What was passed to ``reserve``.
    integral
        Whether each known item is integral.

    Returns
    -------
    Promise
        The same promise.

    Raises
    ------
    PlanningError
        Not a :class:`~oms_plan.atp.Promise`, an unknown item, a quantity that is not
        positive and finite, shipments adding up to more than the quote's quantity, a
        fractional quantity of an integral item, or a shipment without dates.

    """
    if not isinstance(promise, Promise):
        raise PlanningError(f"reserve() needs a Promise, got {type(promise).__name__}")
    item = promise.item
    if not isinstance(item, str) or item not in integral:
        raise PlanningError(f"cannot reserve a promise of unknown item {item!r}")
    whole = integral[item]
    quantity = promise.quantity
    if type(quantity) is not float or not 0 < quantity <= MAX_QUANTITY:
        quantity = _positive(quantity, f"the promise of {item!r}: quantity")
    total = 0.0
    date = dt.date
    for n, s in enumerate(promise.shipments, start=1):
        q = s.quantity
        # Quotes made here hold floats or ints in range: one comparison; anything else is
        # converted and checked with a message.
        if (type(q) is not float and type(q) is not int) or not 0 < q <= MAX_QUANTITY:
            q = _positive(q, f"the promise of {item!r}: shipment {n} quantity")
        if whole and q != int(q):
            raise PlanningError(
                f"the promise of {item!r}: shipment {n} quantity {q:g} is not whole, but "
                f"{item!r} is integral"
            )
        if s.source not in _SOURCES:
            raise PlanningError(
                f"the promise of {item!r}: shipment {n} has an unknown source {s.source!r}"
            )
        if s.kind not in _KINDS:
            raise PlanningError(
                f"the promise of {item!r}: shipment {n} has an unknown kind {s.kind!r}"
            )
        if not (
            isinstance(s.ship_date, date)
            and isinstance(s.delivery_date, date)
            and (s.source_date is None or isinstance(s.source_date, date))
        ):
            raise PlanningError(
                f"the promise of {item!r}: shipment {n} has a date that is not a date"
            )
        total += q
    for n, t in enumerate(promise.takes, start=1):
        _positive(t.quantity, f"the promise of {item!r}: take {n} quantity")
        if not isinstance(t.date, date):
            raise PlanningError(f"the promise of {item!r}: take {n} has a date that is not a date")
    for n, ld in enumerate(promise.loads, start=1):
        _positive(ld.minutes, f"the promise of {item!r}: load {n} minutes")
        if not isinstance(ld.date, date):
            raise PlanningError(f"the promise of {item!r}: load {n} has a date that is not a date")
    if total > quantity + EPS * max(1.0, quantity):
        raise PlanningError(
            f"the promise of {item!r} ships {total:g}, more than its quantity {quantity:g}"
        )
    return promise


def _positive(value: object, what: str) -> float:
    """``value`` as a positive finite float, else a PlanningError naming ``what``."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise PlanningError(f"{what} {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise PlanningError(f"{what} must be a positive finite number, got {value!r}")
    if number > MAX_QUANTITY:
        raise PlanningError(f"{what} {number:g} is larger than {MAX_QUANTITY:g}")
    return number


class ReservationBook:
    """Reservations held, by id, by the quote they hold and by idempotency key."""

    __slots__ = ("_by_key", "_by_quote", "held")

    def __init__(self) -> None:
        self.held: dict[str, Reservation] = {}
        self._by_quote: dict[str, str] = {}
        self._by_key: dict[str, str] = {}

    def existing(self, promise: Promise, key: str | None) -> str | None:
        """The id to answer a reserve of ``promise`` with when it is held already.

        Returns the id a held reservation made with the same ``key`` for the same quote (a
        retried call); ``None`` when the quote is not held and ``key`` is new.

        Raises
        ------
        DuplicateReservationError
            The quote is held by a reservation made without this key, or the key was used
            for another promise.

        """
        if key is not None:
            rid = self._by_key.get(key)
            if rid is not None:
                held = self.held[rid].promise
                same = (
                    held.quote_id == promise.quote_id
                    if held.quote_id is not None and promise.quote_id is not None
                    else held == promise
                )
                if not same:
                    raise DuplicateReservationError(
                        f"idempotency key {key!r} was used for reservation {rid} of another "
                        "promise; use a new key for a new reservation"
                    )
                return rid
        quote = promise.quote_id
        if quote is not None and quote in self._by_quote:
            rid = self._by_quote[quote]
            raise DuplicateReservationError(
                f"this quote of {promise.quantity:g} x {promise.item!r} is reserved already "
                f"({rid}); reserve it with the same idempotency_key to get that id back, or "
                "ask for a new promise"
            )
        return None

    def add(self, reservation: Reservation) -> None:
        """Hold ``reservation``."""
        self.held[reservation.id] = reservation
        if reservation.promise.quote_id is not None:
            self._by_quote[reservation.promise.quote_id] = reservation.id
        if reservation.idempotency_key is not None:
            self._by_key[reservation.idempotency_key] = reservation.id

    def pop(self, rid: str) -> Reservation | None:
        """Stop holding reservation ``rid``; ``None`` when it is not held."""
        res = self.held.pop(rid, None)
        if res is None:
            return None
        if res.promise.quote_id is not None:
            self._by_quote.pop(res.promise.quote_id, None)
        if res.idempotency_key is not None:
            self._by_key.pop(res.idempotency_key, None)
        return res
