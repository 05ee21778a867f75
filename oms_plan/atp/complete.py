"""Ship-complete orders: every line arrives together, each in one shipment.

The order's delivery day is the earliest day, never before its latest requested date, on
which every line can be delivered in full; a line ships from a location an earlier line
already uses when that is as early. If no such day falls within the lines' lateness limits,
every line is short.
"""

from __future__ import annotations

import dataclasses

from oms_plan.atp.ledger import EPS
from oms_plan.atp.lines import Leg, LinePlanner
from oms_plan.atp.quotes import QuoteMaker
from oms_plan.atp.request import NEVER, Request
from oms_plan.atp.rows import Rows
from oms_plan.atp.types import Promise


def promise_complete(
    planner: LinePlanner, quotes: QuoteMaker, reqs: list[Request]
) -> list[Promise]:
    """Promise the lines of one ship-complete order together (nothing is reserved).

    Parameters
    ----------
    planner
        Plans against the promiser's ledger.
    quotes
        Turns the planned legs into promises.
    reqs
        The order's lines, in order.

    Returns
    -------
    list of Promise
        One per line, all delivered on one day, or all short.

    """
    if not reqs:
        return []
    own = [_plan_single(planner, req) for req in reqs]
    limit = min(req.limit for req in reqs)
    day: int | None = max(max(req.day for req in reqs), *(d for d, _ in own))
    if any(d >= NEVER for d, _ in own):
        day = None
    while day is not None and day <= limit:
        rows = Rows(planner.ledger)
        legs: list[Leg] = []
        used: list[str] = []
        for req in reqs:
            ordered = sorted(req.routes, key=lambda rt: rt.location not in used)
            route = next(
                (
                    rt
                    for rt in ordered
                    if planner.avail(rt, day - rt.offset, rows) >= req.quantity - EPS
                ),
                None,
            )
            if route is None:
                break
            legs.append(planner.take(route, day - route.offset, req.quantity, req.day, rows))
            used.append(route.location)
        if len(legs) == len(reqs):
            return _complete_promises(quotes, reqs, legs, own, day)
        base = Rows(planner.ledger)
        nexts = [planner.next_day(req.routes, day, base) for req in reqs]
        day = min((d for d in nexts if d is not None), default=None)
    return [
        quotes.promise(req, [], req.quantity, planner.short_reason(req, day_own))
        for req, (day_own, _) in zip(reqs, own, strict=True)
    ]


def _plan_single(planner: LinePlanner, req: Request) -> tuple[int, str | None]:
    """Earliest delivery of the whole line in one shipment on its own, and its binding."""
    single = dataclasses.replace(req, partial_ok=False)
    legs, _, _ = planner.plan(single, None)
    if not legs:
        return NEVER, None
    return legs[0].day + legs[0].route.offset, legs[0].binding


def _complete_promises(
    quotes: QuoteMaker,
    reqs: list[Request],
    legs: list[Leg],
    own: list[tuple[int, str | None]],
    day: int,
) -> list[Promise]:
    # A line that could have come earlier on its own waits for the line that set the day.
    limiting = next((b for d, b in own if d == day and b is not None), None)
    out = []
    for req, leg, (own_day, _) in zip(reqs, legs, own, strict=True):
        if limiting is not None and own_day < day and day > req.day:
            leg = Leg(leg.route, leg.day, leg.quantity, limiting)
        out.append(quotes.promise(req, [leg], 0.0, None))
    return out
