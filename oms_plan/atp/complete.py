"""Ship-complete orders: every line arrives together, each in one shipment.

With capable-to-promise a line may ship from new supply: see :func:`promise_complete_ctp`.

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
from oms_plan.atp.routes import REPLENISH
from oms_plan.atp.rows import Rows
from oms_plan.atp.types import Promise
from oms_plan.ctp.engine import CtpAnswer, CtpEngine, CtpRoute


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


def promise_complete_ctp(
    planner: LinePlanner,
    quotes: QuoteMaker,
    engine: CtpEngine,
    reqs: list[Request],
    routes: list[tuple[CtpRoute, ...]],
) -> list[Promise]:
    """Ship-complete with capable-to-promise: a line may ship from stock or new supply.

    As :func:`promise_complete`, where each line's own earliest day is the earlier of its
    whole shipment from stock and receipts and from new supply, and on a candidate day each
    line (in order) ships from stock and receipts if a route has all of it then, else from
    new supply delivered that day — every line seeing the lines before it. Days are tried
    one by one up to the lines' lateness limit (or the horizon); nothing is reserved.

    Parameters
    ----------
    planner, quotes
        As :func:`promise_complete`.
    engine
        The promiser's CTP engine.
    reqs
        The order's lines, in order.
    routes
        New-supply routes of each line.

    Returns
    -------
    list of Promise
        One per line, all delivered on one day, or all short.

    """
    if not reqs:
        return []
    own: list[tuple[int, str | None]] = []
    for req, rts in zip(reqs, routes, strict=True):
        atp_day, atp_binding = _plan_single(planner, req)
        new, why = engine.quote(req.item, rts, req.quantity, req.day, req.limit, whole=True)
        if new is not None and new.delivery < atp_day:
            own.append((new.delivery, new.binding))
        else:
            own.append((atp_day, atp_binding if atp_day < NEVER else why))
    limit = min(r.limit for r in reqs)
    last = (
        planner.horizon
        - 1
        + max(
            [rt.offset for req in reqs for rt in req.routes]
            + [rt.offset for rts in routes for rt in rts]
            + [0]
        )
    )
    day = max(max(req.day for req in reqs), *(d for d, _ in own))
    if all(d < NEVER for d, _ in own):
        while day <= min(limit, last):
            found = _complete_day(planner, engine, reqs, routes, day)
            if found is not None:
                return _complete_promises_ctp(quotes, reqs, found, own, day)
            day += 1
    return [
        quotes.promise(req, [], req.quantity, why if day_own >= NEVER else "stock")
        for req, (day_own, why) in zip(reqs, own, strict=True)
    ]


def _complete_day(
    planner: LinePlanner,
    engine: CtpEngine,
    reqs: list[Request],
    routes: list[tuple[CtpRoute, ...]],
    day: int,
) -> list[Leg | CtpAnswer] | None:
    """Every line delivered on ``day`` (stock first, else new supply), or ``None``."""
    ledger = planner.ledger
    last = planner.horizon - 1
    held: list[Leg | CtpAnswer] = []
    try:
        used: list[str] = []
        for req, rts in zip(reqs, routes, strict=True):
            rows = Rows(ledger)
            ordered = sorted(req.routes, key=lambda rt: rt.location not in used)
            route = next(
                (
                    rt
                    for rt in ordered
                    if planner.avail(rt, day - rt.offset, rows) >= req.quantity - EPS
                ),
                None,
            )
            if route is not None:
                leg = planner.take(route, day - route.offset, req.quantity, req.day, rows)
                if route.kind != REPLENISH:
                    ledger.consume(route.buffer, min(leg.day, last), leg.quantity)
                held.append(leg)
                used.append(route.location)
                continue
            new, _ = engine.quote(req.item, rts, req.quantity, day, day, whole=True)
            if new is None:
                return None
            engine.apply(new.takes, new.loads)
            held.append(new)
            used.append(new.route.location)
        return list(held)
    finally:
        for got in reversed(held):
            if isinstance(got, CtpAnswer):
                engine.undo(got.takes, got.loads)
            elif got.route.kind != REPLENISH:
                ledger.restore(got.route.buffer, min(got.day, last), got.quantity)


def _complete_promises_ctp(
    quotes: QuoteMaker,
    reqs: list[Request],
    found: list[Leg | CtpAnswer],
    own: list[tuple[int, str | None]],
    day: int,
) -> list[Promise]:
    limiting = next((b for d, b in own if d == day and b is not None), None)
    out = []
    for req, got, (own_day, _) in zip(reqs, found, own, strict=True):
        wait = limiting is not None and own_day < day and day > req.day
        if isinstance(got, CtpAnswer):
            if wait:
                got = dataclasses.replace(got, binding=limiting)  # type: ignore[arg-type]
            out.append(quotes.promise(req, [], 0.0, None, got))
        else:
            leg = Leg(got.route, got.day, got.quantity, limiting) if wait else got  # type: ignore[arg-type]
            out.append(quotes.promise(req, [leg], 0.0, None))
    return out
