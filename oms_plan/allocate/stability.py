"""Stability: among equally good allocations, prefer the one a previous plan made.

A replan that reshuffles lines the changes did not touch looks *nervous* to a planner. Where
several allocations are equally good for every stage of the policy (which of two lines of
the same priority gets the last units, which of two warehouses with the same lane cost
ships), the solver's pick is arbitrary, and a new solve may pick another one.

:func:`stay_stage` is one more lexicographic stage, solved **after** every stage of the
policy: it maximizes the units shipped exactly as the previous promises shipped them (same
order line, same ship-from location, same ship date). Being last, it only chooses among the
answers that are optimal for the policy's own stages, so the policy's objective is
unchanged; it never makes a line worse to keep another one where it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oms_plan.allocate.policies import Stage, quantity_multiplier
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.errors import PlanningError

#: Name of the stability stage (a tie-break: it does not count in the headline or status).
STAY = "stay"
_COLUMNS = ("order", "line", "location", "ship_date", "quantity")


def previous_quantities(problem: AllocationProblem, previous: pd.DataFrame) -> np.ndarray:
    """Scaled quantity the ``previous`` promises shipped through each option (0 elsewhere).

    An option matches a previous shipment row with the same order, line, ship-from location
    and ship date. Short rows (no location) match nothing; rows of lines the problem does
    not plan are ignored.

    Raises
    ------
    PlanningError
        When ``previous`` lacks a column of the promises table it needs.

    """
    missing = [c for c in _COLUMNS if c not in previous.columns]
    if missing:
        raise PlanningError(
            f"previous promises lack column(s) {', '.join(missing)}: "
            "give a promises table as allocate_stock returns it"
        )
    out = np.zeros(problem.num_options, dtype=np.int64)
    ships = previous.loc[previous["location"].notna() & previous["ship_date"].notna()]
    if ships.empty or problem.num_options == 0:
        return out
    start = pd.Timestamp(problem.start)
    before = pd.DataFrame(
        {
            "order": ships["order"].astype(str).to_numpy(),
            "line": ships["line"].astype(str).to_numpy(),
            "location": ships["location"].astype(str).to_numpy(),
            "day": (pd.to_datetime(ships["ship_date"]) - start).dt.days.to_numpy(dtype=np.int64),
            "quantity": ships["quantity"].to_numpy(dtype=float),
        }
    )
    before = before.groupby(["order", "line", "location", "day"], sort=False)["quantity"].sum()
    line = problem.opt_line
    options = pd.DataFrame(
        {
            "order": np.asarray(problem.order_ids, dtype=object)[problem.line_order[line]],
            "line": problem.line_id[line].astype(str),
            "location": np.asarray(problem.location_ids, dtype=object)[problem.opt_location],
            "day": problem.opt_day.astype(np.int64),
        }
    )
    index = pd.MultiIndex.from_frame(options)
    quantity = before.reindex(index).fillna(0.0).to_numpy(dtype=float)
    return np.asarray(np.rint(quantity * problem.opt_scale), dtype=np.int64)


def stay_stage(problem: AllocationProblem, kept: np.ndarray) -> Stage | None:
    """``max Σ x_a`` (real units) over the options ``kept`` shipped through; ``None`` if none."""
    m = quantity_multiplier(problem)
    per_unit = (m // problem.opt_scale).astype(np.int64)
    coef = np.where(kept > 0, per_unit, 0).astype(np.int64)
    if not coef.any():
        return None
    return Stage(STAY, "max", coef, float(m))
