"""First-come-first-served allocation: what an ERP does, the baseline and warm start.

Lines are served one at a time in the order of the orders table (order entry), each taking
what it can: first from options that deliver on time, then from the earliest late ones;
among equals the cheapest lane, then the lowest location id (the SCHEMA ship-from rule).
Stock once taken is never given back. Side constraints are honoured: all-or-nothing lines
take one option that covers them, min_shipment / max_shipments bound each take, a
ship-complete order is served whole on the first (location, day) every line can take, and
quotas cap each group's cumulative take.
"""

from __future__ import annotations

import time

import numpy as np

from oms_plan.allocate.policies import Stage
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.allocate.result import AllocationOutcome, StageOutcome, allocation_outcome
from oms_plan.results import SolveStatus

NAME = "greedy"
CAPABILITIES = frozenset(
    {
        "strict_priority",
        "weighted",
        "fair_share",
        "protect_commitments",
        "side_constraints",
        "quotas",
    }
)


class Stock:
    """Remaining stock per interval with the cumulative rule of the time-expanded network.

    A draw at interval ``i`` of a buffer is possible up to the smallest slack
    ``cumulative receipts − cumulative draws`` over intervals ``i …`` of that buffer.
    """

    def __init__(self, problem: AllocationProblem, flows: np.ndarray | None = None) -> None:
        self.buf = problem.iv_buffer
        n_buf = len(problem.buf_item)
        self.first = np.searchsorted(self.buf, np.arange(n_buf), side="left")
        self.last = np.searchsorted(self.buf, np.arange(n_buf), side="right")
        net = problem.iv_supply.copy()
        if flows is not None:
            np.subtract.at(net, problem.opt_interval, flows)
        # Cumulative within each buffer (intervals are sorted by buffer, then day).
        total = np.cumsum(net)
        offset = np.zeros(n_buf, dtype=np.int64)
        has = self.last > self.first
        before = np.concatenate([[0], total])[self.first[has]]
        offset[has] = before
        slack = total - offset[self.buf] if len(self.buf) else total
        # Plain lists: buffers have a few intervals each, and the greedy passes make one
        # call per option, where numpy's per-call overhead would dominate.
        self.slack: list[int] = slack.tolist()
        self.end: list[int] = self.last[self.buf].tolist()

    def available(self, iv: int) -> int:
        """Largest quantity a draw at interval ``iv`` can take."""
        return min(self.slack[iv : self.end[iv]])

    def take(self, iv: int, qty: int) -> None:
        """Draw ``qty`` at interval ``iv`` (negative: give it back)."""
        slack = self.slack
        for k in range(iv, self.end[iv]):
            slack[k] -= qty


class _Quotas:
    """Cumulative quota caps still open per (group, item, last day)."""

    def __init__(self, problem: AllocationProblem, flows: np.ndarray | None = None) -> None:
        self.rows: dict[tuple[int, int], list[list[int]]] = {}
        for g, i, d, c in zip(
            problem.quota_group,
            problem.quota_item,
            problem.quota_day,
            problem.quota_cap,
            strict=True,
        ):
            self.rows.setdefault((int(g), int(i)), []).append([int(d), int(c)])
        if flows is not None and self.rows:
            for a in np.flatnonzero(flows > 0):
                j = int(problem.opt_line[a])
                self.take(
                    int(problem.line_group[j]),
                    int(problem.line_item[j]),
                    int(problem.opt_day[a]),
                    int(flows[a]),
                )

    def room(self, group: int, item: int, day: int) -> int:
        rows = self.rows.get((group, item))
        if not rows:
            return 1 << 62
        return min((c for d, c in rows if d >= day), default=1 << 62)

    def take(self, group: int, item: int, day: int, qty: int) -> None:
        for row in self.rows.get((group, item), []):
            if row[0] >= day:
                row[1] -= qty


def solve(
    problem: AllocationProblem,
    stages: list[Stage],
    *,
    components: np.ndarray | None = None,
    time_limit: float | None = None,
    workers: int = 1,
    hint: np.ndarray | None = None,
    repair: bool = False,
    seed: int = 0,
) -> AllocationOutcome:
    """Allocate first come, first served (the policy's stages are only evaluated).

    Parameters
    ----------
    problem
        The allocation problem.
    stages
        Stages to report values for (fair stages report the smallest on-time fill ratio).
    components
        Boolean mask over components (default: all).
    time_limit, workers, hint, repair, seed
        Unused (uniform back-end interface).

    Returns
    -------
    AllocationOutcome
        Status ``feasible`` (no bound) or ``empty``.

    """
    del time_limit, workers, hint, repair, seed
    started = time.perf_counter()
    flows = allocate_fcfs(problem, components)
    outcomes = evaluate_stages(problem, stages, flows, components)
    status = SolveStatus.FEASIBLE if problem.num_options else SolveStatus.EMPTY
    return allocation_outcome(
        solver=NAME,
        flows=flows,
        stages=outcomes,
        status=status,
        runtime=time.perf_counter() - started,
    )


def evaluate_stages(
    problem: AllocationProblem,
    stages: list[Stage],
    flows: np.ndarray,
    components: np.ndarray | None,
) -> tuple[StageOutcome, ...]:
    """Stage values of ``flows`` without any bound (``nan``)."""
    from oms_plan.allocate.policies import fair_ratio

    out = []
    for s in stages:
        if s.is_fair:
            lines = s.fair_lines if s.fair_lines is not None else np.zeros(0, np.int64)
            if components is not None:
                lines = lines[components[problem.line_component[lines]]]
            value = fair_ratio(problem, flows, lines)
        else:
            value = s.value(flows)
        out.append(StageOutcome(s.name, s.sense, value, float("nan"), SolveStatus.FEASIBLE))
    return tuple(out)


def allocate_fcfs(problem: AllocationProblem, components: np.ndarray | None = None) -> np.ndarray:
    """First-come-first-served option quantities (scaled) for the selected components."""
    flows = np.zeros(problem.num_options, dtype=np.int64)
    stock = Stock(problem)
    quotas = _Quotas(problem)
    starts = np.searchsorted(problem.opt_line, np.arange(problem.num_lines + 1))
    pref = preference(problem)
    done_groups: set[int] = set()
    for j in range(problem.num_lines):
        if components is not None and not components[problem.line_component[j]]:
            continue
        g = int(problem.line_together[j])
        if g >= 0:
            if g not in done_groups:
                done_groups.add(g)
                _serve_together(problem, g, flows, stock, quotas)
            continue
        opts = pref[starts[j] : starts[j + 1]]
        _serve_line(problem, j, opts, flows, stock, quotas)
    return flows


def fill_leftovers(
    problem: AllocationProblem, flows: np.ndarray, components: np.ndarray | None = None
) -> np.ndarray:
    """Add first-come-first-served draws of stock nobody uses to lines still short.

    Existing draws stay; side constraints are honoured (a line keeps its shipments and may
    add more within max_shipments; a ship-complete order with nothing yet may ship whole).
    Lines go by priority, then orders row.
    """
    out = flows.copy()
    stock = Stock(problem, out)
    quotas = _Quotas(problem, out)
    filled = np.bincount(problem.opt_line, weights=out, minlength=problem.num_lines)
    starts = np.searchsorted(problem.opt_line, np.arange(problem.num_lines + 1))
    pref = preference(problem)
    short = np.flatnonzero(filled < problem.line_qty)
    short = short[np.lexsort((problem.line_row[short], problem.line_priority[short]))]
    done: set[int] = set()
    for j in short:
        if components is not None and not components[problem.line_component[j]]:
            continue
        g = int(problem.line_together[j])
        if g >= 0:
            if g not in done and not out[problem.together_options(g)].any():
                _serve_together(problem, g, out, stock, quotas)
            done.add(g)
            continue
        _serve_line(problem, int(j), pref[starts[j] : starts[j + 1]], out, stock, quotas)
    return out


def preference(problem: AllocationProblem) -> np.ndarray:
    """Options by line, then on time first, earliest delivery, cheapest, location id."""
    return np.lexsort(
        (
            problem.opt_location,
            problem.opt_cost,
            problem.opt_day + problem.opt_transit,
            problem.opt_late > 0,
            problem.opt_line,
        )
    )


def _serve_line(
    problem: AllocationProblem,
    j: int,
    opts: np.ndarray,
    flows: np.ndarray,
    stock: Stock,
    quotas: _Quotas,
) -> None:
    have = flows[opts]
    need = int(problem.line_qty[j]) - int(have.sum())
    whole = bool(problem.line_whole[j])
    if whole and have.any():
        return
    min_ship = int(problem.line_min_ship[j])
    max_ship = int(problem.line_max_ship[j]) or (1 if whole else 1 << 30)
    group, item = int(problem.line_group[j]), int(problem.line_item[j])
    shipments = int((have > 0).sum())
    for a in opts:
        if need <= 0 or shipments >= max_ship:
            break
        iv, day = int(problem.opt_interval[a]), int(problem.opt_day[a])
        can = min(stock.available(iv), quotas.room(group, item, day), need)
        if whole and can < need:
            continue
        if can <= 0 or can < min_ship:
            continue
        new = flows[a] == 0
        if not new and min_ship > 0 and flows[a] + can < min_ship:
            continue
        stock.take(iv, can)
        quotas.take(group, item, day, can)
        flows[a] += can
        need -= can
        shipments += int(new)


def _serve_together(
    problem: AllocationProblem, g: int, flows: np.ndarray, stock: Stock, quotas: _Quotas
) -> None:
    """Serve a ship-complete order whole on the earliest key every line can take."""
    opts = problem.together_options(g)
    keys = problem.opt_together[opts]
    best: tuple[int, float, int] | None = None
    for key in np.unique(keys):
        members = opts[keys == key]
        ok = True
        for a in members:
            j = int(problem.opt_line[a])
            iv, day = int(problem.opt_interval[a]), int(problem.opt_day[a])
            room = quotas.room(int(problem.line_group[j]), int(problem.line_item[j]), day)
            if min(stock.available(iv), room) < problem.line_qty[j]:
                ok = False
                break
        if not ok:
            continue
        rank = (
            int(problem.opt_late[members].max()),
            float(np.dot(problem.opt_cost[members], problem.line_qty[problem.opt_line[members]])),
            int(key),
        )
        if best is None or rank < best:
            best = rank
    if best is None:
        return
    for a in opts[keys == best[2]]:
        j = int(problem.opt_line[a])
        qty = int(problem.line_qty[j])
        # Two lines of one item at one location share the interval: re-check as we take.
        if stock.available(int(problem.opt_interval[a])) < qty:
            _undo(problem, opts[keys == best[2]], flows, stock, quotas)
            return
        stock.take(int(problem.opt_interval[a]), qty)
        quotas.take(
            int(problem.line_group[j]), int(problem.line_item[j]), int(problem.opt_day[a]), qty
        )
        flows[a] += qty


def _undo(
    problem: AllocationProblem, opts: np.ndarray, flows: np.ndarray, stock: Stock, quotas: _Quotas
) -> None:
    for a in opts:
        if flows[a] > 0:
            j = int(problem.opt_line[a])
            stock.take(int(problem.opt_interval[a]), -int(flows[a]))
            quotas.take(
                int(problem.line_group[j]),
                int(problem.line_item[j]),
                int(problem.opt_day[a]),
                -int(flows[a]),
            )
            flows[a] = 0
