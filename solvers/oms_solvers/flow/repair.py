"""Relaxation and repair: side-constrained components solved through the network relaxation.

The relaxation (side constraints dropped) is solved exactly; the side-constrained lines keep
only the part of it they may (:func:`pin`), all-or-nothing lines and ship-complete orders the
relaxation split are placed whole where stock allows (:func:`_consolidate`), and every other
line is re-solved exactly around them. The relaxation's stage values bound the answer.
"""

from __future__ import annotations

import math
import time

import numpy as np

from oms_plan.allocate.policies import Stage
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.allocate.result import AllocationOutcome, StageOutcome, allocation_outcome
from oms_plan.allocate.stability import STAY
from oms_plan.results import SolveStatus
from oms_solvers.flow.stages import lexicographic
from oms_solvers.flow.warm import toward_previous

NAME = "flow-repair"


def solve_repaired(
    problem: AllocationProblem,
    stages: list[Stage],
    comps: np.ndarray,
    started: float,
    previous: np.ndarray | None = None,
) -> AllocationOutcome:
    """Relaxation, repair of the side-constrained lines, exact re-solve of the others.

    With ``previous`` (scaled quantity per option of a previous allocation), a warm
    candidate moves the side-constrained lines back where they were when that is never
    worse (:func:`oms_solvers.flow.warm.toward_previous`); it is kept when it is at least
    as good as the cold answer for every stage, the ``stay`` tie-break last.
    """
    # The relaxation is the policy's alone, exactly as without a previous allocation: the
    # tie-break then only moves what the policy leaves free.
    policy = [s for s in stages if s.name != STAY]
    relaxed, bounds = lexicographic(problem, policy, comps, None)
    flows = _repaired(problem, stages, comps, relaxed, pin(problem, relaxed, comps))
    decided = _decided(problem, comps)
    if previous is not None:
        # The warm candidate: the cold answer's side-constrained lines moved back to the
        # previous answer where that is never worse for the policy, the other lines
        # re-solved around them (stay stage last). It is at least as good as the cold
        # answer by construction; the comparison keeps that true whatever the leftovers do.
        pins = toward_previous(problem, flows, decided, previous)
        candidate = _repaired(problem, stages, comps, relaxed, (pins, decided))
        if _values(stages, candidate) >= _values(stages, flows):
            flows = candidate
    outcomes: list[StageOutcome] = []
    proven = True
    for stage, b in zip(policy, bounds, strict=True):
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
    for stage in stages:
        if stage.name == STAY:  # a tie-break the relaxation does not bound (nor the status)
            value = stage.value(flows)
            outcomes.append(
                StageOutcome(stage.name, stage.sense, value, math.inf, SolveStatus.FEASIBLE)
            )
    return allocation_outcome(
        solver=NAME,
        flows=flows,
        stages=tuple(outcomes),
        status=status,
        runtime=time.perf_counter() - started,
    )


def _repaired(
    problem: AllocationProblem,
    stages: list[Stage],
    comps: np.ndarray,
    relaxed: np.ndarray,
    pins: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """The lines that are not pinned re-solved exactly around the pinned ones; leftovers."""
    flows, _ = lexicographic(problem, stages, comps, pins, reuse=relaxed)
    return _fill_leftovers(problem, flows, comps)


def _decided(problem: AllocationProblem, comps: np.ndarray) -> np.ndarray:
    """The side-constrained lines of the selected components (those the repair decides)."""
    decided = np.zeros(problem.num_lines, dtype=bool)
    ol = problem.opt_line
    decided[np.unique(ol[comps[problem.line_component[ol]] & problem.line_needs_mip[ol]])] = True
    return decided


def _values(stages: list[Stage], flows: np.ndarray) -> tuple[float, ...]:
    """Every stage's value, each to be maximized, in order (the ``stay`` tie-break last)."""
    return tuple(s.value(flows) if s.sense == "max" else -s.value(flows) for s in stages)


def pin(
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
