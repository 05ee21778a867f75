"""Item master data: names, costs rolled up the BOM, prices, lot rules and safety stock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.generate.products import Products


@dataclass(frozen=True, slots=True)
class Costs:
    """Money per unit of every item.

    Attributes
    ----------
    unit_cost
        Purchase price of bought items; for made items the value added plus the
        components' cost (rolled up the BOM, scrap included).
    price
        List price of end items (0 for the others).
    value_added
        Conversion cost of made items (the make sourcing row's ``cost_per_unit``).

    """

    unit_cost: np.ndarray
    price: np.ndarray
    value_added: np.ndarray


def item_costs(rng: np.random.Generator, products: Products) -> Costs:
    """Draw purchase prices and value added, then roll costs up the BOM level by level.

    Parameters
    ----------
    rng
        The random stream of this part.
    products
        Items and BOM.

    Returns
    -------
    Costs
        Per-item arrays.

    """
    n = len(products.item_ids)
    level, make = products.level, products.make
    raw_cost = np.maximum(0.05, rng.lognormal(np.log(4.0), 0.9, n))
    traded_cost = rng.lognormal(np.log(40.0), 0.6, n)
    value_added = np.where(make, np.round(rng.uniform(2.0, 25.0, n), 2), 0.0)
    bought = np.where(level == 0, traded_cost, raw_cost)
    cost = np.where(make, value_added, bought)
    need = products.bom_quantity * (1 + products.bom_scrap)
    parent_level = level[products.bom_parent]
    # Components sit on deeper levels, so going up level by level sees final costs only.
    for k in range(int(level.max(initial=0)) - 1, -1, -1):
        rows = np.flatnonzero(parent_level == k)
        np.add.at(
            cost,
            products.bom_parent[rows],
            need[rows] * cost[products.bom_component[rows]],
        )
    cost = np.round(cost, 2)
    margin = rng.uniform(1.3, 2.2, n)
    price = np.where(level == 0, np.round(cost * margin, 2), 0.0)
    return Costs(unit_cost=cost, price=price, value_added=value_added)


def items_frame(
    rng: np.random.Generator,
    products: Products,
    costs: Costs,
    requirement: np.ndarray,
    horizon_days: int,
) -> pd.DataFrame:
    """The ``items`` table: a mix of lot rules, pack sizes and some safety stock.

    Parameters
    ----------
    rng
        The random stream of this part.
    products
        Items and their levels.
    costs
        Unit costs and prices.
    requirement
        Gross requirement of every item over the horizon (sizes lots and safety stock).
    horizon_days
        Length of the horizon.

    Returns
    -------
    pandas.DataFrame
        One row per item, SCHEMA columns.

    """
    n = len(products.item_ids)
    integral, make, level = products.integral, products.make, products.level
    daily = requirement / horizon_days
    rule = np.array(["lot_for_lot", "fixed", "poq", "eoq"], dtype=object)[
        rng.choice(4, size=n, p=[0.45, 0.15, 0.25, 0.15])
    ]
    two_weeks = np.maximum(1.0, 14 * daily)
    lot_size = np.where(
        rule == "fixed", np.where(integral, np.ceil(two_weeks), np.round(two_weeks, 1)), 0.0
    )
    lot_days = np.where(rule == "poq", rng.choice(np.array([7, 14, 28]), size=n), 1)
    order_cost = np.where(rule == "eoq", np.round(rng.uniform(20, 400, n)), 0.0)
    bought = ~make
    packs_whole = rng.choice(np.array([5.0, 10.0, 12.0, 25.0, 50.0, 100.0]), size=n)
    packs_frac = rng.choice(np.array([0.5, 1.0, 5.0, 25.0]), size=n)
    lot_multiple = np.where(
        bought & (rng.random(n) < 0.3), np.where(integral, packs_whole, packs_frac), 0.0
    )
    mins_whole = rng.choice(np.array([10.0, 20.0, 50.0, 100.0]), size=n)
    mins_frac = rng.choice(np.array([1.0, 5.0, 10.0]), size=n)
    lot_min = np.where(rng.random(n) < 0.15, np.where(integral, mins_whole, mins_frac), 0.0)
    cap = np.ceil(20 * np.maximum.reduce([lot_size, lot_min, lot_multiple, np.full(n, 10.0)]))
    lot_max = np.where(rng.random(n) < 0.05, cap, np.nan)
    cover = daily * rng.uniform(3, 10, n)
    safety = np.where(
        (rng.random(n) < 0.2) & (requirement > 0),
        np.where(integral, np.ceil(cover), np.round(cover, 2)),
        0.0,
    )
    number = np.arange(1, n + 1)
    label = np.where(
        level == 0,
        np.where(make, "Product", "Traded good"),
        np.where(make, "Assembly", np.where(integral, "Part", "Material")),
    )
    unit = np.where(integral, "", " (kg)")
    names = [f"{a} {k}{u}" for a, k, u in zip(label, number, unit, strict=True)]
    return pd.DataFrame(
        {
            "item": products.item_ids,
            "name": np.array(names, dtype=object),
            "unit_cost": costs.unit_cost,
            "price": costs.price,
            "integral": integral,
            "safety_stock": safety,
            "lot_rule": rule,
            "lot_size": lot_size,
            "lot_min": lot_min,
            "lot_max": lot_max,
            "lot_multiple": lot_multiple,
            "lot_days": lot_days.astype(np.int64),
            "order_cost": order_cost,
            "holding_rate": 0.25,
        }
    )
