"""Why is this line late? Counterfactual explanations of late and short lines.

For a late or short line, the smallest change of one lever that alone would make it on
time — or as much earlier as that lever can — computed by re-solving the line with the
promiser's own search (capable-to-promise included) with that lever changed:

* ``expedite`` a scheduled receipt (a supply id) by N days;
* ``capacity``: N more minutes on a workstation before a date;
* ``component``: N more units of a component at a location by a date;
* ``stock``: N more units on hand of the item where it ships from;
* ``priority``: the more important line that took the stock (``order/line``).

:func:`explain_plan` makes a plan's ``explanations`` table, :func:`explain_promise` explains
one quote (``Promise.explain``); :class:`Explainer` is the engine. See docs/replan.md.
"""

from oms_plan.explain.api import explain_promise
from oms_plan.explain.engine import (
    DEFAULT_RESOLVES,
    DEFAULT_TOTAL,
    LEVERS,
    MAX_TARGETS,
    Ask,
    Explainer,
    Explanation,
    lateness,
)
from oms_plan.explain.replay import explain_plan, late_lines
from oms_plan.explain.table import explanations_frame

__all__ = [
    "DEFAULT_RESOLVES",
    "DEFAULT_TOTAL",
    "LEVERS",
    "MAX_TARGETS",
    "Ask",
    "Explainer",
    "Explanation",
    "explain_plan",
    "explain_promise",
    "explanations_frame",
    "late_lines",
    "lateness",
]
