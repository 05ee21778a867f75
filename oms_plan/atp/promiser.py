"""The :class:`Promiser`: quote delivery dates from ATP, reserve them, release them.

The stateful façade of promising: it owns the ATP ledger, the reservations and one lock, and
delegates the rest — request checks (:mod:`~oms_plan.atp.request`), planning a line
(:mod:`~oms_plan.atp.lines`, whose docstring states the rules), ship-complete orders
(:mod:`~oms_plan.atp.complete`), and turning plans into quotes and back
(:mod:`~oms_plan.atp.quotes`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from oms_plan.atp.complete import promise_complete, promise_complete_ctp
from oms_plan.atp.ledger import EPS, AtpLedger
from oms_plan.atp.lines import LinePlanner
from oms_plan.atp.projection import atp_exceptions, ledger_projection
from oms_plan.atp.quotes import QuoteMaker
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
from oms_plan.atp.routes import REPLENISH, Route, RouteTable
from oms_plan.atp.rows import Rows
from oms_plan.atp.types import Promise, QuoteExpiredError, UnknownReservationError
from oms_plan.ctp.combine import LineAsk, combine
from oms_plan.ctp.engine import CtpEngine, CtpRoute
from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError


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
        Default of the ``replenish`` option of :meth:`promise` (used only with ``ctp`` off):
        when true, a quantity stock and receipts cannot cover may be promised from new supply
        of a ``buy`` sourcing row, available from plan start + its lead days (binding
        ``lead_time``). Off by default.
    ctp
        Default of the ``ctp`` option (capable-to-promise, on by default): what stock and
        receipts cannot serve in time may be promised from new production (BOM components,
        lead times, workstation capacity) and new purchases (docs/promising.md). The
        promiser then starts from the plan state: open manufacturing orders load their
        workstations, and open order lines that stock and receipts cannot cover take new
        supply (components and minutes) first, most important first.

    Examples
    --------
    >>> promiser = Promiser(oms_plan.load("data/tiny"))  # doctest: +SKIP
    >>> quote = promiser.promise("BIKE", 3, "EAST", "2026-12-07")  # doctest: +SKIP
    >>> rid = promiser.reserve(quote)  # doctest: +SKIP

    """

    def __init__(self, dataset: Dataset, *, replenish: bool = False, ctp: bool = True) -> None:
        self.dataset = dataset
        self.replenish = replenish
        self.ctp = bool(ctp)
        self.ledger = AtpLedger.from_dataset(dataset)
        self._engine: CtpEngine | None = CtpEngine(dataset, self.ledger) if self.ctp else None
        self._routes = RouteTable(dataset, self.ledger)
        self._route_cache: dict[tuple[str, str, str | None, bool], tuple[Route, ...]] = {}
        self._horizon = dataset.horizon_days
        self._rules = RequestRules(dataset)
        self._integral = self._rules.integral
        self._locations = self._rules.locations
        self._book = ReservationBook()
        self._planner = LinePlanner(self.ledger)
        self._quotes = QuoteMaker(self.ledger, dataset.start, self._engine)
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
        ctp: bool | None = None,
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
            Allow new ``buy`` supply (plan start + lead days) when ``ctp`` is off; default:
            the promiser's.
        order, line
            Labels for the promise's rows.
        ctp
            Capable-to-promise for this line (default: the promiser's): what stock and
            receipts cannot deliver in time may come from new production or purchases.

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
        use_ctp = self._use_ctp(ctp)
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
            ctp=use_ctp,
            order=order,
            line=line,
        )
        with self._lock:
            return self._promise(req, None)

    def promise_order(
        self,
        lines: pd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        ship_complete: bool = False,
        ctp: bool | None = None,
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
        ctp
            Capable-to-promise for these lines (default: the promiser's).

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
        use_ctp = self._use_ctp(ctp)
        reqs = requests_from_rows(
            self._rules, self._routes_for, records(lines), replenish=self.replenish, ctp=use_ctp
        )
        with self._lock:
            if ship_complete:
                return self._complete(reqs)
            promises: list[Promise] = []
            applied: list[Promise] = []
            try:
                for req in reqs:
                    quote = self._promise(req, None)
                    promises.append(quote)
                    # The next line sees this one's quantities, components and minutes.
                    self._hold(quote)
                    applied.append(quote)
            finally:
                for quote in reversed(applied):
                    self._unhold(quote)
            return promises

    def promise_lines(
        self,
        lines: pd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        reserve: bool = True,
        ctp: bool | None = None,
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
        ctp
            Capable-to-promise for these lines (default: the promiser's).

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
        use_ctp = self._use_ctp(ctp)
        reqs = requests_from_rows(
            self._rules, self._routes_for, rows, replenish=self.replenish, ctp=use_ctp
        )
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
                        quotes = self._complete([reqs[p] for p in members])
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
            legs = self._quotes.legs_of(promise)
            loads = self._quotes.loads_of(promise)
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
            if stale is None and loads:
                engine = self._engine
                assert engine is not None  # loads_of raised otherwise
                engine.apply((), loads)
                overdrawn = engine.overdrawn((), loads)
                if overdrawn is not None:
                    engine.undo((), loads)
                    for back in reversed(legs):
                        ledger.restore(*back)
                    raise QuoteExpiredError(
                        f"the promise of {promise.quantity:g} x {promise.item!r} no longer "
                        f"holds: {overdrawn}; ask for a new promise"
                    )
            if stale is not None:
                b, day, qty = stale
                raise QuoteExpiredError(
                    f"the promise of {promise.quantity:g} x {promise.item!r} no longer holds: "
                    f"{qty:g} from {ledger.buffers[b][1]!r} on {self._quotes.date(day)} was quoted "
                    f"but only {ledger.available(b, day):g} is available now; ask for a new "
                    "promise"
                )
            rid = new_reservation_id()
            self._book.add(Reservation(rid, promise, legs, idempotency_key, loads))
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
            if res.loads:
                assert self._engine is not None  # loads are only held with CTP on
                self._engine.undo((), res.loads)
            for leg in reversed(res.legs):
                self.ledger.restore(*leg)

    @property
    def reservations(self) -> Mapping[str, Reservation]:
        """Reservations held, by id (a copy, taken atomically)."""
        with self._lock:
            return dict(self._book.held)

    def atp(self, item: str, location: str) -> pd.DataFrame:
        """Projected stock and cumulative ATP of ``item`` at ``location`` per horizon day.

        Stock and scheduled receipts only, as ``oms-plan atp`` shows them (the plan state's
        new supply for open lines is left out); reservations held count as commitments.

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
            # Stock and scheduled receipts only (SCHEMA.md projection): the new supply of the
            # plan state (CTP covering open lines) is left out, as ``oms-plan atp`` does.
            plan = self._engine.plan_rows if self._engine is not None else None
            proj = ledger_projection(self.ledger, self.dataset, [b], plan)
            return proj[["date", "on_hand", "atp"]].reset_index(drop=True)

    def projection(self) -> pd.DataFrame:
        """The ``projection`` table of every buffer, reservations included (as :meth:`atp`)."""
        with self._lock:
            plan = self._engine.plan_rows if self._engine is not None else None
            return ledger_projection(self.ledger, self.dataset, None, plan)

    def exceptions(self) -> pd.DataFrame:
        """Over-commitments and receipts or commitments beyond the horizon (``exceptions``)."""
        with self._lock:
            return atp_exceptions(self.ledger, self.dataset)

    def capacity(self) -> pd.DataFrame:
        """Workstation minutes per day: ``capacity``, ``open_orders``, ``booked``, ``free``.

        ``booked`` is what new supply took: covering open order lines (the plan state) and
        reservations held. Requires capable-to-promise (an empty table without it).
        """
        with self._lock:
            if self._engine is None:
                return pd.DataFrame(
                    columns=["workstation", "date", "capacity", "open_orders", "booked", "free"]
                )
            return self._engine.load_frame()

    # -- capable-to-promise -----------------------------------------------------------------
    def _use_ctp(self, ctp: bool | None) -> bool:
        """Whether a call uses CTP; builds the engine on first use by a non-CTP promiser."""
        use = self.ctp if ctp is None else bool(ctp)
        if use and self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = CtpEngine(self.dataset, self.ledger)
                    self._quotes.engine = self._engine
        return use

    def _hold(self, quote: Promise) -> None:
        """Take a quote's ledger legs and minutes for a while (see :meth:`_unhold`)."""
        for leg in quote._legs:
            self.ledger.consume(*leg)
        if quote._loads:
            assert self._engine is not None
            self._engine.apply((), quote._loads)

    def _unhold(self, quote: Promise) -> None:
        if quote._loads:
            assert self._engine is not None
            self._engine.undo((), quote._loads)
        for leg in reversed(quote._legs):
            self.ledger.restore(*leg)

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

    # -- planning -------------------------------------------------------------------------
    def _promise(self, req: Request, rows: Rows | None) -> Promise:
        legs, short, reason = self._planner.plan(req, rows)
        if not req.ctp or self._engine is None:
            return self._quotes.promise(req, legs, short, reason)
        engine = self._engine
        done = combine(
            engine,
            self._ctp_routes(req),
            LineAsk(
                req.item,
                req.quantity,
                req.day,
                req.limit,
                req.partial_ok,
                req.max_shipments,
                req.min_shipment,
            ),
            [(leg.day + leg.route.offset, leg.quantity) for leg in legs],
            short,
            reason,
        )
        if done is None:
            return self._quotes.promise(req, legs, short, reason)
        kept = [legs[k] for k in done.keep]
        return self._quotes.promise(req, kept, done.short, done.reason, done.answer)

    def _ctp_routes(self, req: Request) -> tuple[CtpRoute, ...]:
        assert self._engine is not None
        routes = self._engine.routes(req.item, req.ship_to)
        if req.location is not None:
            routes = tuple(r for r in routes if r.location == req.location)
        return routes

    def _complete(self, reqs: list[Request]) -> list[Promise]:
        if reqs and reqs[0].ctp and self._engine is not None:
            routes = [self._ctp_routes(req) for req in reqs]
            return promise_complete_ctp(self._planner, self._quotes, self._engine, reqs, routes)
        return promise_complete(self._planner, self._quotes, reqs)
