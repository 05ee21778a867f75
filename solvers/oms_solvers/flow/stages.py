"""Lexicographic stages as min-cost flows with reduced-cost fixing (see :mod:`.allocate`).

:func:`lexicographic` solves every stage block by block (:meth:`.network.Network.blocks`);
consecutive stages are merged into one min-cost flow under exact weights when they fit in
64-bit costs, and each stage's optimal set is fixed by reduced costs before the next.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from oms_plan.allocate.policies import Stage
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.allocate.result import StageOutcome
from oms_plan.allocate.stability import STAY
from oms_plan.results import SolveStatus
from oms_solvers.flow import network

#: Merge consecutive stages while |merged cost| · (nodes + 1) stays below this (OR-Tools
#: refuses 2**63; the margin keeps its internal price arithmetic far from overflow).
MAX_MERGED_COST = 2**53


def lexicographic(
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
    net = network.Network(problem, comps)
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
    # The stay tie-break is solved on its own, after the policy's stages: merged with them
    # it would change their combined costs, and with them which optimal answer comes out.
    alone = [s.name == STAY for s in stages]
    totals = [0] * len(stages)
    total = fixed.copy()
    for arcs in net.blocks():
        if reuse is not None and not decided_node[net.head[arcs]].any():
            is_opt = (arcs >= opts.start) & (arcs < opts.stop)
            total[arcs[is_opt]] = reuse[net.opt_sel[arcs[is_opt] - opts.start]]
            continue
        block_total, block_values = _solve_block(
            net, arcs, opts, cap, supply, fixed, costs, raw, alone
        )
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
    net: network.Network,
    arcs: np.ndarray,
    opts: slice,
    cap_all: np.ndarray,
    supply_all: np.ndarray,
    fixed_all: np.ndarray,
    costs: list[np.ndarray],
    raw: list[np.ndarray],
    alone: list[bool],
) -> tuple[np.ndarray, list[int]]:
    """Every stage on one block (node-disjoint from the others but for the sink).

    Consecutive stages are solved as one min-cost flow when exact lexicographic weights
    for them fit comfortably in 64-bit costs (see :func:`_merge_group`), else one by one.
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
    block = Block(tail, head, n_nodes, supply, cap, fixed, opt_pos, opt_idx)
    return _BLOCKS.solve(block, costs, raw, alone)


@dataclass(frozen=True, eq=False)
class Block:
    """One block in its own numbering: nodes ``0 … n_nodes-1``, arcs in block order."""

    tail: np.ndarray
    head: np.ndarray
    n_nodes: int
    supply: np.ndarray
    cap: np.ndarray
    fixed: np.ndarray
    opt_pos: np.ndarray  # block positions of the option arcs
    opt_idx: np.ndarray  # their index among the network's option arcs


class _BlockMemo:
    """Answers of blocks already solved in this process, by their content (least recent out).

    A block's answer is a pure function of its arcs, supplies and stage costs in its own
    numbering, so a block that a what-if leaves as the base plan had it — every item whose
    lines and receipts did not change, in a block with the same items — is answered again
    without a solve, and a warm re-solve reuses the cold one's blocks whose pins it kept.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[bytes, tuple[np.ndarray, list[int]]] = OrderedDict()
        self._lock = threading.Lock()

    def solve(
        self, block: Block, costs: list[np.ndarray], raw: list[np.ndarray], alone: list[bool]
    ) -> tuple[np.ndarray, list[int]]:
        """The block's answer (as :func:`_solve_block` returns it), from memory if known."""
        digest = hashlib.blake2b(digest_size=20)
        for array in (block.tail, block.head, block.supply, block.cap, block.fixed, block.opt_pos):
            digest.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
            digest.update(b"|")
        digest.update(bytes(alone))
        digest.update(str(MAX_MERGED_COST).encode())  # merging changes which optimum comes out
        for cost, coef in zip(costs, raw, strict=True):
            digest.update(np.ascontiguousarray(cost[block.opt_idx]).tobytes())
            digest.update(np.ascontiguousarray(coef[block.opt_idx]).tobytes())
            digest.update(b"|")
        key = digest.digest()
        with self._lock:
            known = self._answers.get(key)
            if known is not None:
                self._answers.move_to_end(key)
                return known[0].copy(), list(known[1])
        answer = _solve_stages(block, costs, raw, alone)
        with self._lock:
            self._answers[key] = (answer[0].copy(), list(answer[1]))
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer


#: Blocks remembered per process (a block holds about BLOCK_ARCS arcs: a few kB each).
MEMO_BLOCKS = 2048
_BLOCKS = _BlockMemo(MEMO_BLOCKS)


def _solve_stages(
    block: Block, costs: list[np.ndarray], raw: list[np.ndarray], alone: list[bool]
) -> tuple[np.ndarray, list[int]]:
    """Every stage on one block: the arc flows (fixed parts included) and stage values."""
    tail, head, n_nodes = block.tail, block.head, block.n_nodes
    supply, cap, fixed = block.supply.copy(), block.cap.copy(), block.fixed.copy()
    opt_pos, opt_idx = block.opt_pos, block.opt_idx
    opt_head = head[opt_pos]
    n_arcs = len(tail)
    flow = np.zeros(n_arcs, dtype=np.int64)
    values: list[int] = []
    k = 0
    while k < len(costs):
        live = cap[opt_pos] > 0
        group, last = _merge_group(costs, k, opt_idx, live, cap[opt_pos], opt_head, n_nodes, alone)
        cost = np.zeros(n_arcs, dtype=np.int64)
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
    alone: list[bool],
) -> tuple[np.ndarray, int]:
    """Option-arc costs of stages ``k … last-1`` merged into one exact objective.

    A stage marked ``alone`` is never merged with another.

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
        if m > k and (alone[m] or alone[k]):
            break
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
