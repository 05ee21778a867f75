"""``oms_plan.check``: one entry point to the independent checkers, one :class:`CheckReport`.

Each checker re-verifies an engine's answer in plain Python from the dataset, without the
engine's own arrays: allocation (stock never negative, side constraints kept, quotas —
:func:`oms_plan.allocate.check_allocation`), MRP (:func:`oms_plan.mrp.checker.check_materials`)
scheduling (capacity, calendars, downtime, precedence, releases —
:func:`oms_plan.schedule.check_schedule`) and the replan (the coherent-plan rule —
:func:`oms_plan.replan.coherence.coherence_problems`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oms_plan.allocate.checker import check_allocation
from oms_plan.allocate.result import AllocationResult
from oms_plan.dataset import Dataset
from oms_plan.mrp.checker import check_materials
from oms_plan.mrp.result import MrpResult
from oms_plan.replan.coherence import coherence_problems
from oms_plan.replan.result import Plan
from oms_plan.results import CheckReport
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.result import ScheduleResult
from oms_plan.schedule.table import check_schedule_table


def check(
    result: AllocationResult | MrpResult | ScheduleResult | Plan, dataset: Dataset
) -> CheckReport:
    """Re-verify ``result`` against the ``dataset`` it was computed from.

    Parameters
    ----------
    result
        An :class:`~oms_plan.AllocationResult`, :class:`~oms_plan.MrpResult` or
        :class:`~oms_plan.ScheduleResult` (its operations of the dataset's open
        manufacturing orders are checked) or :class:`~oms_plan.Plan` (the coherent-plan
        rule).
    dataset
        The dataset the engine ran on.

    Returns
    -------
    CheckReport
        Every violation found (none when the answer is valid).

    Raises
    ------
    TypeError
        For a result this function has no checker for.

    """
    if isinstance(result, AllocationResult):
        return check_allocation(dataset, result.promises)
    if isinstance(result, MrpResult):
        return check_materials(result, dataset)
    if isinstance(result, ScheduleResult):
        if not result.has_schedule:
            return CheckReport()
        return check_schedule_table(SchedulingProblem.from_dataset(dataset), result.to_frame())
    if isinstance(result, Plan):
        return CheckReport(tuple(coherence_problems(result.tables, dataset)))
    raise TypeError(f"no checker for a {type(result).__name__}")


if TYPE_CHECKING:
    from oms_plan.results import EngineResult

    # mypy checks that every engine's result implements the shared contract.
    _RESULTS: tuple[type[EngineResult], ...] = (AllocationResult, MrpResult, ScheduleResult, Plan)
