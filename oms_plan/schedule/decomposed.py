"""Solve a scheduling problem part by part (see :mod:`oms_plan.schedule.parts`).

Every workstation group is solved on its own, with the greedy schedule (or the caller's
hint) as its start; a group of at most :data:`WHOLE_LIMIT` operations is one back-end call,
a larger one is improved by large-neighbourhood search: time windows of the start schedule
are re-solved with everything else fixed, and kept where they improve it. Budgets are per
group (a window gets a share, never below :data:`MIN_WINDOW_LIMIT`), so a group's schedule
depends only on the group: the same order book gives the same schedule however the dataset
was split and wherever the parts ran. The answer is never worse than the start, and a
back-end that finds nothing leaves the greedy schedule in place (reported as a fallback).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Any

from oms_plan.backends import greedy_schedule
from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule.checker import check_schedule
from oms_plan.schedule.options import ScheduleOptions
from oms_plan.schedule.parts import (
    Draft,
    Neighbourhood,
    relaxation_bound,
    restrict,
    workstation_groups,
)
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.records import PartReport
from oms_plan.schedule.solution import Solution, objective_values, order_completions

_log = logging.getLogger("oms_plan")

#: Largest group (in operations) solved as one model; larger ones go window by window.
WHOLE_LIMIT = 600
#: Operations per time window.
WINDOW_SIZE = 250
#: Most windows re-solved per group (the latest ones): bounds the work on a huge group.
MAX_WINDOWS = 4
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
    dispatch = greedy_schedule
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
        if start_from is None or not check_schedule(sub, start_from).ok:
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
            found, count, nothing = _lns(sub, backend, options, start_from, dispatch)
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


def _lns(
    sub: SchedulingProblem,
    backend: Any,
    options: ScheduleOptions,
    start_from: Solution,
    dispatch: Any,
) -> tuple[Solution, int, bool]:
    """Large-neighbourhood search: re-solve time slices of ``start_from``, keep improvements.

    The slices are :data:`WINDOW_SIZE` operations in start order; at most
    :data:`MAX_WINDOWS` of them are re-solved — those where the incumbent is latest
    (weighted tardiness of the orders completing there), in time order.
    """
    n = sub.num_operations
    hood = Neighbourhood(sub, start_from)
    slices = [(k, min(n, k + WINDOW_SIZE)) for k in range(0, n, WINDOW_SIZE)]
    chosen = _worst_slices(sub, start_from, hood.rank, slices)
    limit = max(MIN_WINDOW_LIMIT, options.time_limit / max(1, len(chosen)))
    best_key = _key(sub, start_from, options.objective)
    nothing = False
    improved = False
    for first, last in chosen:
        built = hood.window(first, last)
        if built is None:
            continue
        window, bound = built
        hint = hood.hint(window)
        if hint is None or not check_schedule(window.problem, hint).ok:
            # The incumbent sits closer to a fixed neighbour than the largest changeover
            # the window allows for: start from the window's greedy schedule instead.
            hint = dispatch(window.problem, options.rule)
            if hint is None:
                continue
        try:
            outcome = backend.solve(window.problem, replace(options, hint=hint, time_limit=limit))
        except (IndexError, RuntimeError) as exc:
            # A back-end failing on one window must not cost the night's schedule: the
            # incumbent stays. (Reported: it is a back-end bug to fix.)
            _log.warning("window %d-%d not re-solved: %s: %s", first, last, type(exc).__name__, exc)
            continue
        if outcome.stages and outcome.stages[0].status == SolveStatus.NO_SOLUTION:
            nothing = True
        found = outcome.solution
        if found is None:
            continue
        done = order_completions(window.problem, found)
        if any(done[k] > window.problem.orders[k].due for k in bound):
            continue  # would make a fixed successor start too early: keep the incumbent
        trial = Draft(
            list(hood.schedule.alternative),
            list(hood.schedule.unit),
            list(hood.schedule.start),
            list(hood.schedule.end),
        )
        window.place(found, trial)
        candidate = trial.frozen()
        key = _key(sub, candidate, options.objective)
        # A new first or last family on a unit may need a longer changeover than the
        # incumbent's next to the fixed neighbours: only a valid schedule is kept.
        if key < best_key and check_schedule(sub, candidate).ok:
            hood.accept(window, found)
            best_key, improved = key, True
    if not improved:
        return start_from, len(chosen), nothing
    result = hood.schedule.frozen()
    broken = check_schedule(sub, result)
    if not broken.ok:
        # Never hand out a broken schedule: the start is valid.
        _log.warning("neighbourhood search broke a rule (%s); start kept", broken.violations[0])
        return start_from, len(chosen), nothing
    return result, len(chosen), nothing


def _worst_slices(
    sub: SchedulingProblem,
    start_from: Solution,
    rank: list[int],
    slices: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """The :data:`MAX_WINDOWS` slices holding the most weighted tardiness, in time order."""
    if len(slices) <= MAX_WINDOWS:
        return slices
    where = [0] * sub.num_operations
    for pos, o in enumerate(rank):
        where[o] = pos // WINDOW_SIZE
    late = [0] * len(slices)
    for order in sub.orders:
        last = order.operations[-1]
        late[where[last]] += order.weight * max(0, start_from.end[last] - order.due)
    top = sorted(range(len(slices)), key=lambda k: (-late[k], k))[:MAX_WINDOWS]
    return [slices[k] for k in sorted(top)]
