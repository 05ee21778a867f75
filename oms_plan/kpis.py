"""Every KPI oms_plan reports, each defined once.

The engines count (lines on time, quantity promised, orders late …) in their own terms and
turn the counts into the reported figures with the functions here, so that a KPI with one
name has one meaning in every table: allocation, the replan and scheduling alike.
:data:`KPI_DEFINITIONS` documents them (``docs/outputs.md`` lists them too).

A line is **on time** when all its quantity is promised with no day late, **late** when all
of it is promised but some late, **short** when some quantity is not promised.
Percentages are rounded to 2 decimals; with nothing to count they are 100 (nothing failed).
"""

from __future__ import annotations

#: KPI name → its definition. A name ending in ``:<…>`` or ``_<…>`` stands for a family (one
#: KPI per workstation, part, method or exception kind). Every engine reports its KPIs under
#: these names only (``tests/contract`` checks it).
KPI_DEFINITIONS: dict[str, str] = {
    # -- service: order lines (allocation, the replan) -----------------------------------
    "lines": "open order lines",
    "lines_planned": "allocation: lines allocated (inside the horizon, positive quantity)",
    "lines_on_time": "lines whose whole quantity is promised with no day late",
    "lines_late": "lines whose whole quantity is promised, some of it late",
    "lines_short": "lines with some quantity not promised",
    "on_time_pct": "100 × lines_on_time / lines (share of order lines, not of quantity)",
    "fill_rate_pct": "100 × quantity promised (on time or late) / quantity ordered",
    "on_time_qty_pct": "100 × quantity promised on time / quantity ordered",
    "ordered_quantity": "allocation: quantity ordered by the open lines",
    "total_days_late": "sum over late lines of the days their latest shipment is late",
    "unit_days_late": "allocation: sum over late shipments of quantity × days late",
    "shipments": "allocation: shipment rows promised (short rows excluded)",
    "shipping_cost": "allocation: sum over shipments of the lane's cost per unit × quantity",
    "broken_commitments": "allocation: promised lines not fully delivered by their promised date",
    "weighted_objective": "allocation: the weighted policy's objective value",
    "policy": "allocation: the allocation policy",
    "protect_commitments": "allocation: whether promised dates ranked above the policy",
    # -- material (MRP, the replan) ------------------------------------------------------
    "planned_orders": "planned orders (buy, make and transfer)",
    "planned_orders_<method>": "planned orders of one method: buy, make or transfer",
    "planned_quantity": "MRP: quantity of all planned orders",
    "items_planned": "MRP: items with at least one planned order",
    "buffers": "MRP: item@location buffers planned",
    "buffers_planned": "MRP: buffers with at least one planned order",
    "expedited_orders": "MRP: planned orders whose release falls before plan start",
    "short_quantity": "MRP: demand quantity no supply is pegged to",
    # -- capacity (scheduling, the replan) -----------------------------------------------
    "orders": "scheduling: manufacturing orders to schedule (scheduled and set aside)",
    "operations": "scheduling: operations in the schedule",
    "orders_scheduled": "scheduling: manufacturing orders in the schedule",
    "orders_set_aside": "scheduling: manufacturing orders set aside as unschedulable",
    "orders_late": "scheduling: manufacturing orders finishing after their due date",
    "orders_on_time_pct": "100 × manufacturing orders finished by their due date / orders",
    "makespan": "scheduling: minutes from plan start until the last operation ends",
    "weighted_tardiness": "scheduling: Σ weight × max(0, completion − due), in minutes",
    "flow_time": "scheduling: Σ (completion − release) over orders, in minutes",
    "objective_name": "scheduling: the objectives, in lexicographic order",
    "fallback": "scheduling: whether the greedy schedule stands where CP-SAT found nothing",
    "scheduled_orders": "plan: manufacturing orders in the schedule (open and planned make)",
    "manufacturing_orders_late": "plan: manufacturing orders finishing after their due date",
    "utilisation:<workstation>": "busy minutes / working minutes of the workstation",
    "bottleneck": "the workstation with the highest utilisation",
    "schedule_parts": "workstation groups scheduled independently",
    "schedule_orders_set_aside": "plan: manufacturing orders the scheduler set aside",
    "schedule_fallback": "plan: whether the greedy schedule stands where CP-SAT found nothing",
    "plan_rounds": "plan: MRP-and-schedule rounds until the promises agreed (most of any part)",
    "plan_settled": "plan: false when a part stopped at its round limit before agreeing",
    "schedule_objective": "plan: first scheduling objective, summed over groups (max: makespan)",
    "schedule_bound": "plan: lower bound of it valid for the whole problem (summed over groups)",
    "schedule_gap_whole": "plan: (schedule_objective − schedule_bound) / max(1, objective)",
    "schedule_status:<part>": "plan: solve status of one workstation group",
    "schedule_gap:<part>": "plan: gap of one workstation group",
    # -- the solve -----------------------------------------------------------------------
    "solver": "the back-end of the headline solve",
    "solver_status": "its status: optimal, feasible, infeasible, no_solution or empty",
    "objective": "its objective value",
    "bound": "its best proven bound",
    "gap": "(objective − bound) / max(1, objective); 0 when optimal",
    "deterministic": "whether the same input and settings reproduce the answer exactly",
    "allocation_status": "plan: the worst allocation status over the dataset's parts",
    "allocation_gap": "plan: the largest allocation gap over the dataset's parts",
    "schedule_status": "plan: the worst scheduling status over the dataset's parts",
    "schedule_gap": "plan: the largest scheduling gap over the dataset's parts",
    "parts": "plan: independent parts the dataset was planned in",
    "runtime_seconds": "wall-clock seconds of the engine",
    # -- explanations (the replan) --------------------------------------------------------
    "lines_explained": "plan: late or short lines with at least one row in explanations",
    # -- exceptions and stamps -----------------------------------------------------------
    "exceptions": "rows of the exceptions table",
    "exceptions_<kind>": "rows of the exceptions table of one kind",
    "input_allocation": "plan: fingerprint of what the allocation read (sha256:…)",
    "input_schedule": "plan: fingerprint of what the scheduler read (sha256:…)",
}


def definition(name: str) -> str:
    """The definition of KPI ``name``, a family's for ``utilisation:WS-1`` or ``exceptions_cancel``.

    Parameters
    ----------
    name
        A KPI name as an engine reports it.

    Returns
    -------
    str
        Its definition in :data:`KPI_DEFINITIONS`.

    Raises
    ------
    KeyError
        When no definition covers ``name``.

    """
    if name in KPI_DEFINITIONS:
        return KPI_DEFINITIONS[name]
    for family, text in KPI_DEFINITIONS.items():
        if family.endswith(">"):
            stem = family[: family.index("<")]
            if name.startswith(stem) and len(name) > len(stem):
                return text
    raise KeyError(f"KPI {name!r} has no definition in oms_plan.kpis.KPI_DEFINITIONS")


def percent(part: float, whole: float) -> float:
    """``100 × part / whole`` rounded to 2 decimals; 100 when ``whole`` is 0.

    Parameters
    ----------
    part
        What succeeded.
    whole
        What was asked.

    Returns
    -------
    float
        The percentage.

    """
    return round(100.0 * part / whole, 2) if whole else 100.0


def on_time_pct(lines_on_time: int, lines: int) -> float:
    """``on_time_pct``: the share of order lines delivered on time, in percent.

    Parameters
    ----------
    lines_on_time
        Lines whose whole quantity is promised with no day late.
    lines
        All open order lines.

    Returns
    -------
    float
        The percentage (100 without lines).

    """
    return percent(lines_on_time, lines)


def fill_rate_pct(promised: float, ordered: float) -> float:
    """``fill_rate_pct``: the share of the ordered quantity promised, on time or late.

    Parameters
    ----------
    promised
        Quantity promised.
    ordered
        Quantity ordered.

    Returns
    -------
    float
        The percentage (100 when nothing is ordered).

    """
    return percent(promised, ordered)


def on_time_qty_pct(on_time: float, ordered: float) -> float:
    """``on_time_qty_pct``: the share of the ordered quantity promised on time.

    Parameters
    ----------
    on_time
        Quantity promised with no day late.
    ordered
        Quantity ordered.

    Returns
    -------
    float
        The percentage (100 when nothing is ordered).

    """
    return percent(on_time, ordered)


def orders_on_time_pct(orders_late: int, orders: int) -> float:
    """``orders_on_time_pct``: the share of manufacturing orders finished by their due date.

    Parameters
    ----------
    orders_late
        Orders finishing after their due date.
    orders
        All scheduled orders.

    Returns
    -------
    float
        The percentage (100 without orders).

    """
    return percent(orders - orders_late, orders)
