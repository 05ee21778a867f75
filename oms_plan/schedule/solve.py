"""``schedule_orders``: the one entry point of finite-capacity scheduling."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeAlias

import pandas as pd

from oms_plan.backends import schedule_backend
from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.outputs import ExceptionRow
from oms_plan.schedule.checker import ScheduleCheckError, check_schedule
from oms_plan.schedule.decomposed import solve_in_parts
from oms_plan.schedule.options import ScheduleOptions, ScheduleOutcome
from oms_plan.schedule.problem import OrderWeights, SchedulingProblem
from oms_plan.schedule.result import ScheduleResult, build_result
from oms_plan.schedule.solution import Solution, parse_objective
from oms_plan.schedule.table import solution_from_frame

_log = logging.getLogger("oms_plan")

#: A warm start: a previous result or its ``schedule`` table (``None``: the greedy schedule).
Hint: TypeAlias = ScheduleResult | pd.DataFrame | None


def schedule_orders(
    dataset: Dataset | SchedulingProblem,
    *,
    solver: str | None = None,
    objective: str | Sequence[str] = "weighted_tardiness",
    time_limit: float = 30.0,
    workers: int | None = 1,
    seed: int = 0,
    hint: Hint = None,
    warm_start: bool = True,
    orders: pd.DataFrame | None = None,
    weights: OrderWeights | None = None,
    deterministic: bool = False,
    rule: str = "edd",
    verify: bool = False,
    log: bool = False,
) -> ScheduleResult:
    """Schedule the open manufacturing orders of ``dataset`` on its workstations.

    Parameters
    ----------
    dataset
        The dataset (its ``production`` supply rows are the orders), or a ready
        :class:`SchedulingProblem`.
    solver
        Back-end name: ``"cpsat"`` (``None``, the default) or ``"greedy"``, or a
        third-party one.
    objective
        ``"weighted_tardiness"`` (default), ``"makespan"``, ``"flow_time"``, or several
        (comma list or sequence), optimized lexicographically in the order given.
    time_limit
        Seconds (deterministic seconds when ``deterministic``) for each group of
        workstations that orders link; a group of more than
        :data:`~oms_plan.schedule.decomposed.WHOLE_LIMIT` operations is solved in time
        windows, each with its share of that budget (at least
        :data:`~oms_plan.schedule.decomposed.MIN_WINDOW_LIMIT`).
    workers
        CP-SAT search workers (default 1, as every engine; ``None``: the number of CPUs).
    seed
        Random seed of the search.
    hint
        A previous :class:`ScheduleResult` (or its ``schedule`` table) to start the back-end
        from, as every engine's ``hint``: its operations must match this problem's,
        otherwise the greedy schedule is used and a diagnostic says why. ``None`` (the
        default): start from the greedy schedule.
    warm_start
        ``False``: give the back-end no starting schedule at all (not even the greedy one);
        it cannot be combined with a ``hint``.
    orders
        Extra orders to schedule (e.g. planned make orders); see
        :meth:`SchedulingProblem.from_dataset`.
    weights
        Tardiness weight per priority (mapping or function); default ``max(1, 6 − priority)``.
    deterministic
        Reproducible answer: one worker and a deterministic time limit.
    rule
        Dispatching rule of the greedy back-end (and of the greedy warm start): ``edd``, ``atc``.
    verify
        Check the schedule with the independent checker; a violation raises.
    log
        Let CP-SAT log its search.

    Returns
    -------
    ScheduleResult
        Status, objective, bound, gap, the schedule, per-order lateness and loads. Orders
        that cannot be scheduled are set aside (:attr:`ScheduleResult.set_aside`, an
        ``infeasible`` exception each) and the others are scheduled. When the back-end finds
        nothing in its limit, the greedy schedule is the answer (``fallback``).

    Raises
    ------
    PlanningError
        On a bad request: unknown objective, back-end or rule, non-positive time limit or
        workers, malformed ``orders`` or ``weights``, a ``hint`` that is not a schedule (or
        one given with ``warm_start=False``).
    ScheduleCheckError
        With ``verify=True``, when the schedule breaks a rule (a bug).

    """
    solver = "cpsat" if solver is None else solver
    try:
        names = parse_objective(objective)
    except ValueError as exc:
        raise PlanningError(str(exc)) from exc
    if time_limit <= 0:
        raise PlanningError(f"time_limit must be > 0, got {time_limit}")
    if workers is not None and workers < 1:
        raise PlanningError(f"workers must be ≥ 1, got {workers}")
    if rule not in ("edd", "atc"):
        raise PlanningError(f"unknown dispatching rule {rule!r}; choose edd or atc")
    hint, warm_start = _checked_hint(hint, warm_start)
    # A previous schedule given as hint needs a back-end that can start from one.
    backend = schedule_backend(solver, needs={"hint"} if hint is not None else ())
    if isinstance(dataset, SchedulingProblem):
        if orders is not None or weights is not None:
            raise PlanningError(
                "orders and weights apply when scheduling a Dataset, not a SchedulingProblem"
            )
        problem = dataset
    else:
        problem = SchedulingProblem.from_dataset(dataset, orders=orders, weights=weights)
    options = ScheduleOptions(
        objective=names,
        time_limit=float(time_limit),
        workers=workers or os.cpu_count() or 1,
        seed=seed,
        deterministic=deterministic,
        rule=rule,
        log=log,
    )
    notes: list[ExceptionRow] = []
    if problem.infeasible or problem.num_operations == 0:
        outcome: ScheduleOutcome = backend.solve(problem, options)
        return build_result(problem, names, outcome.stats, outcome.solution, stages=outcome.stages)
    warm = None
    if hint is not None:
        warm = _previous(problem, hint, notes)
    parts = solve_in_parts(
        problem,
        backend,
        options,
        hint=warm,
        windows=solver != "greedy",
        warm=warm_start,
    )
    if verify:
        broken = check_schedule(problem, parts.solution)
        if not broken.ok:
            raise ScheduleCheckError(
                f"{solver} returned an invalid schedule:\n  " + "\n  ".join(broken.violations[:20])
            )
    if parts.fallback:
        notes.append(
            ExceptionRow(
                "fallback",
                "warning",
                f"{solver} found no schedule in its limit for part(s) "
                + ", ".join(p.name for p in parts.parts if p.solver == "greedy")
                + "; the greedy schedule is the answer there",
            )
        )
    result = build_result(
        problem,
        names,
        parts.stats,
        parts.solution,
        stages=parts.stages,
        parts=parts.parts,
        fallback=parts.fallback,
    )
    if notes:
        result = replace(result, diagnostics=(*result.diagnostics, *notes))
    return result


def _checked_hint(hint: object, warm_start: bool) -> tuple[Hint, bool]:
    """``hint`` and ``warm_start`` once checked; the old string hints mapped, with a warning."""
    if isinstance(hint, str) and hint in ("greedy", "none"):
        # Deprecated spellings: "greedy" was the default, "none" turned the warm start off.
        instead = "hint=None" if hint == "greedy" else "warm_start=False"
        warnings.warn(
            f"schedule_orders(hint={hint!r}) is deprecated; use {instead}",
            DeprecationWarning,
            stacklevel=3,
        )
        return None, warm_start and hint == "greedy"
    if hint is not None and not isinstance(hint, ScheduleResult | pd.DataFrame):
        raise PlanningError(
            "hint must be a previous ScheduleResult, its schedule table (a DataFrame) or "
            f"None, got {type(hint).__name__} {hint!r:.60}"
        )
    if hint is not None and not warm_start:
        raise PlanningError("a hint is a warm start: it cannot be given with warm_start=False")
    return hint, warm_start


def _previous(
    problem: SchedulingProblem, hint: ScheduleResult | pd.DataFrame, notes: list[ExceptionRow]
) -> Solution | None:
    """A previous schedule as a start, if it still fits (else ``None`` and a note why)."""
    frame = hint.to_frame() if isinstance(hint, ScheduleResult) else hint
    previous, why = solution_from_frame(problem, frame)
    if previous is None:
        notes.append(
            ExceptionRow("hint_ignored", "info", f"previous schedule not used as hint: {why}")
        )
    return previous
