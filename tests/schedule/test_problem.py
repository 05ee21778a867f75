"""Building the scheduling problem from a dataset: durations, alternatives, calendars, errors."""

from __future__ import annotations

import pandas as pd
import pytest
from schedule_shops import shop

import oms_plan
from oms_plan import Dataset, DatasetError, PlanningError
from oms_plan.results import SolveStatus
from oms_plan.schedule import SchedulingProblem, schedule_orders


def test_tiny_orders_operations_and_durations(tiny: Dataset) -> None:
    p = SchedulingProblem.from_dataset(tiny)
    assert [o.id for o in p.orders] == ["MO-1", "MO-2"]
    mo2 = p.orders[1]
    assert [p.operations[o].step for o in mo2.operations] == [10, 20]
    weld = p.operations[mo2.operations[0]].alternatives[0]
    assert weld.duration == 30 + 15 * 20  # setup + quantity × run
    assert p.families[weld.family] == "steel"
    bike = p.operations[p.orders[0].operations[0]]
    assert [p.workstations[a.workstation].id for a in bike.alternatives] == ["ASSY-1", "ASSY-2"]
    # Release 2026-11-24 00:00 = minute 1440; due 2026-12-02 → end of that day.
    assert p.orders[0].release == 1440
    assert p.orders[0].due == 10 * 1440
    assert p.orders[0].weight == 4  # priority 2 → 6 − 2


def test_calendar_falls_back_to_location_then_always_open(tiny: Dataset) -> None:
    p = SchedulingProblem.from_dataset(tiny)
    ws = {w.id: w for w in p.workstations}
    assert ws["WELD"].calendar == "DAY"  # none of its own: the plant's
    weld = p.working[p.workstation_index["WELD"]]
    # Wednesday 2026-11-25 06:00-14:00 is downtime: that day only 14:00-22:00 remains.
    wed = 2 * 1440
    assert (wed + 14 * 60, wed + 22 * 60) in weld.stretches()
    open_ws = shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 1}],
        orders=[{"supply": "A", "item": "X", "quantity": 1}],
    )
    assert SchedulingProblem.from_dataset(open_ws).working[0].always_open


def test_fractional_minutes_round_up() -> None:
    ds = shop(
        workstations=[{"workstation": "M"}],
        routing=[
            {"item": "X", "step": 10, "workstation": "M", "run_minutes": 0.3, "setup_minutes": 0.5}
        ],
        orders=[{"supply": "A", "item": "X", "quantity": 3}],
    )
    assert SchedulingProblem.from_dataset(ds).operations[0].alternatives[0].duration == 2  # 1.4 → 2


def test_routing_rows_are_chosen_for_the_order_location() -> None:
    m = oms_plan.Model(start="2026-11-23", horizon_days=10)
    for loc in ("P1", "P2"):
        m.add_location(location=loc, kind="plant")
        m.add_workstation(workstation=f"W-{loc}", location=loc)
    m.add_item(item="X")
    for loc in ("P1", "P2"):
        m.add_sourcing(item="X", location=loc, method="make", lead_days=1)
    m.add_routing_step(item="X", step=10, workstation="W-P1", run_minutes=5)
    m.add_routing_step(item="X", step=10, workstation="W-P2", run_minutes=7)
    m.add_supply(
        supply="A", kind="production", item="X", location="P2", quantity=1, due_date="2026-11-24"
    )
    p = SchedulingProblem.from_dataset(m.dataset())
    (alt,) = p.operations[0].alternatives
    assert p.workstations[alt.workstation].id == "W-P2"
    assert alt.duration == 7


def test_routing_on_missing_workstation_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match="GHOST"):
        shop(
            workstations=[{"workstation": "M"}],
            routing=[{"item": "X", "step": 10, "workstation": "GHOST", "run_minutes": 1}],
            orders=[{"supply": "A", "item": "X", "quantity": 1}],
        )


def test_order_without_routing_is_reported_not_dropped() -> None:
    ds = shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 1}],
        orders=[{"supply": "A", "item": "X", "quantity": 1}],
    )
    extra = pd.DataFrame(
        [
            {
                "planned_order": "PL-1",
                "method": "make",
                "item": "X",
                "location": "P1",
                "quantity": 2,
                "due_date": "2026-11-25",
            },
            {
                "planned_order": "PL-2",
                "method": "buy",
                "item": "X",
                "location": "P1",
                "quantity": 2,
                "due_date": "2026-11-25",
            },
        ]
    )
    p = SchedulingProblem.from_dataset(ds, orders=extra)
    assert [o.id for o in p.orders] == ["A", "PL-1"]
    assert [d.order for d in p.diagnostics] == ["PL-2"]  # a buy order: listed, not scheduled


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (
            {
                "planned_order": "A",
                "item": "X",
                "location": "P1",
                "quantity": 1,
                "due_date": "2026-11-24",
            },
            "used twice",
        ),  # duplicate id
        (
            {
                "planned_order": "B",
                "item": "NOPE",
                "location": "P1",
                "quantity": 1,
                "due_date": "2026-11-24",
            },
            "unknown item",
        ),
        (
            {
                "planned_order": "B",
                "item": "X",
                "location": "MARS",
                "quantity": 1,
                "due_date": "2026-11-24",
            },
            "unknown location",
        ),
        (
            {
                "planned_order": "B",
                "item": "X",
                "location": "P1",
                "quantity": -1,
                "due_date": "2026-11-24",
            },
            "quantity",
        ),
        (
            {"item": "X", "location": "P1", "quantity": 1, "due_date": "2026-11-24"},
            "missing column",
        ),  # no id column
    ],
)
def test_bad_extra_orders_raise_planning_error(row: dict[str, object], match: str) -> None:
    ds = shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 1}],
        orders=[{"supply": "A", "item": "X", "quantity": 1}],
    )
    with pytest.raises(PlanningError, match=match):
        SchedulingProblem.from_dataset(ds, orders=pd.DataFrame([row]))


def test_weights_are_configurable(one_machine: Dataset) -> None:
    p = SchedulingProblem.from_dataset(one_machine, weights={1: 100})
    assert [o.weight for o in p.orders] == [1, 100]  # priority 5 → default 1
    p = SchedulingProblem.from_dataset(one_machine, weights=lambda prio: 10 * prio)
    assert [o.weight for o in p.orders] == [50, 10]
    with pytest.raises(PlanningError, match="positive integer"):
        SchedulingProblem.from_dataset(one_machine, weights={1: 0})


def test_non_pausable_operation_longer_than_any_shift_is_set_aside_before_solving() -> None:
    ds = shop(
        workstations=[{"workstation": "OVEN", "calendar": "DAY", "pausable": False}],
        shifts=[
            {"calendar": "DAY", "weekday": d, "start": "06:00", "end": "14:00"} for d in range(5)
        ],
        routing=[{"item": "X", "step": 10, "workstation": "OVEN", "run_minutes": 100}],
        orders=[{"supply": "BIG", "item": "X", "quantity": 5}],
    )
    p = SchedulingProblem.from_dataset(ds)
    assert not p.infeasible and not p.orders
    (aside,) = p.set_aside
    assert (aside.order, aside.step, aside.workstation) == ("BIG", 10, "OVEN")
    assert "'BIG' step 10" in aside.message and "480" in aside.message
    for solver in ("cpsat", "greedy"):
        r = schedule_orders(ds, solver=solver, time_limit=1)
        assert r.status == SolveStatus.EMPTY  # nothing left to schedule
        assert not r.operations
        assert r.orders_set_aside == 1 and r.orders_scheduled == 0
        assert any(
            d.kind == "infeasible" and d.order == "BIG" and "OVEN" in d.message
            for d in r.diagnostics
        )
        assert "infeasible" in r.summary()


def test_unusable_alternative_is_dropped_with_a_warning() -> None:
    ds = shop(
        workstations=[
            {"workstation": "OVEN", "calendar": "DAY", "pausable": False},
            {"workstation": "BIGOVEN"},
        ],
        shifts=[
            {"calendar": "DAY", "weekday": d, "start": "06:00", "end": "14:00"} for d in range(5)
        ],
        routing=[
            {"item": "X", "step": 10, "workstation": "OVEN", "run_minutes": 100},
            {"item": "X", "step": 10, "workstation": "BIGOVEN", "run_minutes": 120},
        ],
        orders=[{"supply": "BIG", "item": "X", "quantity": 5}],
    )
    p = SchedulingProblem.from_dataset(ds)
    assert not p.infeasible
    assert [p.workstations[a.workstation].id for a in p.operations[0].alternatives] == ["BIGOVEN"]
    assert p.diagnostics[0].kind == "alternative_unusable"
