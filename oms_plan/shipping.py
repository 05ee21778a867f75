"""Where and when each open order line ships, by the rule of SCHEMA.md (orders table).

A line ships from its ``location`` when given, else from the location that has the item
(an inventory, supply or sourcing row) and a lane to the line's region with the least
transit_days, then the lowest cost_per_unit, then the lowest location id. Its ship date is the
promised date (else the requested date) minus the lane's transit days, never before plan start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from oms_plan.errors import Issue
from oms_plan.fields import KeyLabels
from oms_plan.schema import TABLES

SHIPPING_COLUMNS = ("ship_location", "transit_days", "lane_cost", "due_day", "ship_day")


def item_locations(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Pairs (item, location) where the item can be held.

    Parameters
    ----------
    tables
        Typed tables; ``inventory``, ``supply`` and ``sourcing`` are read (absent: empty).

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``location``: each pair once, in table order (inventory, supply,
        sourcing), rows with a missing cell left out.

    """
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
    """Apply the ship-from rule of SCHEMA.md to every order line.

    Parameters
    ----------
    tables
        Typed tables (``orders``, ``lanes``, ``items``, ``locations``, ``regions``,
        ``inventory``, ``supply``, ``sourcing``; absent ones count as empty).
    start
        The plan start (day 0).

    Returns
    -------
    tuple[pandas.DataFrame, list[Issue]]
        One row per order line (same index as ``orders``): ``ship_location`` (``None`` when
        unresolvable), ``transit_days`` (-1 then), ``lane_cost``, ``due_day`` (day index of
        the promised, else requested, delivery; may be < 0 or beyond the horizon) and
        ``ship_day`` (``due_day - transit_days``, never before day 0). The issues are the
        lines that cannot ship: a given location without a lane to the line's region, or
        no location that has the item and a lane there. Lines whose item, region or
        location is unknown or unreadable are not reported again here.

    """
    orders = tables.get("orders")
    issues: list[Issue] = []
    if orders is None or orders.empty:
        return _empty_shipping(), issues
    lanes = tables.get("lanes")
    if lanes is None or lanes.empty:
        lanes = pd.DataFrame(
            {
                "from_location": pd.Series(dtype=object),
                "to": pd.Series(dtype=object),
                "transit_days": pd.Series(dtype="float64"),
                "cost_per_unit": pd.Series(dtype="float64"),
            }
        )
    # One lane per (from, to): a duplicated lane is reported by the key check.
    lanes = (
        lanes[["from_location", "to", "transit_days", "cost_per_unit"]]
        .dropna(subset=["from_location", "to", "transit_days"])
        .drop_duplicates(["from_location", "to"])
        .rename(
            columns={"from_location": "location", "to": "ship_to", "cost_per_unit": "lane_cost"}
        )
    )
    lanes["transit_days"] = lanes["transit_days"].astype("float64")
    lanes["lane_cost"] = lanes["lane_cost"].astype("float64")
    n = len(orders)
    base = pd.DataFrame(
        {
            "pos": np.arange(n),
            "item": orders["item"].to_numpy(dtype=object),
            "ship_to": orders["ship_to"].to_numpy(dtype=object),
            "location": orders["location"].to_numpy(dtype=object),
        }
    )
    given = base["location"].notna().to_numpy(dtype=bool)
    fixed = base.loc[given].merge(lanes, on=["location", "ship_to"], how="left")
    open_lines = base.loc[~given].drop(columns="location")
    # Choose once per (item, region) pair, not once per line: far fewer rows to rank.
    pairs = open_lines[["item", "ship_to"]].drop_duplicates()
    cands = pairs.merge(item_locations(tables), on="item").merge(lanes, on=["location", "ship_to"])
    cands = cands.sort_values(
        ["item", "ship_to", "transit_days", "lane_cost", "location"], kind="mergesort"
    )
    best = cands.drop_duplicates(["item", "ship_to"], keep="first")
    chosen_open = open_lines.merge(best, on=["item", "ship_to"], how="left")
    chosen = (
        pd.concat([fixed, chosen_open], ignore_index=True).set_index("pos").reindex(np.arange(n))
    )
    transit = np.asarray(chosen["transit_days"].to_numpy(dtype=float, na_value=np.nan))
    resolved = np.isfinite(transit)

    labels = KeyLabels(TABLES["orders"], orders)
    item = orders["item"].to_numpy(dtype=object)
    ship_to = orders["ship_to"].to_numpy(dtype=object)
    location = orders["location"].to_numpy(dtype=object)
    known = _known_references(tables, orders)
    for pos in np.flatnonzero(given & ~resolved & known):
        issues.append(
            Issue(
                "orders",
                int(pos) + 1,
                "location",
                f"{labels(int(pos))}: no lane from location "
                f"{location[pos]!r} to region {ship_to[pos]!r}",
            )
        )
    for pos in np.flatnonzero(~given & ~resolved & known):
        issues.append(
            Issue(
                "orders",
                int(pos) + 1,
                "item",
                f"{labels(int(pos))}: no location has item "
                f"{item[pos]!r} (inventory, supply or sourcing) and a lane "
                f"to region {ship_to[pos]!r}",
            )
        )
    due = orders["promised_date"].where(orders["promised_date"].notna(), orders["requested_date"])
    due_day = np.asarray(
        ((due - pd.Timestamp(start)).dt.days).to_numpy(dtype=float, na_value=np.nan)
    )
    ok = np.isfinite(due_day) & resolved
    # Ship date = delivery date - transit, never before plan start.
    ship_day = np.where(ok, np.maximum(np.nan_to_num(due_day) - np.nan_to_num(transit), 0), -1)
    result = pd.DataFrame(
        {
            "ship_location": np.where(resolved, chosen["location"].to_numpy(dtype=object), None),
            "transit_days": np.nan_to_num(transit, nan=-1).astype(np.int64),
            "lane_cost": np.asarray(chosen["lane_cost"].to_numpy(dtype=float, na_value=np.nan)),
            "due_day": np.nan_to_num(due_day, nan=0).astype(np.int64),
            "ship_day": ship_day.astype(np.int64),
        },
        index=orders.index,
    )
    result["lane_cost"] = result["lane_cost"].fillna(0.0)
    return result, issues


def _known_references(tables: dict[str, pd.DataFrame], orders: pd.DataFrame) -> np.ndarray:
    """Lines whose item, region and (given) location exist: the others are reported already."""
    regions: set[object] = set()
    for name, column in (("regions", "region"), ("lanes", "to")):
        if name in tables:
            regions |= set(tables[name][column].dropna())
    items = set(tables["items"]["item"].dropna()) if "items" in tables else set()
    locations = set(tables["locations"]["location"].dropna()) if "locations" in tables else set()
    location = orders["location"]
    return np.asarray(
        orders["item"].isin(items).to_numpy(dtype=bool)
        & orders["ship_to"].isin(regions).to_numpy(dtype=bool)
        & (location.isna() | location.isin(locations)).to_numpy(dtype=bool),
        dtype=bool,
    )


def _empty_shipping() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ship_location": pd.Series(dtype=object),
            "transit_days": pd.Series(dtype=np.int64),
            "lane_cost": pd.Series(dtype="float64"),
            "due_day": pd.Series(dtype=np.int64),
            "ship_day": pd.Series(dtype=np.int64),
        }
    )
