"""Exact allocation as a sequence of min-cost flows (OR-Tools ``SimpleMinCostFlow``).

The network (all arcs integer; quantities in scaled units):

* a node per buffer interval with supply = its receipts; carry arcs interval → next interval
  of the same buffer; the last interval → sink (stock left over), cost 0;
* an option arc interval → line, capacity = the line's quantity, cost = the stage's
  coefficient (negated for a maximization);
* line → sink, capacity = the line's quantity.

The sink absorbs all supply, so every stage is feasible (shipping nothing is allowed).

Lexicographic stages are solved one after the other with *reduced-cost fixing*: after a
stage is optimal, node potentials π (shortest distances in the residual graph, so every
residual arc has reduced cost ``c + π_tail − π_head ≥ 0``) are an optimal dual. By
complementary slackness every optimal flow of the stage puts 0 on arcs with positive reduced
cost and saturates arcs with negative reduced cost, and every feasible flow that does so is
optimal. Removing the first and pre-sending the second leaves a smaller network whose flows
are exactly the stage's optimal flows, still a network, so the next stage keeps integral
answers and never worsens an earlier stage. No big-M weights are needed, so nothing
overflows and nothing is approximate: every stage is proven optimal.
"""

from __future__ import annotations

import math
import time

import numpy as np
from ortools.graph.python import min_cost_flow

from oms_plan.allocate.policies import Stage
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.allocate.result import AllocationOutcome, StageOutcome, allocation_outcome
from oms_plan.errors import PlanningError
from oms_plan.results import SolveStatus

NAME = "flow"
#: What this back-end supports (see docs/allocation.md).
CAPABILITIES = frozenset({"strict_priority", "weighted", "protect_commitments", "repair"})
#: Merge consecutive stages while |merged cost| · (nodes + 1) stays below this (OR-Tools
#: refuses 2**63; the margin keeps its internal price arithmetic far from overflow).
MAX_MERGED_COST = 2**53
#: Arcs per independent block solved at once (whole items; see :meth:`_Network.blocks`).
BLOCK_ARCS = 1_000


class _Network:
    """Arc arrays of the flow network for the selected components."""

    def __init__(self, problem: AllocationProblem, comps: np.ndarray) -> None:
        line_sel = np.flatnonzero(comps[problem.line_component]).astype(np.int64)
        opt_sel = np.flatnonzero(comps[problem.line_component[problem.opt_line]])
        iv_comp = problem.iv_component
        iv_sel = np.flatnonzero((iv_comp >= 0) & comps[np.maximum(iv_comp, 0)])
        self.opt_sel = opt_sel
        n_iv, n_line = len(iv_sel), len(line_sel)
        iv_pos = np.full(problem.num_intervals, -1, dtype=np.int64)
        iv_pos[iv_sel] = np.arange(n_iv)
        line_pos = np.full(problem.num_lines, -1, dtype=np.int64)
        line_pos[line_sel] = np.arange(n_line)
        sink = n_iv + n_line
        self.num_nodes = sink + 1
        buf = problem.iv_buffer[iv_sel]
        supply = problem.iv_supply[iv_sel]
        buf_total = np.zeros(len(problem.buf_item), dtype=np.int64)
        np.add.at(buf_total, buf, supply)
        same_next = np.zeros(n_iv, dtype=bool)
        same_next[:-1] = buf[:-1] == buf[1:]  # intervals are sorted by buffer, day
        carry_from = np.flatnonzero(same_next)
        last = np.flatnonzero(~same_next)
        qty = problem.line_qty[line_sel]
        tails = [
            carry_from,
            last,
            iv_pos[problem.opt_interval[opt_sel]],
            n_iv + np.arange(n_line),
        ]
        heads = [
            carry_from + 1,
            np.full(len(last), sink),
            n_iv + line_pos[problem.opt_line[opt_sel]],
            np.full(n_line, sink),
        ]
        caps = [
            buf_total[buf[carry_from]],
            buf_total[buf[last]],
            problem.line_qty[problem.opt_line[opt_sel]],
            qty,
        ]
        self.first_option = len(carry_from) + len(last)
        self.tail = np.concatenate(tails).astype(np.int64)
        self.head = np.concatenate(heads).astype(np.int64)
        self.cap = np.concatenate(caps).astype(np.int64)
        self.supply = np.zeros(self.num_nodes, dtype=np.int64)
        self.supply[:n_iv] = supply
        self.supply[sink] = -int(supply.sum())
        # Every arc stays within one item (its tail's): lines draw from their item's buffers.
        node_item = np.concatenate(
            [problem.buf_item[buf], problem.line_item[line_sel], np.array([-1], dtype=np.int64)]
        )
        self.arc_item = node_item[self.tail]

    def blocks(self, size: int | None = None) -> list[np.ndarray]:
        """Arc indices of independent blocks: whole items, about ``size`` arcs each.

        Items share nothing but the sink, so the flow problem splits into one problem per
        item; a separable objective's lexicographic optima are the products of the blocks'
        ones. Min-cost flow time grows faster than linearly with the network, so small
        blocks solve much faster than one big network; grouping items into blocks of a few
        thousand arcs keeps the per-solve overhead low.
        """
        size = BLOCK_ARCS if size is None else size
        order = np.argsort(self.arc_item, kind="stable")
        items, first = np.unique(self.arc_item[order], return_index=True)
        if not len(items):
            return []
        block_of_item = (first // size).astype(np.int64)
        # Blocks start where an item's first arc crosses a multiple of size.
        starts = first[np.flatnonzero(np.diff(block_of_item, prepend=-1))]
        return np.split(order, starts[1:])

    def option_slice(self) -> slice:
        """Arcs that are options (in the order of ``opt_sel``)."""
        return slice(self.first_option, self.first_option + len(self.opt_sel))


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
    """Solve ``stages`` lexicographically on the selected components, exactly.

    With ``repair``, components with side constraints are solved as well: the network
    relaxation (side constraints dropped) is solved exactly, the side-constrained lines
    keep only the part of it they may (see :func:`_repair`), and the other lines are
    re-solved exactly around them. The relaxation's stage values bound the answer: stages
    equal to it are proven optimal, and the first stage below it carries the gap.

    Parameters
    ----------
    problem
        The allocation problem.
    stages
        Linear stages, in order (see :func:`oms_plan.allocate.policies.build_stages`).
    components
        Boolean mask over components (default: all).
    time_limit, workers, hint, seed
        Accepted for a uniform back-end interface; min-cost flow has no use for them.
    repair
        Also solve components with side constraints, by relaxation and repair.

    Returns
    -------
    AllocationOutcome

    Raises
    ------
    PlanningError
        When a stage is not linear (``fair_share``) or a selected component has side
        constraints a network flow cannot express (use ``cpsat`` or ``pulp``).

    """
    del time_limit, workers, hint, seed
    started = time.perf_counter()
    comps = np.ones(problem.num_components, dtype=bool) if components is None else components
    _check_supported(problem, stages, comps, repair)
    if repair and (problem.component_needs_mip() & comps).any():
        return _solve_repaired(problem, stages, comps, started)
    flows_all, outcomes = _lexicographic(problem, stages, comps, None)
    return allocation_outcome(
        solver=NAME,
        flows=flows_all,
        stages=tuple(outcomes),
        status=SolveStatus.OPTIMAL,
        runtime=time.perf_counter() - started,
    )


def _lexicographic(
    problem: AllocationProblem,
    stages: list[Stage],
    comps: np.ndarray,
    pinned: tuple[np.ndarray, np.ndarray] | None,
    reuse: np.ndarray | None = None,
) -> tuple[np.ndarray, list[StageOutcome]]:
    """Stage after stage with reduced-cost fixing, block by block.

    ``pinned`` = (quantity per option, decided lines): pinned quantities are pre-sent (taken
    out of their interval's supply and given to their line's node) and count in every
    stage value; every option of a decided line is closed. With ``reuse`` (option
    quantities of an earlier call on the same components without ``pinned``), blocks that
    hold no decided line are not solved again: their answer would be the same.
    """
    net = _Network(problem, comps)
    opts = net.option_slice()
    fixed = np.zeros(len(net.cap), dtype=np.int64)
    cap = net.cap.copy()
    supply = net.supply.copy()
    decided_node = np.zeros(net.num_nodes, dtype=bool)
    if pinned is not None:
        quantity, decided = pinned
        pin = quantity[net.opt_sel]
        arcs = np.arange(opts.start, opts.stop)
        np.subtract.at(supply, net.tail[arcs], pin)
        np.add.at(supply, net.head[arcs], pin)
        fixed[arcs] = pin
        closed = decided[problem.opt_line[net.opt_sel]]
        cap[arcs[closed]] = 0
        decided_node[net.head[arcs[closed]]] = True
    # Stage coefficients per option arc of the network (min-cost sign).
    costs = [
        (-s.coef[net.opt_sel] if s.sense == "max" else s.coef[net.opt_sel]).astype(np.int64)
        for s in stages
    ]
    raw = [s.coef[net.opt_sel].astype(np.int64) for s in stages]
    totals = [0] * len(stages)
    total = fixed.copy()
    for arcs in net.blocks():
        if reuse is not None and not decided_node[net.head[arcs]].any():
            is_opt = (arcs >= opts.start) & (arcs < opts.stop)
            total[arcs[is_opt]] = reuse[net.opt_sel[arcs[is_opt] - opts.start]]
            continue
        block_total, block_values = _solve_block(net, arcs, opts, cap, supply, fixed, costs, raw)
        total[arcs] = block_total
        for k, v in enumerate(block_values):
            totals[k] += v
    flows_all = np.zeros(problem.num_options, dtype=np.int64)
    flows_all[net.opt_sel] = total[opts]
    outcomes = []
    for stage, k_total in zip(stages, totals, strict=True):
        value = k_total / stage.divisor
        if reuse is not None:  # reused blocks are not in the running totals
            value = stage.value(flows_all)
        outcomes.append(StageOutcome(stage.name, stage.sense, value, value, SolveStatus.OPTIMAL))
    return flows_all, outcomes


def _solve_block(
    net: _Network,
    arcs: np.ndarray,
    opts: slice,
    cap_all: np.ndarray,
    supply_all: np.ndarray,
    fixed_all: np.ndarray,
    costs: list[np.ndarray],
    raw: list[np.ndarray],
) -> tuple[np.ndarray, list[int]]:
    """Every stage on one block (node-disjoint from the others but for the sink).

    Consecutive stages are solved as one min-cost flow when exact lexicographic weights
    for them fit comfortably in 64-bit costs (see :func:`_merge_weights`), else one by one.
    Returns the arc flows (fixed parts included) and each stage's integer value in the
    block (Σ coef · x over its option arcs).
    """
    nodes = np.unique(np.concatenate([net.tail[arcs], net.head[arcs]]))
    tail = np.searchsorted(nodes, net.tail[arcs])
    head = np.searchsorted(nodes, net.head[arcs])
    n_nodes = len(nodes)
    supply = supply_all[nodes].copy()
    if nodes[-1] == net.num_nodes - 1:  # the sink takes what the block's other nodes supply
        supply[-1] = -int(supply[:-1].sum())
    cap = cap_all[arcs].copy()
    fixed = fixed_all[arcs].copy()
    is_opt = (arcs >= opts.start) & (arcs < opts.stop)
    opt_pos = np.flatnonzero(is_opt)
    opt_idx = arcs[opt_pos] - opts.start
    opt_head = head[opt_pos]
    flow = np.zeros(len(arcs), dtype=np.int64)
    values: list[int] = []
    k = 0
    while k < len(costs):
        live = cap[opt_pos] > 0
        group, last = _merge_group(costs, k, opt_idx, live, cap[opt_pos], opt_head, n_nodes)
        cost = np.zeros(len(arcs), dtype=np.int64)
        cost[opt_pos] = group
        if (group[live] != 0).any():
            flow = _min_cost_flow(tail, head, n_nodes, cap, cost, supply)
            if last < len(costs):
                rc = _reduced_costs(tail, head, n_nodes, cap, cost, flow)
                at_zero = rc > 0
                at_cap = rc < 0
                np.subtract.at(supply, tail[at_cap], cap[at_cap])
                np.add.at(supply, head[at_cap], cap[at_cap])
                fixed[at_cap] += cap[at_cap]
                cap[at_zero | at_cap] = 0
                flow[at_zero | at_cap] = 0
        # Else every feasible flow is optimal: keep the current one, fix nothing.
        total = (flow + fixed)[opt_pos]
        values += [int(np.dot(raw[m][opt_idx], total)) for m in range(k, last)]
        k = last
    return flow + fixed, values


def _merge_group(
    costs: list[np.ndarray],
    k: int,
    opt_idx: np.ndarray,
    live: np.ndarray,
    cap: np.ndarray,
    opt_head: np.ndarray,
    n_nodes: int,
) -> tuple[np.ndarray, int]:
    """Option-arc costs of stages ``k … last-1`` merged into one exact objective.

    Each stage's costs are divided by their greatest common divisor (same optima). With
    ``width_m`` a bound on how much stage ``m``'s objective can vary over the block's
    feasible flows (Σ over line nodes of the largest |cost| of a live arc into it times
    the line's quantity, which bounds what its live arcs can carry together), the weights
    ``W_last-1 = 1``, ``W_m = 1 + Σ_{l>m} W_l · width_l`` make any lexicographic improvement
    of an earlier stage outweigh every change of the later ones, so the merged optimum is
    exactly the lexicographic optimum and its optimal set the same. Stages are added while
    the merged costs stay far below what OR-Tools accepts (|cost| · (nodes + 1) < 2**63).
    """
    scaled: list[np.ndarray] = []
    widths: list[int] = []
    best = (costs[k][opt_idx], k + 1)
    for m in range(k, len(costs)):
        c = costs[m][opt_idx].copy()
        c[~live] = 0
        g = int(np.gcd.reduce(c)) if len(c) else 0
        if g > 1:
            c //= g
        per_head = np.zeros(n_nodes, dtype=np.int64)
        np.maximum.at(per_head, opt_head, np.abs(c) * np.where(live, cap, 0))
        scaled.append(c)
        widths.append(int(per_head.sum()))
        weights = [0] * len(widths)
        later = 0  # Σ_{l>i} W_l · width_l
        for i in reversed(range(len(widths))):
            weights[i] = 1 + later
            later += weights[i] * widths[i]
        big = sum(
            wt * int(np.abs(c2).max(initial=0)) for wt, c2 in zip(weights, scaled, strict=True)
        )
        if m > k and big * (n_nodes + 1) > MAX_MERGED_COST:
            break
        if m > k:
            merged = np.zeros(len(opt_idx), dtype=np.int64)
            for wt, c2 in zip(weights, scaled, strict=True):
                merged += wt * c2
            best = (merged, m + 1)
        else:
            best = (c, m + 1)
    return best


def _solve_repaired(
    problem: AllocationProblem, stages: list[Stage], comps: np.ndarray, started: float
) -> AllocationOutcome:
    """Relaxation, repair of the side-constrained lines, exact re-solve of the others."""
    relaxed, bounds = _lexicographic(problem, stages, comps, None)
    pinned, decided = _repair(problem, relaxed, comps)
    flows, _ = _lexicographic(problem, stages, comps, (pinned, decided), reuse=relaxed)
    flows = _fill_leftovers(problem, flows, comps)
    outcomes: list[StageOutcome] = []
    proven = True
    for stage, b in zip(stages, bounds, strict=True):
        value = stage.value(flows)
        # Equal to the relaxation so far: this stage's relaxed value bounds it too.
        if proven and value == b.value:
            outcomes.append(
                StageOutcome(stage.name, stage.sense, value, value, SolveStatus.OPTIMAL)
            )
            continue
        bound = b.value if proven else (math.inf if stage.sense == "max" else -math.inf)
        proven = False
        outcomes.append(StageOutcome(stage.name, stage.sense, value, bound, SolveStatus.FEASIBLE))
    status = SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE
    return allocation_outcome(
        solver=f"{NAME}-repair",
        flows=flows,
        stages=tuple(outcomes),
        status=status,
        runtime=time.perf_counter() - started,
    )


def _repair(
    problem: AllocationProblem, relaxed: np.ndarray, comps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pinned quantities of the side-constrained lines: the part of the relaxation they may keep.

    Only ever a subset of the relaxation's draws, so stock stays feasible:
    min_shipment / max_shipments lines keep their largest draws that are ≥ min_shipment, at
    most max_shipments of them; all-or-nothing lines keep a draw that covers them whole;
    a ship-complete order keeps a (location, day) key on which every line is whole.
    Everything else they drew is released. Returns the pinned quantity per option and the
    lines that are decided (the re-solve leaves all their options as pinned, possibly 0).
    """
    pinned = np.zeros(problem.num_options, dtype=np.int64)
    ol = problem.opt_line
    sel = comps[problem.line_component[ol]] & problem.line_needs_mip[ol]
    qty = problem.line_qty[ol]
    # Ship-complete keys: every option of the key carries its line's whole quantity.
    tog = sel & (problem.opt_together >= 0)
    if tog.any():
        keys = problem.opt_together[tog]
        full = relaxed[tog] == qty[tog]
        n_keys = int(keys.max()) + 1
        members = np.bincount(keys, minlength=n_keys)
        whole = np.bincount(keys, weights=full, minlength=n_keys)
        ok_key = (members > 0) & (whole == members)
        group = problem.line_together[ol[tog]]
        chosen: dict[int, int] = {}
        for k, g in zip(keys, group, strict=True):
            if ok_key[k] and int(g) not in chosen:
                chosen[int(g)] = int(k)
        keep = np.array([chosen.get(int(g)) == int(k) for k, g in zip(keys, group, strict=True)])
        idx = np.flatnonzero(tog)
        pinned[idx[keep]] = qty[tog][keep]
    rest = np.flatnonzero(sel & (problem.opt_together < 0) & (relaxed > 0))
    if len(rest):
        line = ol[rest]
        order = np.lexsort((-relaxed[rest], line))
        rest, line = rest[order], line[order]
        rank = np.arange(len(rest)) - np.searchsorted(line, line, side="left")
        whole = problem.line_whole[line]
        min_ship = problem.line_min_ship[line]
        limit = np.where(whole, 1, problem.line_max_ship[line])
        ok = (relaxed[rest] >= min_ship) & ((limit == 0) | (rank < limit))
        ok &= ~whole | (relaxed[rest] == qty[rest])
        pinned[rest[ok]] = relaxed[rest[ok]]
    decided = np.zeros(problem.num_lines, dtype=bool)
    decided[np.unique(ol[sel])] = True
    _consolidate(problem, relaxed, pinned, decided)
    return pinned, decided


def _consolidate(
    problem: AllocationProblem, relaxed: np.ndarray, pinned: np.ndarray, decided: np.ndarray
) -> None:
    """Place all-or-nothing lines and ship-complete orders that the relaxation split.

    With the pinned lines' draws in place and the dropped lines' draws released, a dropped
    line (most important first: promised lines by priority, then the others by priority,
    then orders row) takes one option that covers it whole; ship-complete orders likewise
    take one key. A dropped line may use stock that nobody drew in the relaxation or that
    less important lines without side constraints drew there (those are re-solved exactly
    around the pinned set afterwards); what pinned lines and more important lines drew stays
    untouched, so the pinned set stays feasible.
    """
    from oms_solvers.greedy.allocate import Stock, preference

    ol = problem.opt_line
    kept = np.bincount(ol, weights=pinned, minlength=problem.num_lines)
    dropped = np.flatnonzero(decided & problem.line_whole & (kept == 0))
    if not len(dropped):
        return
    # Importance: promised lines first (protection ranks above every policy), by priority.
    rank = problem.line_priority + np.where(problem.line_has_promise, 0, 1 << 20)
    dropped = dropped[np.lexsort((problem.line_row[dropped], rank[dropped]))]
    starts = np.searchsorted(ol, np.arange(problem.num_lines + 1))
    pref = preference(problem)
    done: set[int] = set()
    free = ~decided[ol]
    for level in np.unique(rank[dropped]):
        # Stock left by the pinned draws and the free lines at least as important.
        draws = np.where(decided[ol], pinned, np.where(free & (rank[ol] <= level), relaxed, 0))
        stock = Stock(problem, draws)
        for j in dropped[rank[dropped] == level]:
            g = int(problem.line_together[j])
            if g >= 0:
                if g in done:
                    continue
                done.add(g)
                _place_together(problem, g, relaxed, pinned, stock, starts)
                continue
            q = int(problem.line_qty[j])
            for a in pref[starts[j] : starts[j + 1]]:
                if stock.available(int(problem.opt_interval[a])) >= q:
                    stock.take(int(problem.opt_interval[a]), q)
                    pinned[a] = q
                    break


def _place_together(
    problem: AllocationProblem,
    g: int,
    relaxed: np.ndarray,
    pinned: np.ndarray,
    stock: object,
    starts: np.ndarray,
) -> None:
    """Try each key of a ship-complete order, best first (its relaxed draws are released)."""
    from oms_solvers.greedy.allocate import Stock

    assert isinstance(stock, Stock)
    opts = problem.together_options(g)
    keys = problem.opt_together[opts]
    # Keys by their latest line's days late, then summed lane cost, then key.
    uniq, inv = np.unique(keys, return_inverse=True)
    late = np.zeros(len(uniq), dtype=np.int64)
    np.maximum.at(late, inv, problem.opt_late[opts])
    cost = np.bincount(inv, weights=problem.opt_cost[opts], minlength=len(uniq))
    ranked = uniq[np.lexsort((uniq, cost, late))]
    for key in ranked:
        members = opts[keys == key]
        taken: list[tuple[int, int]] = []
        ok = True
        for a in members:
            q = int(problem.line_qty[problem.opt_line[a]])
            iv = int(problem.opt_interval[a])
            if stock.available(iv) < q:
                ok = False
                break
            stock.take(iv, q)
            taken.append((iv, q))
        if ok:
            for a in members:
                pinned[a] = int(problem.line_qty[problem.opt_line[a]])
            return
        for iv, q in taken:
            stock.take(iv, -q)


def _fill_leftovers(problem: AllocationProblem, flows: np.ndarray, comps: np.ndarray) -> np.ndarray:
    """Give stock nobody uses to side-constrained lines still short, first come first served."""
    from oms_solvers.greedy.allocate import fill_leftovers

    return fill_leftovers(problem, flows, comps)


def _check_supported(
    problem: AllocationProblem, stages: list[Stage], comps: np.ndarray, repair: bool = False
) -> None:
    fair = [s.name for s in stages if s.is_fair]
    if fair:
        raise PlanningError(
            f"the flow back-end cannot solve fair-share stages ({', '.join(fair)}); "
            "use solver='cpsat' or 'pulp'"
        )
    needs = problem.component_needs_mip() & comps
    if needs.any() and not repair:
        lines = np.flatnonzero(needs[problem.line_component] & problem.line_needs_mip)
        example = problem.describe_line(int(lines[0])) if len(lines) else "a quota"
        raise PlanningError(
            "the flow back-end cannot honour partial_ok=false, ship_complete, min_shipment, "
            f"max_shipments or quotas (e.g. {example}); use solver='cpsat', 'pulp' or None"
        )


def _min_cost_flow(
    tail: np.ndarray,
    head: np.ndarray,
    num_nodes: int,
    cap: np.ndarray,
    cost: np.ndarray,
    supply: np.ndarray,
) -> np.ndarray:
    """One min-cost flow over the arcs with capacity left; flow per arc (0 elsewhere)."""
    live = np.flatnonzero(cap > 0)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tail[live], head[live], cap[live], cost[live])
    # Nodes without live arcs must still exist: an arc-free node with zero supply is fine.
    smcf.set_nodes_supplies(np.arange(num_nodes), supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}; this is a bug")
    flow = np.zeros(len(cap), dtype=np.int64)
    flow[live] = smcf.flows(np.arange(len(live)))
    return flow


def _reduced_costs(
    tail: np.ndarray,
    head: np.ndarray,
    num_nodes: int,
    cap: np.ndarray,
    cost: np.ndarray,
    flow: np.ndarray,
) -> np.ndarray:
    """Reduced costs ``c + π_tail − π_head`` from shortest distances in the residual graph.

    Arcs without capacity left get 0 (they are fixed already). Bellman-Ford from a virtual
    root joined to every node at cost 0, vectorized; an optimal flow has no negative cycle,
    so it ends within ``num_nodes`` rounds.
    """
    live = cap > 0
    fwd = live & (flow < cap)
    bwd = live & (flow > 0)
    u = np.concatenate([tail[fwd], head[bwd]])
    v = np.concatenate([head[fwd], tail[bwd]])
    w = np.concatenate([cost[fwd], -cost[bwd]])
    order = np.argsort(v, kind="stable")
    u, v, w = u[order], v[order], w[order]
    heads, starts = np.unique(v, return_index=True)
    dist = np.zeros(num_nodes, dtype=np.int64)
    for _ in range(num_nodes + 1):
        if not len(u):
            break
        best = np.minimum.reduceat(dist[u] + w, starts)
        improved = best < dist[heads]
        if not improved.any():
            break
        dist[heads[improved]] = best[improved]
    else:  # pragma: no cover - an optimal flow has no negative cycle
        raise RuntimeError("negative cycle in the residual graph; this is a bug")
    rc = np.asarray(cost + dist[tail] - dist[head], dtype=np.int64)
    rc[~live] = 0
    return rc
