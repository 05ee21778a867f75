"""Netting, offsetting and sourcing: the vectorized engine against the per-buffer loop,
plus the SCHEMA rules (transfers, alternatives, past due, horizon, no sourcing)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from oms_plan import Model, plan_materials
from oms_plan.mrp.netting import net_requirements
from oms_plan.mrp.planner import expand_projection
from oms_plan.mrp.problem import build_problem
from oms_plan.mrp.reference import net_reference
from tests.mrp.builders import START, build, day
from tests.mrp.strategies import mrp_datasets

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def orders_of(net):
    return sorted(
        zip(
            net.po_buf.tolist(),
            net.po_due.tolist(),
            net.po_release.tolist(),
            np.round(net.po_qty, 6).tolist(),
            net.po_src.tolist(),
            strict=True,
        )
    )


@FAST
@given(mrp_datasets())
def test_random_plans_match_the_loop_and_keep_the_invariants(ds):
    problem = build_problem(ds)
    vec = net_requirements(problem)
    ref = sorted((b, d, r, round(q, 6), s) for b, d, r, q, s in net_reference(problem))
    # The vectorized engine plans exactly what the per-buffer loop plans.
    assert orders_of(vec) == ref

    result = plan_materials(ds)
    items = ds.items.set_index("item")
    # Projected on-hand never below safety stock where supply was free to be planned.
    proj = expand_projection(result.projection, ds.dates)
    sourced = set(zip(ds.sourcing["item"], ds.sourcing["location"], strict=True))
    free = proj[
        [(i, loc) in sourced for i, loc in zip(proj["item"], proj["location"], strict=True)]
    ]
    assert (free["on_hand"] >= free["item"].map(items["safety_stock"]) - 1e-6).all()
    assert problem.num_buffers * ds.horizon_days == len(proj)
    # Planned quantities respect min, max, multiple and whole units.
    po = result.planned_orders
    for item, qty in zip(po["item"], po["quantity"], strict=True):
        row = items.loc[item]
        assert qty > 0
        assert qty >= row["lot_min"] - 1e-9
        if pd.notna(row["lot_max"]):
            assert qty <= row["lot_max"] + 1e-9
        if row["lot_multiple"] > 0:
            k = qty / row["lot_multiple"]
            assert abs(k - round(k)) < 1e-9
        if row["integral"]:
            assert qty == round(qty)
    check_pegging_complete(ds, result)


def check_pegging_complete(ds, result):
    """Every unit of every supplier is pegged once; every requirement is covered once."""
    peg = result.pegging
    po = result.planned_orders.set_index("planned_order")
    by_supplier = peg.groupby("supplier")["quantity"].sum()
    for pid, qty in po["quantity"].items():
        assert by_supplier.get(pid, 0.0) == pytest.approx(qty, abs=1e-5)
    supply = ds.supply.set_index("supply")
    inside = supply["due_date"] < pd.Timestamp(ds.end) + pd.Timedelta(days=1)
    for sid, qty in supply.loc[inside, "quantity"].items():
        assert by_supplier.get(sid, 0.0) == pytest.approx(qty, abs=1e-5)
    stock = peg.loc[peg["supplier"] == "stock"].groupby(["item", "location"])["quantity"].sum()
    for row in ds.inventory.itertuples(index=False):
        assert stock.get((row.item, row.location), 0.0) == pytest.approx(row.on_hand, abs=1e-5)
    # Order lines inside the horizon: covered (demand + short) exactly.
    lines = peg.loc[peg["line"].notna()].groupby(["order", "line"])["quantity"].sum()
    ship = ds.shipping
    for k, row in enumerate(ds.orders.itertuples(index=False)):
        if ship["ship_day"].iat[k] < ds.horizon_days:
            assert lines.get((row.order, row.line), 0.0) == pytest.approx(row.quantity, abs=1e-5)
    # Parent planned orders: each component requirement = quantity × per × (1 + scrap).
    parents = peg.loc[peg["line"].isna() & peg["order"].notna()]
    need = parents.groupby(["order", "item"])["quantity"].sum()
    bom = ds.bom.set_index(["parent", "component"])
    for (parent, item), qty in need.items():
        p = po.loc[parent]
        if p["method"] == "make":
            b = bom.loc[(p["item"], item)]
            per = float(b["quantity_per"]) * (1 + float(b["scrap_rate"]))
            assert qty == pytest.approx(p["quantity"] * per, abs=1e-5)
        else:
            assert p["method"] == "transfer" and qty == pytest.approx(p["quantity"], abs=1e-5)
    assert set(peg["peg"]) <= {"demand", "short", "safety_stock", "excess"}


def warehouse_model(**item):
    m = Model(start=START, horizon_days=20)
    m.add_location(location="P", kind="plant")
    m.add_location(location="W", kind="warehouse")
    m.add_region(region="R")
    m.add_lane(from_location="W", to="R", transit_days=2)
    m.add_item(item="X", **item)
    m.add_sourcing(item="X", location="P", method="buy", lead_days=4)
    m.add_sourcing(item="X", location="W", method="transfer", from_location="P", lead_days=3)
    return m


def test_transfer_makes_demand_at_the_sending_location_on_its_release_date():
    m = warehouse_model()
    m.add_order_line(
        order="A", line="1", item="X", quantity=10, requested_date=day(12), ship_to="R"
    )
    res = plan_materials(m.dataset())
    po = res.planned_orders.set_index("location")
    # Ships from W on day 10 (12 - 2 transit); the transfer is released day 7 at P;
    # P's purchase is due day 7 and released day 3.
    assert po.at["W", "method"] == "transfer" and po.at["W", "from_location"] == "P"
    assert po.at["W", "due_date"] == pd.Timestamp(day(10))
    assert po.at["W", "release_date"] == pd.Timestamp(day(7))
    assert po.at["P", "due_date"] == pd.Timestamp(day(7))
    assert po.at["P", "release_date"] == pd.Timestamp(day(3))
    trace = res.trace("A", "1")
    assert trace["method"].tolist() == ["transfer", "buy"]
    assert trace["attributed"].tolist() == [10, 10]


def test_alternatives_by_priority_fall_back_when_the_first_is_too_late():
    m = warehouse_model()
    m.add_sourcing(item="X", location="W", method="buy", lead_days=1, priority=2)
    m.add_order_line(order="A", line="1", item="X", quantity=5, requested_date=day(4), ship_to="R")
    m.add_order_line(order="B", line="1", item="X", quantity=6, requested_date=day(15), ship_to="R")
    po = plan_materials(m.dataset()).planned_orders
    at_w = po.loc[po["location"] == "W"].sort_values("due_date")
    # Day 2: the transfer (3 days) would release before plan start → the buy (1 day).
    # Day 13: the preferred transfer.
    assert at_w["method"].tolist() == ["buy", "transfer"]
    assert at_w["release_date"].tolist() == [pd.Timestamp(day(1)), pd.Timestamp(day(10))]


def test_release_before_plan_start_keeps_its_date_and_is_expedited():
    ds = build(
        horizon=10,
        items=[{"item": "X"}],
        sourcing=[{"item": "X", "method": "buy", "lead_days": 5}],
        demand=[("X", 2, 7)],
    )
    res = plan_materials(ds)
    assert res.planned_orders["release_date"].tolist() == [pd.Timestamp(day(-3))]
    exc = res.exceptions
    assert exc["kind"].tolist() == ["expedite"]
    assert exc["order"].tolist() == res.planned_orders["planned_order"].tolist()
    assert exc["date"].tolist() == [pd.Timestamp(day(-3))]


def test_past_due_demand_counts_on_day_zero_and_late_demand_is_reported():
    ds = build(
        horizon=10,
        items=[{"item": "X"}],
        sourcing=[{"item": "X", "method": "buy", "lead_days": 0}],
        demand=[("X", -4, 3), ("X", 12, 9)],
    )
    res = plan_materials(ds)
    assert res.planned_orders["due_date"].tolist() == [pd.Timestamp(day(0))]
    assert res.planned_orders["quantity"].tolist() == [3]
    beyond = res.exceptions.query("kind == 'beyond_horizon'")
    assert beyond[["order", "line"]].values.tolist() == [["D2", "1"]]


def test_components_of_open_manufacturing_orders_are_not_exploded():
    ds = build(
        horizon=10,
        items=[{"item": "P"}, {"item": "C"}],
        sourcing=[
            {"item": "P", "method": "make", "lead_days": 1},
            {"item": "C", "method": "buy", "lead_days": 1},
        ],
        bom=[("P", "C", 2)],
        demand=[("P", 5, 10)],
    )
    mo = pd.DataFrame(
        [
            {
                "supply": "MO-1",
                "kind": "production",
                "item": "P",
                "location": "PLANT",
                "quantity": 10,
                "due_date": day(4),
            }
        ]
    )
    res = plan_materials(ds.replace(supply=mo))
    assert res.planned_orders.empty
    assert (res.projection.query("item == 'C'")["on_hand"] == 0).all()


def test_dependent_demand_includes_scrap():
    ds = build(
        horizon=10,
        items=[{"item": "P"}, {"item": "C", "integral": False}],
        sourcing=[
            {"item": "P", "method": "make", "lead_days": 2},
            {"item": "C", "method": "buy", "lead_days": 1},
        ],
        bom=[("P", "C", 2)],
        demand=[("P", 6, 10)],
    )
    ds = ds.replace(bom=ds.bom.assign(scrap_rate=0.1))
    po = plan_materials(ds).planned_orders.set_index("item")
    assert po.at["C", "quantity"] == pytest.approx(22.0)
    assert po.at["C", "due_date"] == po.at["P", "release_date"] == pd.Timestamp(day(4))


def test_no_sourcing_demand_is_short_and_reported_per_line():
    ds = build(
        horizon=10,
        items=[{"item": "X"}, {"item": "Y"}],
        sourcing=[{"item": "Y", "method": "buy", "lead_days": 1}],
        inventory={"X": 4},
        demand=[("X", 1, 3), ("X", 2, 5)],
    )
    res = plan_materials(ds)
    assert res.planned_orders.empty
    exc = res.exceptions.query("kind == 'no_sourcing'")
    assert exc[["order", "line", "severity"]].values.tolist() == [["D2", "1", "error"]]
    assert "4 short" in exc["message"].iat[0]
    short = res.pegging.query("peg == 'short'")
    assert short["quantity"].tolist() == [4] and short["supplier"].isna().all()
    assert res.kpi("short_quantity") == 4


def test_receipt_messages_in_out_cancel():
    ds = build(
        horizon=20,
        items=[{"item": "X"}],
        sourcing=[{"item": "X", "method": "buy", "lead_days": 0}],
        inventory={"X": 5},
        supply=[("EARLY", "X", 5, 1), ("LATE", "X", 5, 9), ("SPARE", "X", 5, 12)],
        demand=[("X", 6, 8), ("X", 7, 4)],
    )
    exc = plan_materials(ds).exceptions.set_index("order")
    # Stock 5 lasts until day 6; EARLY (day 1) is needed day 6, LATE (day 9) day 7.
    assert exc.at["EARLY", "kind"] == "reschedule_out"
    assert exc.at["EARLY", "date"] == pd.Timestamp(day(6))
    assert exc.at["LATE", "kind"] == "reschedule_in"
    assert exc.at["LATE", "date"] == pd.Timestamp(day(7))
    assert exc.at["SPARE", "kind"] == "cancel"
    quiet = plan_materials(ds, reschedule_days=5).exceptions
    assert quiet["kind"].tolist() == ["cancel"]


def test_transfer_cycle_is_broken_and_reported():
    m = Model(start=START, horizon_days=10)
    for loc in ("W1", "W2"):
        m.add_location(location=loc, kind="warehouse")
    m.add_region(region="R")
    m.add_lane(from_location="W1", to="R", transit_days=0)
    m.add_item(item="X")
    m.add_sourcing(item="X", location="W1", method="transfer", from_location="W2", lead_days=1)
    m.add_sourcing(
        item="X", location="W2", method="transfer", from_location="W1", lead_days=1, priority=2
    )
    m.add_sourcing(item="X", location="W2", method="buy", lead_days=2, priority=3)
    m.add_order_line(
        order="A", line="1", item="X", quantity=4, requested_date=day(5), ship_to="R", location="W1"
    )
    res = plan_materials(m.dataset())
    assert res.exceptions["kind"].tolist() == ["sourcing_cycle"]
    assert sorted(res.planned_orders["method"]) == ["buy", "transfer"]


def test_plans_are_deterministic(tiny):
    a, b = plan_materials(tiny), plan_materials(tiny)
    for name in ("planned_orders", "pegging", "projection", "exceptions"):
        pd.testing.assert_frame_equal(a.to_frames()[name], b.to_frames()[name])
