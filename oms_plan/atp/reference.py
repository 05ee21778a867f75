"""A naive reference promiser: the promising rules, day by day, in plain Python.

:class:`ReferencePromiser` answers the same questions as :class:`~oms_plan.atp.Promiser`
with none of its speed: every buffer is a list of net quantities per day, ATP on a day is
recomputed from scratch as the minimum of the running balance from that day on, and every
"earliest day" is a scan from the first candidate day upwards. It exists for the tests, which
check on random small networks that the fast promiser gives exactly its shipments, short
quantities and bindings; it is far too slow for anything else.

The rules (docs/promising.md), for a line of quantity ``q`` requested for delivery day ``r``,
each route taking its quantity ``offset`` days before delivery and no earlier than its
``min_day``:

1. **One shipment, earliest delivery**: per route, the first take day ``t ≥ max(r - offset,
   min_day)`` with ``q`` available; the earliest delivery wins, ties in route order. New
   supply (replenishment) is available in any quantity from its ``min_day``; stock and
   receipts win ties against it.
2. That single shipment is the promise when it arrives on the first day anything at all
   could arrive, or when the line takes one shipment only (``partial_ok`` false or
   ``max_shipments == 1``; with partial shipments and one shipment allowed, the most one
   route delivers within the lateness limit when no route delivers it all).
3. Otherwise the line is **split**: on the first day anything can arrive, one route that has
   it all ships it, else the routes in order ship what they have (keeping one shipment back
   when ``max_shipments`` is set); the rest ships whole on the earliest day one route has it,
   else on the earliest day the routes together have it, else what they have when their
   total stops growing. Whatever cannot arrive by ``r + max_days_late`` is short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oms_plan.atp.ledger import EPS, AtpLedger
from oms_plan.atp.routes import REPLENISH, TRANSFER, Route, RouteTable
from oms_plan.dataset import Dataset
from oms_plan.timeline import demand_events, supply_events

_NEVER = 1 << 40


@dataclass(frozen=True, slots=True)
class ReferenceShipment:
    """One shipment of a reference answer (days are horizon day indices)."""

    location: str
    quantity: float
    take_day: int
    delivery_day: int
    binding: str
    kind: int
    source_location: str


@dataclass(frozen=True, slots=True)
class ReferenceAnswer:
    """Shipments in delivery order, the short quantity and its reason (or ``None``)."""

    shipments: tuple[ReferenceShipment, ...]
    short: float
    short_reason: str | None


@dataclass(frozen=True, slots=True)
class _Line:
    quantity: float
    day: int
    limit: int
    routes: tuple[Route, ...]
    partial_ok: bool
    max_shipments: int | None
    min_shipment: float
    integral: bool


class ReferencePromiser:
    """Promise lines by brute force (see the module docstring for the rules).

    Parameters
    ----------
    dataset
        The dataset to promise from: stock and receipts are supply, open order lines are
        commitments at their ship-from location on their ship day.

    """

    def __init__(self, dataset: Dataset) -> None:
        self.horizon = dataset.horizon_days
        self._start = dataset.start
        # The ledger only numbers the buffers and names receipts; the rows are rebuilt here.
        numbering = AtpLedger.from_dataset(dataset)
        self._numbering = numbering
        self._routes = RouteTable(dataset, numbering)
        self.net: list[list[float]] = [[0.0] * self.horizon for _ in numbering.buffers]
        for ev in supply_events(dataset).itertuples(index=False):
            if int(ev.day) < self.horizon:
                b = numbering.buffer(str(ev.item), str(ev.location))
                assert b is not None
                self.net[b][int(ev.day)] += float(ev.quantity)
        for ev in demand_events(dataset).itertuples(index=False):
            if ev.location is not None and int(ev.day) < self.horizon:
                b = numbering.buffer(str(ev.item), str(ev.location))
                assert b is not None
                self.net[b][int(ev.day)] -= float(ev.quantity)
        self._integral = dict(
            zip(dataset.items["item"], dataset.items["integral"].astype(bool), strict=True)
        )

    # -- ATP by definition ----------------------------------------------------------------
    def available(self, b: int, t: int) -> float:
        """ATP of buffer ``b`` on day ``t`` (clamped to the horizon), possibly negative.

        The smallest running balance from ``t`` to the end of the horizon: what a shipment
        on ``t`` can take without leaving any later day short of its commitments.
        """
        t = min(max(t, 0), self.horizon - 1)
        balance = sum(self.net[b][: t + 1])
        lowest = balance
        for s in range(t + 1, self.horizon):
            balance += self.net[b][s]
            lowest = min(lowest, balance)
        return lowest

    def take(self, b: int, t: int, quantity: float) -> None:
        """Consume ``quantity`` at buffer ``b`` on day ``t`` (clamped to the horizon)."""
        self.net[b][min(t, self.horizon - 1)] -= quantity

    def first_day_with(self, b: int, quantity: float, from_day: int = 0) -> int | None:
        """The first day ``≥ from_day`` with ``quantity`` available at ``b`` (a scan)."""
        for t in range(max(from_day, 0), self.horizon):
            if self.available(b, t) >= quantity - EPS:
                return t
        return None

    # -- one line -------------------------------------------------------------------------
    def promise(
        self,
        item: str,
        quantity: float,
        ship_to: str,
        requested_day: int,
        *,
        partial_ok: bool = True,
        max_shipments: int | None = None,
        min_shipment: float = 0.0,
        max_days_late: int | None = None,
        location: str | None = None,
        replenish: bool = False,
        reserve: bool = False,
    ) -> ReferenceAnswer:
        """Answer one line; with ``reserve`` its takes stay applied (for the next line)."""
        routes = tuple(
            rt
            for rt in self._routes.routes(item, ship_to)
            if (replenish or rt.kind != REPLENISH) and (location is None or rt.location == location)
        )
        line = _Line(
            quantity=float(quantity),
            day=requested_day,
            limit=_NEVER if max_days_late is None else requested_day + max_days_late,
            routes=routes,
            partial_ok=partial_ok,
            max_shipments=max_shipments,
            min_shipment=float(min_shipment),
            integral=self._integral[item],
        )
        saved = [row.copy() for row in self.net]
        shipments, short, reason = self._plan(line)
        if not reserve:
            self.net = saved
        shipments.sort(key=lambda s: s.delivery_day)
        if short <= EPS:
            return ReferenceAnswer(tuple(shipments), 0.0, None)
        return ReferenceAnswer(tuple(shipments), short, reason)

    def _plan(self, line: _Line) -> tuple[list[ReferenceShipment], float, str]:
        q, r = line.quantity, line.day
        if not line.routes:
            return [], q, "transit"
        first_any = self._first_anything(line, r)
        best = self._earliest_whole(line, q, r, stock_only=True)
        new = self._earliest_whole(line, q, r, replenishment_only=True)
        whole_only = not line.partial_ok or line.max_shipments == 1
        if (
            best is not None
            and (whole_only or _delivery(best) <= first_any)
            and (new is None or _delivery(best) <= _delivery(new))
        ):
            return [self._ship(line, *best, q)], 0.0, ""
        if whole_only and new is not None:
            return [self._ship(line, *new, q)], 0.0, ""
        if not line.partial_ok or first_any > line.limit:
            return [], q, self._short_reason(line)
        if line.max_shipments == 1:
            one = self._most_from_one_route(line, q, first_any)
            shipped = [] if one is None else [one]
            rest = q - sum(s.quantity for s in shipped)
            if rest <= EPS:
                return shipped, 0.0, ""
            return shipped, rest, self._short_reason(line)
        return self._split(line, first_any)

    def _first_anything(self, line: _Line, r: int) -> int:
        """The first delivery day on which some route has anything to ship."""
        first = _NEVER
        for rt in line.routes:
            t0 = max(r - rt.offset, rt.min_day)
            if rt.kind == REPLENISH:
                first = min(first, t0 + rt.offset)
                continue
            for t in range(t0, max(t0, self.horizon - 1) + 1):
                if self.available(rt.buffer, t) > EPS:
                    first = min(first, t + rt.offset)
                    break
        return first

    def _earliest_whole(
        self,
        line: _Line,
        quantity: float,
        from_delivery: int,
        *,
        stock_only: bool = False,
        replenishment_only: bool = False,
    ) -> tuple[Route, int] | None:
        """The route and take day delivering all of ``quantity`` earliest, ties in order."""
        best: tuple[Route, int] | None = None
        for rt in line.routes:
            if (stock_only and rt.kind == REPLENISH) or (
                replenishment_only and rt.kind != REPLENISH
            ):
                continue
            t0 = max(from_delivery - rt.offset, rt.min_day, 0)
            if rt.kind == REPLENISH:
                t: int | None = t0
            elif t0 >= self.horizon - 1:
                t = t0 if self.available(rt.buffer, t0) >= quantity - EPS else None
            else:
                t = self.first_day_with(rt.buffer, quantity, t0)
            if t is None or t + rt.offset > line.limit:
                continue
            if best is None or t + rt.offset < _delivery(best):
                best = (rt, t)
        return best

    def _split(self, line: _Line, first_day: int) -> tuple[list[ReferenceShipment], float, str]:
        shipped: list[ReferenceShipment] = []
        remaining = self._wave(line, first_day, line.quantity, shipped, keep_one=True)
        left = None if line.max_shipments is None else line.max_shipments - len(shipped)
        if remaining > EPS and (left is None or left > 0):
            whole = self._earliest_whole(line, remaining, first_day)
            if whole is not None:
                shipped.append(self._ship(line, *whole, remaining))
                remaining = 0.0
            elif left == 1:
                one = self._most_from_one_route(line, remaining, first_day)
                if one is not None:
                    shipped.append(one)
                    remaining -= one.quantity
            else:
                all_day, most_day = self._combined_days(line, remaining, first_day)
                for day in (all_day, most_day):
                    if day is not None and remaining > EPS:
                        remaining = self._wave(line, day, remaining, shipped, keep_one=False)
        if remaining <= EPS:
            return shipped, 0.0, ""
        return shipped, remaining, self._short_reason(line)

    def _have(self, rt: Route, take_day: int) -> float:
        if take_day < rt.min_day or take_day < 0:
            return 0.0
        if rt.kind == REPLENISH:
            return math.inf
        return max(self.available(rt.buffer, take_day), 0.0)

    def _wave(
        self,
        line: _Line,
        day: int,
        remaining: float,
        shipped: list[ReferenceShipment],
        *,
        keep_one: bool,
    ) -> float:
        """Ship on delivery ``day``: all from one stock route if one has it, else what each has."""
        if day > line.limit:
            return remaining
        for rt in line.routes:
            if rt.kind != REPLENISH and self._have(rt, day - rt.offset) >= remaining - EPS:
                shipped.append(self._ship(line, rt, day - rt.offset, remaining))
                return 0.0
        spare = 1 if keep_one else 0
        for rt in line.routes:
            if line.max_shipments is not None and line.max_shipments - len(shipped) <= spare:
                break
            take = self._shippable(line, self._have(rt, day - rt.offset), remaining)
            if take > EPS:
                shipped.append(self._ship(line, rt, day - rt.offset, take))
                remaining -= take
                if remaining <= EPS:
                    return 0.0
        return remaining

    def _shippable(self, line: _Line, have: float, remaining: float) -> float:
        if line.integral and have < remaining:
            have = math.floor(have + EPS)
        take = min(have, remaining)
        m = line.min_shipment
        if m > 0 and take < remaining - EPS:
            if remaining - take < m - EPS:
                take = remaining - m
            if take < m - EPS:
                return 0.0
        return take

    def _combined_days(
        self, line: _Line, quantity: float, from_day: int
    ) -> tuple[int | None, int | None]:
        """When the stock routes together first have ``quantity``; when their total peaks.

        Both are delivery days from ``from_day`` on; each buffer counts once, through its
        fastest route.
        """
        fastest: dict[int, Route] = {}
        for rt in line.routes:
            if rt.kind != REPLENISH and (
                rt.buffer not in fastest or rt.offset < fastest[rt.buffer].offset
            ):
                fastest[rt.buffer] = rt
        if not fastest:
            return None, None
        end = min(line.limit, self.horizon - 1 + max(rt.offset for rt in fastest.values()))

        def total(delivery: int) -> float:
            return sum(
                max(self.available(rt.buffer, delivery - rt.offset), 0.0)
                for rt in fastest.values()
                if delivery - rt.offset >= 0
            )

        days = range(from_day, end + 1)
        all_day = next((d for d in days if total(d) >= quantity - EPS), None)
        final = total(end) if end >= from_day else 0.0
        most_day = next((d for d in days if total(d) >= final - EPS), None) if final > EPS else None
        return all_day, most_day

    def _most_from_one_route(
        self, line: _Line, remaining: float, from_day: int
    ) -> ReferenceShipment | None:
        """The most of ``remaining`` one stock route delivers by the limit, earliest."""
        most, chosen = 0.0, None
        for rt in line.routes:
            if rt.kind == REPLENISH:
                continue
            last = self.horizon - 1
            if line.limit < _NEVER:
                last = min(line.limit - rt.offset, last)
            if last < max(from_day - rt.offset, 0):
                continue
            have = self._have(rt, last)
            if line.integral:
                have = math.floor(have + EPS)
            have = min(have, remaining)
            if have > most + EPS and have >= line.min_shipment - EPS:
                most, chosen = have, rt
        if chosen is None:
            return None
        ready = self.first_day_with(chosen.buffer, most) or 0
        return self._ship(line, chosen, max(ready, from_day - chosen.offset, 0), most)

    def _short_reason(self, line: _Line) -> str:
        """``stock`` when some route reaches the region in time, else the lane or lead time."""
        reach = min(max(line.day - rt.offset, rt.min_day) + rt.offset for rt in line.routes)
        if reach <= line.limit:
            return "stock"
        lane_only = min(rt.transit for rt in line.routes)
        return "transit" if max(line.day, lane_only) > line.limit else "lead_time"

    def _ship(self, line: _Line, rt: Route, take_day: int, quantity: float) -> ReferenceShipment:
        """Take ``quantity`` through ``rt`` on ``take_day``; name what bound its date."""
        if rt.kind == REPLENISH:
            binding = "lead_time"
        else:
            ready = self.first_day_with(rt.buffer, quantity)
            ready = self.horizon if ready is None else ready
            wanted = line.day - rt.offset
            if wanted < 0 and ready == 0:  # on hand now, but the lane itself is too slow
                on_time_lane = rt.kind == TRANSFER and line.day >= rt.transit
                binding = "lead_time" if on_time_lane else "transit"
            else:
                binding = self._numbering.source_of(rt.buffer, ready)
            self.take(rt.buffer, take_day, quantity)
        return ReferenceShipment(
            location=rt.location,
            quantity=quantity,
            take_day=take_day,
            delivery_day=take_day + rt.offset,
            binding=binding,
            kind=rt.kind,
            source_location=rt.source_location,
        )


def _delivery(choice: tuple[Route, int]) -> int:
    return choice[1] + choice[0].offset
