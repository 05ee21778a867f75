"""Solve a scheduling problem part by part (see :mod:`oms_plan.schedule.parts`).

Every workstation group is solved on its own, with the greedy schedule (or the caller's
hint) as its start; a group of at most :data:`WHOLE_LIMIT` operations is one back-end call,
a larger one goes window by window. Budgets are per group (and per window a share of it,
never below :data:`MIN_WINDOW_LIMIT`), so a group's schedule depends only on the group: the
same order book gives the same schedule however the dataset was split and wherever the
parts ran. Each group keeps the better of what the back-end made and its start, so the
answer is never worse than the greedy schedule, and a back-end that finds nothing leaves
the greedy schedule in place (reported as a fallback).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Any

from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule.checker import check_schedule
from oms_plan.schedule.options import ScheduleOptions
from oms_plan.schedule.parts import RollingHorizon, relaxation_bound, restrict, workstation_groups
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.result import PartReport, Solution, objective_values

_log = logging.getLogger("oms_plan")

#: Largest group (in operations) solved as one model; larger ones go window by window.
WHOLE_LIMIT = 600
#: Operations per time window.
WINDOW_SIZE = 300
#: Smallest budget of one window (seconds, deterministic seconds in deterministic mode).
MIN_WINDOW_LIMIT = 0.2


@dataclass(frozen=True)
class Decomposed:
    """The schedule of every group put together, with one report per group."""

    solution: Solution
    parts: tuple[PartReport, ...]
    fallback: bool
    stats: SolverStats
    stages: tuple[SolverStats, ...]


def _key(
    problem: SchedulingProblem, solution: Solution, objective: tuple[str, ...]
) -> tuple[int, ...]:
    values = objective_values(problem, solution)
    return tuple(values[name] for name in objective)


def solve_in_parts(
    problem: SchedulingProblem,
    backend: Any,
    options: ScheduleOptions,
    *,
    hint: Solution | None = None,
    windows: bool = True,
    warm: bool = True,
) -> Decomposed:
    """Solve every workstation group of ``problem`` with ``backend``; see the module docstring.

    Parameters
    ----------
    problem
        A problem with operations and no known infeasibility.
    backend
        A scheduling back-end module (``solve(problem, options) -> BackendOutcome``).
    options
        Solve options; ``time_limit`` is the budget of each group.
    hint
        A schedule of ``problem`` to start from (else the greedy schedule).
    windows
        Whether large groups go window by window (not for the greedy back-end).
    warm
        Whether the back-end starts from the greedy schedule (or ``hint``); without, the
        greedy schedule is only the fallback and groups are solved whole.

    Returns
    -------
    Decomposed
        The whole schedule, per-group reports and overall stats.

    """
    from oms_solvers.greedy.schedule import dispatch

    began = time.perf_counter()
    n = problem.num_operations
    alternative, unit, start, end = [0] * n, [1] * n, [0] * n, [0] * n
    first = options.objective[0]
    reports: list[PartReport] = []
    fallback = False
    name = str(getattr(backend, "NAME", "backend"))
    for group in workstation_groups(problem):
        t0 = time.perf_counter()
        sub, op_map = restrict(problem, group.orders)
        start_from = _restricted(hint, op_map) if hint is not None else None
        if start_from is None or check_schedule(sub, start_from):
            start_from = dispatch(sub, options.rule)
        if start_from is None:
            raise RuntimeError(f"oms_plan bug: no greedy schedule of group {group.name}")
        relaxed = relaxation_bound(sub, first)
        if not windows or not warm or sub.num_operations <= WHOLE_LIMIT:
            outcome = backend.solve(sub, replace(options, hint=start_from if warm else None))
            found = outcome.solution
            nothing = outcome.solution is None or (
                bool(outcome.stages) and outcome.stages[0].status == SolveStatus.NO_SOLUTION
            )
            if found is None or (
                warm
                and _key(sub, start_from, options.objective) < _key(sub, found, options.objective)
            ):
                found = start_from
            own = found is not start_from and found is outcome.solution
            status = outcome.stats.status if own else SolveStatus.FEASIBLE
            if not own and outcome.stats.status == SolveStatus.OPTIMAL:
                status = SolveStatus.OPTIMAL  # the start itself was proved optimal
            bound = outcome.stats.bound
            bound = relaxed if math.isnan(bound) else max(bound, relaxed)
            solver = name if own else "greedy"
            fallback |= nothing and name != "greedy"
            count = 1
        else:
            found, count, nothing = _rolling(sub, backend, options, start_from, dispatch)
            fallback |= nothing
            own = found is not start_from
            solver = name if own else "greedy"
            status, bound = SolveStatus.FEASIBLE, relaxed
        value = float(objective_values(sub, found)[first])
        if status != SolveStatus.OPTIMAL and value <= bound and len(options.objective) == 1:
            status = SolveStatus.OPTIMAL  # the bound proves it
        for k, o in enumerate(op_map):
            alternative[o], unit[o] = found.alternative[k], found.unit[k]
            start[o], end[o] = found.start[k], found.end[k]
        reports.append(
            PartReport(
                group.name,
                len(group.orders),
                sub.num_operations,
                count,
                solver,
                status,
                value,
                bound,
                time.perf_counter() - t0,
            )
        )
    solution = Solution(tuple(alternative), tuple(unit), tuple(start), tuple(end))
    values = objective_values(problem, solution)
    bounds = [r.bound for r in reports]
    whole_bound = max(bounds, default=0.0) if first == "makespan" else float(sum(bounds))
    runtime = time.perf_counter() - began
    status = (
        SolveStatus.OPTIMAL
        if all(r.status == SolveStatus.OPTIMAL for r in reports)
        else SolveStatus.FEASIBLE
    )
    stats = SolverStats(
        name, status, float(values[first]), whole_bound, runtime, options.deterministic
    )
    stages = tuple(
        SolverStats(
            name,
            status,
            float(values[obj]),
            whole_bound if k == 0 else math.nan,
            runtime,
            options.deterministic,
        )
        for k, obj in enumerate(options.objective)
    )
    return Decomposed(solution, tuple(reports), fallback, stats, stages)


def _restricted(solution: Solution, op_map: list[int]) -> Solution:
    return Solution(
        tuple(solution.alternative[o] for o in op_map),
        tuple(solution.unit[o] for o in op_map),
        tuple(solution.start[o] for o in op_map),
        tuple(solution.end[o] for o in op_map),
    )


def _rolling(
    sub: SchedulingProblem,
    backend: Any,
    options: ScheduleOptions,
    start_from: Solution,
    dispatch: Any,
) -> tuple[Solution, int, bool]:
    """Window by window along ``start_from``'s start order; the better of that and it."""
    order = sorted(
        range(sub.num_operations), key=lambda o: (start_from.start[o], start_from.end[o], o)
    )
    rolling = RollingHorizon(sub, order, WINDOW_SIZE)
    count = len(rolling.windows)
    nothing = False
    share = options.time_limit / max(1, sub.num_operations)
    for k in range(count):
        window = rolling.window(k)
        greedy = dispatch(window.problem, options.rule)
        if greedy is None:
            _log.info(
                "window %d of %d does not fit its time window; greedy schedule kept", k, count
            )
            return start_from, count, nothing
        limit = max(MIN_WINDOW_LIMIT, share * len(window.ops))
        outcome = backend.solve(window.problem, replace(options, hint=greedy, time_limit=limit))
        found = outcome.solution if outcome.solution is not None else greedy
        if outcome.solution is None or (
            outcome.stages and outcome.stages[0].status == SolveStatus.NO_SOLUTION
        ):
            nothing = True
        rolling.fix(window, found)
    assembled = rolling.schedule.frozen()
    broken = check_schedule(sub, assembled)
    if broken:
        # Never hand out a broken schedule: the greedy one is valid.
        _log.warning("windowed schedule rejected (%s); greedy schedule kept", broken[0])
        return start_from, count, nothing
    if _key(sub, assembled, options.objective) < _key(sub, start_from, options.objective):
        return assembled, count, nothing
    return start_from, count, nothing
