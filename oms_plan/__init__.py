"""oms_plan: promise delivery dates, allocate scarce stock, plan material, schedule production.

The public API is re-exported here; see the README for a tour.
"""

from oms_plan.allocate import AllocationProblem, AllocationResult, allocate_stock
from oms_plan.atp import Promise, Promiser, Shipment, projection_frame
from oms_plan.builder import Model
from oms_plan.dataset import Dataset
from oms_plan.errors import DatasetError, Issue, PlanningError
from oms_plan.loading import ValidationReport, load, validate
from oms_plan.mrp import MrpResult, plan_materials
from oms_plan.replan import Plan, plan
from oms_plan.results import CheckReport, SolverStats, SolveStatus
from oms_plan.scenario import PlanDiff, Scenario, compare
from oms_plan.schedule import ScheduleResult, SchedulingProblem, schedule_orders
from oms_plan.settings import PlanSettings
from oms_plan.verify import check

__version__ = "0.1.0"

__all__ = [
    "AllocationProblem",
    "AllocationResult",
    "CheckReport",
    "Dataset",
    "DatasetError",
    "Issue",
    "Model",
    "MrpResult",
    "Plan",
    "PlanDiff",
    "PlanSettings",
    "PlanningError",
    "Promise",
    "Promiser",
    "Scenario",
    "ScheduleResult",
    "SchedulingProblem",
    "Shipment",
    "SolveStatus",
    "SolverStats",
    "ValidationReport",
    "__version__",
    "allocate_stock",
    "check",
    "compare",
    "load",
    "plan",
    "plan_materials",
    "projection_frame",
    "schedule_orders",
    "validate",
]
