"""The nightly replan: decompose, allocate, plan material, schedule; merge into one Plan."""

from oms_plan.replan.decompose import item_groups, partition, split
from oms_plan.replan.pipeline import PlanOptions, plan_part
from oms_plan.replan.result import FOLDER_TABLES, PLAN_TABLES, Plan
from oms_plan.replan.stable import plan

__all__ = [
    "FOLDER_TABLES",
    "PLAN_TABLES",
    "Plan",
    "PlanOptions",
    "item_groups",
    "partition",
    "plan",
    "plan_part",
    "split",
]
