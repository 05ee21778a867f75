"""Deterministic dispatching for scheduling: warm start, fallback and test oracle.

A Giffler–Thompson style list scheduler. Each round it places, for every order, its next
operation as early as possible (best alternative and unit, after the unit's last operation
and its changeover, in working time); among the operations that could start before the
earliest of those completions it dispatches the one the rule prefers (``edd``: earliest due,
then highest weight; ``atc``: apparent tardiness cost). Everything the problem says is
respected: release dates, step order, calendars and downtime, pausable or not, units,
changeovers and alternatives. Operations are appended to a unit, never inserted in a gap.
"""

from __future__ import annotations

import heapq
import math
import time

from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule.options import BackendOutcome, ScheduleOptions, ScheduleOutcome
from oms_plan.schedule.problem import ManufacturingOrder, SchedulingProblem
from oms_plan.schedule.solution import Solution, objective_values

NAME = "greedy"
CAPABILITIES: frozenset[str] = frozenset()  # dispatches: neither a hint nor a bound

# (end, start, workstation, unit, alternative, working position)
_Placement = tuple[int, int, int, int, int, int]


def solve(problem: SchedulingProblem, options: ScheduleOptions) -> ScheduleOutcome:
    """Schedule ``problem`` by dispatching; see the module docstring.

    Parameters
    ----------
    problem
        The scheduling problem.
    options
        ``objective`` (reported) and ``rule`` are read; the rest is ignored.

    Returns
    -------
    BackendOutcome
        ``feasible`` with the schedule, ``optimal`` when a trivial bound proves it (no
        tardiness), ``infeasible`` when the problem is known infeasible, ``no_solution``
        when an operation does not fit in the problem's window.

    Raises
    ------
    ValueError
        On an unknown rule.

    """
    if options.rule not in ("edd", "atc"):
        raise ValueError(f"unknown dispatching rule {options.rule!r}; choose edd or atc")
    began = time.perf_counter()
    if problem.infeasible:
        stats = SolverStats(NAME, SolveStatus.INFEASIBLE, runtime=time.perf_counter() - began)
        return BackendOutcome(stats, None, (stats,))
    if problem.num_operations == 0:
        stats = SolverStats(NAME, SolveStatus.EMPTY, 0.0, 0.0, time.perf_counter() - began)
        return BackendOutcome(stats, None, (stats,))
    solution = dispatch(problem, options.rule)
    runtime = time.perf_counter() - began
    if solution is None:
        stats = SolverStats(NAME, SolveStatus.NO_SOLUTION, runtime=runtime)
        return BackendOutcome(stats, None, (stats,))
    values = objective_values(problem, solution)
    stages = []
    for name in options.objective:
        value = float(values[name])
        # Zero tardiness is a proof of optimality for that objective; otherwise no bound.
        proved = name == "weighted_tardiness" and value == 0
        stages.append(
            SolverStats(
                NAME,
                SolveStatus.OPTIMAL if proved else SolveStatus.FEASIBLE,
                value,
                value if proved else math.nan,
                runtime,
            )
        )
    first = stages[0]
    overall = SolverStats(
        NAME,
        SolveStatus.OPTIMAL
        if all(s.status == SolveStatus.OPTIMAL for s in stages)
        else SolveStatus.FEASIBLE,
        first.objective,
        first.bound,
        runtime,
    )
    return BackendOutcome(overall, solution, tuple(stages))


def dispatch(problem: SchedulingProblem, rule: str = "edd") -> Solution | None:
    """The dispatching schedule (``None`` when an operation does not fit in the window).

    Each order's next operation has a cached placement. Placements only move later as units
    fill up (changeovers that satisfy the triangle inequality keep this true), so the cache
    is refreshed lazily: an entry is recomputed when it reaches the top of a heap after one
    of its workstations changed. The rounds are then the same as recomputing everything,
    at a cost that grows with the conflicts rather than with the number of orders.
    """
    ops, orders = problem.operations, problem.orders
    n = problem.num_operations
    alternative, unit, start, end = [0] * n, [0] * n, [0] * n, [0] * n
    free = [[0] * ws.units for ws in problem.workstations]  # working position where a unit is free
    last = [[-1] * ws.units for ws in problem.workstations]  # family of its last operation
    changed = [0] * len(problem.workstations)  # round in which each workstation last changed
    nxt = [0] * len(orders)  # position of each order's next operation
    ready = [o.release for o in orders]
    # Remaining working minutes after each operation (shortest alternatives), for ATC and EDD.
    tail = [0] * n
    for order in orders:
        acc = 0
        for o in reversed(order.operations):
            tail[o] = acc
            acc += min(a.duration for a in ops[o].alternatives)
    mean_p = max(1.0, sum(min(a.duration for a in op.alternatives) for op in ops) / max(1, n))

    def best(o: int, t: int) -> _Placement | None:
        found: _Placement | None = None
        for j, alt in enumerate(ops[o].alternatives):
            m, ws, wt = (
                alt.workstation,
                problem.workstations[alt.workstation],
                problem.working[alt.workstation],
            )
            w_ready = wt.worked(t)
            for u in range(ws.units):
                w = wt.place(
                    max(w_ready, free[m][u] + problem.changeover(m, last[m][u], alt.family)),
                    alt.duration,
                    ws.pausable,
                )
                if w is None:
                    continue
                s, e = wt.clock(w, alt.duration)
                cand = (e, s, m, u, j, w)
                if found is None or cand < found:
                    found = cand
        return found

    rounds = 0
    place_of: list[_Placement | None] = [None] * len(orders)
    stamp = [0] * len(orders)  # round in which the placement was computed
    version = [0] * len(orders)  # bumped whenever the order's placement is replaced
    by_end: list[tuple[_Placement, int, int]] = []
    by_start: list[tuple[int, _Placement, int, int]] = []

    def refresh(i: int) -> bool:
        place = best(orders[i].operations[nxt[i]], ready[i])
        version[i] += 1
        if place is None:
            return False
        place_of[i], stamp[i] = place, rounds
        heapq.heappush(by_end, (place, i, version[i]))
        heapq.heappush(by_start, (place[1], place, i, version[i]))
        return True

    def fresh(i: int) -> bool:
        o = orders[i].operations[nxt[i]]
        return all(changed[a.workstation] <= stamp[i] for a in ops[o].alternatives)

    left = 0
    for i, order in enumerate(orders):
        if order.operations:
            left += 1
            if not refresh(i):
                return None
    while left:
        # The earliest completion among fresh placements (stale ones are recomputed).
        while True:
            place, i, v = by_end[0]
            if v != version[i]:
                heapq.heappop(by_end)
            elif not fresh(i):
                heapq.heappop(by_end)
                if not refresh(i):
                    return None
            else:
                break
        first_end, first = place[0], (i, place)
        conflict: list[tuple[int, _Placement]] = []
        while by_start and by_start[0][0] < first_end:
            _, place, i, v = heapq.heappop(by_start)
            if v != version[i]:
                continue
            if not fresh(i):
                if not refresh(i):
                    return None
                continue
            conflict.append((i, place))
        if not conflict:
            conflict = [first]
        if rule == "edd":
            i, place = min(
                conflict,
                key=lambda x: (
                    orders[x[0]].due - tail[orders[x[0]].operations[nxt[x[0]]]],
                    -orders[x[0]].weight,
                    x[1],
                    x[0],
                ),
            )
        else:
            now = min(x[1][1] for x in conflict)
            keys = [
                (
                    _atc(orders[x[0]], x[1], tail[orders[x[0]].operations[nxt[x[0]]]], now, mean_p),
                    x[0],
                )
                for x in conflict
            ]
            i, place = conflict[keys.index(min(keys))]
        for k, p in conflict:
            if k != i:
                heapq.heappush(by_start, (p[1], p, k, version[k]))
        o = orders[i].operations[nxt[i]]
        e, s, m, u, j, w = place
        alt = ops[o].alternatives[j]
        alternative[o], unit[o], start[o], end[o] = j, u + 1, s, e
        free[m][u], last[m][u] = w + alt.duration, alt.family
        rounds += 1
        changed[m] = rounds
        ready[i] = e
        nxt[i] += 1
        if nxt[i] == len(orders[i].operations):
            version[i] += 1
            left -= 1
        elif not refresh(i):
            return None
    return Solution(tuple(alternative), tuple(unit), tuple(start), tuple(end))


def _atc(order: ManufacturingOrder, place: _Placement, tail: int, now: int, mean_p: float) -> float:
    """Apparent tardiness cost priority (negated, so smaller is more urgent), look-ahead k = 2."""
    p = max(1, place[0] - place[1])
    slack = max(0, order.due - tail - p - now)
    return -(order.weight / p) * math.exp(-slack / (2.0 * mean_p))
