"""A straightforward per-buffer, per-day Python loop with the semantics of :mod:`netting`.

It is the baseline of ``benchmarks/mrp_netting.py`` and the oracle of the tests: no numpy
in the loops, one buffer at a time in netting order, plain floats. It returns the planned
orders only (as tuples), which is what the vectorized engine must reproduce.
"""

from __future__ import annotations

import math
from collections import defaultdict

from oms_plan.mrp.lotsizing import EOQ, FIXED, POQ, TOL, adjust_one
from oms_plan.mrp.problem import MAKE, TRANSFER, MrpProblem

#: One planned order: (buffer, due day, release day, quantity, sourcing index).
PlannedTuple = tuple[int, int, int, float, int]


def net_reference(problem: MrpProblem) -> list[PlannedTuple]:
    """Plan ``problem`` buffer by buffer and day by day; return the planned orders.

    Orders come in the vectorized engine's creation order: by buffer (netting order), then
    due day, then piece.
    """
    p = problem
    horizon = p.horizon_days
    lots = p.lots
    rule = lots.rule.tolist()
    size_min = lots.lot_min.tolist()
    mult = lots.lot_multiple.tolist()
    integral = lots.integral.tolist()
    cap = lots.cap.tolist()
    piece = lots.piece.tolist()
    days_ = lots.lot_days.tolist()
    order_cost = lots.order_cost.tolist()
    unit_cost = lots.unit_cost.tolist()
    holding = lots.holding_rate.tolist()
    src_ptr = p.src_ptr.tolist()
    src_lead = p.src_lead.tolist()
    src_method = p.src_method.tolist()
    src_from = p.src_from.tolist()
    bom_ptr = p.bom_ptr.tolist()
    bom_comp = p.bom_comp.tolist()
    bom_qty = p.bom_qty.tolist()

    gross: dict[int, list[float]] = defaultdict(lambda: [0.0] * horizon)
    for b, d, q in zip(p.dem_buf.tolist(), p.dem_day.tolist(), p.dem_qty.tolist(), strict=True):
        gross[b][d] += q
    receipts: dict[int, list[float]] = defaultdict(lambda: [0.0] * horizon)
    for b, d, q in zip(p.rec_buf.tolist(), p.rec_day.tolist(), p.rec_qty.tolist(), strict=True):
        receipts[b][d] += q

    def adjust(i: int, q: float) -> float:
        return adjust_one(q, size_min[i], mult[i], integral[i])

    def split(i: int, q: float) -> list[float]:
        if q <= cap[i] + TOL:
            return [q]
        full = math.ceil(q / cap[i] - TOL) - 1
        return [cap[i]] * full + [adjust(i, q - full * cap[i])]

    planned: list[PlannedTuple] = []
    for b in range(p.num_buffers):
        i = int(p.buf_item[b])
        gr = gross.get(b, [0.0] * horizon)
        sr = receipts.get(b, [0.0] * horizon)
        ss = float(p.safety_stock[b])
        poh = float(p.on_hand[b])
        has_source = src_ptr[b + 1] > src_ptr[b]
        eoq = 0.0
        if rule[i] == EOQ and holding[i] * unit_cost[i] > 0:
            yearly = sum(gr) * 365.0 / horizon
            eoq = math.sqrt(2.0 * yearly * order_cost[i] / (holding[i] * unit_cost[i]))
        for t in range(horizon):
            poh = poh + (sr[t] - gr[t])
            need = ss - poh
            if not (has_source and need > TOL):
                continue
            if rule[i] == FIXED:
                count = math.ceil(need / piece[i] - TOL)
                orders = [q for _ in range(count) for q in split(i, piece[i])]
            else:
                base = need
                if rule[i] == POQ:
                    run, best = 0.0, 0.0
                    for s in range(t + 1, min(t + days_[i], horizon)):
                        run += gr[s] - sr[s]
                        best = max(best, run)
                    base = need + best
                elif rule[i] == EOQ:
                    base = max(need, eoq)
                orders = split(i, adjust(i, base))
            poh += sum(orders)
            for q in orders:
                k = _source(src_ptr[b], src_ptr[b + 1], src_lead, t)
                release = t - src_lead[k]
                planned.append((b, t, release, q, k))
                day = max(release, 0)
                if src_method[k] == MAKE:
                    for line in range(bom_ptr[b], bom_ptr[b + 1]):
                        gross[bom_comp[line]][day] += q * bom_qty[line]
                elif src_method[k] == TRANSFER:
                    gross[src_from[k]][day] += q
    return planned


def _source(first: int, end: int, lead: list[int], due: int) -> int:
    for k in range(first, end):
        if due - lead[k] >= 0:
            return k
    return first
