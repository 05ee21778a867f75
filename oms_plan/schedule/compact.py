"""Left-shift a schedule: every operation as early as its sequence allows.

A solver stops caring where an operation sits once the objective does not depend on it
(an early order under weighted tardiness may float anywhere before its due time). Users
expect each operation as early as possible. Keeping every choice (alternative, unit, order
of operations on each unit), this pass moves operations, in order of start, to the earliest
working position after their step predecessor and their unit predecessor (plus changeover).
No completion time grows, so no regular objective gets worse.
"""

from __future__ import annotations

from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.solution import Solution


def left_shift(problem: SchedulingProblem, solution: Solution) -> Solution:
    """The same choices and sequences, each operation started as early as they allow.

    Parameters
    ----------
    problem
        The problem.
    solution
        A valid schedule of it.

    Returns
    -------
    Solution
        The compacted schedule (no operation later than in ``solution``).

    """
    n = problem.num_operations
    start, end = list(solution.start), list(solution.end)
    previous = [-1] * n  # step predecessor
    for order in problem.orders:
        for a, b in zip(order.operations, order.operations[1:], strict=False):
            previous[b] = a
    # unit → (working position where it is free, family of its last operation)
    free: dict[tuple[int, int], tuple[int, int]] = {}
    for o in sorted(range(n), key=lambda o: (solution.start[o], solution.end[o], o)):
        op = problem.operations[o]
        alt = op.alternatives[solution.alternative[o]]
        m, unit = alt.workstation, solution.unit[o]
        ws, wt = problem.workstations[m], problem.working[m]
        ready = problem.orders[op.order].release if previous[o] < 0 else end[previous[o]]
        w_min = wt.worked(ready)
        if (m, unit) in free:
            w_free, family = free[(m, unit)]
            w_min = max(w_min, w_free + problem.changeover(m, family, alt.family))
        w = wt.place(w_min, alt.duration, ws.pausable)
        w_old = wt.worked(solution.start[o])
        if w is None or w > w_old:  # cannot happen for a valid schedule; keep it as it was
            w = w_old
        else:
            start[o], end[o] = wt.clock(w, alt.duration)
        free[(m, unit)] = (w + alt.duration, alt.family)
    return Solution(solution.alternative, solution.unit, tuple(start), tuple(end))
