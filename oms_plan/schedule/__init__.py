"""Finite-capacity scheduling of manufacturing orders (see docs/scheduling.md).

:func:`schedule_orders` builds a :class:`SchedulingProblem` from a dataset, hands it to a
back-end (``cpsat`` or ``greedy``, found through :mod:`oms_plan.backends`) and returns a
:class:`ScheduleResult`.
"""

from oms_plan.schedule.checker import ScheduleCheckError, check_schedule
from oms_plan.schedule.options import BackendOutcome, ScheduleOptions, ScheduleOutcome
from oms_plan.schedule.problem import SchedulingProblem, default_weight
from oms_plan.schedule.result import ScheduleResult
from oms_plan.schedule.solution import OBJECTIVES, Solution
from oms_plan.schedule.solve import schedule_orders

__all__ = [
    "OBJECTIVES",
    "BackendOutcome",
    "ScheduleCheckError",
    "ScheduleOptions",
    "ScheduleOutcome",
    "ScheduleResult",
    "SchedulingProblem",
    "Solution",
    "check_schedule",
    "default_weight",
    "schedule_orders",
]
