"""How items are replenished (sourcing) and what is already there (inventory, open supply).

End items get stock and scheduled receipts where their order lines ship from, in total
``supply_ratio`` × their demand; each item's own coverage varies around that ratio, so some
end items are plentiful and others scarce. Components get 30-100 % of their requirement at
the plants that consume them, so MRP still has work to do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.generate.attributes import Costs
from oms_plan.generate.config import GeneratorConfig
from oms_plan.generate.demand import Assortment, OrderBook
from oms_plan.generate.geography import Geography
from oms_plan.generate.ids import make_ids, where_or_none
from oms_plan.generate.products import Products


@dataclass(frozen=True, slots=True)
class Sourcing:
    """The ``sourcing`` table and the lead times other parts need.

    Attributes
    ----------
    frame
        The ``sourcing`` table.
    make_lead
        Lead days of each made item at its plant (0 for bought items).
    buy_lead
        Lead days of each bought item (0 for made items).
    needs
        ``(item, plant)`` index pairs where a component is consumed, shape ``(k, 2)``.

    """

    frame: pd.DataFrame
    make_lead: np.ndarray
    buy_lead: np.ndarray
    needs: np.ndarray


def build_sourcing(
    rng: np.random.Generator,
    geo: Geography,
    products: Products,
    assortment: Assortment,
    costs: Costs,
) -> Sourcing:
    """Create one sourcing row per way an item reaches a location.

    Made items are made at their plant and transferred to the other plants that consume
    them; raw materials are bought at each plant that consumes them; end items reach their
    warehouses by transfer from the plant (made) or by purchase (traded goods).

    Parameters
    ----------
    rng
        The random stream of this part.
    geo
        Locations and distances.
    products
        Items, BOM and plants.
    assortment
        Which locations hold each end item.
    costs
        Unit costs and value added.

    Returns
    -------
    Sourcing
        The table and lead times.

    """
    n = len(products.item_ids)
    make, home, level = products.make, products.home, products.level
    make_lead = np.where(
        make, np.where(level == 0, rng.integers(2, 6, n), rng.integers(1, 8, n)), 0
    )
    buy_lead = np.where(
        make, 0, np.where(level == 0, rng.integers(7, 31, n), rng.integers(3, 46, n))
    )
    parts: list[pd.DataFrame] = []
    made = np.flatnonzero(make)
    parts.append(
        _rows(products, geo, made, home[made], "make", make_lead[made], costs.value_added[made])
    )
    # Where components are consumed: the plants making their parents.
    if len(products.bom_parent):
        pairs = np.unique(
            np.stack([products.bom_component, home[products.bom_parent]], axis=1), axis=0
        )
    else:
        pairs = np.zeros((0, 2), dtype=np.int64)
    comp, plant = pairs[:, 0], pairs[:, 1]
    moved = make[comp] & (home[comp] != plant)
    c, p = comp[moved], plant[moved]
    parts.append(
        _rows(
            products,
            geo,
            c,
            p,
            "transfer",
            geo.transfer_days(home[c], p),
            geo.transfer_cost(home[c], p),
            origin=home[c],
        )
    )
    bought = ~make[comp]
    c, p = comp[bought], plant[bought]
    parts.append(_rows(products, geo, c, p, "buy", buy_lead[c], costs.unit_cost[c]))
    # End items at warehouses (and at their plant, which has the make row already).
    end_pos, loc = np.nonzero(assortment.holds)
    item = assortment.end_items[end_pos]
    at_wh = loc >= geo.plants
    item, loc = item[at_wh], loc[at_wh]
    via_plant = make[item]
    c, w = item[via_plant], loc[via_plant]
    parts.append(
        _rows(
            products,
            geo,
            c,
            w,
            "transfer",
            geo.transfer_days(home[c], w),
            geo.transfer_cost(home[c], w),
            origin=home[c],
        )
    )
    c, w = item[~via_plant], loc[~via_plant]
    parts.append(_rows(products, geo, c, w, "buy", buy_lead[c], costs.unit_cost[c]))
    frame = pd.concat(parts, ignore_index=True)
    return Sourcing(frame=frame, make_lead=make_lead, buy_lead=buy_lead, needs=pairs)


def _rows(
    products: Products,
    geo: Geography,
    item: np.ndarray,
    location: np.ndarray,
    method: str,
    lead: np.ndarray,
    cost: np.ndarray,
    *,
    origin: np.ndarray | None = None,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": products.item_ids[item],
            "location": geo.location_ids[location],
            "method": method,
            "lead_days": np.asarray(lead, dtype=np.int64),
            "from_location": (
                geo.location_ids[origin] if origin is not None else np.full(len(item), None)
            ),
            "cost_per_unit": np.round(np.asarray(cost, dtype=float), 2),
            "priority": 1,
        }
    )


@dataclass(frozen=True, slots=True)
class Stock:
    """The ``inventory`` and ``supply`` tables."""

    inventory: pd.DataFrame
    supply: pd.DataFrame


def build_stock(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    geo: Geography,
    products: Products,
    sourcing: Sourcing,
    book: OrderBook,
    at_plant: np.ndarray,
) -> Stock:
    """Place on-hand stock and open purchase, production and transfer orders.

    Parameters
    ----------
    cfg
        Resolved knobs (supply ratio, horizon, start).
    rng
        The random stream of this part.
    geo
        Locations.
    products
        Items.
    sourcing
        Lead times and where components are consumed.
    book
        Order lines with their ship-from locations.
    at_plant
        Dependent requirement of every item at every plant.

    Returns
    -------
    Stock
        The tables.

    """
    n_loc = len(geo.location_ids)
    h = cfg.horizon_days
    # End items: demand per (item, ship-from location).
    key = book.item * n_loc + book.location
    uniq, inv = np.unique(key, return_inverse=True)
    demand = np.bincount(inv, weights=book.quantity)
    e_item, e_loc = uniq // n_loc, uniq % n_loc
    item_demand = np.bincount(e_item, weights=demand, minlength=len(products.item_ids))
    cover = rng.lognormal(0.0, 0.35, len(products.item_ids))
    scale = cfg.supply_ratio * demand.sum() / max(1e-9, float((cover * item_demand).sum()))
    e_total = cover[e_item] * scale * demand

    c_item, c_plant = sourcing.needs[:, 0], sourcing.needs[:, 1]
    c_total = rng.uniform(0.3, 1.0, len(c_item)) * at_plant[c_item, c_plant]

    item = np.concatenate([e_item, c_item])
    loc = np.concatenate([e_loc, c_plant])
    total = _quantize(np.concatenate([e_total, c_total]), products.integral[item])
    due_limit = np.concatenate([np.full(len(e_item), 0.6 * h), np.full(len(c_item), 0.4 * h)])

    share = rng.uniform(0.35, 0.75, len(item))
    on_hand = np.minimum(total, _quantize(share * total, products.integral[item]))
    rest = np.round(total - on_hand, 6)
    inventory = pd.DataFrame(
        {
            "item": products.item_ids[item],
            "location": geo.location_ids[loc],
            "on_hand": on_hand,
        }
    )
    inventory = inventory.loc[on_hand > 0].reset_index(drop=True)

    # One or two receipts per (item, location) for what is not on hand.
    two = (rest >= 2) & (rng.random(len(item)) < 0.5)
    first = np.where(
        two, _quantize(rng.uniform(0.3, 0.7, len(item)) * rest, products.integral[item]), rest
    )
    first = np.where(two & ((first <= 0) | (first >= rest)), np.floor(rest / 2), first)
    second = np.where(two, np.round(rest - first, 6), 0.0)
    r_pair = np.concatenate([np.arange(len(item)), np.flatnonzero(two)])
    r_qty = np.concatenate([first, second[two]])
    keep = r_qty > 0
    r_pair, r_qty = r_pair[keep], r_qty[keep]
    r_item, r_loc = item[r_pair], loc[r_pair]
    due = np.floor(rng.random(len(r_pair)) * (due_limit[r_pair] + 1)).astype(np.int64)
    due = np.minimum(due, h - 1)

    home = products.home
    made = products.make[r_item]
    kind = np.where(made & (home[r_item] == r_loc), "production", "purchase").astype(object)
    kind[made & (home[r_item] != r_loc)] = "transfer"
    origin = np.where(kind == "transfer", home[r_item], -1)
    lead = np.where(
        kind == "production",
        sourcing.make_lead[r_item],
        np.where(
            kind == "transfer",
            geo.transfer_days(np.maximum(origin, 0), r_loc),
            sourcing.buy_lead[r_item],
        ),
    )
    # Work on shop orders started when their components arrived: up to 3 days of slack.
    slack = np.where(kind == "production", rng.integers(0, 4, len(r_pair)), 0)
    release = np.maximum(0, due - lead - slack)
    start = np.datetime64(cfg.start, "D")
    due_date = (start + due.astype("timedelta64[D]")).astype("datetime64[ns]")
    release_date = (start + release.astype("timedelta64[D]")).astype("datetime64[ns]")
    # Purchase orders were released to the supplier before plan start: no release date.
    release_date = np.where(kind == "purchase", np.datetime64("NaT", "ns"), release_date)
    ids = np.empty(len(r_pair), dtype=object)
    for name, prefix in (("purchase", "PO-"), ("production", "MO-"), ("transfer", "TO-")):
        mask = kind == name
        ids[mask] = make_ids(prefix, int(mask.sum()), 6)
    supply = pd.DataFrame(
        {
            "supply": ids,
            "kind": kind,
            "item": products.item_ids[r_item],
            "location": geo.location_ids[r_loc],
            "quantity": r_qty,
            "due_date": due_date,
            "from_location": where_or_none(origin >= 0, geo.location_ids[np.maximum(origin, 0)]),
            "release_date": pd.Series(release_date, dtype="datetime64[ns]"),
            "priority": rng.choice(np.arange(1, 6), size=len(r_pair), p=[0.1, 0.2, 0.4, 0.2, 0.1]),
        }
    )
    supply = supply.sort_values("supply", kind="mergesort").reset_index(drop=True)
    return Stock(inventory=inventory, supply=supply)


def _quantize(values: np.ndarray, integral: np.ndarray) -> np.ndarray:
    """Whole numbers for integral items, two decimals for the others."""
    return np.where(integral, np.round(values), np.round(values, 2))
