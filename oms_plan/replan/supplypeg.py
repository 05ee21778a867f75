"""Which stock and receipts the allocation's shipments draw, and what is left for MRP.

The allocation promises lines from stock and scheduled receipts but does not say which
receipt feeds which shipment. :func:`match_allocation` pegs every allocated shipment to the
stock and receipts of its item@location, first ready to first shipped (the allocation never
ships more than is ready by a day, so this matching always exists). What the shipments do
not use is the *residual* supply; what the allocation did not promise is the *residual*
demand. :func:`residual_dataset` hands both to MRP, so MRP plans exactly for what the
allocation could not serve and never counts a unit the allocation already gave away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.schema import TABLE_ORDER

#: Quantities below this are float dust, not stock.
TOL = 1e-9


@dataclass(frozen=True)
class AllocatedSupply:
    """The allocation's shipments pegged to stock and receipts.

    Attributes
    ----------
    pegs
        One row per (shipment, supplier): ``row`` (position of the line in the orders
        table), ``supplier`` (``stock`` or a supply id), ``item``, ``location``,
        ``quantity``, ``ship_day`` (the allocation's ship day), ``supply_day`` (the day
        the supplier is due: 0 for stock, a receipt's due day) and ``binding`` (what the
        allocation said set the shipment's date).
    allocated
        Per orders row, the quantity the allocation promised.
    inventory_left
        Per inventory row, the on-hand stock no shipment draws.
    supply_left
        Per supply row, the quantity no shipment draws.

    """

    pegs: pd.DataFrame
    allocated: np.ndarray
    inventory_left: np.ndarray
    supply_left: np.ndarray


def match_allocation(dataset: Dataset, promises: pd.DataFrame) -> AllocatedSupply:
    """Peg the allocation's shipments to stock and receipts, first ready to first shipped.

    Parameters
    ----------
    dataset
        The dataset the allocation ran on.
    promises
        The allocation's ``promises`` table.

    Returns
    -------
    AllocatedSupply
        The pegs and what is left of every stock and receipt row.

    """
    start = pd.Timestamp(dataset.start)
    orders = dataset.orders
    row_of = {
        (str(o), str(ln)): k
        for k, (o, ln) in enumerate(zip(orders["order"], orders["line"], strict=True))
    }
    inv, sup = dataset.inventory, dataset.supply
    inventory_left = inv["on_hand"].to_numpy(dtype=float).copy()
    supply_left = sup["quantity"].to_numpy(dtype=float).copy()
    # Per item@location: its suppliers in readiness order (stock, then receipts by due day).
    queues: dict[tuple[str, str], list[tuple[int, int, str, int]]] = {}
    for k, (item, loc) in enumerate(zip(inv["item"], inv["location"], strict=True)):
        queues.setdefault((str(item), str(loc)), []).append((0, 0, "stock", k))
    due = (sup["due_date"] - start).dt.days.clip(lower=0).to_numpy(dtype=np.int64)
    for k, (sid, item, loc) in enumerate(
        zip(sup["supply"], sup["item"], sup["location"], strict=True)
    ):
        queues.setdefault((str(item), str(loc)), []).append((int(due[k]), 1, str(sid), k))
    for queue in queues.values():
        queue.sort(key=lambda s: (s[0], s[1], s[2]))
    allocated = np.zeros(len(orders))
    shipped = promises.loc[promises["status"].astype(str) != "short"]
    ship_day = (pd.to_datetime(shipped["ship_date"]) - start).dt.days.to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "row": [
                row_of[(str(o), str(ln))]
                for o, ln in zip(shipped["order"], shipped["line"], strict=True)
            ],
            "item": shipped["item"].astype(str).to_numpy(),
            "location": shipped["location"].astype(str).to_numpy(),
            "quantity": shipped["quantity"].to_numpy(dtype=float),
            "ship_day": ship_day,
            "binding": shipped["binding"].astype(str).to_numpy(),
        }
    ).sort_values(["item", "location", "ship_day", "row"], kind="mergesort")
    records: list[tuple[int, str, str, str, float, int, int, str]] = []
    heads: dict[tuple[str, str], int] = {}
    for row, item, loc, qty, day, binding in frame.itertuples(index=False):
        allocated[row] += qty
        queue = queues.get((item, loc), [])
        head = heads.get((item, loc), 0)
        need = float(qty)
        while need > TOL and head < len(queue):
            s_day, kind, supplier, idx = queue[head]
            left = inventory_left if kind == 0 else supply_left
            take = min(need, float(left[idx]))
            if take > TOL:
                left[idx] -= take
                need -= take
                records.append((row, supplier, item, loc, take, int(day), s_day, binding))
            if left[idx] <= TOL:
                left[idx] = 0.0
                head += 1
        heads[(item, loc)] = head
        if need > 1e-6:  # pragma: no cover - the allocation never ships what is not there
            raise AssertionError(f"allocation ships {qty:g} of {item}@{loc} with no stock left")
    pegs = pd.DataFrame(
        records,
        columns=[
            "row",
            "supplier",
            "item",
            "location",
            "quantity",
            "ship_day",
            "supply_day",
            "binding",
        ],
    )
    return AllocatedSupply(pegs, allocated, inventory_left, supply_left)


def residual_dataset(
    dataset: Dataset, allocated: AllocatedSupply, cut: np.ndarray
) -> tuple[Dataset, np.ndarray]:
    """The dataset MRP plans from: what the allocation left, less what is ``cut``.

    Parameters
    ----------
    dataset
        The full dataset.
    allocated
        The allocation's pegs (:func:`match_allocation`).
    cut
        Per orders row, quantity no supply may be planned for (lines found short).

    Returns
    -------
    tuple
        The residual dataset — orders carry only their unpromised quantity (lines with
        none left are dropped), inventory and supply only what no shipment draws — and,
        per residual order row, its row in the full orders table.

    """
    orders = dataset.orders
    left = orders["quantity"].to_numpy(dtype=float) - allocated.allocated - cut
    keep = np.flatnonzero(left > 1e-6)
    tables = {name: dataset.table(name) for name in TABLE_ORDER}
    tables["orders"] = orders.iloc[keep].assign(quantity=left[keep]).reset_index(drop=True)
    tables["inventory"] = dataset.inventory.assign(on_hand=allocated.inventory_left)
    tables["supply"] = dataset.supply.assign(quantity=allocated.supply_left)
    shipping = dataset.shipping.iloc[keep].reset_index(drop=True)
    # Only quantities shrink, so the checked tables stay valid: no second validation.
    return Dataset(dataset.settings, tables, shipping, dataset.warnings), keep
