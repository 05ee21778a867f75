"""Time-phased available-to-promise per buffer (item@location), updated in place.

For a buffer, let ``net[t]`` be stock (day 0) plus scheduled receipts due on day ``t``, minus
the commitments (open order lines at their ship-from location on their ship day) and the
reservations consuming on day ``t``. The ledger keeps two rows of ``horizon_days`` floats per
buffer:

* ``cum[t] = net[0] + … + net[t]`` — the projected end-of-day stock (negative means more is
  committed than stock and receipts can cover by then: over-commitment);
* ``smin[t] = min(cum[t], cum[t+1], …, cum[H-1])`` — its suffix minimum.

Cumulative ATP with backward look-ahead is ``atp[t] = max(0, smin[t])``: shipping ``q`` on day
``t`` lowers ``cum[s]`` for every ``s ≥ t``, which takes nothing from a commitment exactly when
``q ≤ smin[t]``. ``smin`` is non-decreasing, so the earliest day with ``q`` available is one
binary search. A reservation of ``q`` on day ``d`` updates both rows over ``[d, H)`` by a
constant and ``smin[:d]`` by a running minimum: one or two numpy calls on one row, never a
rebuild (``cum`` catches up lazily, when a projection or a release reads it).

Events on or after ``horizon_days`` (beyond the horizon) are not in the rows; they are kept
for exceptions. Past-due ones count on day 0 (the timeline already does that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.timeline import demand_events, supply_events

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Quantities closer than this count as equal (float sums of reservations drift a little).
EPS = 1e-7


@dataclass(frozen=True, slots=True)
class Receipt:
    """A supply event that makes quantity available at a buffer on a day."""

    day: int
    quantity: float
    source: str


class AtpLedger:
    """ATP rows of every buffer that holds stock, receipts or commitments.

    Build with :meth:`from_dataset`. Buffers are numbered in item order, then location order
    of the dataset; :meth:`buffer` maps ``(item, location)`` to that number (``None`` when the
    buffer has nothing at all, i.e. ATP is zero on every day).

    Parameters
    ----------
    dataset
        The dataset whose horizon, items and locations the rows refer to.
    buffers
        ``(item, location)`` per buffer, in buffer order.
    net
        Array ``(len(buffers), horizon_days)`` of net quantities per day.
    receipts
        Per buffer, its receipts in day order (stock first on day 0); used to explain dates.

    """

    def __init__(
        self,
        dataset: Dataset,
        buffers: list[tuple[str, str]],
        net: FloatArray,
        receipts: list[list[Receipt]],
    ) -> None:
        self.horizon = dataset.horizon_days
        self.buffers: tuple[tuple[str, str], ...] = tuple(buffers)
        self._index = {key: b for b, key in enumerate(self.buffers)}
        self.receipts = receipts
        self._cum: FloatArray = np.cumsum(net, axis=1)
        self.smin: FloatArray = np.ascontiguousarray(
            np.minimum.accumulate(self._cum[:, ::-1], axis=1)[:, ::-1]
        )
        # Reservations lower ``cum`` lazily (it is only read for projections and releases):
        # a reserve is then one slice of one row, plus the prefix minimum when it bites.
        self._pending: dict[int, list[tuple[int, float]]] = {}

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_dataset(cls, dataset: Dataset) -> AtpLedger:
        """Rows for every buffer with stock (an inventory row), receipts or commitments.

        Parameters
        ----------
        dataset
            A loaded dataset.

        Returns
        -------
        AtpLedger
            The ledger with the dataset's commitments and no reservations.

        """
        horizon = dataset.horizon_days
        sup = supply_events(dataset)
        dem = demand_events(dataset)
        dem = dem.loc[dem["location"].notna()]
        inv = dataset.inventory
        keys = pd.concat(
            [sup[["item", "location"]], dem[["item", "location"]], inv[["item", "location"]]],
            ignore_index=True,
        ).drop_duplicates()
        item_pos = keys["item"].map(dataset.item_index).to_numpy(dtype=np.int64)
        loc_pos = keys["location"].map(dataset.location_index).to_numpy(dtype=np.int64)
        order = np.lexsort((loc_pos, item_pos))
        buffers = [
            (str(i), str(loc))
            for i, loc in zip(
                keys["item"].to_numpy()[order], keys["location"].to_numpy()[order], strict=True
            )
        ]
        index = {key: b for b, key in enumerate(buffers)}
        net = np.zeros((len(buffers), horizon), dtype=np.float64)
        receipts: list[list[Receipt]] = [[] for _ in buffers]

        inside = sup.loc[~sup["beyond_horizon"].to_numpy(dtype=bool)]
        s_buf = _buffer_numbers(inside, index)
        s_day = inside["day"].to_numpy(dtype=np.int64)
        s_qty = inside["quantity"].to_numpy(dtype=np.float64)
        np.add.at(net, (s_buf, s_day), s_qty)
        # supply_events is sorted by item, location, day, stock first: receipts stay in order.
        for b, d, q, src in zip(s_buf, s_day, s_qty, inside["source"].to_numpy(), strict=True):
            receipts[int(b)].append(Receipt(int(d), float(q), str(src)))

        inside_d = dem.loc[~dem["beyond_horizon"].to_numpy(dtype=bool)]
        d_buf = _buffer_numbers(inside_d, index)
        np.add.at(
            net,
            (d_buf, inside_d["day"].to_numpy(dtype=np.int64)),
            -inside_d["quantity"].to_numpy(dtype=np.float64),
        )
        return cls(dataset, buffers, net, receipts)

    # -- queries --------------------------------------------------------------------------
    @property
    def num_buffers(self) -> int:
        """Number of buffers with rows."""
        return len(self.buffers)

    def buffer(self, item: str, location: str) -> int | None:
        """Buffer number of ``item`` at ``location``, or ``None`` when it has no row."""
        return self._index.get((item, location))

    @property
    def cum(self) -> FloatArray:
        """Projected end-of-day stock, ``(num_buffers, horizon)``, reservations included."""
        for b in list(self._pending):
            self._flush(b)
        return self._cum

    def atp(self, b: int) -> FloatArray:
        """Cumulative ATP of buffer ``b`` per day (a new array, never below 0)."""
        out: FloatArray = np.maximum(self.smin[b], 0.0)
        return out

    def on_hand(self, b: int) -> FloatArray:
        """Projected end-of-day stock of buffer ``b`` per day (a copy; may be negative)."""
        self._flush(b)
        out: FloatArray = self._cum[b].copy()
        return out

    def available(self, b: int, day: int) -> float:
        """Quantity a new line could take from buffer ``b`` on ``day`` (clamped to the horizon).

        Days before plan start count as day 0 and days after the horizon as its last day.
        """
        day = min(max(day, 0), self.horizon - 1)
        return max(float(self.smin[b, day]), 0.0)

    def earliest(self, b: int, quantity: float, from_day: int = 0) -> int | None:
        """First day ``≥ from_day`` on which ``quantity`` is available at buffer ``b``.

        Returns ``None`` when even the last day of the horizon has less; a ``from_day`` beyond
        the horizon is returned as is when the last day has enough.
        """
        row = self.smin[b]
        first = int(np.searchsorted(row, quantity - EPS, side="left"))
        if first >= self.horizon:
            return None
        return max(first, from_day)

    def source_of(self, b: int, day: int) -> str:
        """The supply that made buffer ``b``'s ATP reach its level on ``day``.

        ``"stock"`` on day 0 when the buffer had stock, else the first receipt due that day
        (``"supply:<id>"``); ``"stock"`` when nothing arrived that day.
        """
        for rec in self.receipts[b]:
            if rec.day == day:
                return rec.source
            if rec.day > day:
                break
        return "stock"

    # -- updates --------------------------------------------------------------------------
    def consume(self, b: int, day: int, quantity: float) -> None:
        """Take ``quantity`` from buffer ``b`` on ``day`` (a reservation); no check here."""
        day = min(day, self.horizon - 1)
        apply_consume(self.smin[b], day, quantity)
        self._pending.setdefault(b, []).append((day, quantity))

    def restore(self, b: int, day: int, quantity: float) -> None:
        """Give back ``quantity`` taken from buffer ``b`` on ``day`` (a release).

        ``cum[day:]`` and ``smin[day:]`` rise by ``quantity``; ``smin[:day]`` is recomputed
        from ``cum`` (a release can lift the minimum of an earlier day).
        """
        day = min(day, self.horizon - 1)
        self._flush(b)
        cum, smin = self._cum[b], self.smin[b]
        cum[day:] += quantity
        smin[day:] += quantity
        if day:
            prefix = np.minimum.accumulate(cum[day - 1 :: -1])[::-1]
            np.minimum(prefix, smin[day], out=smin[:day])

    def _flush(self, b: int) -> None:
        pending = self._pending.pop(b, None)
        if not pending:
            return
        cum = self._cum[b]
        if len(pending) == 1:
            day, qty = pending[0]
            cum[day:] -= qty
            return
        delta = np.zeros(self.horizon)
        for day, qty in pending:
            delta[day] += qty
        cum -= np.cumsum(delta)


def apply_consume(smin: FloatArray, day: int, quantity: float) -> None:
    """Take ``quantity`` on ``day`` from a suffix-minimum row, in place.

    ``smin[day:]`` drops by ``quantity``; as ``smin`` is non-decreasing, ``smin[t]`` for
    ``t < day`` becomes ``min(smin[t], smin[day])`` — nothing to do unless the new
    ``smin[day]`` fell below ``smin[day - 1]``.
    """
    smin[day:] -= quantity
    if day and smin[day - 1] > smin[day]:
        np.minimum(smin[:day], smin[day], out=smin[:day])


def _buffer_numbers(events: pd.DataFrame, index: dict[tuple[str, str], int]) -> IntArray:
    keys = zip(events["item"].to_numpy(), events["location"].to_numpy(), strict=True)
    return np.fromiter((index[(str(i), str(loc))] for i, loc in keys), np.int64, len(events))
