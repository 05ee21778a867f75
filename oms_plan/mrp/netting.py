"""Netting, lot sizing and lead-time offsetting, vectorized across the buffers of a stage.

For every buffer b and day t (the day buckets of docs/dataset.md)::

    available[t] = on_hand[t-1] + scheduled_receipts[t] - gross[t]
    net[t]       = max(0, safety_stock - available[t])          (only where b has sourcing)
    receipt[t]   = lot_size(net[t], ...)  if net[t] > 0         (see :mod:`lotsizing`)
    on_hand[t]   = available[t] + receipt[t]

Gross requirements are open order lines at their ship-from buffer and ship day, plus the
dependent demand of planned orders of buffers netted earlier: a ``make`` order consumes
``quantity × quantity_per × (1 + scrap_rate)`` of each component at its release day, a
``transfer`` order takes its quantity from the sending buffer on its release day (release
days before plan start count on day 0). Each receipt becomes one or more planned orders due
on day t and released ``lead_days`` earlier, by the first sourcing alternative (best
priority) whose release is not before plan start, else by the best one (then ``expedite``).

Buffers of one stage are independent, so each stage is netted at once on its *event rows*
— the (buffer, day) pairs with gross requirements or receipts, plus day 0: nothing changes
between them. Rounding-only lot rules have a closed form (a running maximum); the others are
netted event by event, the k-th event of every buffer in one vectorized step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from oms_plan.mrp.lotsizing import EOQ, FIXED, LOT_FOR_LOT, POQ, TOL, LotRules
from oms_plan.mrp.problem import MAKE, TRANSFER, MrpProblem

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class NettingResult:
    """Planned orders and projections of a netting run, as arrays.

    Planned orders ``po_*`` are in creation order (stage, buffer, due day, piece), which is
    also the numbering order of their ids. ``po_src`` indexes the problem's ``src_*`` arrays.
    Dependent requirements ``dep_*`` are what each planned order (``dep_parent``) asks of a
    component or sending buffer. The projection is stored as change points: buffer
    ``proj_buf`` holds ``proj_value`` at the end of day ``proj_day`` and every later day up
    to its next change point. ``rec_need_day`` is, per problem receipt, the first day its
    quantity is needed (``horizon_days`` when never); ``below_day``/``below_min`` give, per
    buffer, the first day the projected on-hand falls below safety stock (-1: never) and the
    lowest projected on-hand.
    """

    po_buf: IntArray
    po_due: IntArray
    po_release: IntArray
    po_qty: FloatArray
    po_src: IntArray
    dep_buf: IntArray
    dep_day: IntArray
    dep_qty: FloatArray
    dep_parent: IntArray
    proj_buf: IntArray
    proj_day: IntArray
    proj_value: FloatArray
    gross_total: FloatArray
    rec_need_day: IntArray
    below_day: IntArray
    below_min: FloatArray

    @property
    def num_orders(self) -> int:
        """Number of planned orders."""
        return len(self.po_buf)


class _Orders:
    """Growing lists of planned orders and dependent requirements (concatenated at the end)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[NDArray[np.generic]]] = {
            k: []
            for k in (
                "po_buf",
                "po_due",
                "po_release",
                "po_qty",
                "po_src",
                "dep_buf",
                "dep_day",
                "dep_qty",
                "dep_parent",
            )
        }
        self.count = 0

    def add(self, **arrays: NDArray[np.generic]) -> None:
        for k, v in arrays.items():
            self.parts[k].append(v)

    def ints(self, key: str) -> IntArray:
        parts = self.parts[key]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    def floats(self, key: str) -> FloatArray:
        parts = self.parts[key]
        return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)


def net_requirements(problem: MrpProblem) -> NettingResult:
    """Net every buffer stage by stage; return planned orders, dependent demand, projection.

    Parameters
    ----------
    problem
        The MRP problem (:func:`oms_plan.mrp.problem.build_problem`).

    Returns
    -------
    NettingResult
        Arrays of planned orders, dependent requirements and the projected on-hand.

    """
    p = problem
    out = _Orders()
    state = _State(p.num_buffers, len(p.rec_buf), p.horizon_days, p.on_hand)
    # Dependent demand waiting for the stage of its buffer: (buffer, day, qty) parts.
    bins: dict[int, list[tuple[IntArray, IntArray, FloatArray]]] = {}
    dem_order = np.argsort(p.dem_buf, kind="stable")
    dem_keys = p.dem_buf[dem_order]
    rec_order = np.lexsort((p.rec_row, p.rec_day, p.rec_buf))
    rec_keys = p.rec_buf[rec_order]
    for s in range(p.num_stages):
        lo, hi = int(p.stage_ptr[s]), int(p.stage_ptr[s + 1])
        parts = bins.pop(s, [])
        dsel = dem_order[np.searchsorted(dem_keys, lo) : np.searchsorted(dem_keys, hi)]
        rsel = rec_order[np.searchsorted(rec_keys, lo) : np.searchsorted(rec_keys, hi)]
        ev = _Events.build(p, lo, hi, dsel, rsel, parts)
        first = out.count
        _net_stage(p, ev, out, state)
        state.rec_need[rsel] = ev.first_day_exceeding(p.rec_buf[rsel], _receipt_thresholds(p, rsel))
        for target, part in _explode(p, out, first):
            bins.setdefault(target, []).append(part)
    return state.result(out)


class _State:
    """Per-buffer and per-receipt results filled stage by stage."""

    def __init__(self, nbuf: int, nrec: int, horizon: int, on_hand: FloatArray) -> None:
        self.proj: list[tuple[IntArray, IntArray, FloatArray]] = []
        self.gross_total = np.zeros(nbuf)
        self.rec_need = np.full(nrec, horizon, dtype=np.int64)
        self.below_day = np.full(nbuf, -1, dtype=np.int64)
        self.below_min = on_hand.astype(float).copy()

    def result(self, out: _Orders) -> NettingResult:
        proj = self.proj
        return NettingResult(
            po_buf=out.ints("po_buf"),
            po_due=out.ints("po_due"),
            po_release=out.ints("po_release"),
            po_qty=out.floats("po_qty"),
            po_src=out.ints("po_src"),
            dep_buf=out.ints("dep_buf"),
            dep_day=out.ints("dep_day"),
            dep_qty=out.floats("dep_qty"),
            dep_parent=out.ints("dep_parent"),
            proj_buf=np.concatenate([x[0] for x in proj]) if proj else np.zeros(0, np.int64),
            proj_day=np.concatenate([x[1] for x in proj]) if proj else np.zeros(0, np.int64),
            proj_value=np.concatenate([x[2] for x in proj]) if proj else np.zeros(0),
            gross_total=self.gross_total,
            rec_need_day=self.rec_need,
            below_day=self.below_day,
            below_min=self.below_min,
        )


@dataclass(frozen=True, eq=False)
class _Events:
    """The days on which something happens at the buffers lo…hi-1 of one stage, sorted.

    One row per (buffer, day) with gross requirements or scheduled receipts, plus day 0 of
    every buffer. Between two rows of a buffer nothing changes, so netting only needs these
    rows: ``base`` is the projected on-hand without planned orders at the end of the row's
    day, ``cum_gross`` the gross requirements to date.
    """

    lo: int
    horizon: int
    buf: IntArray
    day: IntArray
    gross: FloatArray
    base: FloatArray
    cum_gross: FloatArray
    first: NDArray[np.bool_]
    starts: IntArray

    @staticmethod
    def build(
        p: MrpProblem,
        lo: int,
        hi: int,
        dsel: IntArray,
        rsel: IntArray,
        parts: list[tuple[IntArray, IntArray, FloatArray]],
    ) -> _Events:
        horizon = p.horizon_days
        nb = hi - lo
        buf = np.concatenate([p.dem_buf[dsel], *(x[0] for x in parts), p.rec_buf[rsel]])
        day = np.concatenate([p.dem_day[dsel], *(x[1] for x in parts), p.rec_day[rsel]])
        gq = np.concatenate([p.dem_qty[dsel], *(x[2] for x in parts)])
        ng = len(gq)
        key = np.concatenate([(buf - lo) * horizon + day, np.arange(nb) * horizon])
        uniq, inv = np.unique(key, return_inverse=True)
        gross = _sums(inv[:ng], gq, len(uniq))
        rec = _sums(inv[ng : len(buf)], p.rec_qty[rsel], len(uniq))
        ebuf = lo + uniq // horizon
        first = np.r_[True, ebuf[1:] != ebuf[:-1]]
        starts = np.flatnonzero(first)
        base = p.on_hand[ebuf] + _seg_cumsum(rec - gross, starts)
        return _Events(
            lo=lo,
            horizon=horizon,
            buf=ebuf,
            day=uniq % horizon,
            gross=gross,
            base=base,
            cum_gross=_seg_cumsum(gross, starts),
            first=first,
            starts=starts,
        )

    def first_day_exceeding(self, qbuf: IntArray, threshold: FloatArray) -> IntArray:
        """Per query: first day buffer ``qbuf`` has gross to date > ``threshold`` (else horizon).

        Events are sorted by buffer and cum_gross is non-decreasing within a buffer, so one
        stable sort of events and queries together answers all queries.
        """
        nq, ne = len(qbuf), len(self.buf)
        if nq == 0:
            return np.zeros(0, dtype=np.int64)
        b = np.concatenate([self.buf, qbuf])
        v = np.concatenate([self.cum_gross, threshold + TOL])
        is_query = np.r_[np.zeros(ne, bool), np.ones(nq, bool)]
        order = np.lexsort((is_query, v, b))
        before = np.cumsum(~is_query[order]) - ~is_query[order]
        pos = np.empty(ne + nq, dtype=np.int64)
        pos[order] = before
        hit = pos[ne:]
        ok = hit < ne
        ok[ok] = self.buf[hit[ok]] == qbuf[ok]
        out = np.full(nq, self.horizon, dtype=np.int64)
        out[ok] = self.day[hit[ok]]
        return out


def _sums(index: IntArray, weights: FloatArray, n: int) -> FloatArray:
    """Sum of ``weights`` per index 0…n-1."""
    out: FloatArray = np.bincount(index, weights=weights, minlength=n).astype(np.float64)
    return out


def _seg_cumsum(x: FloatArray, starts: IntArray) -> FloatArray:
    """Cumulative sums restarting at each index of ``starts`` (x sorted by segment)."""
    if len(x) == 0:
        return np.zeros(0)
    # Extended precision keeps the differences of a long running total exact enough.
    c = np.cumsum(x, dtype=np.longdouble)
    offset = c[starts] - np.asarray(x[starts], dtype=np.longdouble)
    counts = np.diff(np.r_[starts, len(x)])
    out: FloatArray = (c - np.repeat(offset, counts)).astype(np.float64)
    return out


def _seg_cummax(x: FloatArray, starts: IntArray) -> FloatArray:
    """Running maximum restarting at each index of ``starts``."""
    seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(x)]))
    out: FloatArray = pd.Series(x).groupby(seg).cummax().to_numpy(dtype=np.float64)
    return out


def _receipt_thresholds(p: MrpProblem, rsel: IntArray) -> FloatArray:
    """Receipt k of a buffer is needed once gross to date exceed stock + receipts 0…k-1 − SS."""
    buf = p.rec_buf[rsel]
    qty = p.rec_qty[rsel]
    if len(buf) == 0:
        return np.zeros(0)
    starts = np.flatnonzero(np.r_[True, buf[1:] != buf[:-1]])
    before = _seg_cumsum(qty, starts) - qty
    out: FloatArray = p.on_hand[buf] + before - p.safety_stock[buf]
    return out


def _net_stage(p: MrpProblem, ev: _Events, out: _Orders, state: _State) -> None:
    """Net one stage on its event rows; append planned orders to ``out``.

    ``short = safety_stock − base`` is the cumulative shortfall. Buffers whose lot rule only
    rounds up to a quantum (lot-for-lot without lot_min: the multiple, whole units or
    nothing; ``fixed`` lots needing no growing split) have a closed form: cumulative planned
    receipts = running maximum of the shortfall rounded up to the quantum. The others (poq,
    eoq, lot_min) are netted event by event: the k-th event of every such buffer at once.
    """
    lots = p.lots
    lo = ev.lo
    nb = len(ev.starts)
    local = ev.buf - lo
    item_b = p.buf_item[lo : lo + nb]
    rule_b = lots.rule[item_b]
    plannable_b = np.diff(p.src_ptr[lo : lo + nb + 1]) > 0
    ss_b = p.safety_stock[lo : lo + nb]
    totals = _sums(local, ev.gross, nb)
    state.gross_total[lo : lo + nb] = totals
    eoq_b = lots.eoq(item_b, totals, p.horizon_days)
    short = ss_b[local] - ev.base
    quantum_b, closed_b = _quantum(lots, item_b, rule_b, eoq_b)
    closed_b &= plannable_b
    receipt = np.zeros(len(ev.buf))
    lot = np.zeros(len(ev.buf))
    closed = closed_b[local]
    if closed.any():
        idx = np.flatnonzero(closed)
        starts = np.flatnonzero(ev.first[idx])
        q = quantum_b[local[idx]]
        top = _seg_cummax(short[idx], starts)
        safe_q = np.where(q > 0, q, 1.0)
        cum = np.maximum(np.where(q > 0, np.ceil(top / safe_q - TOL) * safe_q, top), 0.0)
        inc = np.diff(cum, prepend=0.0)
        inc[starts] = cum[starts]
        inc[inc <= TOL] = 0.0  # like the loop: float dust orders nothing
        receipt[idx] = inc
        lot[idx] = inc
    loop = (plannable_b & ~closed_b)[local]
    if loop.any():
        _net_loop(p, ev, np.flatnonzero(loop), short, eoq_b, receipt, lot)
    path = ev.base + _seg_cumsum(receipt, ev.starts)
    _record_projection(p, ev, path, ss_b, plannable_b, state)
    hits = np.flatnonzero(lot > 0)
    if len(hits) == 0:
        return
    cols = local[hits]
    owner, sizes = lots.orders(item_b[cols], lot[hits])
    buf = ev.buf[hits][owner]
    due = ev.day[hits][owner]
    src = _choose_source(p, buf, due)
    out.add(
        po_buf=buf,
        po_due=due,
        po_release=due - p.src_lead[src],
        po_qty=sizes,
        po_src=src,
    )
    out.count += len(buf)


def _quantum(
    lots: LotRules, item: IntArray, rule: IntArray, eoq: FloatArray
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Per buffer: the rounding quantum (0 = none) and whether the closed form applies."""
    mult = lots.lot_multiple[item]
    no_min = lots.lot_min[item] <= 0
    quantum = np.where(mult > 0, mult, np.where(lots.integral[item], 1.0, 0.0))
    like_l4l = (
        (rule == LOT_FOR_LOT)
        | ((rule == POQ) & (lots.lot_days[item] <= 1))
        | ((rule == EOQ) & (eoq <= 0))
    )
    closed = like_l4l & no_min
    fixed = rule == FIXED
    if fixed.any():
        piece = lots.piece[item[fixed]]
        exact = np.abs(lots.split_total(item[fixed], piece) - piece) <= TOL
        closed[fixed] = exact
        quantum[fixed] = piece
    return quantum, closed


def _net_loop(
    p: MrpProblem,
    ev: _Events,
    idx: IntArray,
    short: FloatArray,
    eoq_b: FloatArray,
    receipt: FloatArray,
    lot: FloatArray,
) -> None:
    """Event-by-event netting of the event rows ``idx`` (buffers with path-dependent lots).

    Round k handles the k-th event row of every such buffer at once; the net requirement is
    the shortfall less what earlier rounds planned.
    """
    lots = p.lots
    local = ev.buf[idx] - ev.lo
    item = p.buf_item[ev.buf[idx]]
    rule = lots.rule[item]
    starts = np.flatnonzero(ev.first[idx])
    rank = np.arange(len(idx)) - np.repeat(starts, np.diff(np.r_[starts, len(idx)]))
    extra = _poq_extra(p, ev, idx, item, rule)
    eoq = eoq_b[local]
    received = np.zeros(int(local.max()) + 1)
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
    for k in range(len(bounds) - 1):
        sel = by_rank[bounds[k] : bounds[k + 1]]
        need = short[idx[sel]] - received[local[sel]]
        hit = sel[need > TOL]
        if len(hit) == 0:
            continue
        n = short[idx[hit]] - received[local[hit]]
        lo_, total = lots.order_quantity(
            item[hit],
            n,
            window_need=None if extra is None else n + extra[hit],
            eoq=eoq[hit],
        )
        received[local[hit]] += total
        receipt[idx[hit]] = total
        lot[idx[hit]] = lo_


def _poq_extra(
    p: MrpProblem,
    ev: _Events,
    idx: IntArray,
    item: IntArray,
    rule: IntArray,
) -> FloatArray | None:
    """POQ look-ahead per event row: max over the next lot_days days of C[s] − C[t].

    C = cumulative gross − receipts; it only changes on event rows, so the window maximum
    is a range maximum over the buffer's rows whose day is before t + lot_days (sparse table,
    O(n log n)).
    """
    days = p.lots.lot_days[item]
    poq = (rule == POQ) & (days > 1)
    if not poq.any():
        return None
    c = p.on_hand[ev.buf[idx]] - ev.base[idx]  # = C up to the buffer's constant
    n = len(idx)
    key = (ev.buf[idx] - ev.lo).astype(np.int64) * (p.horizon_days + 1) + ev.day[idx]
    last_day = np.minimum(ev.day[idx] + days - 1, p.horizon_days - 1)
    end = np.searchsorted(key, key - ev.day[idx] + last_day, side="right") - 1
    length = np.where(poq, end - np.arange(n) + 1, 1)
    level = c.copy()
    best = c.copy()
    lvl = np.floor(np.log2(length)).astype(np.int64)
    span = 1
    for k in range(int(lvl.max()) + 1):
        m = np.flatnonzero(lvl == k)
        if len(m):
            best[m] = np.maximum(level[m], level[np.minimum(m + length[m] - span, n - 1)])
        level = np.maximum(level, level[np.minimum(np.arange(n) + span, n - 1)])
        span *= 2
    out: FloatArray = np.where(poq, best - c, 0.0)
    return out


def _record_projection(
    p: MrpProblem,
    ev: _Events,
    path: FloatArray,
    ss_b: FloatArray,
    plannable_b: NDArray[np.bool_],
    state: _State,
) -> None:
    """Store the projected on-hand as change points; note buffers that fall below safety stock."""
    lo = ev.lo
    changed = ev.first.copy()
    changed[1:] |= path[1:] != path[:-1]
    state.proj.append((ev.buf[changed], ev.day[changed], path[changed]))
    local = ev.buf - lo
    low = (path < ss_b[local] - TOL) & ~plannable_b[local]
    if low.any():
        bufs, first = np.unique(ev.buf[low], return_index=True)
        state.below_day[bufs] = ev.day[low][first]
    mins = np.minimum.reduceat(path, ev.starts)
    state.below_min[lo : lo + len(mins)] = np.minimum(p.on_hand[lo : lo + len(mins)], mins)


def _choose_source(p: MrpProblem, buf: IntArray, due: IntArray) -> IntArray:
    """Sourcing row per order: the best-priority one releasing on or after day 0, else the best."""
    first = p.src_ptr[buf]
    nalt = p.src_ptr[buf + 1] - first
    chosen = np.full(len(buf), -1, dtype=np.int64)
    last = len(p.src_lead) - 1
    for j in range(int(nalt.max(initial=0))):
        cand = np.minimum(first + j, last)
        ok = (chosen < 0) & (j < nalt) & (due - p.src_lead[cand] >= 0)
        chosen[ok] = cand[ok]
    return np.where(chosen < 0, first, chosen)


def _explode(
    p: MrpProblem, out: _Orders, first: int
) -> list[tuple[int, tuple[IntArray, IntArray, FloatArray]]]:
    """Dependent demand of planned orders ``first…``: components of makes, sends of transfers.

    Records it in ``out`` (with the parent order) and returns it grouped by target stage.
    """
    if out.count == first:
        return []
    buf = out.parts["po_buf"][-1]
    src = out.parts["po_src"][-1]
    qty = out.parts["po_qty"][-1]
    day = np.maximum(out.parts["po_release"][-1], 0)
    ids = np.arange(first, out.count, dtype=np.int64)
    method = p.src_method[src]
    mk = np.flatnonzero(method == MAKE)
    start = p.bom_ptr[buf[mk]]
    count = p.bom_ptr[buf[mk] + 1] - start
    rep = np.repeat(mk, count)
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    line = np.repeat(start, count) + offs
    tr = np.flatnonzero(method == TRANSFER)
    t_buf = np.concatenate([p.bom_comp[line], p.src_from[src[tr]]])
    t_day = np.concatenate([day[rep], day[tr]])
    t_qty = np.concatenate([qty[rep] * p.bom_qty[line], qty[tr]])
    t_par = np.concatenate([ids[rep], ids[tr]])
    order = np.lexsort((t_par, t_day, t_buf))
    t_buf, t_day, t_qty, t_par = t_buf[order], t_day[order], t_qty[order], t_par[order]
    out.add(dep_buf=t_buf, dep_day=t_day, dep_qty=t_qty, dep_parent=t_par)
    stage = np.searchsorted(p.stage_ptr, t_buf, side="right") - 1
    groups = []
    for s in np.unique(stage):
        m = stage == s
        groups.append((int(s), (t_buf[m], t_day[m], t_qty[m])))
    return groups
