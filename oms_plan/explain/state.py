"""Changing one lever of a promiser's state for one re-solve, and putting it back exactly.

Each change is a context manager: inside it the promiser's ATP ledger (or its free
workstation minutes) holds the changed state; on exit the rows it touched are copied back
from a snapshot taken before, so a thousand what-ifs leave no float drift behind and the
promises made afterwards are those the promiser would have made without them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # types only: oms_plan.atp imports this package at run time
    from oms_plan.atp.ledger import AtpLedger
    from oms_plan.atp.reservations import Reservation
    from oms_plan.ctp.engine import CtpEngine


@contextmanager
def ledger_rows(ledger: AtpLedger, buffers: Sequence[int]) -> Iterator[None]:
    """Restore the rows of ``buffers`` to their state on entry when the block exits."""
    saved = []
    for b in sorted(set(buffers)):
        ledger.on_hand(b)  # applies the reservations pending on the row, so it is whole
        saved.append((b, ledger.smin[b].copy(), ledger.cum[b].copy()))
    try:
        yield
    finally:
        for b, smin, cum in saved:
            ledger.on_hand(b)
            ledger.cum[b][:] = cum
            ledger.smin[b][:] = smin


@contextmanager
def added_units(ledger: AtpLedger, buffer: int, day: int, quantity: float) -> Iterator[None]:
    """``quantity`` more of a buffer from ``day`` on (stock on day 0, or a new receipt)."""
    with ledger_rows(ledger, [buffer]):
        ledger.restore(buffer, max(day, 0), quantity)
        yield


@contextmanager
def moved_receipt(
    ledger: AtpLedger, buffer: int, due: int, days: int, quantity: float
) -> Iterator[None]:
    """A receipt of ``quantity`` due on day ``due`` arrives ``days`` days earlier."""
    with ledger_rows(ledger, [buffer]):
        ledger.restore(buffer, max(due - days, 0), quantity)
        ledger.consume(buffer, due, quantity)
        yield


@contextmanager
def added_minutes(
    engine: CtpEngine, workstation: int, days: Sequence[int], minutes: float
) -> Iterator[None]:
    """``minutes`` more free time on a workstation, spread evenly over ``days``."""
    saved = engine.free[workstation].copy()
    share = minutes / len(days)
    # apply() with negative bookings frees minutes and bumps the row's version, so the
    # search's cached facts about the row are dropped.
    extra = tuple((workstation, d, -share) for d in days)
    engine.apply((), extra)
    try:
        yield
    finally:
        engine.undo((), extra)
        engine.set_free_row(workstation, saved)


@dataclass(frozen=True, slots=True)
class Held:
    """What another line holds: its ledger legs and workstation minutes, and its name.

    Attributes
    ----------
    order, line
        The line.
    legs
        ``(buffer, day, quantity)`` taken from the ATP ledger.
    loads
        ``(workstation, day, minutes)`` booked by its new supply.

    """

    order: str
    line: str
    legs: tuple[tuple[int, int, float], ...]
    loads: tuple[tuple[int, int, float], ...] = ()

    @classmethod
    def of(cls, reservation: Reservation) -> Held | None:
        """A promiser's reservation, when its promise names its order line."""
        p = reservation.promise
        if p.order is None or p.line is None:
            return None
        return cls(str(p.order), str(p.line), reservation.legs, reservation.loads)


@contextmanager
def released(ledger: AtpLedger, engine: CtpEngine | None, held: Held) -> Iterator[None]:
    """What a line holds (stock, components, minutes) given back for a while."""
    buffers = [b for b, _, _ in held.legs]
    with ledger_rows(ledger, buffers):
        for b, day, qty in reversed(held.legs):
            ledger.restore(b, day, qty)
        if held.loads and engine is not None:
            saved = {w: engine.free[w].copy() for w, _, _ in held.loads}
            engine.undo((), held.loads)
            try:
                yield
            finally:
                engine.apply((), held.loads)
                for w, row in saved.items():
                    engine.set_free_row(w, row)
        else:
            yield


def working_days(engine: CtpEngine, workstation: int, first: int, last: int) -> list[int]:
    """Days in ``[first, last]`` (clamped to the horizon) on which the workstation works."""
    lo, hi = max(first, 0), min(last, engine.horizon - 1)
    if hi < lo:
        return []
    row = engine.capacity[workstation, lo : hi + 1]
    return [lo + int(d) for d in np.flatnonzero(row > 0)]
