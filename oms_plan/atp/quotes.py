"""Between planned legs and the :class:`~oms_plan.atp.types.Promise` a caller holds.

A quote is plain data: :meth:`QuoteMaker.promise` turns legs into shipments with dates, and
:meth:`QuoteMaker.legs_of` reads the ledger legs back from a quote's public fields, so that
any promiser of the same dataset can reserve it.
"""

from __future__ import annotations

import datetime as dt

from oms_plan.atp.ledger import EPS, AtpLedger
from oms_plan.atp.lines import Leg
from oms_plan.atp.request import Request
from oms_plan.atp.routes import KIND_NAMES, REPLENISH
from oms_plan.atp.types import Promise, QuoteExpiredError, Shipment, ShipmentKind, new_quote_id


class QuoteMaker:
    """Make promises from legs, and legs from promises, for one ledger.

    Parameters
    ----------
    ledger
        The ledger whose buffers the legs name.
    start
        The plan's first day (day 0).

    """

    def __init__(self, ledger: AtpLedger, start: dt.date) -> None:
        self.ledger = ledger
        self._start = start
        self._horizon = ledger.horizon
        self._dates: dict[int, dt.date] = {}

    def date(self, day: int) -> dt.date:
        """The date of horizon day ``day`` (cached: the same few dates recur)."""
        date = self._dates.get(day)
        if date is None:
            date = self._dates[day] = self._start + dt.timedelta(days=day)
        return date

    def promise(self, req: Request, legs: list[Leg], short: float, reason: str | None) -> Promise:
        """The :class:`Promise` of ``req`` shipping ``legs``, with ``short`` not promised."""
        last = self._horizon - 1
        legs = sorted(legs, key=lambda g: g.day + g.route.offset) if len(legs) > 1 else legs
        shipments = []
        ledger_legs = []
        date = self.date
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

    def legs_of(self, promise: Promise) -> tuple[tuple[int, int, float], ...]:
        """Ledger legs ``(buffer, day, quantity)`` of a promise, from its public fields.

        Raises
        ------
        QuoteExpiredError
            A shipment takes from a location that has no row of the item here.

        """
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
