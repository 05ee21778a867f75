"""Where and when each open order line ships, by the rule of docs/dataset.md (orders table).

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
from oms_plan.labels import KeyLabels
from oms_plan.schema import TABLES


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
    """Apply the ship-from rule of docs/dataset.md to every order line.

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
    n = len(orders)
    item = orders["item"].to_numpy(dtype=object)
    ship_to = orders["ship_to"].to_numpy(dtype=object)
    location = orders["location"].to_numpy(dtype=object)
    given = orders["location"].notna().to_numpy(dtype=bool)
    pick = _LaneRanking(tables.get("lanes"))
    chosen = np.full(n, -1, dtype=np.int64)  # position of the chosen lane in pick's order
    # A line with a location ships from there, when a lane reaches its region.
    chosen[given] = pick.lane_of(location[given], ship_to[given])
    # Otherwise: the best-ranked lane to the region among the locations that have the item.
    chosen[~given] = pick.best_lane(item[~given], ship_to[~given], item_locations(tables))
    resolved = chosen >= 0
    safe = np.where(resolved, chosen, 0)
    transit = np.where(resolved, pick.transit[safe] if len(pick.transit) else 0.0, np.nan)
    lane_cost = np.where(resolved, pick.cost[safe] if len(pick.cost) else 0.0, 0.0)
    chosen_location = np.full(n, None, dtype=object)
    if resolved.any():
        chosen_location[resolved] = pick.location[chosen[resolved]]

    labels = KeyLabels(TABLES["orders"], orders)
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
            "ship_location": chosen_location,  # None where unresolved
            "transit_days": np.nan_to_num(transit, nan=-1).astype(np.int64),
            "lane_cost": lane_cost,
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


class _LaneRanking:
    """Lanes ranked per region by transit_days, then cost_per_unit, then location id.

    Lanes are numbered by their position in that order, so comparing two positions of one
    region compares the lanes by the ship-from rule. A duplicated lane (reported by the key
    check) keeps its first row.
    """

    def __init__(self, lanes: pd.DataFrame | None) -> None:
        if lanes is None or lanes.empty:
            lanes = pd.DataFrame({"from_location": [], "to": [], "transit_days": [], "cost": []})
            lanes = lanes.rename(columns={"cost": "cost_per_unit"})
        frame = pd.DataFrame(
            {
                "location": lanes["from_location"].to_numpy(dtype=object),
                "region": lanes["to"].to_numpy(dtype=object),
                "transit": lanes["transit_days"].to_numpy(dtype=float, na_value=np.nan),
                "cost": np.nan_to_num(lanes["cost_per_unit"].to_numpy(dtype=float, na_value=0.0)),
            }
        )
        frame = frame.loc[
            frame["location"].notna() & frame["region"].notna() & np.isfinite(frame["transit"])
        ].drop_duplicates(["location", "region"])
        frame = frame.sort_values(["region", "transit", "cost", "location"], kind="mergesort")
        self.location = frame["location"].to_numpy(dtype=object)
        self.region = frame["region"].to_numpy(dtype=object)
        self.transit = frame["transit"].to_numpy(dtype=float)
        self.cost = frame["cost"].to_numpy(dtype=float)
        self._loc_code = {loc: k for k, loc in enumerate(dict.fromkeys(self.location))}
        self._reg_code = {reg: k for k, reg in enumerate(dict.fromkeys(self.region))}
        # lane position of (location, region); -1 when there is no lane
        self._rank = np.full((len(self._loc_code), len(self._reg_code)), -1, dtype=np.int64)
        if len(frame):
            self._rank[
                self._codes(self.location, self._loc_code), self._codes(self.region, self._reg_code)
            ] = np.arange(len(frame))

    @staticmethod
    def _codes(values: np.ndarray, codes: dict[object, int]) -> np.ndarray:
        # codes are 0, 1, ... in insertion order, so a position in the keys is the code
        keys = pd.Index(list(codes), dtype=object)
        return np.asarray(keys.get_indexer(pd.Index(values, dtype=object)), dtype=np.int64)

    def lane_of(self, locations: np.ndarray, regions: np.ndarray) -> np.ndarray:
        """Lane position from each location to each region (-1: none)."""
        loc = self._codes(locations, self._loc_code)
        reg = self._codes(regions, self._reg_code)
        ok = (loc >= 0) & (reg >= 0)
        out = np.full(len(locations), -1, dtype=np.int64)
        out[ok] = self._rank[loc[ok], reg[ok]]
        return out

    def best_lane(self, items: np.ndarray, regions: np.ndarray, held: pd.DataFrame) -> np.ndarray:
        """For each (item, region): the best lane from a location that has the item (-1: none)."""
        out = np.full(len(items), -1, dtype=np.int64)
        if not len(items) or not len(self.location):
            return out
        # the locations (as codes) that have each item, grouped by item
        held_loc = self._codes(held["location"].to_numpy(dtype=object), self._loc_code)
        keep = held_loc >= 0  # a location without any lane can serve nobody
        item_code = {it: k for k, it in enumerate(dict.fromkeys(held["item"][keep]))}
        held_item = self._codes(held["item"].to_numpy(dtype=object)[keep], item_code)
        held_loc = held_loc[keep]
        order = np.argsort(held_item, kind="stable")
        held_item, held_loc = held_item[order], held_loc[order]
        counts = np.bincount(held_item, minlength=len(item_code))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        # decide once per distinct (item, region) pair
        line_item = self._codes(items, item_code)
        line_reg = self._codes(regions, self._reg_code)
        ok = (line_item >= 0) & (line_reg >= 0)
        if not ok.any():
            return out
        key = line_item[ok] * len(self._reg_code) + line_reg[ok]
        pairs, inverse = np.unique(key, return_inverse=True)
        pair_item, pair_reg = pairs // len(self._reg_code), pairs % len(self._reg_code)
        size = counts[pair_item]
        first = np.repeat(starts[pair_item], size)
        offset = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
        cand_loc = held_loc[first + offset]
        rank = self._rank[cand_loc, np.repeat(pair_reg, size)]
        # -1 (no lane) must lose: rank missing lanes after every real one
        rank = np.where(rank < 0, np.iinfo(np.int64).max, rank)
        seg = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
        best = np.minimum.reduceat(rank, seg)
        best = np.where(best == np.iinfo(np.int64).max, -1, best)
        out[ok] = best[inverse]
        return out
