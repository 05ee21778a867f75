"""Stock and receipts first, new supply for the rest: how a CTP answer joins an ATP answer.

The promiser first plans a line from stock and receipts (ATP, docs/promising.md). When that
answer is late or short, new supply may do better:

* **A** — the ATP answer as it is;
* **B** — its on-time shipments, and the rest of the line from new supply in one shipment
  (for a line that ships whole — ``partial_ok=False`` or ``max_shipments=1`` — the whole line
  from new supply);
* **C** — all its shipments, and its short quantity from new supply (partial lines only).

The answer is the one with the least short quantity, then the earliest last delivery, then
the fewest shipments; ties keep the earlier of A, B, C (stock first). ``max_shipments`` and
``min_shipment`` hold for B and C as for any answer; new supply of a partial line may be
less than asked (what can be made by the lateness limit and the horizon), the rest short.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oms_plan.atp.ledger import EPS
from oms_plan.ctp.engine import CtpAnswer, CtpEngine, CtpRoute


@dataclass(frozen=True, slots=True)
class LineAsk:
    """What the combination needs to know about a line (days from plan start)."""

    item: str
    quantity: float
    requested: int
    limit: int
    partial_ok: bool
    max_shipments: int | None
    min_shipment: float


@dataclass(frozen=True, slots=True)
class Combined:
    """The chosen answer: which ATP legs stay, the new-supply answer, the short quantity.

    Attributes
    ----------
    keep
        Positions of the ATP legs kept.
    answer
        New supply (``None``: none).
    short
        Quantity short.
    reason
        Why the short quantity is short (a binding); ``None`` when nothing is.

    """

    keep: tuple[int, ...]
    answer: CtpAnswer | None
    short: float
    reason: str | None


def combine(
    engine: CtpEngine,
    routes: tuple[CtpRoute, ...],
    ask: LineAsk,
    legs: Sequence[tuple[int, float]],
    short: float,
    reason: str | None,
) -> Combined | None:
    """The best of A, B and C (module doc), or ``None`` when A stands as it is.

    Parameters
    ----------
    engine
        The CTP engine (its state already holds the ATP answer's takes, if it must).
    routes
        New-supply routes of the line (item, region, and the line's location if fixed).
    ask
        The line.
    legs
        ``(delivery day, quantity)`` of each ATP shipment.
    short, reason
        The ATP answer's short quantity and its reason.

    Returns
    -------
    Combined or None
        ``None`` when the ATP answer is on time and complete, or when nothing beats it
        (its short reason is then the new supply's, if new supply was asked for the rest).

    """
    late = [k for k, (day, _) in enumerate(legs) if day > ask.requested]
    if short <= EPS and not late:
        return None
    whole = not ask.partial_ok or ask.max_shipments == 1
    last_a = max((day for day, _ in legs), default=-1)
    best_key = (short, last_a, len(legs))
    best: Combined | None = None
    why_new: str | None = None

    on_time = tuple(k for k in range(len(legs)) if k not in late) if not whole else ()
    rest = ask.quantity - sum(legs[k][1] for k in on_time)
    if rest > EPS and _room(ask, len(on_time)):
        answer, why = engine.quote(ask.item, routes, rest, ask.requested, ask.limit, whole=whole)
        why_new = why
        if answer is not None and _big_enough(ask, answer.quantity):
            b_short = rest - answer.quantity
            last = max([answer.delivery, *(legs[k][0] for k in on_time)])
            key = (b_short, last, len(on_time) + 1)
            if _better(key, best_key):
                best_key = key
                best = Combined(on_time, answer, b_short if b_short > EPS else 0.0, why)
    if not whole and late and short > EPS and _room(ask, len(legs)):
        answer, why = engine.quote(ask.item, routes, short, ask.requested, ask.limit, whole=False)
        if answer is not None and _big_enough(ask, answer.quantity):
            c_short = short - answer.quantity
            key = (c_short, max(last_a, answer.delivery), len(legs) + 1)
            if _better(key, best_key):
                best_key = key
                best = Combined(
                    tuple(range(len(legs))), answer, c_short if c_short > EPS else 0.0, why
                )
        elif why_new is None:
            why_new = why
    if best is not None:
        return best
    if short > EPS and why_new is not None:
        # A stands, but its short part is short because new supply could not make it either.
        return Combined(tuple(range(len(legs))), None, short, why_new)
    return None


def _room(ask: LineAsk, shipments: int) -> bool:
    """Whether one more shipment is allowed after ``shipments``."""
    return ask.max_shipments is None or shipments + 1 <= ask.max_shipments


def _big_enough(ask: LineAsk, quantity: float) -> bool:
    """``min_shipment``: no shipment below it, unless it is the whole line."""
    return quantity >= ask.min_shipment - EPS or quantity >= ask.quantity - EPS


def _better(key: tuple[float, int, int], than: tuple[float, int, int]) -> bool:
    short, last, count = key
    o_short, o_last, o_count = than
    if short < o_short - EPS:
        return True
    if short > o_short + EPS:
        return False
    return (last, count) < (o_last, o_count)
