"""Planning one line: which routes ship how much on which day (the rules of docs/promising.md).

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

:class:`LinePlanner` reads the ledger and, for answers of several legs, a :class:`Rows`
view that sees the legs already planned; it never changes the ledger.
:mod:`oms_plan.atp.reference` states the same rules naively, and the tests hold the two equal.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from oms_plan.atp.ledger import EPS, AtpLedger
from oms_plan.atp.request import NEVER as _NEVER
from oms_plan.atp.request import Request
from oms_plan.atp.routes import REPLENISH, TRANSFER, Route
from oms_plan.atp.rows import Rows


@dataclass(frozen=True, slots=True)
class Leg:
    """One planned shipment: a route, the day it takes its quantity, and what bound it."""

    route: Route
    day: int  # day the quantity is taken at route.buffer (or supplied, for replenishment)
    quantity: float
    binding: str


class LinePlanner:
    """Plan lines against an ATP ledger (read only).

    Parameters
    ----------
    ledger
        The ledger whose rows are read; reservations are applied to it by the promiser.

    """

    def __init__(self, ledger: AtpLedger) -> None:
        self.ledger = ledger
        self.horizon = ledger.horizon

    def plan(self, req: Request, rows: Rows | None) -> tuple[list[Leg], float, str | None]:
        """Legs, short quantity and short reason of ``req``; ``rows`` sees earlier legs."""
        routes, qty, r, limit = req.routes, req.quantity, req.day, req.limit
        if not routes:
            return [], qty, "transit"
        horizon = self.horizon
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
            return [], qty, self.short_reason(req, first_possible)
        rows = rows if rows is not None else Rows(self.ledger)
        if req.max_shipments == 1:
            # No route delivers all of it within the limit (that would have been returned
            # above), and every later delivery day only comes later: what _split would
            # come to is the most one route has, without its first wave and searches.
            leg = self._most_from_one_route(req, qty, first_possible, rows)
            rest = qty if leg is None else qty - leg.quantity
            if rest <= EPS:
                return [leg] if leg is not None else [], 0.0, None
            return [leg] if leg is not None else [], rest, self.short_reason(req, first_possible)
        return self._split(req, first, first_possible, rows)

    def _first_available(self, req: Request, rows: Rows | None) -> int:
        """Earliest delivery day on which some route has anything at all to ship."""
        first = _NEVER
        horizon, smin = self.horizon, self.ledger.smin
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
        self, req: Request, first_day: int, reach: int, rows: Rows
    ) -> tuple[list[Leg], float, str | None]:
        """Partial shipments: what there is on the first day, then the rest in one go.

        1. On ``first_day`` (the first delivery day anything can arrive) one route that has
           everything ships it; otherwise routes in tie-break order ship what they have.
        2. The rest ships as one shipment on the earliest day a single route has all of it;
           failing that, on the earliest day the routes together have it (one shipment per
           route); failing that, what they have on the day their total stops growing
           (within the lateness limit), and the remainder is short.
        With ``max_shipments``, step 1 leaves one shipment for step 2.
        """
        last = self.horizon - 1
        # Taking only lowers ATP, so a route with nothing on the last day stays empty.
        routes = [
            rt for rt in req.routes if rt.kind == REPLENISH or rows.value(rt.buffer, last) > EPS
        ]
        legs: list[Leg] = []
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
                    legs.append(self.take(whole[0], whole[1], remaining, req.day, rows))
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
        return legs, remaining, self.short_reason(req, reach)

    def _wave(
        self,
        req: Request,
        routes: Sequence[Route],
        day: int,
        remaining: float,
        rows: Rows,
        legs: list[Leg],
        *,
        keep_one: bool,
    ) -> float:
        """Ship on delivery ``day``: all from one route if one has it, else what each has."""
        if day > req.limit:
            return remaining
        r = req.day
        # Stock and receipts first: new supply only covers what they cannot.
        avail: list[float] = []
        last, value = self.horizon - 1, rows.value
        for route in routes:
            t = day - route.offset
            # self.avail, inlined: this loop reads every route and is the split's hot spot.
            if t < route.min_day or t < 0:
                have = 0.0
            elif route.kind == REPLENISH:
                have = math.inf
            else:
                have = value(route.buffer, t if t < last else last)
                if have >= remaining - EPS:
                    legs.append(self.take(route, t, remaining, r, rows))
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
                have = self.avail(route, t, rows)
            take = self._shippable(req, have, remaining)
            if take <= EPS:
                continue
            legs.append(self.take(route, t, take, r, rows))
            taken.add(route.buffer)
            remaining -= take
            if remaining <= EPS:
                return 0.0
        return remaining

    def _earliest_whole(
        self, req: Request, routes: Sequence[Route], quantity: float, day: int, rows: Rows
    ) -> tuple[Route, int] | None:
        """The route and take day delivering all of ``quantity`` earliest, from ``day`` on."""
        horizon, limit = self.horizon, req.limit
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
        self, req: Request, routes: Sequence[Route], quantity: float, day: int, rows: Rows
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
        horizon = self.horizon
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

    def _last_shipment(self, req: Request, remaining: float, day: int, rows: Rows) -> Leg | None:
        """The one shipment left: all of the rest as early as possible, else the most."""
        whole = self._earliest_whole(req, req.routes, remaining, day, rows)
        if whole is not None:
            return self.take(whole[0], whole[1], remaining, req.day, rows)
        return self._most_from_one_route(req, remaining, day, rows)

    def _most_from_one_route(
        self, req: Request, remaining: float, day: int, rows: Rows
    ) -> Leg | None:
        """The most of ``remaining`` one route delivers from ``day`` to the limit, earliest."""
        horizon, limit = self.horizon, req.limit
        most, most_route = 0.0, None
        for route in req.routes:
            if route.kind == REPLENISH:
                continue
            last = horizon - 1 if limit >= _NEVER else min(limit - route.offset, horizon - 1)
            if last < max(day - route.offset, 0):
                continue
            avail = self.avail(route, last, rows)
            if req.integral:
                avail = math.floor(avail + EPS)
            avail = min(avail, remaining)
            if avail > most + EPS and avail >= req.min_shipment - EPS:
                most, most_route = avail, route
        if most_route is None:
            return None
        row = rows.smin(most_route.buffer)
        t = max(int(row.searchsorted(most - EPS)), day - most_route.offset, 0)
        return self.take(most_route, t, most, req.day, rows)

    def avail(self, route: Route, t: int, rows: Rows) -> float:
        """What ``route`` can take on day ``t`` (0 before its first day; new supply: unbounded)."""
        if t < route.min_day or t < 0:
            return 0.0
        if route.kind == REPLENISH:
            return math.inf
        last = self.horizon - 1
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

    def next_day(self, routes: Sequence[Route], day: int, rows: Rows) -> int | None:
        """The next delivery day after ``day`` on which some route has more available."""
        best: int | None = None
        horizon = self.horizon
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

    def take(self, route: Route, t: int, qty: float, r: int, rows: Rows) -> Leg:
        """Plan taking ``qty`` through ``route`` on day ``t`` (requested day ``r``) in ``rows``."""
        leg = self._leg(route, t, qty, r, rows)
        if route.kind != REPLENISH:
            rows.take(route.buffer, t, qty)
        return leg

    def _leg(self, route: Route, t: int, qty: float, r: int, rows: Rows | None) -> Leg:
        """A leg taking ``qty`` on day ``t``, with what bound its date (SCHEMA bindings)."""
        if route.kind == REPLENISH:
            return Leg(route, t, qty, "lead_time")
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
        return Leg(route, t, qty, binding)

    def short_reason(self, req: Request, first_possible: int) -> str:
        """Why a quantity is short: ``stock`` when a route reaches the region in time."""
        if first_possible <= req.limit:
            return "stock"
        lane_only = min((rt.transit for rt in req.routes), default=_NEVER)
        return "transit" if max(req.day, lane_only) > req.limit else "lead_time"
