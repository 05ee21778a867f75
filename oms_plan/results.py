"""Solve outcomes as data: status, objective, bound, gap, runtime, and a back-end's answer."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from typing import Self

    import pandas as pd

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


#: Worst first: the rank of each status when several solves make one answer.
_STATUS_RANK = {
    SolveStatus.INFEASIBLE: 0,
    SolveStatus.NO_SOLUTION: 1,
    SolveStatus.FEASIBLE: 2,
    SolveStatus.OPTIMAL: 3,
    SolveStatus.EMPTY: 4,
}


def worst_status(statuses: Iterable[SolveStatus]) -> SolveStatus:
    """The status of an answer made of several solves: the worst of theirs.

    Parameters
    ----------
    statuses
        The solves' statuses.

    Returns
    -------
    SolveStatus
        ``infeasible`` before ``no_solution`` before ``feasible`` before ``optimal`` before
        ``empty``; ``empty`` when there is no solve.

    """
    return min(statuses, key=_STATUS_RANK.__getitem__, default=SolveStatus.EMPTY)


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

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SolverStats:
        """The statistics of :meth:`to_dict` (its ``gap`` is derived, so it is not read)."""
        return cls(
            solver=str(data["solver"]),
            status=SolveStatus(str(data["status"])),
            objective=float(str(data["objective"])),
            bound=float(str(data["bound"])),
            runtime=float(str(data["runtime"])),
            deterministic=bool(data["deterministic"]),
        )

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


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What an independent checker found: every rule an answer breaks (none when valid).

    Attributes
    ----------
    violations
        One readable line per broken rule, naming the order line, buffer or operation.

    """

    violations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing is violated."""
        return not self.violations

    def __bool__(self) -> bool:
        # ``if report:`` could mean "valid" or "has violations" (checkers used to return
        # lists of violations): make the reader say which.
        raise TypeError("a CheckReport has no truth value: use report.ok or report.violations")

    def __str__(self) -> str:
        if self.ok:
            return "OK: no violations"
        return f"{len(self.violations)} violation(s):\n" + "\n".join(self.violations)


class EngineResult(Protocol):
    """What every engine's result offers (the shared contract, see ``docs/outputs.md``).

    ``status`` and ``stats`` say how the solve ended; ``kpis`` maps each KPI name
    (:data:`oms_plan.kpis.KPI_DEFINITIONS`) to its value; ``to_frames`` gives the plan tables;
    ``from_json(to_json())`` gives the same result back, tables equal under
    ``DataFrame.equals`` with their dtypes.
    """

    @property
    def status(self) -> SolveStatus:
        """How the solve ended."""
        ...

    @property
    def stats(self) -> SolverStats:
        """Solver, status, objective, bound, gap, runtime."""
        ...

    @property
    def kpis(self) -> Mapping[str, object]:
        """KPI name → value."""
        ...

    def kpi(self, name: str) -> object:
        """One KPI's value (``KeyError`` naming the known KPIs when unknown)."""
        ...

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The result's tables, by name."""
        ...

    def summary(self) -> str:
        """A few readable lines."""
        ...

    def to_json(self) -> str:
        """The whole result as JSON."""
        ...

    @classmethod
    def from_json(cls, text: str) -> Self:
        """The result written by :meth:`to_json`."""
        ...


def kpi_value(kpis: Mapping[str, object], name: str) -> object:
    """``kpis[name]``, or a ``KeyError`` that lists the known KPIs.

    Parameters
    ----------
    kpis
        KPI name → value.
    name
        The KPI wanted.

    Returns
    -------
    object
        Its value.

    Raises
    ------
    KeyError
        When ``name`` is not a KPI of this result.

    """
    if name not in kpis:
        raise KeyError(f"no KPI {name!r}; KPIs are {', '.join(kpis)}")
    return kpis[name]
