"""Where and when each open order line ships, by the rule of SCHEMA.md (orders table).

A line ships from its ``location`` when given, else from the location that has the item
(an inventory, supply or sourcing row) and a lane to the line's region with the least
transit_days, then the lowest cost_per_unit, then the lowest location id. Its ship date is the
promised date (else the requested date) minus the lane's transit days, never before plan start.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from oms_plan.errors import Issue
from oms_plan.fields import key_label
from oms_plan.schema import TABLES

SHIPPING_COLUMNS = ("ship_location", "transit_days", "lane_cost", "due_day", "ship_day")


def item_locations(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Pairs (item, location) where the item can be held: inventory, supply or sourcing rows."""
    parts = [
        tables[name][["item", "location"]]
        for name in ("inventory", "supply", "sourcing")
        if name in tables and not tables[name].empty
    ]
    if not parts:
        return pd.DataFrame({"item": pd.Series(dtype=object), "location": pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True).dropna().drop_duplicates().reset_index(drop=True)


def resolve_shipping(
    tables: dict[str, pd.DataFrame], start: dt.date
) -> tuple[pd.DataFrame, list[Issue]]:
    """Return one row per order line (same index as ``orders``) with its shipping plan.

    Columns: ``ship_location`` (None when unresolvable), ``transit_days``, ``lane_cost``,
    ``due_day`` (day index of promised/requested delivery, may be < 0 or beyond the horizon)
    and ``ship_day`` (due_day - transit, at least 0).
    """
    orders = tables.get("orders")
    issues: list[Issue] = []
    if orders is None or orders.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SHIPPING_COLUMNS}), issues
    lanes = tables.get("lanes")
    if lanes is None:
        lanes = pd.DataFrame(
            {"from_location": [], "to": [], "transit_days": [], "cost_per_unit": []}
        )
    lanes = lanes[["from_location", "to", "transit_days", "cost_per_unit"]].rename(
        columns={"from_location": "location", "to": "ship_to", "cost_per_unit": "lane_cost"}
    )
    n = len(orders)
    base = pd.DataFrame(
        {
            "pos": np.arange(n),
            "item": orders["item"].to_numpy(),
            "ship_to": orders["ship_to"].to_numpy(),
            "location": orders["location"].to_numpy(),
        }
    )
    fixed = base.loc[base["location"].notna()].merge(lanes, on=["location", "ship_to"], how="left")
    open_lines = base.loc[base["location"].isna()].drop(columns="location")
    cands = open_lines.merge(item_locations(tables), on="item").merge(
        lanes, on=["location", "ship_to"]
    )
    cands = cands.sort_values(["pos", "transit_days", "lane_cost", "location"], kind="mergesort")
    best = cands.drop_duplicates("pos", keep="first")
    chosen = pd.concat([fixed, best], ignore_index=True).set_index("pos").reindex(np.arange(n))

    spec = TABLES["orders"]
    no_lane = orders["location"].notna().to_numpy() & chosen["transit_days"].isna().to_numpy()
    for pos in np.flatnonzero(no_lane):
        issues.append(
            Issue(
                "orders",
                int(pos) + 1,
                "location",
                f"{key_label(spec, orders, int(pos))}: no lane from location "
                f"{orders['location'].iat[pos]!r} to region {orders['ship_to'].iat[pos]!r}",
            )
        )
    unserved = orders["location"].isna().to_numpy() & chosen["location"].isna().to_numpy()
    for pos in np.flatnonzero(unserved):
        issues.append(
            Issue(
                "orders",
                int(pos) + 1,
                "item",
                f"{key_label(spec, orders, int(pos))}: no location has item "
                f"{orders['item'].iat[pos]!r} (inventory, supply or sourcing) and a lane "
                f"to region {orders['ship_to'].iat[pos]!r}",
            )
        )
    due = orders["promised_date"].where(orders["promised_date"].notna(), orders["requested_date"])
    due_day = ((due - pd.Timestamp(start)).dt.days).to_numpy(dtype=float, na_value=np.nan)
    transit = chosen["transit_days"].to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(due_day) & np.isfinite(transit)
    ship_day = np.where(ok, np.maximum(np.nan_to_num(due_day) - np.nan_to_num(transit), 0), -1)
    result = pd.DataFrame(
        {
            "ship_location": chosen["location"]
            .where(np.isfinite(transit), None)
            .to_numpy(dtype=object),
            "transit_days": np.nan_to_num(transit, nan=-1).astype(np.int64),
            "lane_cost": chosen["lane_cost"].fillna(0.0).to_numpy(dtype=float),
            "due_day": np.nan_to_num(due_day, nan=0).astype(np.int64),
            "ship_day": ship_day.astype(np.int64),
        },
        index=orders.index,
    )
    return result, issues
