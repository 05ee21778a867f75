"""Repair a previous schedule for a changed problem: keep its sequences, move only what must.

A stable replan does not re-optimize the shop from scratch: planners lose trust in a plan
that reshuffles every machine overnight. :func:`repair` places every operation of the new
problem in the order of its previous start (operations the previous schedule did not have —
new orders, new steps — in the order of their earliest start), each on its previous
workstation unit when that is still one of its alternatives, **never earlier than it was**,
and otherwise as early as its order's previous step, its unit's previous operation plus the
changeover, the unit's working time (calendar and downtime) and pausability allow. So:

* an unchanged problem gets its previous schedule back, operation for operation;
* a machine down pushes what it must to the right, in the same sequence;
* a new order is slotted in by its release date, and what it displaces moves right.

It is a deterministic function of the problem and the previous schedule, and as fast as the
greedy dispatcher (both append operations to units, never into gaps).
"""

from __future__ import annotations

import heapq
import math
import time

import pandas as pd

from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule.checker import ScheduleCheckError, check_schedule
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.result import ScheduleResult, Solution, build_result, objective_values

NAME = "repair"

# (end, start, workstation, unit, alternative, working position)
_Placement = tuple[int, int, int, int, int, int]


def previous_positions(
    problem: SchedulingProblem, schedule: pd.DataFrame
) -> dict[tuple[str, int], tuple[str, int, int]]:
    """(order, step) → (workstation, unit, start minute) of a previous ``schedule`` table."""
    if schedule.empty:
        return {}
    origin = pd.Timestamp(problem.start)
    starts = ((pd.to_datetime(schedule["start"]) - origin).dt.total_seconds() // 60).astype(int)
    return {
        (str(o), int(s)): (str(w), int(u), int(t))
        for o, s, w, u, t in zip(
            schedule["order"],
            schedule["step"],
            schedule["workstation"],
            schedule["unit"],
            starts,
            strict=True,
        )
    }


def repair_solution(problem: SchedulingProblem, schedule: pd.DataFrame) -> Solution | None:
    """The repaired schedule (``None`` when an operation does not fit in the window)."""
    ops, orders = problem.operations, problem.orders
    n = problem.num_operations
    ws_index = {w.id: i for i, w in enumerate(problem.workstations)}
    before = previous_positions(problem, schedule)
    alternative, unit, start, end = [0] * n, [0] * n, [0] * n, [0] * n
    free = [[0] * ws.units for ws in problem.workstations]
    last = [[-1] * ws.units for ws in problem.workstations]
    nxt = [0] * len(orders)
    ready = [o.release for o in orders]

    def kept(o: int, i: int) -> tuple[int, int, int] | None:
        """(alternative, unit index, previous start) when the previous place still exists."""
        found = before.get((orders[i].id, ops[o].step))
        if found is None:
            return None
        m = ws_index.get(found[0])
        if m is None or found[1] > problem.workstations[m].units:
            return None
        for j, alt in enumerate(ops[o].alternatives):
            if alt.workstation == m:
                return j, found[1] - 1, found[2]
        return None

    def place(o: int, j: int, u: int, t: int, floor: int) -> _Placement | None:
        alt = ops[o].alternatives[j]
        m = alt.workstation
        wt = problem.working[m]
        w = wt.place(
            max(
                wt.worked(t),
                wt.worked(floor),
                free[m][u] + problem.changeover(m, last[m][u], alt.family),
            ),
            alt.duration,
            problem.workstations[m].pausable,
        )
        if w is None:
            return None
        s, e = wt.clock(w, alt.duration)
        return (e, s, m, u, j, w)

    def best(o: int, t: int) -> _Placement | None:
        found: _Placement | None = None
        for j, alt in enumerate(ops[o].alternatives):
            for u in range(problem.workstations[alt.workstation].units):
                cand = place(o, j, u, t, 0)
                if cand is not None and (found is None or cand < found):
                    found = cand
        return found

    def key(i: int) -> tuple[int, int, int]:
        o = orders[i].operations[nxt[i]]
        previous = kept(o, i)
        # Previous operations by their old start; new ones by the earliest they could start.
        return (previous[2] if previous is not None else ready[i], 0 if previous else 1, i)

    heap = [key(i) for i, order in enumerate(orders) if order.operations]
    heapq.heapify(heap)
    while heap:
        _, _, i = heapq.heappop(heap)
        o = orders[i].operations[nxt[i]]
        previous = kept(o, i)
        chosen = None
        if previous is not None:
            chosen = place(o, previous[0], previous[1], ready[i], previous[2])
        if chosen is None:
            chosen = best(o, ready[i])
        if chosen is None:
            return None
        e, s, m, u, j, w = chosen
        alt = ops[o].alternatives[j]
        alternative[o], unit[o], start[o], end[o] = j, u + 1, s, e
        free[m][u], last[m][u] = w + alt.duration, alt.family
        ready[i] = e
        nxt[i] += 1
        if nxt[i] < len(orders[i].operations):
            heapq.heappush(heap, key(i))
    return Solution(tuple(alternative), tuple(unit), tuple(start), tuple(end))


def repair(
    problem: SchedulingProblem,
    schedule: pd.DataFrame,
    objective: tuple[str, ...],
    *,
    verify: bool = False,
) -> ScheduleResult:
    """The repaired schedule of ``problem`` as a :class:`ScheduleResult`.

    Its status is ``feasible``, ``empty`` with nothing to schedule, ``infeasible`` when the
    problem is, and ``no_solution`` when an operation does not fit in the window.

    Raises
    ------
    ScheduleCheckError
        With ``verify``, when the independent checker finds a broken rule (a bug).

    """
    began = time.perf_counter()
    if problem.infeasible or problem.num_operations == 0:
        status = SolveStatus.INFEASIBLE if problem.infeasible else SolveStatus.EMPTY
        stats = SolverStats(NAME, status, 0.0, 0.0, time.perf_counter() - began)
        return build_result(problem, objective, stats, None, stages=(stats,))
    solution = repair_solution(problem, schedule)
    if solution is None:
        stats = SolverStats(NAME, SolveStatus.NO_SOLUTION, runtime=time.perf_counter() - began)
        return build_result(problem, objective, stats, None, stages=(stats,))
    if verify:
        broken = check_schedule(problem, solution).violations
        if broken:
            raise ScheduleCheckError(
                "repair returned an invalid schedule:\n  " + "\n  ".join(broken[:20])
            )
    values = objective_values(problem, solution)
    runtime = time.perf_counter() - began
    stages = tuple(
        SolverStats(NAME, SolveStatus.FEASIBLE, float(values[name]), math.nan, runtime)
        for name in objective
    )
    return build_result(problem, objective, stages[0], solution, stages=stages)
