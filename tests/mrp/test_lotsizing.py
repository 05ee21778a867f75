"""Lot-sizing rules of SCHEMA.md (items table), one by one, then min / multiple / max."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from oms_plan import DatasetError, PlanningError, plan_materials
from oms_plan.mrp.lotsizing import lot_rules
from oms_plan.mrp.planner import expand_projection
from tests.mrp.builders import START, build


def plan_one(item: dict, demand: dict[int, float], *, horizon: int = 10, on_hand: float = 0):
    ds = build(
        horizon=horizon,
        items=[{"item": "X", **item}],
        sourcing=[{"item": "X", "method": "buy", "lead_days": 0}],
        inventory={"X": on_hand} if on_hand else {},
        demand=[("X", d, q) for d, q in sorted(demand.items())],
    )
    result = plan_materials(ds)
    po = result.planned_orders
    days = [(d.date() - START).days for d in po["due_date"]]
    return list(zip(days, po["quantity"].tolist(), strict=True)), result


def test_lot_for_lot_orders_the_net_requirement():
    orders, _ = plan_one({}, {1: 10, 3: 5}, on_hand=4)
    assert orders == [(1, 6), (3, 5)]


def test_fixed_orders_lot_size_each_as_many_as_needed():
    orders, _ = plan_one({"lot_rule": "fixed", "lot_size": 12}, {1: 10, 3: 5, 6: 30})
    # day 1: 12 (2 left); day 3: need 3 → 12 (9 left); day 6: need 21 → two orders of 12.
    assert orders == [(1, 12), (3, 12), (6, 12), (6, 12)]


def test_poq_covers_the_next_lot_days_days():
    orders, res = plan_one({"lot_rule": "poq", "lot_days": 3}, {0: 5, 1: 4, 2: 3, 3: 7, 4: 2})
    assert orders == [(0, 12), (3, 9)]
    on_hand = expand_projection(res.projection, pd.date_range(START, periods=10))[
        "on_hand"
    ].tolist()
    assert on_hand[:6] == [7, 3, 0, 2, 0, 0]


def test_poq_window_counts_scheduled_receipts():
    ds = build(
        horizon=10,
        items=[{"item": "X", "lot_rule": "poq", "lot_days": 4}],
        sourcing=[{"item": "X", "method": "buy", "lead_days": 0}],
        supply=[("R1", "X", 6, 2)],
        demand=[("X", 0, 5), ("X", 1, 4), ("X", 2, 3), ("X", 3, 7)],
    )
    po = plan_materials(ds).planned_orders
    # Window days 0-3 needs 19, the receipt brings 6: one order of 13.
    assert po["quantity"].tolist() == [13]


def test_eoq_formula_and_net_requirement_floor():
    # D = 1000 a year (horizon 365), S = 50, H = 0.25 × 10 → EOQ = √(2·1000·50/2.5) = 200.
    orders, _ = plan_one(
        {"lot_rule": "eoq", "order_cost": 50, "unit_cost": 10, "holding_rate": 0.25},
        {5: 100, 20: 400, 300: 500},
        horizon=365,
    )
    assert orders == [(5, 200), (20, 300), (300, 500)]


def test_eoq_scales_horizon_demand_to_a_year():
    # 73 days = a fifth of a year: gross 200 → D = 1000 → EOQ 200 again.
    orders, _ = plan_one(
        {"lot_rule": "eoq", "order_cost": 50, "unit_cost": 10, "holding_rate": 0.25},
        {2: 50, 40: 150},
        horizon=73,
    )
    assert orders == [(2, 200)]


def test_eoq_without_order_cost_is_lot_for_lot():
    orders, _ = plan_one({"lot_rule": "eoq", "order_cost": 0, "unit_cost": 3}, {2: 7, 5: 4})
    assert orders == [(2, 7), (5, 4)]


def test_lot_min_raises_small_orders():
    orders, _ = plan_one({"lot_min": 20}, {1: 5, 2: 30})
    # day 2: 15 left, need 15 → raised to 20.
    assert orders == [(1, 20), (2, 20)]


def test_lot_multiple_rounds_up():
    orders, _ = plan_one({"lot_multiple": 6}, {1: 5, 2: 13})
    assert orders == [(1, 6), (2, 12)]


def test_min_is_applied_before_multiple():
    orders, _ = plan_one({"lot_min": 10, "lot_multiple": 4}, {1: 3})
    assert orders == [(1, 12)]


def test_lot_max_splits_into_several_orders():
    orders, _ = plan_one({"lot_max": 10}, {1: 25})
    assert orders == [(1, 10), (1, 10), (1, 5)]


def test_split_remainder_respects_min_and_multiple():
    orders, _ = plan_one({"lot_max": 10, "lot_min": 8}, {1: 25})
    assert orders == [(1, 10), (1, 10), (1, 8)]
    # multiple 4 under max 10: the largest order is 8; 25 → 28 → 8 + 8 + 8 + 4.
    orders, _ = plan_one({"lot_max": 10, "lot_multiple": 4}, {1: 25})
    assert orders == [(1, 8), (1, 8), (1, 8), (1, 4)]


def test_fixed_lot_above_max_is_split_per_order():
    orders, _ = plan_one({"lot_rule": "fixed", "lot_size": 15, "lot_max": 10}, {1: 20})
    assert orders == [(1, 10), (1, 5), (1, 10), (1, 5)]


@pytest.mark.parametrize(("integral", "expected"), [(True, 3.0), (False, 2.5)])
def test_integral_items_order_whole_units(integral, expected):
    # 2 parents × 1 per parent × (1 + 25 % scrap) = 2.5 components.
    ds = build(
        horizon=5,
        items=[{"item": "P"}, {"item": "X", "integral": integral}],
        sourcing=[
            {"item": "P", "method": "make", "lead_days": 1},
            {"item": "X", "method": "buy", "lead_days": 0},
        ],
        bom=[("P", "X", 1)],
        demand=[("P", 3, 2)],
    )
    ds = ds.replace(bom=ds.bom.assign(scrap_rate=0.25))
    po = plan_materials(ds).planned_orders
    assert po.loc[po["item"] == "X", "quantity"].tolist() == [expected]


def test_safety_stock_is_kept():
    orders, res = plan_one({"safety_stock": 5}, {2: 10}, on_hand=3)
    assert orders == [(0, 2), (2, 10)]
    assert min(res.projection["on_hand"]) == 5
    assert res.exceptions["kind"].tolist() == ["below_safety_stock"]


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ({"lot_multiple": 12, "lot_max": 10}, "fits under lot_max"),  # no multiple fits
        ({"lot_min": 9, "lot_multiple": 4, "lot_max": 10}, "exceeds lot_max"),  # 9 → 12 > 10
        ({"lot_multiple": 2.5}, "not a whole number"),  # integral with a fractional multiple
    ],
)
def test_contradicting_rules_are_rejected_by_name(item, fragment):
    # Validation catches them (issue 9: a dataset that validates does not fail in MRP)...
    with pytest.raises(DatasetError, match=fragment) as err:
        plan_one(item, {1: 5})
    assert "'X'" in str(err.value)
    assert [(i.table, i.row) for i in err.value.errors] == [("items", 1)]
    # ... and lot_rules, which MRP calls, still names them on its own.
    row = {
        "item": "X", "lot_rule": "lot_for_lot", "lot_size": 0.0, "lot_min": 0.0,
        "lot_max": np.nan, "lot_multiple": 0.0, "lot_days": 1, "order_cost": 0.0,
        "unit_cost": 1.0, "holding_rate": 0.2, "integral": True, "safety_stock": 0.0,
    }  # fmt: skip
    with pytest.raises(PlanningError, match=fragment):
        lot_rules(pd.DataFrame([{**row, **item}]))


def test_vectorized_rules_match_scalar_rules():
    import pandas as pd

    items = pd.DataFrame(
        {
            "item": ["a", "b", "c", "d"],
            "lot_rule": ["lot_for_lot", "fixed", "poq", "eoq"],
            "lot_size": [0, 7, 0, 0],
            "lot_min": [3, 0, 2, 0],
            "lot_max": [np.nan, 20, 9, np.nan],
            "lot_multiple": [0, 0, 3, 5],
            "lot_days": [1, 1, 3, 1],
            "order_cost": [0, 0, 0, 40],
            "unit_cost": [1, 1, 1, 2],
            "holding_rate": [0.25] * 4,
            "integral": [True, True, False, True],
            "safety_stock": [0.0] * 4,
        }
    )
    rules = lot_rules(items)
    item = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    need = np.array([1.2, 30.0, 4.0, 2.0, 7.0, 3.0, 20.0, 90.0])
    lot, total = rules.order_quantity(item, need, window_need=need + 1, eoq=np.full(8, 17.0))
    owner, sizes = rules.orders(item, lot)
    # Totals are what the orders add up to, and every order respects max and multiple.
    assert np.allclose(np.bincount(owner, weights=sizes, minlength=8), total)
    assert (total >= need - 1e-9).all()
    cap = rules.cap[item[owner]]
    assert (sizes <= cap + 1e-9).all()
    mult = rules.lot_multiple[item[owner]]
    on_mult = np.where(
        mult > 0,
        np.abs(sizes / np.where(mult > 0, mult, 1) - np.round(sizes / np.where(mult > 0, mult, 1))),
        0,
    )
    assert (on_mult < 1e-9).all()
    assert math.isclose(total[0], 3)  # lot_min 3, integral
