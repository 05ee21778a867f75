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

#: KPI name → its definition.
KPI_DEFINITIONS: dict[str, str] = {
    "lines": "open order lines",
    "lines_on_time": "lines whose whole quantity is promised with no day late",
    "lines_late": "lines whose whole quantity is promised, some of it late",
    "lines_short": "lines with some quantity not promised",
    "on_time_pct": "100 × lines_on_time / lines (share of order lines, not of quantity)",
    "fill_rate_pct": "100 × quantity promised (on time or late) / quantity ordered",
    "on_time_qty_pct": "100 × quantity promised on time / quantity ordered",
    "total_days_late": "sum over late lines of the days their latest shipment is late",
    "orders_late": "manufacturing orders finishing after their due date",
    "orders_on_time_pct": "100 × manufacturing orders finished by their due date / orders",
    "utilisation:<workstation>": "busy minutes / working minutes of the workstation",
    "bottleneck": "the workstation with the highest utilisation",
    "runtime_seconds": "wall-clock seconds of the engine",
    "orders_scheduled": "manufacturing orders in the schedule",
    "orders_set_aside": "manufacturing orders set aside as unschedulable (infeasible exceptions)",
    "schedule_orders_set_aside": "plan: manufacturing orders the scheduler set aside",
    "schedule_fallback": "plan: whether the greedy schedule stands where CP-SAT found nothing",
    "schedule_parts": "plan: workstation groups scheduled independently",
    "schedule_objective": "plan: first scheduling objective, summed over groups (max: makespan)",
    "schedule_bound": "plan: lower bound of it valid for the whole problem (summed over groups)",
    "schedule_gap_whole": "plan: (schedule_objective − schedule_bound) / max(1, objective)",
    "schedule_status:<part>": "plan: solve status of one workstation group",
    "schedule_gap:<part>": "plan: gap of one workstation group",
}


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
