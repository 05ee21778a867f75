"""Solve outcomes as data: status, objective, bound, gap, runtime, and a back-end's answer."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Generic, TypeVar

#: What a back-end found (allocation: flows per option; scheduling: a schedule or ``None``).
SolutionT = TypeVar("SolutionT")
#: The outcome of one lexicographic stage of the back-end's problem kind.
StageT = TypeVar("StageT")


class SolveStatus(StrEnum):
    """How a solve ended. Never an exception: a result carries it."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"  # time limit reached before any solution was found
    EMPTY = "empty"  # nothing to solve


@dataclass(frozen=True, slots=True)
class SolverStats:
    """What a back-end reports about one solve.

    Attributes
    ----------
    solver
        Back-end name (``"cpsat"``, ``"greedy"``, ``"flow"``, ``"pulp"``...).
    status
        :class:`SolveStatus`.
    objective
        Objective value of the answer (``nan`` without one).
    bound
        Best proven bound (equal to ``objective`` when optimal).
    runtime
        Wall-clock seconds.
    deterministic
        Whether the same input and settings reproduce the answer exactly.

    """

    solver: str
    status: SolveStatus
    objective: float = math.nan
    bound: float = math.nan
    runtime: float = 0.0
    deterministic: bool = True

    @property
    def gap(self) -> float:
        """Relative gap ``|objective - bound| / max(1, |objective|)`` (0 when optimal)."""
        if self.status == SolveStatus.OPTIMAL:
            return 0.0
        if math.isnan(self.objective) or math.isnan(self.bound):
            return math.nan
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (status as its string value, gap included)."""
        out = asdict(self)
        out["status"] = self.status.value
        out["gap"] = self.gap
        return out


@dataclass(frozen=True, eq=False)
class BackendOutcome(Generic[SolutionT, StageT]):
    """What every solver back-end returns, whatever its problem kind.

    Attributes
    ----------
    stats
        The overall outcome: back-end name, status, objective and bound of the headline
        stage, runtime, determinism.
    solution
        What was found, in the problem kind's own terms (see
        :data:`oms_plan.allocate.result.AllocationOutcome` and
        :data:`oms_plan.schedule.options.ScheduleOutcome`).
    stages
        One outcome per lexicographic stage, in order.

    """

    stats: SolverStats
    solution: SolutionT
    stages: tuple[StageT, ...] = ()
