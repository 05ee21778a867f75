"""The :class:`Promiser`: quote delivery dates from ATP, reserve them, release them.

How a line is promised (requested delivery day ``r``, quantity ``q``):

1. **One shipment, earliest delivery.** For every route (a location that has the item and a
   lane to the region; a transfer into such a location; new ``buy`` supply when replenishment
   is on) the earliest day ``t ≥ max(r - offset, earliest)`` with ``q`` available is a binary
   search in the ledger; delivery is ``t + offset``. The earliest delivery wins; ties go to
   the route order (direct, transfer, replenishment; then cost; then location order).
2. If that is also the earliest day *anything* could arrive, or the line does not accept
   partial shipments, or it allows one shipment only, that is the promise.
3. **Otherwise split** (``partial_ok``): on the first day anything can arrive, one route
   that has it all ships it, else routes in tie-break order ship what they have (respecting
   ``min_shipment``, leaving one shipment for the rest when ``max_shipments`` is set). The
   rest ships in one shipment on the earliest day one route has it all; failing that on the
   earliest day the routes together have it; failing that what they have when their total
   stops growing. Whatever cannot arrive by ``requested + max_days_late`` is short.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oms_plan.atp.ledger import EPS, AtpLedger, FloatArray, apply_consume
from oms_plan.atp.projection import atp_exceptions, ledger_projection
from oms_plan.atp.request import NEVER as _NEVER
from oms_plan.atp.request import (
    DateLike,
    Request,
    RequestRules,
    build_request,
    records,
    requests_from_rows,
    ship_complete_orders,
)
from oms_plan.atp.reservations import (
    Reservation,
    ReservationBook,
    checked_shipments,
    new_reservation_id,
)
from oms_plan.atp.routes import KIND_NAMES, REPLENISH, TRANSFER, Route, RouteTable
from oms_plan.atp.types import (
    Promise,
    QuoteExpiredError,
    Shipment,
    ShipmentKind,
    UnknownReservationError,
    new_quote_id,
)
from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError


@dataclass(frozen=True, slots=True)
class _Leg:
    route: Route
    day: int  # day the quantity is taken at route.buffer (or supplied, for replenishment)
    quantity: float
    binding: str


class _Rows:
    """Copy-on-write ATP rows: plan several legs of one answer without touching the ledger.

    The last take of a buffer stays pending until a whole row is needed (a binary search):
    many takes are only read back as single values, or never (the last legs of an answer),
    and copying and updating a row costs several numpy calls.
    """

    __slots__ = ("base", "copies", "ledger", "pending")

    def __init__(self, ledger: AtpLedger) -> None:
        self.ledger = ledger
        self.base = ledger.smin
        self.copies: dict[int, FloatArray] = {}
        self.pending: dict[int, tuple[int, float]] = {}

    def smin(self, b: int) -> FloatArray:
        """The row of buffer ``b`` with every take applied."""
        if b in self.pending:
            self._apply(b)
        row: FloatArray | None = self.copies.get(b)
        return self.ledger.smin[b] if row is None else row

    def value(self, b: int, t: int) -> float:
        """``smin(b)[t]`` (``0 <= t < horizon``), without applying a pending take."""
        row: FloatArray | None = self.copies.get(b)
        pend = self.pending.get(b)
        if row is None:
            if pend is None:  # untouched (the usual case): no row view needed
                return self.base.item(b, t)
            row = self.base[b]
        if pend is None:
            return row.item(t)
        # What apply_consume would leave there: the suffix from ``day`` lowered by the
        # quantity, earlier days capped at the new value of ``day`` (same float operations).
        day, quantity = pend
        if t >= day:
            return row.item(t) - quantity
        return min(row.item(t), row.item(day) - quantity)

    def view(self, b: int) -> tuple[FloatArray, int, float, float]:
        """``(row, day, quantity, cap)``: the row of ``b`` without its pending take, and it.

        ``smin(b)[t]`` is ``row[t] - quantity`` from ``day`` on and ``min(row[t], cap)``
        before (as :meth:`value`); with nothing pending, ``day`` is the horizon and ``cap``
        infinite. For loops that read many values of a few rows.
        """
        row: FloatArray | None = self.copies.get(b)
        if row is None:
            row = self.ledger.smin[b]
        pend = self.pending.get(b)
        if pend is None:
            return row, self.ledger.horizon, 0.0, math.inf
        day, quantity = pend
        return row, day, quantity, row.item(day) - quantity

    def take(self, b: int, day: int, quantity: float) -> None:
        """Take ``quantity`` from buffer ``b`` on ``day`` (clamped to the horizon)."""
        if b in self.pending:
            self._apply(b)
        self.pending[b] = (min(day, self.ledger.horizon - 1), quantity)

    def _apply(self, b: int) -> None:
        day, quantity = self.pending.pop(b)
        row = self.copies.get(b)
        if row is not None:
            apply_consume(row, day, quantity)
            return
        # First take of this buffer: build the copy already taken from (two numpy calls
        # instead of a copy and apply_consume); same values as apply_consume (see value).
        base = self.base[b]
        row = self.copies[b] = base - quantity
        np.minimum(base[:day], row[day], out=row[:day])


class Promiser:
    """Promise order lines from time-phased ATP and keep reservations, in memory.

    Built from a :class:`~oms_plan.Dataset`: stock and scheduled receipts are supply, every
    open order line is a commitment at its ship-from location on its ship day (SCHEMA.md).
    :meth:`promise` quotes without changing anything; :meth:`reserve` holds a quote;
    :meth:`release` gives it back. Both update the ATP rows of the buffers concerned in place.

    Thread safety: every public method runs under one re-entrant lock of the promiser, so a
    call sees and leaves the ledger whole — a reserve racing a release (or a promise) on
    another thread behaves as if the two ran one after the other, and a unit is never
    reserved twice. ``ledger`` itself is not locked: read it only when no other thread
    calls the promiser.

    Parameters
    ----------
    dataset
        The dataset to promise from.
    replenish
        Default of the ``replenish`` option of :meth:`promise`: when true, a quantity stock
        and receipts cannot cover may be promised from new supply of a ``buy`` sourcing row,
        available from plan start + its lead days (binding ``lead_time``). Off by default.

    Examples
    --------
    >>> promiser = Promiser(oms_plan.load("data/tiny"))  # doctest: +SKIP
    >>> quote = promiser.promise("BIKE", 3, "EAST", "2026-12-07")  # doctest: +SKIP
    >>> rid = promiser.reserve(quote)  # doctest: +SKIP

    """

    def __init__(self, dataset: Dataset, *, replenish: bool = False) -> None:
        self.dataset = dataset
        self.replenish = replenish
        self.ledger = AtpLedger.from_dataset(dataset)
        self._routes = RouteTable(dataset, self.ledger)
        self._route_cache: dict[tuple[str, str, str | None, bool], tuple[Route, ...]] = {}
        self._horizon = dataset.horizon_days
        self._start = dataset.start
        self._rules = RequestRules(dataset)
        self._integral = self._rules.integral
        self._locations = self._rules.locations
        self._book = ReservationBook()
        self._dates: dict[int, dt.date] = {}
        # One lock for every public call: the ledger rows are updated in place, and a
        # release recomputes a prefix from running totals that must include every other
        # reservation. Re-entrant because promise_lines reserves and releases through the
        # public methods.
        self._lock = threading.RLock()

    # -- public API -----------------------------------------------------------------------
    def promise(
        self,
        item: str,
        quantity: float,
        ship_to: str,
        requested_date: DateLike,
        *,
        partial_ok: bool = True,
        max_shipments: int | None = None,
        min_shipment: float = 0.0,
        max_days_late: int | None = None,
        location: str | None = None,
        replenish: bool | None = None,
        order: str | None = None,
        line: str | None = None,
    ) -> Promise:
        """Quote the earliest delivery of a line; nothing is reserved.

        Parameters
        ----------
        item
            Item id.
        quantity
            Quantity wanted: > 0, finite, at most 1e15, whole for an integral item.
        ship_to
            Region id.
        requested_date
            Requested delivery date: a ``date`` or exactly ``YYYY-MM-DD``, between
            1900-01-01 and 2199-12-31 (as the loader accepts).
        partial_ok
            Accept several shipments (from several days or locations); when false the whole
            quantity ships at once or is short.
        max_shipments
            At most this many shipments (``None``: no limit).
        min_shipment
            No shipment smaller than this (a line smaller than it ships whole).
        max_days_late
            Nothing is promised to arrive later than requested + this many days; the rest is
            short (``None``: any day the stock and receipts allow).
        location
            Ship from this location only (as ``orders.location``).
        replenish
            Allow new ``buy`` supply (plan start + lead days); default: the promiser's.
        order, line
            Labels for the promise's rows.

        Returns
        -------
        Promise
            Shipments, short quantity and binding.

        Raises
        ------
        PlanningError
            Unknown item, region or location, a quantity or date the loader would reject
            in an ``orders`` row, or an invalid option value (every problem of the line).

        """
        req = build_request(
            self._rules,
            self._routes_for,
            item,
            quantity,
            ship_to,
            requested_date,
            partial_ok=partial_ok,
            max_shipments=max_shipments,
            min_shipment=min_shipment,
            max_days_late=max_days_late,
            location=location,
            replenish=self.replenish if replenish is None else replenish,
            order=order,
            line=line,
        )
        with self._lock:
            return self._promise(req, None)

    def promise_order(
        self, lines: pd.DataFrame | Iterable[Mapping[str, Any]], *, ship_complete: bool = False
    ) -> list[Promise]:
        """Quote every line of an order; each line sees the quantities of the lines before it.

        Parameters
        ----------
        lines
            Rows with the ``orders`` columns ``item``, ``quantity``, ``ship_to``,
            ``requested_date`` and optionally ``order``, ``line``, ``location``,
            ``partial_ok``, ``max_shipments``, ``min_shipment``, ``max_days_late``.
        ship_complete
            All lines arrive together, each in one shipment, on the earliest day every line
            can be delivered in full (never before the latest requested date); a line ships
            from a location an earlier line already uses when that is as early. If there is
            no such day within the lines' lateness limits, every line is short.

        Returns
        -------
        list of Promise
            One per line, in order. Nothing is reserved.

        Raises
        ------
        LinesError
            Every problem of every line at once (a ``PlanningError`` and a
            ``DatasetError`` whose issues name row, column and line), as
            :meth:`promise_lines` checks them.

        """
        reqs = requests_from_rows(
            self._rules, self._routes_for, records(lines), replenish=self.replenish
        )
        with self._lock:
            if ship_complete:
                return self._promise_complete(reqs)
            promises: list[Promise] = []
            applied: list[tuple[int, int, float]] = []
            try:
                for req in reqs:
                    quote = self._promise(req, None)
                    promises.append(quote)
                    for leg in quote._legs:
                        self.ledger.consume(*leg)
                        applied.append(leg)
            finally:
                for leg in reversed(applied):
                    self.ledger.restore(*leg)
            return promises

    def promise_lines(
        self, lines: pd.DataFrame | Iterable[Mapping[str, Any]], *, reserve: bool = True
    ) -> list[Promise]:
        """Promise lines in the given order, each seeing the reservations of those before.

        Lines of an order with ``ship_complete`` set on any of its lines are promised together
        (:meth:`promise_order` with ``ship_complete=True``) where the order's first line
        appears. Every line is checked before any is promised: nothing is reserved when one
        is invalid.

        Parameters
        ----------
        lines
            Rows with ``orders`` columns (see :meth:`promise_order`; ``ship_complete`` too).
            An ``(order, line)`` may appear once and may not be an open line of the dataset.
        reserve
            Reserve every promise (the default); when false each line still sees the quotes
            of the lines before it, and nothing is held afterwards.

        Returns
        -------
        list of Promise
            One per line, in the input order.

        Raises
        ------
        LinesError
            Every problem of every line at once (a ``PlanningError`` and a
            ``DatasetError`` whose issues have table ``"lines"``, row, column, and a
            message naming the line): unknown references, quantities or dates the loader
            would reject, fractional quantities of integral items, duplicate keys.

        """
        rows = records(lines)
        reqs = requests_from_rows(self._rules, self._routes_for, rows, replenish=self.replenish)
        complete_orders = ship_complete_orders(rows)
        with self._lock:
            results: list[Promise | None] = [None] * len(rows)
            held: list[str] = []
            try:
                for pos, req in enumerate(reqs):
                    if results[pos] is not None:
                        continue
                    if req.order is not None and req.order in complete_orders:
                        members = [p for p, other in enumerate(reqs) if other.order == req.order]
                        quotes = self._promise_complete([reqs[p] for p in members])
                    else:
                        members = [pos]
                        quotes = [self._promise(req, None)]
                    for p, quote in zip(members, quotes, strict=True):
                        results[p] = quote
                        if quote.shipments:
                            held.append(self.reserve(quote))
            finally:
                if not reserve:
                    for rid in reversed(held):
                        self.release(rid)
            return [p for p in results if p is not None]

    def reserve(self, promise: Promise, *, idempotency_key: str | None = None) -> str:
        """Hold a promise's quantities; return the reservation id.

        The quote is plain data and is checked first: positive finite shipment quantities
        adding up to no more than its quantity, known item and locations. Then every quantity
        must still be available on its day (another reservation may have taken it since the
        quote was made). The ledger legs are derived from the quote's public fields, so a
        quote of any promiser of the same dataset is accepted.

        Parameters
        ----------
        promise
            A promise of this dataset.
        idempotency_key
            Identifies this call across retries: reserving the same quote again with the
            same key returns the first id and reserves nothing more (while that reservation
            is held). A key names one reservation: used for another promise it is an error.

        Returns
        -------
        str
            The reservation id (``"R-"`` + 32 hex digits, unique across processes), for
            :meth:`release`.

        Raises
        ------
        PlanningError
            The promise is malformed (see above).
        DuplicateReservationError
            The quote is held already (by a reservation made with another key or none), or
            ``idempotency_key`` was used for another promise.
        QuoteExpiredError
            The quote no longer holds (nothing is reserved then); the message names the item,
            location, date and what is still available.

        """
        if idempotency_key is not None and not isinstance(idempotency_key, str):
            raise PlanningError(f"idempotency_key must be a string, got {idempotency_key!r}")
        checked_shipments(promise, self._integral)
        with self._lock:
            again = self._book.existing(promise, idempotency_key)
            if again is not None:
                return again
            legs = self._legs_of(promise)
            ledger = self.ledger
            smin = ledger.smin
            # Cheap rejection first (nothing to undo), then apply and verify: legs of one
            # promise may share a buffer, so only the state after all of them is conclusive.
            stale: tuple[int, int, float] | None = None
            for leg in legs:
                if smin[leg[0], leg[1]] < leg[2] - EPS:
                    stale = leg
                    break
            else:
                for leg in legs:
                    ledger.consume(*leg)
                for leg in legs:
                    if smin[leg[0], leg[1]] < -EPS:
                        stale = leg
                        for back in reversed(legs):
                            ledger.restore(*back)
                        break
            if stale is not None:
                b, day, qty = stale
                raise QuoteExpiredError(
                    f"the promise of {promise.quantity:g} x {promise.item!r} no longer holds: "
                    f"{qty:g} from {ledger.buffers[b][1]!r} on {self._date(day)} was quoted "
                    f"but only {ledger.available(b, day):g} is available now; ask for a new "
                    "promise"
                )
            rid = new_reservation_id()
            self._book.add(Reservation(rid, promise, legs, idempotency_key))
            return rid

    def release(self, reservation_id: str) -> None:
        """Give back the quantities of a reservation.

        Parameters
        ----------
        reservation_id
            An id returned by :meth:`reserve`.

        Raises
        ------
        UnknownReservationError
            The id was never issued here or is already released.

        """
        with self._lock:
            res = self._book.pop(reservation_id) if isinstance(reservation_id, str) else None
            if res is None:
                raise UnknownReservationError(
                    f"unknown reservation {reservation_id!r} (never made here, or already released)"
                )
            for leg in reversed(res.legs):
                self.ledger.restore(*leg)

    @property
    def reservations(self) -> Mapping[str, Reservation]:
        """Reservations held, by id (a copy, taken atomically)."""
        with self._lock:
            return dict(self._book.held)

    def atp(self, item: str, location: str) -> pd.DataFrame:
        """Projected stock and cumulative ATP of ``item`` at ``location`` per horizon day.

        Reservations held count as commitments.

        Parameters
        ----------
        item, location
            Known ids.

        Returns
        -------
        pandas.DataFrame
            Columns ``date``, ``on_hand``, ``atp``; all zero when the location never had
            the item.

        Raises
        ------
        PlanningError
            Unknown item or location.

        """
        self._rules.check_item(item)
        if not isinstance(location, str) or location not in self._locations:
            raise PlanningError(f"unknown location {location!r}")
        with self._lock:
            b = self.ledger.buffer(item, location)
            if b is None:
                zeros = np.zeros(self._horizon)
                return pd.DataFrame({"date": self.dataset.dates, "on_hand": zeros, "atp": zeros})
            proj = ledger_projection(self.ledger, self.dataset, [b])
            return proj[["date", "on_hand", "atp"]].reset_index(drop=True)

    def projection(self) -> pd.DataFrame:
        """The ``projection`` table of every buffer, reservations included."""
        with self._lock:
            return ledger_projection(self.ledger, self.dataset)

    def exceptions(self) -> pd.DataFrame:
        """Over-commitments and receipts or commitments beyond the horizon (``exceptions``)."""
        with self._lock:
            return atp_exceptions(self.ledger, self.dataset)

    # -- requests -------------------------------------------------------------------------
    def _routes_for(
        self, item: str, region: str, location: str | None, replenish: bool
    ) -> tuple[Route, ...]:
        key = (item, region, location, replenish)
        routes = self._route_cache.get(key)
        if routes is None:
            routes = tuple(
                r
                for r in self._routes.routes(item, region)
                if (replenish or r.kind != REPLENISH)
                and (location is None or r.location == location)
            )
            self._route_cache[key] = routes
        return routes

    # -- planning one line ------------------------------------------------------------------
    def _promise(self, req: Request, rows: _Rows | None) -> Promise:
        legs, short, reason = self._plan(req, rows)
        return self._make_promise(req, legs, short, reason)

    def _plan(self, req: Request, rows: _Rows | None) -> tuple[list[_Leg], float, str | None]:
        routes, qty, r, limit = req.routes, req.quantity, req.day, req.limit
        if not routes:
            return [], qty, "transit"
        horizon = self._horizon
        last = horizon - 1
        smin = self.ledger.smin
        best: Route | None = None  # best single shipment from stock and receipts
        best_delivery = best_day = _NEVER
        new: Route | None = None  # best single shipment of new supply (replenishment)
        new_delivery = _NEVER
        first_possible = _NEVER
        need = qty - EPS
        for route in routes:
            t0 = r - route.offset
            if t0 < route.min_day:
                t0 = route.min_day
            delivery = t0 + route.offset
            if delivery < first_possible:
                first_possible = delivery
            if route.kind == REPLENISH:
                if delivery < new_delivery and delivery <= limit:
                    new, new_delivery = route, delivery
                continue
            if delivery >= best_delivery or delivery > limit:
                continue  # even shipping on t0 cannot beat the best so far: no search
            row = smin[route.buffer] if rows is None else rows.smin(route.buffer)
            if row.item(t0 if t0 < last else last) >= need:
                t = t0  # enough already on t0 (ATP is non-decreasing): no search either
            else:
                if row.item(last) < need:  # never enough at this buffer
                    continue
                t = int(row.searchsorted(need))
            delivery = t + route.offset
            if delivery < best_delivery and delivery <= limit:
                best, best_delivery, best_day = route, delivery, t
        whole_only = not req.partial_ok or req.max_shipments == 1
        # ``first_possible`` is when some route could deliver at all (lanes and lead times);
        # ``first`` is when one has something to ship, where a split starts (rule 3).
        first = first_possible
        if not whole_only and (best is None or best_delivery > first_possible):
            # Splitting helps only if something arrives before the single shipment would.
            first = self._first_available(req, rows)
        if (
            best is not None
            and (whole_only or best_delivery <= first)
            and best_delivery <= new_delivery
        ):
            return [self._leg(best, best_day, qty, r, rows)], 0.0, None
        if whole_only and new is not None:
            return [self._leg(new, new_delivery - new.offset, qty, r, rows)], 0.0, None
        if not req.partial_ok or first > limit:
            return [], qty, self._short_reason(req, first_possible)
        rows = rows if rows is not None else _Rows(self.ledger)
        if req.max_shipments == 1:
            # No route delivers all of it within the limit (that would have been returned
            # above), and every later delivery day only comes later: what _split would
            # come to is the most one route has, without its first wave and searches.
            leg = self._most_from_one_route(req, qty, first_possible, rows)
            rest = qty if leg is None else qty - leg.quantity
            if rest <= EPS:
                return [leg] if leg is not None else [], 0.0, None
            return [leg] if leg is not None else [], rest, self._short_reason(req, first_possible)
        return self._split(req, first, first_possible, rows)

    def _first_available(self, req: Request, rows: _Rows | None) -> int:
        """Earliest delivery day on which some route has anything at all to ship."""
        first = _NEVER
        horizon, smin = self._horizon, self.ledger.smin
        last = horizon - 1
        for route in req.routes:
            t = max(req.day - route.offset, route.min_day)
            if t + route.offset >= first:
                continue  # cannot lower the minimum: skip the search
            if route.kind != REPLENISH:
                row = smin[route.buffer] if rows is None else rows.smin(route.buffer)
                if row.item(t if t < last else last) <= EPS:  # nothing on t: search later
                    j = int(row.searchsorted(EPS, side="right"))
                    if j >= horizon:
                        continue
                    t = max(t, j)
            first = min(first, t + route.offset)
        return first

    def _split(
        self, req: Request, first_day: int, reach: int, rows: _Rows
    ) -> tuple[list[_Leg], float, str | None]:
        """Partial shipments: what there is on the first day, then the rest in one go.

        1. On ``first_day`` (the first delivery day anything can arrive) one route that has
           everything ships it; otherwise routes in tie-break order ship what they have.
        2. The rest ships as one shipment on the earliest day a single route has all of it;
           failing that, on the earliest day the routes together have it (one shipment per
           route); failing that, what they have on the day their total stops growing
           (within the lateness limit), and the remainder is short.
        With ``max_shipments``, step 1 leaves one shipment for step 2.
        """
        last = self._horizon - 1
        # Taking only lowers ATP, so a route with nothing on the last day stays empty.
        routes = [
            rt for rt in req.routes if rt.kind == REPLENISH or rows.value(rt.buffer, last) > EPS
        ]
        legs: list[_Leg] = []
        remaining = self._wave(req, routes, first_day, req.quantity, rows, legs, keep_one=True)
        left = None if req.max_shipments is None else req.max_shipments - len(legs)
        if remaining > EPS and (left is None or left > 0):
            if left == 1:
                leg = self._last_shipment(req, remaining, first_day, rows)
                if leg is not None:
                    legs.append(leg)
                    remaining -= leg.quantity
            else:
                whole = self._earliest_whole(req, routes, remaining, first_day, rows)
                if whole is not None:
                    legs.append(self._take(whole[0], whole[1], remaining, req.day, rows))
                    remaining = 0.0
                else:
                    all_day, most_day = self._combined_days(req, routes, remaining, first_day, rows)
                    for day in (all_day, most_day):
                        if day is not None and remaining > EPS:
                            remaining = self._wave(
                                req, routes, day, remaining, rows, legs, keep_one=False
                            )
        if remaining <= EPS:
            return legs, 0.0, None
        return legs, remaining, self._short_reason(req, reach)

    def _wave(
        self,
        req: Request,
        routes: Sequence[Route],
        day: int,
        remaining: float,
        rows: _Rows,
        legs: list[_Leg],
        *,
        keep_one: bool,
    ) -> float:
        """Ship on delivery ``day``: all from one route if one has it, else what each has."""
        if day > req.limit:
            return remaining
        r = req.day
        # Stock and receipts first: new supply only covers what they cannot.
        avail: list[float] = []
        last, value = self._horizon - 1, rows.value
        for route in routes:
            t = day - route.offset
            # self._avail, inlined: this loop reads every route and is the split's hot spot.
            if t < route.min_day or t < 0:
                have = 0.0
            elif route.kind == REPLENISH:
                have = math.inf
            else:
                have = value(route.buffer, t if t < last else last)
                if have >= remaining - EPS:
                    legs.append(self._take(route, t, remaining, r, rows))
                    return 0.0
                if have <= 0.0:
                    have = 0.0
            avail.append(have)
        spare = 1 if keep_one else 0
        # Reuse the quantities just read; only a buffer this wave took from has changed.
        taken: set[int] = set()
        for route, have in zip(routes, avail, strict=True):
            if req.max_shipments is not None and req.max_shipments - len(legs) <= spare:
                break
            t = day - route.offset
            if route.buffer in taken:
                have = self._avail(route, t, rows)
            take = self._shippable(req, have, remaining)
            if take <= EPS:
                continue
            legs.append(self._take(route, t, take, r, rows))
            taken.add(route.buffer)
            remaining -= take
            if remaining <= EPS:
                return 0.0
        return remaining

    def _earliest_whole(
        self, req: Request, routes: Sequence[Route], quantity: float, day: int, rows: _Rows
    ) -> tuple[Route, int] | None:
        """The route and take day delivering all of ``quantity`` earliest, from ``day`` on."""
        horizon, limit = self._horizon, req.limit
        last = horizon - 1
        need = quantity - EPS
        best: tuple[Route, int] | None = None
        best_delivery = _NEVER
        for route in routes:
            t0 = max(day - route.offset, route.min_day, 0)
            if t0 + route.offset >= best_delivery or t0 + route.offset > limit:
                continue  # cannot beat the best so far, whatever the search says
            t = t0
            if route.kind != REPLENISH:
                b = route.buffer
                if rows.value(b, last) < need:
                    continue  # never all of it at this buffer
                # Search only when the quantity is not all there on t0 already.
                if t0 < last and rows.value(b, t0) < need:
                    t = max(t0, int(rows.smin(b).searchsorted(need)))
            if t + route.offset < best_delivery and t + route.offset <= limit:
                best, best_delivery = (route, t), t + route.offset
        return best

    def _combined_days(
        self, req: Request, routes: Sequence[Route], quantity: float, day: int, rows: _Rows
    ) -> tuple[int | None, int | None]:
        """When the routes together have ``quantity``, and when their total stops growing.

        Both are delivery days ``≥ day`` within the lateness limit (``None`` when there is
        none). Each buffer counts once, through its fastest route.
        """
        fastest: dict[int, Route] = {}
        for rt in routes:
            if rt.kind != REPLENISH and (
                rt.buffer not in fastest or rt.offset < fastest[rt.buffer].offset
            ):
                fastest[rt.buffer] = rt
        if not fastest:
            return None, None
        horizon = self._horizon
        last = horizon - 1
        end = min(req.limit, last + max(rt.offset for rt in fastest.values()))
        if end < day:
            return None, None
        chosen = [(rt.offset, *rows.view(rt.buffer)) for rt in fastest.values()]

        def total(delivery: int) -> float:
            # ATP of every buffer for this delivery day, summed in route order (a take day
            # before plan start has nothing; one beyond the horizon sees its last day).
            value = 0.0
            for offset, row, taken_day, taken, cap in chosen:
                t = delivery - offset
                if t >= 0:
                    if t > last:
                        t = last
                    atp = row.item(t)
                    if t >= taken_day:
                        atp -= taken
                    elif atp > cap:
                        atp = cap
                    if atp > 0.0:
                        value += atp
            return value

        # ``total`` is non-decreasing in the delivery day (a sum of non-decreasing ATP rows),
        # so both days are binary searches: a few dozen scalar reads instead of building the
        # (buffers x days) table, whose numpy calls dominated the split path.
        days = range(day, end + 1)
        at_end = total(end)
        all_day = None
        if at_end >= quantity - EPS:
            all_day = days[bisect.bisect_left(days, quantity - EPS, key=total)]
        if at_end <= EPS:
            return all_day, None
        # With at least the quantity in the end, the total reaches its last level no earlier
        # than it first covers the quantity.
        lo = all_day - day if all_day is not None and at_end >= quantity else 0
        return all_day, days[bisect.bisect_left(days, at_end - EPS, lo, key=total)]

    def _last_shipment(self, req: Request, remaining: float, day: int, rows: _Rows) -> _Leg | None:
        """The one shipment left: all of the rest as early as possible, else the most."""
        whole = self._earliest_whole(req, req.routes, remaining, day, rows)
        if whole is not None:
            return self._take(whole[0], whole[1], remaining, req.day, rows)
        return self._most_from_one_route(req, remaining, day, rows)

    def _most_from_one_route(
        self, req: Request, remaining: float, day: int, rows: _Rows
    ) -> _Leg | None:
        """The most of ``remaining`` one route delivers from ``day`` to the limit, earliest."""
        horizon, limit = self._horizon, req.limit
        most, most_route = 0.0, None
        for route in req.routes:
            if route.kind == REPLENISH:
                continue
            last = horizon - 1 if limit >= _NEVER else min(limit - route.offset, horizon - 1)
            if last < max(day - route.offset, 0):
                continue
            avail = self._avail(route, last, rows)
            if req.integral:
                avail = math.floor(avail + EPS)
            avail = min(avail, remaining)
            if avail > most + EPS and avail >= req.min_shipment - EPS:
                most, most_route = avail, route
        if most_route is None:
            return None
        row = rows.smin(most_route.buffer)
        t = max(int(row.searchsorted(most - EPS)), day - most_route.offset, 0)
        return self._take(most_route, t, most, req.day, rows)

    def _avail(self, route: Route, t: int, rows: _Rows) -> float:
        if t < route.min_day or t < 0:
            return 0.0
        if route.kind == REPLENISH:
            return math.inf
        last = self._horizon - 1
        value = rows.value(route.buffer, t if t < last else last)
        return value if value > 0 else 0.0

    def _shippable(self, req: Request, avail: float, remaining: float) -> float:
        if req.integral and avail < remaining:
            avail = math.floor(avail + EPS)
        take = min(avail, remaining)
        m = req.min_shipment
        if m > 0 and take < remaining - EPS:
            if remaining - take < m - EPS:
                take = remaining - m
            if take < m - EPS:
                return 0.0
        return take

    def _next_day(self, routes: Sequence[Route], day: int, rows: _Rows) -> int | None:
        """The next delivery day after ``day`` on which some route has more available."""
        best: int | None = None
        horizon = self._horizon
        for route in routes:
            t = day - route.offset
            if route.kind == REPLENISH:
                cand = route.min_day + route.offset if t < route.min_day else None
            else:
                if t >= horizon - 1:
                    continue
                row = rows.smin(route.buffer)
                level = max(float(row[t]), 0.0) if t >= 0 else 0.0
                j = int(row.searchsorted(level + EPS))
                cand = None if j >= horizon else max(j, 0) + route.offset
            if cand is not None and cand > day and (best is None or cand < best):
                best = cand
        return best

    def _take(self, route: Route, t: int, qty: float, r: int, rows: _Rows) -> _Leg:
        leg = self._leg(route, t, qty, r, rows)
        if route.kind != REPLENISH:
            rows.take(route.buffer, t, qty)
        return leg

    def _leg(self, route: Route, t: int, qty: float, r: int, rows: _Rows | None) -> _Leg:
        """A leg taking ``qty`` on day ``t``, with what bound its date (SCHEMA bindings)."""
        if route.kind == REPLENISH:
            return _Leg(route, t, qty, "lead_time")
        b = route.buffer
        # First day the quantity is there; often day 0 (stock), which needs no search.
        if (self.ledger.smin.item(b, 0) if rows is None else rows.value(b, 0)) >= qty - EPS:
            ready = 0
        else:
            row = self.ledger.smin[b] if rows is None else rows.smin(b)
            ready = int(row.searchsorted(qty - EPS))
        wanted = r - route.offset
        if ready > 0 and ready > wanted:
            binding = self.ledger.source_of(route.buffer, ready)
        elif wanted < 0:
            short_lane = route.kind == TRANSFER and r >= route.transit
            binding = "lead_time" if short_lane else "transit"
        else:
            binding = self.ledger.source_of(route.buffer, ready)
        return _Leg(route, t, qty, binding)

    def _short_reason(self, req: Request, first_possible: int) -> str:
        if first_possible <= req.limit:
            return "stock"
        lane_only = min((rt.transit for rt in req.routes), default=_NEVER)
        return "transit" if max(req.day, lane_only) > req.limit else "lead_time"

    # -- ship-complete orders ---------------------------------------------------------------
    def _promise_complete(self, reqs: list[Request]) -> list[Promise]:
        if not reqs:
            return []
        own = [self._plan_single(req) for req in reqs]
        limit = min(req.limit for req in reqs)
        day: int | None = max(max(req.day for req in reqs), *(d for d, _ in own))
        if any(d >= _NEVER for d, _ in own):
            day = None
        while day is not None and day <= limit:
            rows = _Rows(self.ledger)
            legs: list[_Leg] = []
            used: list[str] = []
            for req in reqs:
                ordered = sorted(req.routes, key=lambda rt: rt.location not in used)
                route = next(
                    (
                        rt
                        for rt in ordered
                        if self._avail(rt, day - rt.offset, rows) >= req.quantity - EPS
                    ),
                    None,
                )
                if route is None:
                    break
                legs.append(self._take(route, day - route.offset, req.quantity, req.day, rows))
                used.append(route.location)
            if len(legs) == len(reqs):
                return self._complete_promises(reqs, legs, own, day)
            base = _Rows(self.ledger)
            nexts = [self._next_day(req.routes, day, base) for req in reqs]
            day = min((d for d in nexts if d is not None), default=None)
        return [
            self._make_promise(req, [], req.quantity, self._short_reason(req, day_own))
            for req, (day_own, _) in zip(reqs, own, strict=True)
        ]

    def _plan_single(self, req: Request) -> tuple[int, str | None]:
        """Earliest delivery of the whole line in one shipment on its own, and its binding."""
        single = dataclasses.replace(req, partial_ok=False)
        legs, _, _ = self._plan(single, None)
        if not legs:
            return _NEVER, None
        return legs[0].day + legs[0].route.offset, legs[0].binding

    def _complete_promises(
        self,
        reqs: list[Request],
        legs: list[_Leg],
        own: list[tuple[int, str | None]],
        day: int,
    ) -> list[Promise]:
        # A line that could have come earlier on its own waits for the line that set the day.
        limiting = next((b for d, b in own if d == day and b is not None), None)
        out = []
        for req, leg, (own_day, _) in zip(reqs, legs, own, strict=True):
            if limiting is not None and own_day < day and day > req.day:
                leg = _Leg(leg.route, leg.day, leg.quantity, limiting)
            out.append(self._make_promise(req, [leg], 0.0, None))
        return out

    # -- results --------------------------------------------------------------------------
    def _date(self, day: int) -> dt.date:
        date = self._dates.get(day)
        if date is None:
            date = self._dates[day] = self._start + dt.timedelta(days=day)
        return date

    def _make_promise(
        self, req: Request, legs: list[_Leg], short: float, reason: str | None
    ) -> Promise:
        last = self._horizon - 1
        legs = sorted(legs, key=lambda g: g.day + g.route.offset) if len(legs) > 1 else legs
        shipments = []
        ledger_legs = []
        date = self._date
        for leg in legs:
            route = leg.route
            delivery = leg.day + route.offset
            kind: ShipmentKind = KIND_NAMES[route.kind]  # type: ignore[assignment]
            # Positional: keyword passing is measurably slower on the per-shipment path.
            shipments.append(
                Shipment(
                    route.location,
                    leg.quantity,
                    date(delivery - route.transit),  # ship date
                    date(delivery),  # delivery date
                    leg.binding,
                    kind,
                    route.source_location,
                    date(leg.day),  # source date
                )
            )
            if route.kind != REPLENISH:
                ledger_legs.append((route.buffer, min(leg.day, last), leg.quantity))
        if short > EPS:
            binding = reason or "stock"
        else:
            short = 0.0
            binding = shipments[-1].binding if shipments else "stock"
        return Promise(
            item=req.item,
            quantity=req.quantity,
            ship_to=req.ship_to,
            requested_date=req.requested,
            shipments=tuple(shipments),
            short=short,
            binding=binding,
            short_binding=(reason or "stock") if short > 0 else None,
            order=req.order,
            line=req.line,
            _legs=tuple(ledger_legs),
            quote_id=new_quote_id(),
        )

    def _legs_of(self, promise: Promise) -> tuple[tuple[int, int, float], ...]:
        """Ledger legs of a promise made elsewhere, from its shipments' public fields."""
        legs = []
        for s in promise.shipments:
            if s.kind == "replenishment":
                continue
            source = s.source_location or s.location
            b = self.ledger.buffer(promise.item, source)
            when = s.source_date or s.ship_date
            if b is None:
                raise QuoteExpiredError(
                    f"the promise of {promise.item!r} ships from {source!r}, which has no "
                    "stock, receipts or commitments of it here"
                )
            day = min(max((when - self._start).days, 0), self._horizon - 1)
            legs.append((b, day, float(s.quantity)))
        return tuple(legs)
