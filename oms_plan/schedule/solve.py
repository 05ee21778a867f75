"""``schedule_orders``: the one entry point of finite-capacity scheduling."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal, TypeAlias

import pandas as pd

from oms_plan.backends import schedule_backend
from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.outputs import PlanException
from oms_plan.schedule.checker import ScheduleCheckError, check_schedule
from oms_plan.schedule.decomposed import solve_in_parts
from oms_plan.schedule.options import ScheduleOptions, ScheduleOutcome
from oms_plan.schedule.problem import OrderWeights, SchedulingProblem
from oms_plan.schedule.result import ScheduleResult, Solution, build_result, parse_objective

_log = logging.getLogger("oms_plan")

Hint: TypeAlias = ScheduleResult | pd.DataFrame | Literal["greedy", "none"] | None


def schedule_orders(
    dataset: Dataset | SchedulingProblem,
    *,
    solver: str | None = None,
    objective: str | Sequence[str] = "weighted_tardiness",
    time_limit: float = 30.0,
    workers: int | None = 1,
    seed: int = 0,
    hint: Hint = None,
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
        Warm start: ``None`` or ``"greedy"`` = the greedy back-end's schedule; ``"none"`` =
        no hint; a previous :class:`ScheduleResult` or ``schedule`` table (its operations
        must match this problem's; otherwise the greedy schedule is used and a diagnostic
        says why).
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
        workers, malformed ``orders`` or ``weights``.
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
    # A previous schedule given as hint needs a back-end that can start from one.
    given = isinstance(hint, ScheduleResult | pd.DataFrame)
    backend = schedule_backend(solver, needs={"hint"} if given else ())
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
    notes: list[PlanException] = []
    if problem.infeasible or problem.num_operations == 0:
        outcome: ScheduleOutcome = backend.solve(problem, options)
        return build_result(problem, names, outcome.stats, outcome.solution, stages=outcome.stages)
    warm = None
    if "hint" in backend.CAPABILITIES and isinstance(hint, ScheduleResult | pd.DataFrame):
        warm = _previous(problem, hint, notes)
    parts = solve_in_parts(
        problem,
        backend,
        options,
        hint=warm,
        windows=solver != "greedy",
        warm=not (isinstance(hint, str) and hint == "none"),
    )
    if verify:
        broken = check_schedule(problem, parts.solution)
        if broken:
            raise ScheduleCheckError(
                f"{solver} returned an invalid schedule:\n  " + "\n  ".join(broken[:20])
            )
    if parts.fallback:
        notes.append(
            PlanException(
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


def _previous(
    problem: SchedulingProblem, hint: ScheduleResult | pd.DataFrame, notes: list[PlanException]
) -> Solution | None:
    """A previous schedule as a start, if it still fits (else ``None`` and a note why)."""
    frame = hint.to_frame() if isinstance(hint, ScheduleResult) else hint
    previous, why = solution_from_frame(problem, frame)
    if previous is None:
        notes.append(
            PlanException("hint_ignored", "info", f"previous schedule not used as hint: {why}")
        )
    return previous


def solution_from_frame(
    problem: SchedulingProblem, frame: pd.DataFrame
) -> tuple[Solution | None, str]:
    """A :class:`Solution` from a ``schedule`` table, or ``None`` and the reason it does not fit.

    Parameters
    ----------
    problem
        The problem the schedule should solve.
    frame
        Columns ``order, step, workstation, unit, start, end`` (ISO times or minutes).

    Returns
    -------
    tuple
        The solution (or ``None``) and an explanation when ``None``.

    """
    need = {"order", "step", "workstation", "unit", "start", "end"}
    if not need <= set(frame.columns):
        return None, f"missing column(s) {', '.join(sorted(need - set(frame.columns)))}"
    origin = pd.Timestamp(problem.start)

    def minute(value: object) -> int:
        if isinstance(value, int | float):
            return int(value)
        return int((pd.Timestamp(str(value)) - origin).total_seconds() // 60)

    rows = {(str(r.order), int(r.step)): r for r in frame.itertuples(index=False)}
    n = problem.num_operations
    alternative, unit, start, end = [0] * n, [1] * n, [0] * n, [0] * n
    for o, op in enumerate(problem.operations):
        key = (problem.orders[op.order].id, op.step)
        row = rows.get(key)
        if row is None:
            return None, f"order {key[0]!r} step {key[1]} is not in it"
        names = [problem.workstations[a.workstation].id for a in op.alternatives]
        if row.workstation not in names:
            return (
                None,
                f"order {key[0]!r} step {key[1]}: "
                f"{row.workstation!r} is not one of its workstations",
            )
        try:
            alternative[o], unit[o] = names.index(str(row.workstation)), int(row.unit)
            start[o], end[o] = minute(row.start), minute(row.end)
        except (TypeError, ValueError) as exc:
            return None, f"order {key[0]!r} step {key[1]}: {exc}"
    solution = Solution(tuple(alternative), tuple(unit), tuple(start), tuple(end))
    broken = check_schedule(problem, solution)
    if broken:
        return None, f"it breaks {len(broken)} rule(s) now, e.g. {broken[0]}"
    return solution, ""
