"""Routes from a buffer to a region: direct, by a transfer, or by new ``buy`` supply.

A route says where a promise takes its quantity (a ledger buffer, or new supply) and how many
days pass from taking it to delivering it. Routes for an (item, region) pair are computed once
and cached; they are sorted in tie-break order: direct before transfer before replenishment
(a transfer is used only when it is strictly earlier), then shipping cost, then location order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from oms_plan.atp.ledger import AtpLedger
from oms_plan.dataset import Dataset
from oms_plan.shipping import item_locations

DIRECT, TRANSFER, REPLENISH = 0, 1, 2
KIND_NAMES = ("direct", "transfer", "replenishment")


@dataclass(frozen=True, slots=True)
class Route:
    """One way to deliver an item to a region.

    Attributes
    ----------
    kind
        ``DIRECT``, ``TRANSFER`` or ``REPLENISH``.
    buffer
        Ledger buffer the quantity is taken from (-1 for replenishment: new supply).
    offset
        Days from taking the quantity to delivering it (transit, plus transfer lead days).
    min_day
        Earliest day the quantity can be taken (a ``buy`` row's lead days for replenishment).
    transit
        The lane's transit days from ``location`` to the region.
    cost
        Cost per unit: the lane's, plus the transfer's or the purchase's.
    location
        Ship-from location (the customer shipment leaves from here).
    source_location
        Where the quantity is taken (the transfer's from_location, else ``location``).

    """

    kind: int
    buffer: int
    offset: int
    min_day: int
    transit: int
    cost: float
    location: str
    source_location: str


class RouteTable:
    """Every route of every (item, region) pair, computed on first use.

    Parameters
    ----------
    dataset
        The dataset (lanes, sourcing, inventory and supply rows).
    ledger
        The ATP ledger (buffers with rows).

    """

    def __init__(self, dataset: Dataset, ledger: AtpLedger) -> None:
        self._ledger = ledger
        self._loc_order = dataset.location_index
        lanes = dataset.lanes
        self._lanes: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
        for loc, region, transit, cost in zip(
            lanes["from_location"],
            lanes["to"],
            lanes["transit_days"],
            lanes["cost_per_unit"],
            strict=True,
        ):
            self._lanes[str(region)].append((str(loc), int(transit), float(cost)))
        tables = {"inventory": dataset.inventory, "supply": dataset.supply}
        tables["sourcing"] = dataset.sourcing
        pairs = item_locations(tables)
        self._has: set[tuple[str, str]] = set(
            zip(pairs["item"].astype(str), pairs["location"].astype(str), strict=True)
        )
        src = dataset.sourcing.sort_values(["priority", "lead_days"], kind="mergesort").reset_index(
            drop=True
        )
        self._transfers: dict[tuple[str, str], list[tuple[str, int, float]]] = defaultdict(list)
        self._buy: dict[tuple[str, str], tuple[int, float]] = {}
        for row in src.itertuples(index=False):
            key = (str(row.item), str(row.location))
            if row.method == "transfer" and not pd.isna(row.from_location):
                self._transfers[key].append(
                    (str(row.from_location), int(row.lead_days), float(row.cost_per_unit))
                )
            elif row.method == "buy" and key not in self._buy:
                self._buy[key] = (int(row.lead_days), float(row.cost_per_unit))
        self._cache: dict[tuple[str, str], tuple[Route, ...]] = {}

    def routes(self, item: str, region: str) -> tuple[Route, ...]:
        """All routes for ``item`` to ``region`` (direct, transfer and replenishment).

        Parameters
        ----------
        item, region
            Known ids (the caller checks them).

        Returns
        -------
        tuple of Route
            In tie-break order; empty when no location that has the item has a lane there.

        """
        key = (item, region)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._build(item, region)
        return cached

    def _build(self, item: str, region: str) -> tuple[Route, ...]:
        ledger, routes = self._ledger, []
        for loc, transit, lane_cost in self._lanes.get(region, []):
            if (item, loc) not in self._has:
                continue
            b = ledger.buffer(item, loc)
            if b is not None:
                routes.append(Route(DIRECT, b, transit, 0, transit, lane_cost, loc, loc))
            for origin, lead, cost in self._transfers.get((item, loc), []):
                ob = ledger.buffer(item, origin)
                if ob is not None and origin != loc:
                    routes.append(
                        Route(
                            TRANSFER, ob, lead + transit, 0, transit, lane_cost + cost, loc, origin
                        )
                    )
            buy = self._buy.get((item, loc))
            if buy is not None:
                lead, cost = buy
                routes.append(
                    Route(REPLENISH, -1, transit, lead, transit, lane_cost + cost, loc, loc)
                )
        order = self._loc_order
        routes.sort(key=lambda r: (r.kind, r.cost, order[r.location], order[r.source_location]))
        # Two routes from one buffer see the same ATP: the later-delivering one can only win a
        # tie it loses anyway when it also comes later in tie-break order. Drop it.
        kept: list[Route] = []
        for route in routes:
            if route.kind == REPLENISH or not any(
                k.buffer == route.buffer and k.offset <= route.offset for k in kept
            ):
                kept.append(route)
        return tuple(kept)
