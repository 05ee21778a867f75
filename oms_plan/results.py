"""Solve outcomes as data: status, objective, bound, gap, runtime."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum


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
