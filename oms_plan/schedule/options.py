"""What a scheduling back-end gets (:class:`ScheduleOptions`) and returns (:data:`ScheduleOutcome`).

A back-end (found with ``oms_plan.backends.schedule_backend(name)``) implements
:class:`oms_plan.backends.ScheduleBackend`:
``solve(problem: SchedulingProblem, options: ScheduleOptions) -> ScheduleOutcome``.
"""

from __future__ import annotations

from dataclasses import dataclass

from oms_plan.results import BackendOutcome, SolverStats
from oms_plan.schedule.solution import Solution


@dataclass(frozen=True, slots=True)
class ScheduleOptions:
    """Settings of one solve.

    Attributes
    ----------
    objective
        Objective names in lexicographic order (see :data:`~oms_plan.schedule.solution.OBJECTIVES`).
    time_limit
        Seconds for the whole solve (all lexicographic stages together). With
        ``deterministic``, deterministic seconds of CP-SAT work instead of wall-clock seconds.
    workers
        Parallel search workers (CP-SAT); ``deterministic`` forces 1.
    seed
        Random seed (CP-SAT).
    deterministic
        Reproduce the answer exactly: 1 worker and a deterministic time limit.
    hint
        A schedule to start from (a complete or partial :class:`Solution`); ``None`` = none.
    rule
        Dispatching rule of the greedy back-end: ``"edd"`` (earliest due date) or ``"atc"``
        (apparent tardiness cost).
    log
        Let the solver log its search (to the ``oms_plan`` logger's handlers: stdout for CP-SAT).

    """

    objective: tuple[str, ...] = ("weighted_tardiness",)
    time_limit: float = 30.0
    workers: int = 1
    seed: int = 0
    deterministic: bool = False
    hint: Solution | None = None
    rule: str = "edd"
    log: bool = False


#: A scheduling back-end's answer: the schedule (``None`` when none was found) and the
#: statistics of each lexicographic objective.
ScheduleOutcome = BackendOutcome[Solution | None, SolverStats]

__all__ = ["BackendOutcome", "ScheduleOptions", "ScheduleOutcome"]
