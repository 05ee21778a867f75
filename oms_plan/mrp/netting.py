"""Netting, lot sizing and lead-time offsetting, vectorized across the buffers of a stage.

For every buffer b and day t (SCHEMA.md day buckets)::

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

Buffers of one stage are independent, so each stage is netted as a (days × buffers) array:
the loop runs over days only, every operation covers all buffers of a chunk at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from oms_plan.mrp.lotsizing import EOQ, FIXED, LOT_FOR_LOT, POQ, TOL, LotRules
from oms_plan.mrp.problem import MAKE, TRANSFER, MrpProblem

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Default chunk size in cells (days × buffers) of one dense array: bounds memory use.
CHUNK_CELLS = 1 << 22


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


def net_requirements(problem: MrpProblem, *, chunk_cells: int = CHUNK_CELLS) -> NettingResult:
    """Net every buffer stage by stage; return planned orders, dependent demand, projection.

    Parameters
    ----------
    problem
        The MRP problem (:func:`oms_plan.mrp.problem.build_problem`).
    chunk_cells
        Largest dense array (days × buffers) built at once; stages with more buffers are
        netted in chunks of buffers.

    Returns
    -------
    NettingResult
        Arrays of planned orders, dependent requirements and the projected on-hand.

    """
    p = problem
    horizon, nbuf = p.horizon_days, p.num_buffers
    width = max(1, chunk_cells // max(horizon, 1))
    out = _Orders()
    state = _State(nbuf, len(p.rec_buf), horizon, p.on_hand)
    # Dependent demand waiting for the stage of its buffer: (buffer, day, qty) parts.
    bins: dict[int, list[tuple[IntArray, IntArray, FloatArray]]] = {}
    dem_order = np.argsort(p.dem_buf, kind="stable")
    dem_keys = p.dem_buf[dem_order]
    rec_order = np.lexsort((p.rec_row, p.rec_day, p.rec_buf))
    rec_keys = p.rec_buf[rec_order]
    for s in range(p.num_stages):
        lo, hi = int(p.stage_ptr[s]), int(p.stage_ptr[s + 1])
        parts = bins.pop(s, [])
        d_buf = np.concatenate([x[0] for x in parts]) if parts else np.zeros(0, np.int64)
        d_day = np.concatenate([x[1] for x in parts]) if parts else np.zeros(0, np.int64)
        d_qty = np.concatenate([x[2] for x in parts]) if parts else np.zeros(0)
        d_order = np.argsort(d_buf, kind="stable")
        d_keys = d_buf[d_order]
        for a in range(lo, hi, width):
            b = min(hi, a + width)
            dsel = dem_order[np.searchsorted(dem_keys, a) : np.searchsorted(dem_keys, b)]
            xsel = d_order[np.searchsorted(d_keys, a) : np.searchsorted(d_keys, b)]
            rsel = rec_order[np.searchsorted(rec_keys, a) : np.searchsorted(rec_keys, b)]
            gross = _dense(
                a,
                b,
                horizon,
                np.concatenate([p.dem_buf[dsel], d_buf[xsel]]),
                np.concatenate([p.dem_day[dsel], d_day[xsel]]),
                np.concatenate([p.dem_qty[dsel], d_qty[xsel]]),
            )
            receipts = _dense(a, b, horizon, p.rec_buf[rsel], p.rec_day[rsel], p.rec_qty[rsel])
            first = out.count
            _net_chunk(p, a, b, gross, receipts, out, state)
            state.rec_need[rsel] = _receipt_need_days(p, a, gross, rsel)
            for target, part in _explode(p, out, first):
                bins.setdefault(target, []).append(part)
    return state.result(out)


class _State:
    """Per-buffer and per-receipt results filled chunk by chunk."""

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


def _dense(
    a: int, b: int, horizon: int, buf: IntArray, day: IntArray, qty: FloatArray
) -> FloatArray:
    """Quantities summed into a (days × buffers a…b-1) array."""
    width = b - a
    flat = np.bincount(day * width + (buf - a), weights=qty, minlength=horizon * width)
    return np.asarray(flat, dtype=np.float64).reshape(horizon, width)


def _window_extra(gross: FloatArray, receipts: FloatArray, days: IntArray) -> FloatArray:
    """POQ look-ahead: per day t, max over s in [t, t+days-1] of C[s] − C[t], C = Σ(gross−receipts).

    ``net[t] + extra[t]`` is then the order that keeps the buffer covered for ``days`` days.
    Computed by doubling (sparse-table) windows: O(T log days) per buffer.
    """
    horizon = gross.shape[0]
    cum = np.cumsum(gross - receipts, axis=0)
    best = np.empty_like(cum)
    level = cum.copy()  # level k: max over [t, t + 2**k - 1], clipped at the horizon
    span = 1
    lvl = np.floor(np.log2(np.maximum(days, 1))).astype(np.int64)
    for k in range(int(lvl.max(initial=0)) + 1):
        cols = np.flatnonzero(lvl == k)
        if len(cols):
            rest = np.minimum(
                np.arange(horizon)[:, None] + (days[cols] - span)[None, :], horizon - 1
            )
            best[:, cols] = np.maximum(
                level[:, cols], np.take_along_axis(level[:, cols], rest, axis=0)
            )
        shifted = np.vstack([level[span:], np.repeat(level[-1:], min(span, horizon), axis=0)])
        level = np.maximum(level, shifted[:horizon])
        span *= 2
    return np.asarray(best - cum)


def _net_chunk(
    p: MrpProblem,
    a: int,
    b: int,
    gross: FloatArray,
    receipts: FloatArray,
    out: _Orders,
    state: _State,
) -> None:
    """Net buffers a…b-1 (one stage); append their planned orders to ``out``.

    ``base[t]`` is the projected on-hand without planned orders and ``short[t] = safety
    stock − base[t]`` the cumulative shortfall. Buffers whose lot rule only rounds up to a
    quantum (lot-for-lot without lot_min: the multiple, whole units or nothing; ``fixed``
    whose lot needs no growing split) have a closed form: cumulative planned receipts =
    the running maximum of the shortfall rounded up to the quantum. The others (poq, eoq,
    lot_min) are netted day by day, visiting only the days on which their gross
    requirements can open a new shortfall.
    """
    horizon, width = gross.shape
    lots = p.lots
    item = p.buf_item[a:b]
    rule = lots.rule[item]
    plannable = np.diff(p.src_ptr[a : b + 1]) > 0
    ss = p.safety_stock[a:b]
    totals = gross.sum(axis=0)
    state.gross_total[a:b] = totals
    eoq = lots.eoq(item, totals, horizon)
    base = p.on_hand[a:b][None, :] + np.cumsum(receipts - gross, axis=0)
    short = ss[None, :] - base
    quantum, closed = _quantum(lots, item, rule, eoq)
    closed &= plannable
    receipt = np.zeros((horizon, width))  # planned receipt totals per day
    lot = np.zeros((horizon, width))  # lots before the lot_max split
    cc = np.flatnonzero(closed)
    if len(cc):
        receipt[:, cc] = _closed_form(short[:, cc], quantum[cc])
        lot[:, cc] = receipt[:, cc]
    lc = np.flatnonzero(plannable & ~closed)
    if len(lc):
        _net_loop(
            lots,
            item[lc],
            rule[lc],
            eoq[lc],
            gross[:, lc],
            receipts[:, lc],
            short[:, lc],
            receipt,
            lot,
            lc,
        )
    path = base + np.cumsum(receipt, axis=0)
    _record_projection(p, a, path, ss, plannable, state)
    days, cols = np.nonzero(lot > 0)
    if len(days) == 0:
        return
    order = np.lexsort((days, cols))
    cols, days = cols[order], days[order]
    owner, sizes = lots.orders(item[cols], lot[days, cols])
    buf = a + cols[owner]
    due = days[owner]
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


def _closed_form(short: FloatArray, quantum: FloatArray) -> FloatArray:
    """Planned receipts per day when every lot only rounds the shortfall up to ``quantum``."""
    top = np.maximum.accumulate(short, axis=0)
    q = np.where(quantum > 0, quantum, 1.0)[None, :]
    rounded = np.where(quantum[None, :] > 0, np.ceil(top / q - TOL) * q, top)
    cum = np.maximum(rounded, 0.0)
    inc = np.diff(cum, axis=0, prepend=0.0)
    # Like the day loop, a shortfall of float dust (≤ TOL) orders nothing.
    dust = inc <= TOL
    if dust.any():
        inc[dust] = 0.0
    return inc


def _net_loop(
    lots: LotRules,
    item: IntArray,
    rule: IntArray,
    eoq: FloatArray,
    gross: FloatArray,
    receipts: FloatArray,
    short: FloatArray,
    receipt: FloatArray,
    lot: FloatArray,
    cols: IntArray,
) -> None:
    """Day-by-day netting of buffers ``cols`` whose lots depend on the path (poq, eoq, min).

    A new shortfall can only open on day 0 or on a day with gross requirements, so only
    those days are visited; ``short[t] − received`` is the net requirement.
    """
    poq = np.flatnonzero((rule == POQ) & (lots.lot_days[item] > 1))
    extra = None
    if len(poq):
        extra = np.zeros_like(gross)
        extra[:, poq] = _window_extra(gross[:, poq], receipts[:, poq], lots.lot_days[item[poq]])
    use_eoq = eoq if (rule == EOQ).any() else None
    received = np.zeros(len(cols))
    days = np.flatnonzero(np.r_[True, (gross[1:] > 0).any(axis=1)])
    for t in days.tolist():
        need = short[t] - received
        hit = np.flatnonzero(need > TOL)
        if len(hit) == 0:
            continue
        n = need[hit]
        lo, total = lots.order_quantity(
            item[hit],
            n,
            window_need=None if extra is None else n + extra[t, hit],
            eoq=None if use_eoq is None else use_eoq[hit],
        )
        received[hit] += total
        receipt[t, cols[hit]] = total
        lot[t, cols[hit]] = lo


def _record_projection(
    p: MrpProblem,
    a: int,
    path: FloatArray,
    ss: FloatArray,
    plannable: NDArray[np.bool_],
    state: _State,
) -> None:
    """Store the projected on-hand as change points; note buffers that fall below safety stock."""
    horizon, width = path.shape
    change = np.ones((width, horizon), dtype=bool)
    change[:, 1:] = path[1:].T != path[:-1].T
    cols, days = np.nonzero(change)
    state.proj.append((a + cols, days, path[days, cols]))
    low = path < (ss - TOL)[None, :]
    low[:, plannable] = False  # planned orders keep those up; expedites say when they can't
    anyl = low.any(axis=0)
    if anyl.any():
        idx = np.flatnonzero(anyl)
        state.below_day[a + idx] = low[:, idx].argmax(axis=0)
    state.below_min[a : a + width] = np.minimum(p.on_hand[a : a + width], path.min(axis=0))


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


def _receipt_need_days(p: MrpProblem, a: int, gross: FloatArray, rsel: IntArray) -> IntArray:
    """First day each scheduled receipt (``rsel``, in due order per buffer) is needed.

    Receipt k of a buffer is needed on the first day the gross requirements to date exceed
    stock plus receipts 0…k-1 less safety stock — the projection with no planned orders.
    """
    horizon = gross.shape[0]
    if len(rsel) == 0:
        return np.zeros(0, dtype=np.int64)
    buf = p.rec_buf[rsel]
    qty = p.rec_qty[rsel]
    before = np.cumsum(qty) - qty
    starts = np.r_[True, buf[1:] != buf[:-1]]
    group_base = np.maximum.accumulate(np.where(starts, before, 0.0))
    before = before - group_base
    threshold = p.on_hand[buf] + before - p.safety_stock[buf]
    cols, inverse = np.unique(buf - a, return_inverse=True)
    cum = np.cumsum(gross[:, cols], axis=0)
    needed = cum[:, inverse] > threshold[None, :] + TOL
    need_day: IntArray = np.where(needed.any(axis=0), needed.argmax(axis=0), horizon)
    return need_day.astype(np.int64)
