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

import math
import time

from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule.options import BackendOutcome, ScheduleOptions, ScheduleOutcome
from oms_plan.schedule.problem import ManufacturingOrder, SchedulingProblem
from oms_plan.schedule.result import Solution, objective_values

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
    """The dispatching schedule (``None`` when an operation does not fit in the window)."""
    ops, orders = problem.operations, problem.orders
    n = problem.num_operations
    alternative, unit, start, end = [0] * n, [0] * n, [0] * n, [0] * n
    free = [[0] * ws.units for ws in problem.workstations]  # working position where a unit is free
    last = [[-1] * ws.units for ws in problem.workstations]  # family of its last operation
    nxt = [0] * len(orders)  # position of each order's next operation
    ready = [o.release for o in orders]
    # Remaining working minutes after each operation (shortest alternatives), for ATC.
    tail = [0] * n
    for order in orders:
        acc = 0
        for o in reversed(order.operations):
            tail[o] = acc
            acc += min(a.duration for a in ops[o].alternatives)
    mean_p = max(1.0, sum(min(a.duration for a in op.alternatives) for op in ops) / n)

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

    pending = [i for i, o in enumerate(orders) if o.operations]
    while pending:
        options: list[tuple[int, int, _Placement]] = []  # (order, operation, placement)
        for i in pending:
            o = orders[i].operations[nxt[i]]
            place = best(o, ready[i])
            if place is None:
                return None
            options.append((i, o, place))
        first_end = min(p[0] for _, _, p in options)
        conflict = [x for x in options if x[2][1] < first_end] or [min(options, key=lambda x: x[2])]
        if rule == "edd":
            i, o, place = min(
                conflict,
                key=lambda x: (orders[x[0]].due - tail[x[1]], -orders[x[0]].weight, x[2], x[0]),
            )
        else:
            now = min(x[2][1] for x in conflict)
            keys = [(_atc(orders[x[0]], x[2], tail[x[1]], now, mean_p), x[0]) for x in conflict]
            i, o, place = conflict[keys.index(min(keys))]
        e, s, m, u, j, w = place
        alt = ops[o].alternatives[j]
        alternative[o], unit[o], start[o], end[o] = j, u + 1, s, e
        free[m][u], last[m][u] = w + alt.duration, alt.family
        ready[i] = e
        nxt[i] += 1
        if nxt[i] == len(orders[i].operations):
            pending.remove(i)
    return Solution(tuple(alternative), tuple(unit), tuple(start), tuple(end))


def _atc(order: ManufacturingOrder, place: _Placement, tail: int, now: int, mean_p: float) -> float:
    """Apparent tardiness cost priority (negated, so smaller is more urgent), look-ahead k = 2."""
    p = max(1, place[0] - place[1])
    slack = max(0, order.due - tail - p - now)
    return -(order.weight / p) * math.exp(-slack / (2.0 * mean_p))
