"""The coherent-plan rule, checked on small hand-made plans whose verdict is known."""

from __future__ import annotations

import pandas as pd

from oms_plan import Model
from oms_plan.outputs import output_frame
from oms_plan.replan.coherence import NEVER_READY, coherence_problems, supply_readiness


def _dataset():  # type: ignore[no-untyped-def]
    m = Model(start="2026-03-02", horizon_days=30)
    m.add_item(item="BIKE")
    m.add_location(location="P", kind="plant")
    m.add_region(region="R")
    m.add_lane(from_location="P", to="R", transit_days=1)
    m.add_sourcing(item="BIKE", location="P", method="make", lead_days=2)
    m.add_workstation(workstation="W", location="P")
    m.add_routing_step(item="BIKE", step=10, workstation="W", run_minutes=10)
    m.add_supply(supply="MO-1", kind="production", item="BIKE", location="P", quantity=5,
                 due_date="2026-03-05")  # fmt: skip
    for line, qty, req in (("1", 5, "2026-03-06"), ("2", 4, "2026-03-12"), ("3", 3, "2026-03-12")):
        m.add_order_line(order="SO", line=line, item="BIKE", quantity=qty, requested_date=req,
                         ship_to="R")  # fmt: skip
    return m.dataset()


def _tables(*, mo_end: str, pln_end: str | None, short_binding: str = "capacity:W"):  # type: ignore[no-untyped-def]
    promises = output_frame(
        "promises",
        [
            {"order": "SO", "line": "1", "item": "BIKE", "quantity": 5, "location": "P",
             "ship_date": "2026-03-05", "delivery_date": "2026-03-06",
             "requested_date": "2026-03-06", "days_late": 0, "status": "on_time",
             "binding": "supply:MO-1"},
            {"order": "SO", "line": "2", "item": "BIKE", "quantity": 4, "location": "P",
             "ship_date": "2026-03-11", "delivery_date": "2026-03-12",
             "requested_date": "2026-03-12", "days_late": 0, "status": "on_time",
             "binding": "capacity:W"},
            {"order": "SO", "line": "3", "item": "BIKE", "quantity": 3, "location": None,
             "ship_date": None, "delivery_date": None, "requested_date": "2026-03-12",
             "days_late": None, "status": "short", "binding": short_binding},
        ],
    )  # fmt: skip
    planned = output_frame(
        "planned_orders",
        [
            {"planned_order": "PLN-1", "method": "make", "item": "BIKE", "location": "P",
             "from_location": None, "quantity": 4, "release_date": "2026-03-08",
             "due_date": "2026-03-10"},
        ],
    )  # fmt: skip
    pegging = output_frame(
        "pegging",
        [
            {"supplier": "MO-1", "item": "BIKE", "location": "P", "quantity": 5, "order": "SO",
             "line": "1"},
            {"supplier": "PLN-1", "item": "BIKE", "location": "P", "quantity": 4, "order": "SO",
             "line": "2"},
        ],
    )  # fmt: skip
    rows = [{"order": "MO-1", "item": "BIKE", "step": 10, "workstation": "W", "unit": 1,
             "start": "2026-03-03T06:00", "end": mo_end}]  # fmt: skip
    if pln_end is not None:
        rows.append({"order": "PLN-1", "item": "BIKE", "step": 10, "workstation": "W",
                     "unit": 1, "start": "2026-03-09T06:00", "end": pln_end})  # fmt: skip
    schedule = output_frame("schedule", rows)
    return {"promises": promises, "planned_orders": planned, "pegging": pegging,
            "schedule": schedule}  # fmt: skip


def test_a_plan_whose_supply_is_ready_before_each_ship_date_is_coherent() -> None:
    assert coherence_problems(_tables(mo_end="2026-03-04T12:00", pln_end="2026-03-10T15:00"),
                              _dataset()) == []  # fmt: skip


def test_an_open_order_counts_at_its_scheduled_end_not_its_due_date() -> None:
    # MO-1 is due on 03-05 (in time) but the schedule finishes it on 03-07: line 1 ships 03-05.
    problems = coherence_problems(
        _tables(mo_end="2026-03-07T10:00", pln_end="2026-03-10T15:00"), _dataset()
    )
    assert problems == ["line SO/1: ships on 2026-03-05 but 'MO-1' (5) is ready on 2026-03-07"]


def test_a_planned_make_order_the_schedule_does_not_hold_is_never_ready() -> None:
    tables = _tables(mo_end="2026-03-04T12:00", pln_end=None)
    assert supply_readiness(tables, _dataset())["PLN-1"] == NEVER_READY
    assert coherence_problems(tables, _dataset()) == [
        "line SO/2: ships on 2026-03-11 but 'PLN-1' (4) is never ready"
    ]


def test_a_wholly_short_line_must_have_no_planned_supply_and_a_reason() -> None:
    tables = _tables(mo_end="2026-03-04T12:00", pln_end="2026-03-10T15:00", short_binding="")
    extra = output_frame(
        "pegging",
        [{"supplier": "PLN-1", "item": "BIKE", "location": "P", "quantity": 3, "order": "SO",
          "line": "3"}],
    )  # fmt: skip
    tables["pegging"] = pd.concat([tables["pegging"], extra], ignore_index=True)
    assert coherence_problems(tables, _dataset()) == [
        "line SO/3: short with no binding to say why",
        "line SO/3: wholly short, but planned order 'PLN-1' (3) is pegged to it",
    ]
