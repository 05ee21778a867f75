"""Copy-on-write views of the ATP ledger's rows, for planning one answer before it is held."""

from __future__ import annotations

import math

import numpy as np

from oms_plan.atp.ledger import AtpLedger, FloatArray, apply_consume


class Rows:
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
