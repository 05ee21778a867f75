"""What-if scenarios: a base dataset plus named edits, and the difference of two plans."""

from oms_plan.fingerprint import fingerprint
from oms_plan.scenario.compare import DIFF_TABLES, PlanDiff, compare
from oms_plan.scenario.edits import EDIT_KINDS, Edit
from oms_plan.scenario.scenario import Scenario

__all__ = ["DIFF_TABLES", "EDIT_KINDS", "Edit", "PlanDiff", "Scenario", "compare", "fingerprint"]
