"""Material requirements planning: netting, lot sizing, offsetting, pegging, exceptions.

Entry point :func:`plan_materials` (also ``oms_plan.plan_materials``); see docs/mrp.md.
"""

from oms_plan.mrp.planner import plan_materials
from oms_plan.mrp.result import MrpResult

__all__ = ["MrpResult", "plan_materials"]
