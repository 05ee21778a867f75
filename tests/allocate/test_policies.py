"""Hand-checkable allocations, one or two per policy and rule (every result is checked)."""

from __future__ import annotations

import pickle

import pytest

from oms_plan import PlanningError, allocate_stock
from oms_plan.allocate import Quota
from oms_plan.results import SolveStatus

from .helpers import checked, line, model, on_time, shipped

EXACT = ["flow", "cpsat", "pulp"]


@pytest.mark.parametrize("solver", EXACT)
def test_strict_priority_serves_class_1_first(solver: str) -> None:
    # 10 in stock; a priority-3 line entered first, then a priority-1 line: both want 8.
    m = model(stock={"W1": 10})
    line(m, "LOW", 8, 3, priority=3)
    line(m, "HIGH", 8, 3, priority=1)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, solver=solver, time_limit=3))
    assert r.status is SolveStatus.OPTIMAL
    assert on_time(r, "HIGH") == 8 and on_time(r, "LOW") == 2
    short = r.promises.loc[(r.promises["order"] == "LOW") & (r.promises["status"] == "short")]
    assert short["quantity"].tolist() == [6] and short["binding"].tolist() == ["priority:HIGH/1"]


def test_greedy_is_first_come_first_served() -> None:
    m = model(stock={"W1": 10})
    line(m, "LOW", 8, 3, priority=3)
    line(m, "HIGH", 8, 3, priority=1)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, solver="greedy"))
    assert r.status is SolveStatus.FEASIBLE
    assert shipped(r, "LOW") == 8 and shipped(r, "HIGH") == 2


@pytest.mark.parametrize("solver", EXACT)
def test_late_receipt_serves_late_and_days_late_minimized(solver: str) -> None:
    # 4 now, 6 arriving on day 5; one line of 10 due day 3 (transit 1).
    m = model(stock={"W1": 4}, receipts=[("W1", 6, 5)])
    line(m, "S", 10, 3)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, solver=solver, time_limit=3))
    rows = r.promises.set_index("status")
    assert rows.loc["on_time", "quantity"] == 4
    assert rows.loc["late", "quantity"] == 6
    assert rows.loc["late", "days_late"] == 3  # ships day 5, arrives day 6, wanted day 3
    assert rows.loc["late", "binding"] == "supply:PO-1"
    assert r.kpis["unit_days_late"] == 18


@pytest.mark.parametrize("solver", EXACT)
def test_location_choice_by_date_then_cost(solver: str) -> None:
    # Two warehouses both on time; W2 is cheaper. A third, slow one would be late.
    m = model(
        stock={"W1": 5, "W2": 5, "W3": 5},
        lanes=[("W1", "R", 1, 3.0), ("W2", "R", 1, 1.0), ("W3", "R", 9, 0.1)],
    )
    line(m, "S", 7, 4)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, solver=solver, time_limit=3))
    by_loc = r.promises.groupby("location")["quantity"].sum().to_dict()
    assert by_loc == {"W1": 2, "W2": 5}
    assert r.kpis["shipping_cost"] == 11


@pytest.mark.parametrize("solver", ["cpsat", "pulp"])
def test_fair_share_equal_fractions(solver: str) -> None:
    # 30 in stock, three priority-3 lines ask 10, 20, 30: everyone gets half, on time.
    m = model(stock={"W1": 30})
    for k, q in enumerate((10, 20, 30)):
        line(m, f"F{k}", q, 3)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, policy="fair_share", solver=solver, time_limit=3))
    assert [on_time(r, f"F{k}") for k in range(3)] == [5, 10, 15]
    fair = next(s for s in r.stages if s.name == "fair:3")
    assert fair.value == pytest.approx(0.5)


def test_fair_share_whole_units() -> None:
    # 10 units, three lines of 6: the smallest share is 3 of 6; nobody gets a fraction.
    m = model(stock={"W1": 10})
    for k in range(3):
        line(m, f"F{k}", 6, 3)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, policy="fair_share", time_limit=3))
    got = sorted(on_time(r, f"F{k}") for k in range(3))
    assert got == [3, 3, 4]


def test_strict_priority_is_not_fair() -> None:
    m = model(stock={"W1": 30})
    for k, q in enumerate((10, 20, 30)):
        line(m, f"F{k}", q, 3)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, policy="strict_priority"))
    assert sum(on_time(r, f"F{k}") for k in range(3)) == 30


def test_weighted_trades_by_weights() -> None:
    # One unit of stock at a dear warehouse: a priority-5 line is worth shipping only while
    # its value (1 + 1) exceeds the shipping penalty.
    m = model(stock={"W1": 1}, lanes=[("W1", "R", 1, 150.0)])
    line(m, "P5", 1, 3, priority=5)
    ds = m.dataset()
    cheap = checked(ds, allocate_stock(ds, policy="weighted"))
    assert shipped(cheap, "P5") == 1
    dear = checked(ds, allocate_stock(ds, policy="weighted", weights={"shipping_cost": 0.1}))
    assert shipped(dear, "P5") == 0


def test_commitment_protection() -> None:
    # A priority-3 line promised for day 3 and a priority-1 line want the same 5 units.
    m = model(stock={"W1": 5})
    line(m, "KEPT", 5, 3, priority=3, promised=3)
    line(m, "VIP", 5, 3, priority=1)
    ds = m.dataset()
    protected = checked(ds, allocate_stock(ds))
    assert on_time(protected, "KEPT") == 5 and shipped(protected, "VIP") == 0
    assert protected.kpis["broken_commitments"] == 0
    free = checked(ds, allocate_stock(ds, protect_commitments=False))
    assert on_time(free, "VIP") == 5
    broken = free.exceptions.loc[free.exceptions["kind"] == "broken_commitment"]
    assert broken["order"].tolist() == ["KEPT"]
    assert "priority:VIP/1" in broken["message"].iat[0]
    assert "protection was off" in broken["message"].iat[0]


@pytest.mark.parametrize("solver", ["cpsat", "pulp", "greedy"])
def test_partial_ok_false_is_all_or_nothing(solver: str) -> None:
    m = model(stock={"W1": 4, "W2": 4})
    line(m, "WHOLE", 6, 3, partial_ok=False)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, solver=solver, time_limit=3))
    assert shipped(r, "WHOLE") == 0
    m2 = model(stock={"W1": 4, "W2": 7})
    line(m2, "WHOLE", 6, 3, partial_ok=False)
    ds2 = m2.dataset()
    r2 = checked(ds2, allocate_stock(ds2, solver=solver, time_limit=3))
    assert r2.promises["location"].tolist() == ["W2"]


@pytest.mark.parametrize("solver", ["cpsat", "pulp"])
def test_min_and_max_shipments(solver: str) -> None:
    m = model(stock={"W1": 3, "W2": 3, "W3": 3})
    line(m, "MIN", 9, 3, min_shipment=4)
    line(m, "MAX", 9, 3, max_shipments=2, priority=5)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, solver=solver, time_limit=3))
    assert shipped(r, "MIN") == 0  # no warehouse holds 4
    assert shipped(r, "MAX") == 6  # two shipments of 3


@pytest.mark.parametrize("solver", ["cpsat", "pulp", "greedy"])
def test_ship_complete_ships_together(solver: str) -> None:
    m = model(stock={"W1": 5, "W2": 5})
    m.add_item(item="B")
    m.add_sourcing(item="B", location="W2", method="buy", lead_days=5)
    m.add_inventory(item="B", location="W2", on_hand=2)
    line(m, "SC", 3, 4, ship_complete=True)
    line(m, "SC", 2, 4, line="2", item="B", ship_complete=True)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds, solver=solver, time_limit=3))
    assert set(r.promises["location"]) == {"W2"}
    assert r.promises["ship_date"].nunique() == 1


@pytest.mark.parametrize("solver", ["cpsat", "pulp", "greedy"])
def test_quota_caps_a_group(solver: str) -> None:
    m = model(stock={"W1": 10})
    line(m, "G", 10, 3, customer_group="GOLD", priority=1)
    line(m, "S", 10, 3, customer_group="SILVER", priority=3)
    ds = m.dataset()
    quotas = [Quota("GOLD", 0.4)]
    r = checked(ds, allocate_stock(ds, solver=solver, quotas=quotas, time_limit=3), quotas=quotas)
    assert shipped(r, "G") == 4 and shipped(r, "S") == 6


def test_max_days_late_turns_late_into_short() -> None:
    m = model(stock={"W1": 0}, receipts=[("W1", 5, 10)])
    line(m, "L", 5, 3, max_days_late=5)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds))
    assert r.promises["status"].tolist() == ["short"]


def test_fractional_item() -> None:
    m = model(stock={"W1": 2.5}, integral=False)
    line(m, "KG", 1.75, 3)
    line(m, "KG2", 1.5, 3)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds))
    assert shipped(r, "KG") + shipped(r, "KG2") == pytest.approx(2.5)


def test_beyond_horizon_and_empty() -> None:
    m = model(stock={"W1": 5}, horizon=10)
    line(m, "FAR", 5, 40)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds))
    assert r.status is SolveStatus.EMPTY
    assert r.promises.empty
    assert r.exceptions["kind"].tolist() == ["beyond_horizon"]
    empty = model(stock={"W1": 5}).dataset()
    assert allocate_stock(empty).status is SolveStatus.EMPTY


def test_no_stock_is_all_short_and_optimal() -> None:
    m = model(stock={"W1": 0})
    line(m, "S", 5, 3)
    ds = m.dataset()
    r = checked(ds, allocate_stock(ds))
    assert r.status is SolveStatus.OPTIMAL
    assert r.promises["status"].tolist() == ["short"]
    assert r.promises["binding"].tolist() == ["stock"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"policy": "random"}, "unknown allocation policy"),
        ({"solver": "gurobi"}, "unknown allocation solver"),
        ({"time_limit": 0}, "time_limit"),
        ({"weights": {"speed": 1}}, "unknown weight"),
        ({"weights": {"fill": -1}}, "weight fill"),
        ({"quotas": {"NOBODY": 0.5}}, "unknown customer group"),
        ({"quotas": [Quota("X", 0.5, item="NOPE")]}, "customer group"),
    ],
)
def test_bad_requests_raise_planning_error(kwargs: dict[str, object], message: str) -> None:
    m = model()
    line(m, "S", 5, 3)
    with pytest.raises(PlanningError, match=message):
        allocate_stock(m.dataset(), **kwargs)  # type: ignore[arg-type]


def test_flow_refuses_side_constraints_and_fair_share() -> None:
    m = model()
    line(m, "S", 5, 3, partial_ok=False)
    with pytest.raises(PlanningError, match="'flow' cannot do side_constraints"):
        allocate_stock(m.dataset(), solver="flow")
    m2 = model()
    line(m2, "S", 5, 3)
    with pytest.raises(PlanningError, match="'flow' cannot do fair_share"):
        allocate_stock(m2.dataset(), solver="flow", policy="fair_share")


def test_result_is_data(tiny) -> None:  # type: ignore[no-untyped-def]
    r = checked(tiny, allocate_stock(tiny))
    again = pickle.loads(pickle.dumps(r))
    assert again.promises.equals(r.promises)
    assert '"policy": "strict_priority"' in r.to_json()
    assert set(r.to_frames()) == {"promises", "exceptions", "kpis"}
    assert "optimal" in r.summary()
    # Deterministic: same input, same answer.
    assert allocate_stock(tiny).promises.equals(r.promises)
