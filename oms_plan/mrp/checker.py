"""Independent check of an MRP answer (see :func:`check_materials`)."""

from __future__ import annotations

from oms_plan.dataset import Dataset
from oms_plan.mrp.result import MrpResult
from oms_plan.results import CheckReport

#: Relative slack when comparing sums of fractional quantities.
_EPS = 1e-6


def check_materials(result: MrpResult, dataset: Dataset) -> CheckReport:
    """Check an MRP answer: every unit pegged once, planned orders sound and sourced.

    Rules: the pegs of each supplier (stock of an item at a location, a scheduled receipt,
    a planned order) add up to exactly its quantity — no unit pegged twice, none lost; every
    planned order has a positive quantity, is released no later than it is due, and is
    replenished by a method its item has a sourcing row for at its location.

    Parameters
    ----------
    result
        The MRP answer.
    dataset
        The dataset it was planned from.

    Returns
    -------
    CheckReport
        Every violation found.

    """
    violations: list[str] = []
    planned = result.planned_orders
    capacity: dict[tuple[str, str, str], float] = {}
    for row in dataset.inventory.itertuples(index=False):
        capacity[("stock", str(row.item), str(row.location))] = float(row.on_hand)
    for row in dataset.supply.itertuples(index=False):
        capacity[(str(row.supply), str(row.item), str(row.location))] = float(row.quantity)
    for row in planned.itertuples(index=False):
        capacity[(str(row.planned_order), str(row.item), str(row.location))] = float(row.quantity)
    pegs = result.pegging.loc[result.pegging["supplier"].notna()]
    pegged = pegs.groupby(
        [pegs["supplier"].astype(str), pegs["item"].astype(str), pegs["location"].astype(str)]
    )["quantity"].sum()
    for key, quantity in pegged.items():
        supplier, item, location = key
        have = capacity.get((supplier, item, location))
        if have is None:
            violations.append(f"pegging names unknown supplier {supplier!r} of {item}@{location}")
        elif abs(float(quantity) - have) > _EPS * max(1.0, have):
            violations.append(
                f"supplier {supplier!r} of {item}@{location}: pegs add up to "
                f"{float(quantity):g}, its quantity is {have:g}"
            )
    suppliers = set(pegged.index)
    sourced = {
        (str(r.item), str(r.location), str(r.method))
        for r in dataset.sourcing.itertuples(index=False)
    }
    for row in planned.itertuples(index=False):
        name = f"planned order {row.planned_order!r}"
        if not float(row.quantity) > 0:
            violations.append(f"{name}: quantity {row.quantity} is not positive")
        if row.release_date > row.due_date:
            violations.append(f"{name}: released {row.release_date} after due {row.due_date}")
        if (str(row.item), str(row.location), str(row.method)) not in sourced:
            violations.append(
                f"{name}: {row.item}@{row.location} has no {row.method!r} sourcing row"
            )
        if (str(row.planned_order), str(row.item), str(row.location)) not in suppliers:
            violations.append(f"{name} is pegged to nothing")
    return CheckReport(tuple(violations))
