"""Time windows of every operation, computed before the CP-SAT model is built.

Two passes over each order's routing, in plain integer arithmetic on the working-time maps:

* **heads** (forward): the earliest working position of every alternative, after the order's
  release and the earliest end of the previous step (shortest alternative, no capacity).
  These give each order an earliest completion and so a lower bound of its tardiness.
* **tails** (backward): the latest working position of every alternative, so that the order
  still completes by its *latest useful completion*.

The latest useful completion comes from a known schedule (the warm start) and the first
objective: no schedule at least as good as the incumbent completes an order later. For
weighted tardiness, ``Σ_j ω_j T_j ≤ UB`` and ``T_j ≥ LB_j`` give
``T_i ≤ LB_i + (UB − Σ_j ω_j LB_j) / ω_i``; for the makespan ``C_i ≤ UB``; for flow time
``C_i − r_i ≤ UB − Σ_{j≠i} (C̲_j − r_j)``. Later lexicographic stages keep ``first ≤ UB``,
so the windows stay valid for them. Narrow windows are what make the clock maps cheap:
a position can only cross the breaks inside its window.
"""

from __future__ import annotations

from dataclasses import dataclass

from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.solution import Solution, objective_values


@dataclass(frozen=True, slots=True)
class Windows:
    """Where each operation can be, as proved from release dates, routings and a bound.

    Attributes
    ----------
    lo, hi
        Per operation, per alternative: earliest and latest working start position on the
        alternative's workstation (``lo > hi``: the alternative cannot be used).
    earliest_end
        Per operation, its earliest clock end (best alternative).
    earliest_completion
        Per order, its earliest clock completion.
    latest_completion
        Per order, the latest clock completion a schedule as good as the incumbent can have.
    tardiness_bound
        Per order, ``max(0, earliest_completion − due)``: a lower bound of its tardiness.

    """

    lo: tuple[tuple[int, ...], ...]
    hi: tuple[tuple[int, ...], ...]
    earliest_end: tuple[int, ...]
    earliest_completion: tuple[int, ...]
    latest_completion: tuple[int, ...]
    tardiness_bound: tuple[int, ...]

    def usable(self, o: int, j: int) -> bool:
        """Whether alternative ``j`` of operation ``o`` has room in its window."""
        return self.lo[o][j] <= self.hi[o][j]


_NEVER = 1 << 62


def _heads(problem: SchedulingProblem) -> tuple[list[list[int]], list[int]]:
    """Earliest start position per alternative and earliest clock end per operation."""
    lo: list[list[int]] = [[] for _ in problem.operations]
    earliest_end = [_NEVER] * problem.num_operations
    for order in problem.orders:
        ready = order.release
        for o in order.operations:
            best = _NEVER
            for alt in problem.operations[o].alternatives:
                ws, wt = problem.workstations[alt.workstation], problem.working[alt.workstation]
                w = wt.place(wt.worked(ready), alt.duration, ws.pausable)
                if w is None:
                    lo[o].append(_NEVER)
                    continue
                lo[o].append(w)
                best = min(best, wt.clock(w, alt.duration)[1])
            earliest_end[o] = best
            ready = best
    return lo, earliest_end


def latest_completions(
    problem: SchedulingProblem,
    earliest_completion: list[int],
    horizon: int,
    objective: str,
    incumbent: Solution | None,
) -> list[int]:
    """Latest useful clock completion of every order (see the module docstring)."""
    orders = problem.orders
    top = [horizon] * len(orders)
    if incumbent is None:
        return top
    ub = objective_values(problem, incumbent)[objective]
    if objective == "weighted_tardiness":
        lb = [max(0, c - o.due) for o, c in zip(orders, earliest_completion, strict=True)]
        slack = ub - sum(o.weight * t for o, t in zip(orders, lb, strict=True))
        return [
            min(horizon, o.due + t + max(0, slack) // o.weight)
            for o, t in zip(orders, lb, strict=True)
        ]
    if objective == "makespan":
        return [min(horizon, ub) for _ in orders]
    # flow time: every other order needs at least its earliest flow
    least = sum(c - o.release for o, c in zip(orders, earliest_completion, strict=True))
    return [min(horizon, c + max(0, ub - least)) for c in earliest_completion]


def compute_windows(
    problem: SchedulingProblem,
    horizon: int,
    objective: str = "weighted_tardiness",
    incumbent: Solution | None = None,
) -> Windows:
    """Heads and tails of every alternative (see the module docstring).

    Parameters
    ----------
    problem
        The problem (feasible, with operations).
    horizon
        Latest clock minute any operation may end.
    objective
        The first (lexicographic) objective, whose bound the incumbent gives.
    incumbent
        A valid schedule, or ``None`` (windows then only use the horizon).

    Returns
    -------
    Windows
        The windows; ``incumbent`` lies inside them.

    """
    lo, earliest_end = _heads(problem)
    earliest_completion = [earliest_end[o.operations[-1]] for o in problem.orders]
    latest = latest_completions(problem, earliest_completion, horizon, objective, incumbent)
    hi: list[list[int]] = [[] for _ in problem.operations]
    for order, last in zip(problem.orders, latest, strict=True):
        limit = last  # latest clock end of the operation being looked at
        for o in reversed(order.operations):
            next_limit = -1
            for alt in problem.operations[o].alternatives:
                ws, wt = problem.workstations[alt.workstation], problem.working[alt.workstation]
                w = wt.last_start(limit, alt.duration, ws.pausable)
                hi[o].append(-1 if w is None else w)
                if w is not None:
                    next_limit = max(next_limit, wt.start_at(w))
            limit = next_limit
    tardiness = [
        max(0, c - o.due) for o, c in zip(problem.orders, earliest_completion, strict=True)
    ]
    return Windows(
        lo=tuple(tuple(x) for x in lo),
        hi=tuple(tuple(x) for x in hi),
        earliest_end=tuple(earliest_end),
        earliest_completion=tuple(earliest_completion),
        latest_completion=tuple(latest),
        tardiness_bound=tuple(tardiness),
    )
