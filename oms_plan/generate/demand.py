"""The assortment (which locations carry which end items) and the open order book.

Customers sit in regions and belong to a tier that sets their lines' priority and size;
item popularity follows a Zipf-like curve. Each line ships from the location chosen by the
SCHEMA ship-from rule, which the generator evaluates itself so that stock can be placed
where the lines will draw on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.generate.config import GeneratorConfig
from oms_plan.generate.geography import Geography
from oms_plan.generate.ids import make_ids, number_strings
from oms_plan.generate.products import Products

#: Customer tiers: name, share of customers, priorities drawn from, size of their lines.
TIERS = (
    ("key_account", 0.10, (1, 2), 3.0),
    ("wholesale", 0.25, (2, 3), 2.0),
    ("retail", 0.45, (3, 4), 1.0),
    ("web", 0.20, (4, 5), 0.4),
)


@dataclass(frozen=True, slots=True)
class Assortment:
    """Which locations hold each end item.

    Attributes
    ----------
    end_items
        Item indices of the end items.
    popularity
        Probability that an order line is for each end item (sums to 1).
    holds
        ``(end items, locations)``: the location has a sourcing row for the item.

    """

    end_items: np.ndarray
    popularity: np.ndarray
    holds: np.ndarray


def build_assortment(rng: np.random.Generator, geo: Geography, products: Products) -> Assortment:
    """Popular end items are in every warehouse, the others in a random few (at least one).

    Made end items are also held at the plant that makes them.

    Parameters
    ----------
    rng
        The random stream of this part.
    geo
        Locations.
    products
        Items.

    Returns
    -------
    Assortment
        Popularity and stocking locations of the end items.

    """
    end = products.end_items
    n_end, n_loc = len(end), len(geo.location_ids)
    rank = rng.permutation(n_end)
    weight = (rank + 1.0) ** -0.9
    popularity = weight / weight.sum()
    holds = np.zeros((n_end, n_loc), dtype=bool)
    wh = geo.warehouse_index
    popular = rank < max(1, int(0.3 * n_end))
    density = np.where(popular, 1.0, rng.uniform(0.3, 0.8, n_end))
    holds[:, wh] = rng.random((n_end, len(wh))) < density[:, None]
    empty = ~holds[:, wh].any(axis=1)
    holds[np.flatnonzero(empty), wh[rng.integers(0, len(wh), int(empty.sum()))]] = True
    made = np.flatnonzero(products.make[end])
    holds[made, products.home[end[made]]] = True
    return Assortment(end_items=end, popularity=popularity, holds=holds)


@dataclass(frozen=True, slots=True)
class OrderBook:
    """The ``orders`` table plus what stock placement needs.

    Attributes
    ----------
    orders
        The ``orders`` table.
    item
        Item index of each line.
    location
        Ship-from location index of each line (the SCHEMA rule).
    quantity
        Quantity of each line.

    """

    orders: pd.DataFrame
    item: np.ndarray
    location: np.ndarray
    quantity: np.ndarray


def build_orders(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    geo: Geography,
    products: Products,
    assortment: Assortment,
    price: np.ndarray,
) -> OrderBook:
    """Create exactly ``cfg.scale`` open order lines.

    Parameters
    ----------
    cfg
        Resolved knobs (scale, horizon, committed share, start).
    rng
        The random stream of this part.
    geo
        Regions and lanes.
    products
        Items.
    assortment
        End items, their popularity and where they are held.
    price
        List price of every item (key accounts get a negotiated 8 % off).

    Returns
    -------
    OrderBook
        The order lines.

    """
    n_lines, h = cfg.scale, cfg.horizon_days
    n_cust = int(min(20_000, max(3, n_lines // 6)))
    tier_share = np.array([t[1] for t in TIERS])
    cust_tier = rng.choice(len(TIERS), size=n_cust, p=tier_share)
    cust_region = rng.choice(len(geo.region_ids), size=n_cust, p=geo.region_weight)
    low = np.array([t[2][0] for t in TIERS])[cust_tier]
    cust_priority = low + (rng.random(n_cust) < 0.3)
    cust_weight = rng.lognormal(0.0, 1.0, n_cust)
    cust_weight /= cust_weight.sum()
    cust_ids = make_ids("C-", n_cust, 5)

    # Orders of 1-12 lines until there are enough lines; the last order is cut to fit.
    sizes = np.minimum(12, 1 + rng.poisson(1.6, size=n_lines))
    n_orders = int(np.searchsorted(np.cumsum(sizes), n_lines) + 1)
    sizes = sizes[:n_orders]
    sizes[-1] -= int(sizes.sum()) - n_lines
    order_cust = rng.choice(n_cust, size=n_orders, p=cust_weight)
    # The order book is front-loaded: most lines are wanted in the next few weeks.
    order_day = 1 + np.floor((h - 1) * rng.beta(1.0, 2.6, n_orders)).astype(np.int64)
    order_day = np.minimum(order_day, h - 1)
    order_complete = rng.random(n_orders) < 0.1
    line_order = np.repeat(np.arange(n_orders), sizes)
    line_no = np.arange(n_lines) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1

    cust = order_cust[line_order]
    tier = cust_tier[cust]
    region = cust_region[cust]
    end_pos = rng.choice(len(assortment.end_items), size=n_lines, p=assortment.popularity)
    item = assortment.end_items[end_pos]
    typical = rng.lognormal(np.log(6.0), 0.6, len(assortment.end_items))
    size_factor = np.array([t[3] for t in TIERS])[tier]
    quantity = np.maximum(
        1.0, np.round(typical[end_pos] * size_factor * rng.lognormal(0.0, 0.5, n_lines))
    )

    # The ship-from rule: of the locations holding the item, the best-ranked lane.
    pref = geo.preference()  # (locations, regions)
    ranks = np.where(assortment.holds[:, :, None], pref[None, :, :], np.inf)
    best = ranks.argmin(axis=1)  # (end items, regions)
    location = best[end_pos, region]

    day = order_day[line_order]
    committed = np.zeros(n_lines, dtype=bool)
    k = round(cfg.committed_share * n_lines)
    if k:
        # Lines wanted soon are more likely to be confirmed already (Gumbel top-k).
        keys = -day / (h / 6.0) + rng.gumbel(size=n_lines)
        committed[np.argpartition(-keys, k - 1)[:k]] = True
    delay = np.where(rng.random(n_lines) < 0.7, 0, rng.integers(1, 11, n_lines))
    promised = np.minimum(day + delay, h - 1)

    start = np.datetime64(cfg.start, "D")
    requested_date = (start + day.astype("timedelta64[D]")).astype("datetime64[ns]")
    promised_date = np.where(
        committed,
        (start + promised.astype("timedelta64[D]")).astype("datetime64[ns]"),
        np.datetime64("NaT", "ns"),
    )
    partial_ok = rng.random(n_lines) < 0.8
    min_ship = np.where(
        partial_ok & (quantity >= 4) & (rng.random(n_lines) < 0.05),
        np.floor(quantity / 2),
        0.0,
    )
    max_shipments = pd.array(
        np.where(partial_ok & (rng.random(n_lines) < 0.05), rng.integers(2, 4, n_lines), 0),
        dtype="Int64",
    )
    max_shipments[max_shipments == 0] = pd.NA
    max_late = pd.array(
        np.where(rng.random(n_lines) < 0.08, rng.choice(np.array([7, 14, 30]), n_lines), -1),
        dtype="Int64",
    )
    max_late[max_late < 0] = pd.NA
    tier_names = np.array([t[0] for t in TIERS], dtype=object)
    key_account = tier == 0
    line_price = np.where(key_account, np.round(price[item] * 0.92, 2), np.nan)
    orders = pd.DataFrame(
        {
            "order": make_ids("SO-", n_orders, 6)[line_order],
            "line": number_strings(line_no),
            "item": products.item_ids[item],
            "quantity": quantity,
            "requested_date": requested_date,
            "ship_to": geo.region_ids[region],
            "customer": cust_ids[cust],
            "customer_group": tier_names[tier],
            "priority": cust_priority[cust].astype(np.int64),
            "partial_ok": partial_ok,
            "ship_complete": order_complete[line_order],
            "min_shipment": min_ship,
            "max_shipments": max_shipments,
            "max_days_late": max_late,
            "promised_date": pd.Series(promised_date, dtype="datetime64[ns]"),
            "price": line_price,
        }
    )
    return OrderBook(orders=orders, item=item, location=location, quantity=quantity)
