"""CP-SAT back-end for finite-capacity scheduling: the solve loop.

The model itself is in :mod:`oms_solvers.cpsat.schedule_model` (working-time space, clock
maps with one literal per break, windows from the incumbent); hints and reading back in
:mod:`oms_solvers.cpsat.schedule_solution`. This module runs the lexicographic stages.
"""

from __future__ import annotations

import logging
import math
import time

from ortools.sat.python import cp_model

from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule.checker import check_schedule
from oms_plan.schedule.compact import left_shift
from oms_plan.schedule.options import BackendOutcome, ScheduleOptions, ScheduleOutcome
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.solution import Solution, objective_values
from oms_solvers.cpsat.schedule_bound import capacity_bound
from oms_solvers.cpsat.schedule_model import ScheduleModel
from oms_solvers.cpsat.schedule_solution import hint as hint_model
from oms_solvers.cpsat.schedule_solution import read

__all__ = ["CAPABILITIES", "NAME", "ScheduleModel", "solve"]

NAME = "cpsat"
CAPABILITIES = frozenset({"hint", "bound"})
_log = logging.getLogger("oms_plan")

_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    cp_model.UNKNOWN: SolveStatus.NO_SOLUTION,
}


def _lex_key(
    problem: SchedulingProblem, solution: Solution, objective: tuple[str, ...]
) -> tuple[int, ...]:
    values = objective_values(problem, solution)
    return tuple(values[name] for name in objective)


def _best_start(problem: SchedulingProblem, hint: Solution, objective: tuple[str, ...]) -> Solution:
    """The best of ``hint`` and both dispatching rules' schedules (lexicographic objective).

    The warm start sets the windows, so a better one makes a smaller model as well as a
    better starting point; ``atc`` is often far better than ``edd`` on weighted tardiness.
    """
    from oms_solvers.greedy.schedule import dispatch

    best = hint
    for rule in ("edd", "atc"):
        other = dispatch(problem, rule)
        if other is not None and _lex_key(problem, other, objective) < _lex_key(
            problem, best, objective
        ):
            best = other
    return best


def solve(problem: SchedulingProblem, options: ScheduleOptions) -> ScheduleOutcome:
    """Solve ``problem`` with CP-SAT, one stage per objective (lexicographic).

    Each stage minimizes its objective under the time left divided by the stages left, then
    fixes ``objective ≤ value found`` for the next ones and hints the next stage with its
    schedule (hints are cleared first). A valid hint is never lost: when CP-SAT ends with a
    worse schedule (or none), the hint is returned instead.

    Parameters
    ----------
    problem
        The scheduling problem.
    options
        Objective, time limit, workers, seed, determinism, hint, logging.

    Returns
    -------
    BackendOutcome
        Overall stats (status, first objective's value and bound), per-stage stats and the
        schedule.

    Raises
    ------
    RuntimeError
        When CP-SAT reports MODEL_INVALID (a bug in this back-end), with the model's
        validation text.

    """
    began = time.perf_counter()
    deterministic = options.deterministic
    if problem.infeasible:
        stats = SolverStats(
            NAME, SolveStatus.INFEASIBLE, runtime=time.perf_counter() - began, deterministic=True
        )
        return BackendOutcome(stats, None, (stats,))
    if problem.num_operations == 0:
        stats = SolverStats(NAME, SolveStatus.EMPTY, 0.0, 0.0, time.perf_counter() - began)
        return BackendOutcome(stats, None, (stats,))
    hint = options.hint
    if hint is not None and not check_schedule(problem, hint).ok:
        _log.warning("ignoring a hint that is not a valid schedule of this problem")
        hint = None
    if hint is not None:
        hint = _best_start(problem, hint, options.objective)
    # The serial bound is a valid horizon; the windows (from the hint's objective) are what
    # keeps each operation's range, and so its clock maps, small.
    horizon = problem.serial_bound
    if hint is not None:
        horizon = max(horizon, max(hint.end, default=0))
    built = ScheduleModel(problem, horizon, options.objective, hint)
    capacity = capacity_bound(problem, built.windows)
    model = built.model
    best: Solution | None = None
    stages: list[SolverStats] = []
    for k, name in enumerate(options.objective):
        expr = built.objectives[name]
        model.minimize(expr)
        if best is not None:
            hint_model(built, best)
        elif hint is not None:
            hint_model(built, hint)
        else:
            model.clear_hints()  # type: ignore[no-untyped-call]
        left = max(0.05, options.time_limit - (time.perf_counter() - began))
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.random_seed = options.seed
        if built.num_tables:
            # With calendars, presolve and the linear relaxation cost more than they give:
            # presolve re-derives the break literals' encodings and probes them, and the
            # LP splits into hundreds of one-order components re-solved at every node.
            # The capacity bound below does the LP's job for weighted tardiness.
            params.cp_model_presolve = False
            params.linearization_level = 0
        params.log_search_progress = options.log
        if options.deterministic:
            params.num_workers = 1
            params.max_deterministic_time = options.time_limit / len(options.objective)
        else:
            params.num_workers = max(1, options.workers)
            params.max_time_in_seconds = left / (len(options.objective) - k)
        t0 = time.perf_counter()
        code = solver.solve(model)
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"oms_plan bug: CP-SAT model invalid: {model.validate()}")
        status = _STATUS[code]
        found = None
        if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            found = left_shift(problem, read(built, solver))
        objective = math.nan
        if found is not None:
            value = objective_values(problem, found)[name]
            objective = float(value)
            best = found
            model.add(expr <= value)
        elif best is not None:
            objective = float(objective_values(problem, best)[name])
        bound = float(solver.best_objective_bound) if status != SolveStatus.INFEASIBLE else math.nan
        if name == "weighted_tardiness" and not math.isnan(bound):
            bound = max(bound, float(capacity))
        if status == SolveStatus.OPTIMAL or (found is not None and bound >= objective):
            status, bound = SolveStatus.OPTIMAL, objective
        stages.append(
            SolverStats(NAME, status, objective, bound, time.perf_counter() - t0, deterministic)
        )
        if best is None:
            break  # nothing to fix for later stages
    # A valid hint is never lost: keep it when CP-SAT ended with something worse or nothing.
    if hint is not None and (
        best is None
        or _lex_key(problem, hint, options.objective) < _lex_key(problem, best, options.objective)
    ):
        best = hint
    runtime = time.perf_counter() - began
    first = stages[0]
    if best is None:
        status = first.status
    elif all(s.status == SolveStatus.OPTIMAL for s in stages) and len(stages) == len(
        options.objective
    ):
        status = SolveStatus.OPTIMAL
    else:
        status = SolveStatus.FEASIBLE
    objective = (
        float(objective_values(problem, best)[options.objective[0]])
        if best is not None
        else math.nan
    )
    overall = SolverStats(NAME, status, objective, first.bound, runtime, deterministic)
    return BackendOutcome(overall, best, tuple(stages))
