"""Scarce-stock allocation and fulfillment-location choice (see ``docs/allocation.md``).

:func:`allocate_stock` shares stock and scheduled receipts among the open order lines by a
policy (``strict_priority``, ``weighted``, ``fair_share``), protecting promised dates, and
proves its answer optimal (min-cost flow, CP-SAT or CBC); :func:`check_allocation`
re-verifies any answer independently.
"""

from oms_plan.allocate.building import build_problem
from oms_plan.allocate.checker import check_allocation
from oms_plan.allocate.policies import Policy, Stage, Weights, build_stages, weighted_value
from oms_plan.allocate.problem import AllocationProblem, Quota
from oms_plan.allocate.result import AllocationOutcome, AllocationResult, StageOutcome
from oms_plan.allocate.solve import allocate_stock
from oms_plan.results import CheckReport

__all__ = [
    "AllocationOutcome",
    "AllocationProblem",
    "AllocationResult",
    "CheckReport",
    "Policy",
    "Quota",
    "Stage",
    "StageOutcome",
    "Weights",
    "allocate_stock",
    "build_problem",
    "build_stages",
    "check_allocation",
    "weighted_value",
]
