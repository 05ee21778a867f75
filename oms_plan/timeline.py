"""Stock and commitments as dated events per item@location, in day buckets.

The shared starting point of ATP, allocation and MRP: on-hand stock is a receipt on day 0,
scheduled receipts arrive on their due day (past-due ones on day 0), and every open order
line consumes at its ship-from location on its ship day (SCHEMA.md). Events beyond the last
plannable day are kept and flagged, never dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset

SUPPLY_EVENT_COLUMNS = ("item", "location", "day", "quantity", "source", "beyond_horizon")
DEMAND_EVENT_COLUMNS = (
    "item",
    "location",
    "day",
    "quantity",
    "order",
    "line",
    "priority",
    "beyond_horizon",
    "row",
)


def supply_events(dataset: Dataset) -> pd.DataFrame:
    """Receipts per item@location: stock at plan start, then scheduled receipts.

    Columns: ``item``, ``location``, ``day`` (0 … horizon_days-1 within the horizon; past-due
    receipts count on day 0; later ones keep their day ≥ horizon_days), ``quantity``,
    ``source`` (``"stock"`` or ``"supply:<id>"``) and ``beyond_horizon``. Sorted by item,
    location, day, then stock before receipts and receipts by id, so it is deterministic.
    """
    inv = dataset.inventory
    stock = pd.DataFrame(
        {
            "item": inv["item"].to_numpy(dtype=object),
            "location": inv["location"].to_numpy(dtype=object),
            "day": np.zeros(len(inv), dtype=np.int64),
            "quantity": inv["on_hand"].to_numpy(dtype=float),
            "source": np.full(len(inv), "stock", dtype=object),
            "_rank": np.zeros(len(inv), dtype=np.int64),
        }
    )
    sup = dataset.supply
    due = (sup["due_date"] - pd.Timestamp(dataset.start)).dt.days.to_numpy(dtype=np.int64)
    receipts = pd.DataFrame(
        {
            "item": sup["item"].to_numpy(dtype=object),
            "location": sup["location"].to_numpy(dtype=object),
            "day": np.maximum(due, 0),
            "quantity": sup["quantity"].to_numpy(dtype=float),
            "source": ("supply:" + sup["supply"].astype(str)).to_numpy(dtype=object),
            "_rank": np.ones(len(sup), dtype=np.int64),
        }
    )
    events = pd.concat([stock, receipts], ignore_index=True)
    events = events.loc[events["quantity"] > 0]
    events = events.sort_values(["item", "location", "day", "_rank", "source"], kind="mergesort")
    events["beyond_horizon"] = events["day"] >= dataset.horizon_days
    return events.drop(columns="_rank").reset_index(drop=True)[list(SUPPLY_EVENT_COLUMNS)]


def demand_events(dataset: Dataset) -> pd.DataFrame:
    """Commitments of open order lines at their ship-from location on their ship day.

    Columns: ``item``, ``location``, ``day`` (ship day, ≥ 0), ``quantity``, ``order``,
    ``line``, ``priority``, ``beyond_horizon`` and ``row`` (position in the orders table).
    """
    orders, ship = dataset.orders, dataset.shipping
    events = pd.DataFrame(
        {
            "item": orders["item"].to_numpy(dtype=object),
            "location": ship["ship_location"].to_numpy(dtype=object),
            "day": ship["ship_day"].to_numpy(dtype=np.int64),
            "quantity": orders["quantity"].to_numpy(dtype=float),
            "order": orders["order"].to_numpy(dtype=object),
            "line": orders["line"].to_numpy(dtype=object),
            "priority": orders["priority"].to_numpy(dtype=np.int64),
            "row": np.arange(len(orders), dtype=np.int64),
        }
    )
    events["beyond_horizon"] = events["day"] >= dataset.horizon_days
    return events[list(DEMAND_EVENT_COLUMNS)]
