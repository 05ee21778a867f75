"""The rows of a :class:`~oms_plan.schedule.ScheduleResult`: operations, orders, loads, parts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from oms_plan.results import SolveStatus


@dataclass(frozen=True, slots=True)
class ScheduledOperation:
    """One row of the schedule, in minutes from plan start."""

    order: str
    item: str
    step: int
    workstation: str
    unit: int
    start: int
    end: int
    duration: int  # working minutes


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """When an order completes and how late it is (minutes; ``completion`` None unscheduled)."""

    order: str
    item: str
    location: str
    quantity: float
    priority: int
    weight: int
    release: int
    due: int
    completion: int | None

    @property
    def lateness(self) -> int | None:
        """Completion − due (negative = early)."""
        return None if self.completion is None else self.completion - self.due

    @property
    def tardiness(self) -> int | None:
        """max(0, lateness)."""
        late = self.lateness
        return None if late is None else max(0, late)


@dataclass(frozen=True, slots=True)
class WorkstationLoad:
    """Busy working minutes of a workstation against what it had until the schedule ends."""

    workstation: str
    units: int
    busy: int
    available: int

    @property
    def utilisation(self) -> float:
        """Busy / available (0 when nothing was available)."""
        return self.busy / self.available if self.available else 0.0


@dataclass(frozen=True, slots=True)
class PartReport:
    """How one independently solved part of the problem ended.

    A part is a group of workstations that no order links to another group; a large part
    is solved in time windows (``windows`` > 1), each window by the back-end with the
    greedy schedule as its start, and the better of that and the greedy schedule is kept.

    Attributes
    ----------
    name
        The part's first workstation and how many it has (``"WS-001+7"``).
    orders, operations
        Its size.
    windows
        Time windows it was solved in (1 = solved whole).
    solver
        Who produced the kept schedule (``"cpsat"``, ``"greedy"``).
    status
        ``optimal`` (proved), ``feasible``, or what the back-end said when nothing was found.
    objective, bound
        First objective of the kept schedule, and a lower bound valid for the whole part
        (the back-end's bound when solved whole, else a relaxation: each order as early as
        its release, routing and working time allow, ignoring other orders).
    runtime
        Wall-clock seconds.

    """

    name: str
    orders: int
    operations: int
    windows: int
    solver: str
    status: SolveStatus
    objective: float
    bound: float
    runtime: float

    @property
    def gap(self) -> float:
        """``(objective − bound) / max(1, objective)``; 0 when optimal, nan without a bound."""
        if self.status == SolveStatus.OPTIMAL:
            return 0.0
        if math.isnan(self.objective) or math.isnan(self.bound):
            return math.nan
        return max(0.0, self.objective - self.bound) / max(1.0, abs(self.objective))
