"""What a scheduling back-end gets (:class:`ScheduleOptions`) and returns (:class:`BackendOutcome`).

A back-end module (found with ``oms_plan.backends.get_backend("schedule", name)``) exposes
``solve(problem: SchedulingProblem, options: ScheduleOptions) -> BackendOutcome``.
"""

from __future__ import annotations

from dataclasses import dataclass

from oms_plan.results import SolverStats
from oms_plan.schedule.result import Solution


@dataclass(frozen=True, slots=True)
class ScheduleOptions:
    """Settings of one solve.

    Attributes
    ----------
    objective
        Objective names in lexicographic order (see :data:`~oms_plan.schedule.result.OBJECTIVES`).
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


@dataclass(frozen=True, slots=True)
class BackendOutcome:
    """A back-end's answer: overall stats, one stats per stage, and the schedule (if any)."""

    stats: SolverStats
    solution: Solution | None
    stages: tuple[SolverStats, ...] = ()
