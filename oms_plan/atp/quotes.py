"""Between planned legs and the :class:`~oms_plan.atp.types.Promise` a caller holds.

A quote is plain data: :meth:`QuoteMaker.promise` turns legs into shipments with dates, and
:meth:`QuoteMaker.legs_of` reads the ledger legs back from a quote's public fields, so that
any promiser of the same dataset can reserve it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from oms_plan.atp.ledger import EPS, AtpLedger
from oms_plan.atp.lines import Leg
from oms_plan.atp.request import Request
from oms_plan.atp.routes import KIND_NAMES, REPLENISH
from oms_plan.atp.types import (
    Promise,
    QuoteExpiredError,
    Shipment,
    ShipmentKind,
    ShipmentSource,
    new_quote_id,
)
from oms_plan.ctp.engine import CtpAnswer, CtpEngine

#: The original source of an ATP leg, by route kind (a receipt's "stock" becomes "supply").
_SOURCES: tuple[ShipmentSource, ...] = ("stock", "transfer", "buy")


class QuoteMaker:
    """Make promises from legs, and legs from promises, for one ledger.

    Parameters
    ----------
    ledger
        The ledger whose buffers the legs name.
    start
        The plan's first day (day 0).

    """

    def __init__(self, ledger: AtpLedger, start: dt.date, engine: CtpEngine | None = None) -> None:
        self.ledger = ledger
        self.engine = engine
        self._start = start
        self._horizon = ledger.horizon
        self._dates: dict[int, dt.date] = {}

    def date(self, day: int) -> dt.date:
        """The date of horizon day ``day`` (cached: the same few dates recur)."""
        date = self._dates.get(day)
        if date is None:
            date = self._dates[day] = self._start + dt.timedelta(days=day)
        return date

    def promise(
        self,
        req: Request,
        legs: list[Leg],
        short: float,
        reason: str | None,
        new: CtpAnswer | None = None,
    ) -> Promise:
        """The :class:`Promise` of ``req`` shipping ``legs``, with ``short`` not promised.

        ``new`` is new supply (capable-to-promise) shipping besides ``legs``.
        """
        last = self._horizon - 1
        legs = sorted(legs, key=lambda g: g.day + g.route.offset) if len(legs) > 1 else legs
        shipments = []
        ledger_legs = []
        date = self.date
        for leg in legs:
            route = leg.route
            delivery = leg.day + route.offset
            kind: ShipmentKind = KIND_NAMES[route.kind]  # type: ignore[assignment]
            source = _SOURCES[route.kind]
            if source == "stock" and leg.binding.startswith("supply:"):
                source = "supply"
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
                    source,
                )
            )
            if route.kind != REPLENISH:
                ledger_legs.append((route.buffer, min(leg.day, last), leg.quantity))
        extra: dict[str, Any] = {}
        if new is not None:
            shipments.append(self._new_shipment(new))
            shipments.sort(key=lambda s: s.delivery_date)  # stable: stock first on a tie
            engine = self.engine
            assert engine is not None  # only a CTP promiser plans new supply
            ledger_legs.extend(new.takes)
            extra = {
                "supplies": engine.public_orders(new.orders),
                "takes": engine.public_takes(new.takes),
                "loads": engine.public_loads(new.loads),
                "_loads": new.loads,
            }
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
            **extra,
        )

    def _new_shipment(self, new: CtpAnswer) -> Shipment:
        """The shipment of new supply: made or bought at the plant, moved, shipped."""
        route = new.route
        date = self.date
        return Shipment(
            route.location,
            new.quantity,
            date(new.completion + route.transfer_lead),
            date(new.delivery),
            new.binding,
            "direct" if route.plant == route.location else "transfer",
            route.plant,
            date(new.completion),
            "make" if route.method == "make" else "buy",
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
            if s.is_new_supply:
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
        if promise.takes or promise.loads:
            legs.extend(self._new_supply_legs(promise)[0])
        return tuple(legs)

    def loads_of(self, promise: Promise) -> tuple[tuple[int, int, float], ...]:
        """Workstation legs ``(workstation, day, minutes)`` of a promise's new supply.

        Raises
        ------
        QuoteExpiredError
            A booking names a workstation or day this promiser does not know.

        """
        if not promise.loads:
            return ()
        return self._new_supply_legs(promise)[1]

    def _new_supply_legs(
        self, promise: Promise
    ) -> tuple[tuple[tuple[int, int, float], ...], tuple[tuple[int, int, float], ...]]:
        if self.engine is None:
            raise QuoteExpiredError(
                f"the promise of {promise.item!r} relies on new production or purchases; "
                "reserve it with a promiser that has capable-to-promise on"
            )
        legs = self.engine.legs_of(promise.takes, promise.loads)
        if isinstance(legs, str):
            raise QuoteExpiredError(f"the promise of {promise.item!r} cannot be reserved: {legs}")
        return legs
