"""Pegging: which supply serves which requirement, unit by unit, FIFO by date.

Per buffer, suppliers are taken in order of availability — stock (day 0), scheduled
receipts (due day, then table order), planned orders (due day, then id) — and requirements
in order of need — day, then order lines before parents' planned orders, then priority,
then table order / id. The two queues are matched unit by unit (first supply to first need),
so every unit of every supplier is pegged exactly once and every requirement is covered
exactly once:

* supply left once all requirements are served is pegged to ``safety_stock`` (up to the
  item's safety stock) and the rest to ``excess`` (lot-size rounding, unused receipts);
* requirements beyond all supply (buffers without sourcing) are pegged to ``short``.

The matching is vectorized over all buffers: both queues become cumulative positions, and
one sort of all end points cuts them into pegs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from oms_plan.mrp.lotsizing import TOL
from oms_plan.mrp.netting import NettingResult
from oms_plan.mrp.problem import MrpProblem

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Pegging works in whole millionths of a unit (exact integer arithmetic).
UNITS = 1_000_000
#: Supplier kinds.
STOCK, RECEIPT, PLANNED, SHORT = 0, 1, 2, 3
#: Requirement kinds.
ORDER_LINE, PARENT_ORDER, SAFETY_STOCK, EXCESS = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)
class Pegging:
    """Pegs as arrays, one per (supplier, requirement) pair with a positive quantity.

    ``sup_kind``/``sup_ref``: STOCK (ref = buffer), RECEIPT (ref = problem receipt index),
    PLANNED (ref = planned order index), SHORT (ref = buffer). ``req_kind``/``req_ref``:
    ORDER_LINE (ref = problem demand index), PARENT_ORDER (ref = netting dependent-demand
    index), SAFETY_STOCK or EXCESS (ref = buffer). ``need_day`` is the requirement's day
    (``horizon_days`` for safety stock and excess).
    """

    buf: IntArray
    sup_kind: IntArray
    sup_ref: IntArray
    req_kind: IntArray
    req_ref: IntArray
    need_day: IntArray
    quantity: FloatArray

    def __len__(self) -> int:
        return len(self.buf)


def peg(problem: MrpProblem, netting: NettingResult) -> Pegging:
    """Peg every supplier of every buffer to the requirements it serves (FIFO by date).

    Parameters
    ----------
    problem
        The MRP problem.
    netting
        Its netting result (planned orders and dependent requirements).

    Returns
    -------
    Pegging
        The pegs, sorted by buffer, then supplier order.

    """
    p, n = problem, netting
    nbuf, horizon = p.num_buffers, p.horizon_days
    stock_b = np.flatnonzero(p.on_hand > TOL)
    s_buf = np.concatenate([stock_b, p.rec_buf, n.po_buf])
    s_day = np.concatenate([np.zeros(len(stock_b), np.int64), p.rec_day, n.po_due])
    s_kind = np.concatenate(
        [
            np.full(len(stock_b), STOCK),
            np.full(len(p.rec_buf), RECEIPT),
            np.full(n.num_orders, PLANNED),
        ]
    ).astype(np.int64)
    s_ref = np.concatenate([stock_b, np.arange(len(p.rec_buf)), np.arange(n.num_orders)]).astype(
        np.int64
    )
    s_key = np.concatenate([np.zeros(len(stock_b), np.int64), p.rec_row, np.arange(n.num_orders)])
    s_qty = np.concatenate([p.on_hand[stock_b], p.rec_qty, n.po_qty])

    r_buf = np.concatenate([p.dem_buf, n.dep_buf])
    r_day = np.concatenate([p.dem_day, n.dep_day])
    r_kind = np.concatenate(
        [np.full(len(p.dem_buf), ORDER_LINE), np.full(len(n.dep_buf), PARENT_ORDER)]
    ).astype(np.int64)
    r_prio = np.concatenate([p.dem_priority, np.zeros(len(n.dep_buf), np.int64)])
    r_key = np.concatenate([p.dem_row, n.dep_parent])
    r_ref = np.concatenate([np.arange(len(p.dem_buf)), np.arange(len(n.dep_buf))]).astype(np.int64)
    r_qty = np.concatenate([p.dem_qty, n.dep_qty])

    # Exact integer arithmetic in millionths of a unit: the queues of a buffer then end at
    # exactly the same position, whatever the order of summation.
    s_qty, r_qty = _units(s_qty), _units(r_qty)
    # Balance each buffer: leftover supply → safety stock then excess; missing supply → short.
    left = _sum_units(s_buf, s_qty, nbuf) - _sum_units(r_buf, r_qty, nbuf)
    keep_ss = np.clip(left, 0, _units(p.safety_stock))
    extra = np.maximum(left - keep_ss, 0)
    short = np.maximum(-left, 0)
    bufs = np.arange(nbuf, dtype=np.int64)
    for kind, qty in ((SAFETY_STOCK, keep_ss), (EXCESS, extra)):
        m = qty > 0
        r_buf = np.concatenate([r_buf, bufs[m]])
        r_day = np.concatenate([r_day, np.full(int(m.sum()), horizon, np.int64)])
        r_kind = np.concatenate([r_kind, np.full(int(m.sum()), kind, np.int64)])
        r_prio = np.concatenate([r_prio, np.zeros(int(m.sum()), np.int64)])
        r_key = np.concatenate([r_key, bufs[m]])
        r_ref = np.concatenate([r_ref, bufs[m]])
        r_qty = np.concatenate([r_qty, qty[m]])
    m = short > 0
    s_buf = np.concatenate([s_buf, bufs[m]])
    s_day = np.concatenate([s_day, np.full(int(m.sum()), horizon, np.int64)])
    s_kind = np.concatenate([s_kind, np.full(int(m.sum()), SHORT, np.int64)])
    s_ref = np.concatenate([s_ref, bufs[m]])
    s_key = np.concatenate([s_key, bufs[m]])
    s_qty = np.concatenate([s_qty, short[m]])

    s_ok = s_qty > 0
    so = np.flatnonzero(s_ok)[np.lexsort((s_key[s_ok], s_kind[s_ok], s_day[s_ok], s_buf[s_ok]))]
    r_ok = r_qty > 0
    ro = np.flatnonzero(r_ok)[
        np.lexsort((r_key[r_ok], r_prio[r_ok], r_kind[r_ok], r_day[r_ok], r_buf[r_ok]))
    ]
    s_pos = _cum_within(s_buf[so], s_qty[so])
    r_pos = _cum_within(r_buf[ro], r_qty[ro])
    ev_buf = np.concatenate([s_buf[so], r_buf[ro]])
    ev_pos = np.concatenate([s_pos, r_pos])
    ev_is_s = np.concatenate([np.ones(len(so), bool), np.zeros(len(ro), bool)])
    order = np.lexsort((~ev_is_s, ev_pos, ev_buf))
    ev_buf, ev_pos, ev_is_s = ev_buf[order], ev_pos[order], ev_is_s[order]
    # Supplier / requirement serving the stretch that ends at each event: the number of
    # supplier / requirement ends strictly before it (buffers are contiguous, so global).
    s_idx = np.cumsum(ev_is_s) - ev_is_s
    r_idx = np.cumsum(~ev_is_s) - ~ev_is_s
    first = np.r_[True, ev_buf[1:] != ev_buf[:-1]]
    prev = np.where(first, 0, np.r_[0, ev_pos[:-1]])
    length = ev_pos - prev
    ok = length > 0
    si, ri, length = so[s_idx[ok]], ro[r_idx[ok]], length[ok]
    if not np.array_equal(s_buf[si], r_buf[ri]):  # pragma: no cover - our bug
        raise AssertionError("pegging queues of a buffer do not end together")
    return Pegging(
        buf=s_buf[si],
        sup_kind=s_kind[si],
        sup_ref=s_ref[si],
        req_kind=r_kind[ri],
        req_ref=r_ref[ri],
        need_day=r_day[ri],
        quantity=length / UNITS,
    )


def _units(qty: FloatArray) -> IntArray:
    """Quantities in whole millionths of a unit."""
    units: IntArray = np.rint(np.asarray(qty, dtype=float) * UNITS).astype(np.int64)
    return units


def _sum_units(buf: IntArray, qty: IntArray, nbuf: int) -> IntArray:
    """Exact integer sum of ``qty`` per buffer."""
    out = np.zeros(nbuf, dtype=np.int64)
    np.add.at(out, buf, qty)
    return out


def _cum_within(buf: IntArray, qty: IntArray) -> IntArray:
    """Cumulative quantity within each run of equal ``buf`` (end position of each entry)."""
    cum = np.cumsum(qty)
    if len(buf) == 0:
        return cum
    starts = np.r_[True, buf[1:] != buf[:-1]]
    base = np.maximum.accumulate(np.where(starts, cum - qty, 0))
    out: IntArray = cum - base
    return out
