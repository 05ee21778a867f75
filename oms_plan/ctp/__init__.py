"""Capable-to-promise: promises from new production and purchases (see docs/promising.md).

:class:`CtpEngine` plans new supply for the :class:`~oms_plan.Promiser` — BOM explosion,
lead times and workstation capacity in day buckets — and keeps the free minutes that
reservations take and give back. :mod:`oms_plan.ctp.reference` is a slow, obviously right
implementation of the same rules, for tests.
"""

from oms_plan.ctp.engine import CtpAnswer, CtpEngine, CtpRoute
from oms_plan.ctp.types import Load, SupplyOrder, Take

__all__ = ["CtpAnswer", "CtpEngine", "CtpRoute", "Load", "SupplyOrder", "Take"]
