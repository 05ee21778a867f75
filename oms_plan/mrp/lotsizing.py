"""Lot sizing: how much one planned order (or one day's orders) of an item is.

docs/dataset.md (items table): the lot rule turns a net requirement into an order quantity —

``lot_for_lot``  the net requirement itself;
``fixed``        orders of exactly ``lot_size`` each, as many as needed;
``poq``          one order covering the net requirements of the next ``lot_days`` days;
``eoq``          ``max(net requirement, EOQ)`` with EOQ = √(2·D·order_cost / (holding_rate ·
                 unit_cost)), D = the buffer's gross requirement over the horizon scaled to
                 a year —

then, in this order: raise to ``lot_min``, round up to a multiple of ``lot_multiple``, split
above ``lot_max`` into several orders. Integral items are ordered in whole units.

Everything here works on numpy arrays indexed by item (parameters) or by order (quantities),
with a scalar twin where the per-item reference loop needs one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from oms_plan.errors import PlanningError
from oms_plan.lotrules import EOQ as EOQ
from oms_plan.lotrules import FIXED as FIXED
from oms_plan.lotrules import LOT_FOR_LOT as LOT_FOR_LOT
from oms_plan.lotrules import MAX_ORDERS_PER_ITEM as MAX_ORDERS_PER_ITEM
from oms_plan.lotrules import POQ as POQ
from oms_plan.lotrules import RULE_CODES as RULE_CODES
from oms_plan.lotrules import TOL as TOL
from oms_plan.lotrules import adjust_one as adjust_one
from oms_plan.lotrules import lot_rule_problems as lot_rule_problems

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class LotRules:
    """Lot-sizing parameters of every item, as arrays indexed by item.

    Build with :func:`lot_rules`. ``lot_max`` is ``inf`` when there is none; ``cap`` is the
    largest allowed order (``lot_max`` rounded down to the multiple and to whole units),
    ``inf`` without a maximum; ``piece`` is the adjusted size of one ``fixed`` order.
    """

    rule: IntArray
    lot_size: FloatArray
    lot_min: FloatArray
    lot_max: FloatArray
    lot_multiple: FloatArray
    lot_days: IntArray
    order_cost: FloatArray
    unit_cost: FloatArray
    holding_rate: FloatArray
    integral: NDArray[np.bool_]
    safety_stock: FloatArray
    cap: FloatArray
    piece: FloatArray
    ids: NDArray[np.object_] | None = None

    def eoq(self, item: IntArray, gross: FloatArray, horizon_days: int) -> FloatArray:
        """EOQ of buffers of ``item`` whose horizon gross requirement is ``gross``.

        D = gross · 365 / horizon_days. Validation requires a positive holding
        cost (holding_rate · unit_cost) for ``eoq`` items; should it be zero anyway, the
        EOQ is taken as 0 (lot-for-lot).
        """
        holding = self.holding_rate[item] * self.unit_cost[item]
        demand = gross * (365.0 / horizon_days)
        with np.errstate(divide="ignore", invalid="ignore"):
            size = np.sqrt(2.0 * demand * self.order_cost[item] / holding)
        return np.where(holding > 0, size, 0.0)

    def adjust(self, item: IntArray, q: FloatArray) -> FloatArray:
        """Apply lot_min, then lot_multiple, then whole units to quantities ``q`` of ``item``."""
        q = np.maximum(q, self.lot_min[item])
        mult = self.lot_multiple[item]
        q = np.where(mult > 0, np.ceil(q / np.where(mult > 0, mult, 1.0) - TOL) * mult, q)
        return np.where(self.integral[item], np.ceil(q - TOL), q)

    def split_total(self, item: IntArray, q: FloatArray) -> FloatArray:
        """Total quantity once ``q`` (already adjusted) is split above lot_max.

        Pieces are ``cap`` each, the last one the remainder adjusted again, so the total can
        grow a little (for instance 25 with max 10 and min 8 → 10 + 10 + 8).
        """
        cap = self.cap[item]
        over = q > cap + TOL
        if not over.any():
            return q
        full, rest = _full_and_rest(q[over], cap[over])
        out = q.copy()
        out[over] = full * cap[over] + self.adjust(item[over], rest)
        return out

    def split(self, item: IntArray, q: FloatArray) -> tuple[IntArray, FloatArray]:
        """Split adjusted quantities ``q`` into orders of at most lot_max.

        Returns ``(owner, sizes)``: ``sizes`` are the order quantities and ``owner[i]`` the
        position in ``q`` that order ``i`` belongs to (orders of one position are
        consecutive, full pieces first).
        """
        n = len(q)
        cap = self.cap[item]
        over = q > cap + TOL
        count = np.ones(n, dtype=np.int64)
        last = q.copy()
        if over.any():
            full, rest = _full_and_rest(q[over], cap[over])
            count[over] = full.astype(np.int64) + 1
            last[over] = self.adjust(item[over], rest)
        owner = np.repeat(np.arange(n, dtype=np.int64), count)
        sizes = np.repeat(cap, count)
        ends = np.cumsum(count) - 1
        sizes[ends] = last
        return owner, sizes

    def _check_order_count(self, item: IntArray, each: FloatArray, count: IntArray) -> None:
        """Raise before making more than :data:`MAX_ORDERS_PER_ITEM` orders of one item.

        ``count`` orders of size ``each`` per position, each split above lot_max.
        """
        if not len(item):
            return
        cap = self.cap[item]
        with np.errstate(divide="ignore", invalid="ignore"):
            pieces = np.where(each > cap + TOL, np.ceil(each / cap - TOL), 1.0)
        total = np.bincount(item, weights=count * pieces)
        worst = int(np.argmax(total))
        if total[worst] > MAX_ORDERS_PER_ITEM:
            raise _order_count_error(self, worst, float(total[worst]))

    def order_quantity(
        self,
        item: IntArray,
        need: FloatArray,
        *,
        window_need: FloatArray | None = None,
        eoq: FloatArray | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """Quantity to receive for net requirements ``need`` (> 0) of buffers of ``item``.

        Parameters
        ----------
        item
            Item index of each requirement.
        need
            Net requirement (the shortfall below safety stock today).
        window_need
            For ``poq`` items: the largest shortfall over the next ``lot_days`` days.
        eoq
            For ``eoq`` items: the buffer's EOQ (see :meth:`eoq`).

        Returns
        -------
        tuple
            ``(lot, total)``: the quantity before the lot_max split (for ``fixed``, the
            number of orders times the adjusted lot size) and the quantity received once
            split (what the projected on-hand gains).

        """
        rule = self.rule[item]
        base = need
        if window_need is not None:
            base = np.where(rule == POQ, np.maximum(need, window_need), base)
        if eoq is not None:
            base = np.where(rule == EOQ, np.maximum(need, eoq), base)
        lot = self.adjust(item, base)
        total = self.split_total(item, lot)
        fixed = rule == FIXED
        if fixed.any():
            piece = self.piece[item[fixed]]
            count = np.ceil(need[fixed] / piece - TOL)
            lot[fixed] = count * piece
            total[fixed] = count * self.split_total(item[fixed], piece)
        return lot, total

    def orders(self, item: IntArray, lot: FloatArray) -> tuple[IntArray, FloatArray]:
        """Individual orders of day lots ``lot`` (from :meth:`order_quantity`).

        ``fixed`` lots become ``lot / piece`` orders of one piece each; every order is then
        split above lot_max. Returns ``(owner, sizes)`` as :meth:`split`.
        """
        fixed = self.rule[item] == FIXED
        count = np.ones(len(lot), dtype=np.int64)
        each = lot.copy()
        if fixed.any():
            piece = self.piece[item[fixed]]
            count[fixed] = np.rint(lot[fixed] / piece).astype(np.int64)
            each[fixed] = piece
        self._check_order_count(item, each, count)
        first = np.repeat(np.arange(len(lot), dtype=np.int64), count)
        owner2, sizes = self.split(item[first], each[first])
        return first[owner2], sizes


def _order_count_error(rules: LotRules, i: int, orders: float) -> PlanningError:
    item = rules.ids[i] if rules.ids is not None else f"#{i}"
    name = ("lot_for_lot", "fixed", "poq", "eoq")[int(rules.rule[i])]
    if rules.rule[i] == FIXED and rules.piece[i] <= rules.cap[i] + TOL:
        what = f"lot_size {rules.lot_size[i]:g}"
    else:
        what = f"lot_max {rules.lot_max[i]:g}"
    return PlanningError(
        f"item {item!r} (lot_rule {name}, {what}) would need {orders:,.0f} planned orders; "
        f"MRP plans at most {MAX_ORDERS_PER_ITEM:,} of one item at a time: raise its {what}"
    )


def _full_and_rest(q: FloatArray, cap: FloatArray) -> tuple[FloatArray, FloatArray]:
    # Number of full pieces of ``cap`` before the last one, and what is left for the last.
    full = np.ceil(q / cap - TOL) - 1
    return full, q - full * cap


def lot_rules(items: pd.DataFrame) -> LotRules:
    """Lot-sizing arrays of the items table (rows in table order = item index).

    Raises
    ------
    PlanningError
        When an item's rules contradict each other: a ``fixed`` rule without lot_size, a
        lot_multiple or lot_min that cannot fit under lot_max, or a fractional lot_multiple
        on an integral item. Every offending item is named.

    """
    n = len(items)
    rule = items["lot_rule"].map(RULE_CODES).to_numpy(dtype=np.int64)
    size = items["lot_size"].to_numpy(dtype=float)
    lmin = items["lot_min"].to_numpy(dtype=float)
    lmax = items["lot_max"].to_numpy(dtype=float, na_value=np.inf)
    mult = items["lot_multiple"].to_numpy(dtype=float)
    integral = items["integral"].to_numpy(dtype=bool)
    ids = items["item"].to_numpy(dtype=object)
    problems: list[str] = []
    for i in range(n):
        found = lot_rule_problems(ids[i], rule[i], size[i], lmin[i], lmax[i], mult[i], integral[i])
        problems.extend(message for _, message in found)
    if problems:
        raise PlanningError("lot rules cannot be met: " + "; ".join(problems))
    # Largest allowed order: lot_max rounded down to the multiple and to whole units.
    cap = lmax.copy()
    fin = np.isfinite(lmax) & (mult > 0)
    cap[fin] = np.floor(lmax[fin] / mult[fin] + TOL) * mult[fin]
    whole = integral & np.isfinite(cap)
    cap[whole] = np.floor(cap[whole] + TOL)
    rules = LotRules(
        rule=rule,
        lot_size=size,
        lot_min=lmin,
        lot_max=lmax,
        lot_multiple=mult,
        lot_days=items["lot_days"].to_numpy(dtype=np.int64),
        order_cost=items["order_cost"].to_numpy(dtype=float),
        unit_cost=items["unit_cost"].to_numpy(dtype=float),
        holding_rate=items["holding_rate"].to_numpy(dtype=float),
        integral=integral,
        safety_stock=items["safety_stock"].to_numpy(dtype=float),
        cap=cap,
        piece=np.zeros(n),
        ids=ids,
    )
    piece = rules.adjust(np.arange(n, dtype=np.int64), size)
    object.__setattr__(rules, "piece", piece)
    return rules
