"""Small random supply networks for the capable-to-promise tests (hypothesis strategies).

Plants P and Q, warehouse W, region R (W: 1 day, P: 2 days). Finished item F is made at P
(lead 1–3) from sub-assembly S and bought part C; S is made at P or transferred from Q, where
it is made from bought part D; W receives F by a 1-day transfer from P. Workstations A, B
(alternatives for F's first step) and K (S) have random units, calendars and downtime; open
manufacturing orders load them; open order lines commit F at W and P. Quantities, minutes
and lot rules are whole or binary fractions, so that the fast engine and the reference add
exactly the same floats.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from oms_plan import Dataset, Model

START = dt.date(2026, 1, 5)  # a Monday
HORIZON = 16


def day(n: int) -> str:
    """ISO date of day ``n``."""
    return (START + dt.timedelta(days=n)).isoformat()


lots: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {},
        {"lot_min": 4},
        {"lot_multiple": 5},
        {"lot_max": 6},
        {"lot_rule": "fixed", "lot_size": 4},
        {"lot_min": 3, "lot_max": 8, "lot_multiple": 2},
    ]
)


@st.composite
def networks(draw: st.DrawFn) -> Dataset:
    """A random small network (see the module doc)."""
    m = Model(start=START, horizon_days=HORIZON)
    m.add_item(item="F", **draw(lots))
    m.add_item(item="S", **draw(lots))
    m.add_item(item="C")
    m.add_item(item="D", integral=draw(st.booleans()))
    m.add_shift(calendar="DAY", weekday=0, start="08:00", end="12:00")
    for wd in range(1, 5):
        m.add_shift(calendar="DAY", weekday=wd, start="08:00", end="10:00")
    m.add_location(location="P", kind="plant", calendar=draw(st.sampled_from([None, "DAY"])))
    m.add_location(location="Q", kind="plant")
    m.add_location(location="W", kind="warehouse")
    m.add_region(region="R")
    m.add_lane(from_location="W", to="R", transit_days=1, cost_per_unit=1)
    m.add_lane(
        from_location="P", to="R", transit_days=2, cost_per_unit=draw(st.sampled_from([0, 3]))
    )
    m.add_sourcing(item="F", location="P", method="make", lead_days=draw(st.integers(1, 3)))
    m.add_sourcing(item="F", location="W", method="transfer", lead_days=1, from_location="P")
    s_first = draw(st.sampled_from(["make", "transfer"]))
    s_rows: list[dict[str, Any]] = [
        {"method": "make", "lead_days": draw(st.integers(0, 2))},
        {"method": "transfer", "lead_days": draw(st.integers(1, 3)), "from_location": "Q"},
    ]
    if s_first == "transfer":
        s_rows.reverse()
    for prio, row in enumerate(s_rows, start=1):
        m.add_sourcing(item="S", location="P", priority=prio, **row)
    m.add_sourcing(item="S", location="Q", method="make", lead_days=draw(st.integers(0, 2)))
    m.add_sourcing(item="C", location="P", method="buy", lead_days=draw(st.integers(2, 12)))
    m.add_sourcing(item="D", location="Q", method="buy", lead_days=draw(st.integers(1, 10)))
    m.add_bom_line(parent="F", component="S", quantity_per=draw(st.sampled_from([1, 2])))
    m.add_bom_line(parent="F", component="C", quantity_per=1)
    m.add_bom_line(parent="S", component="D", quantity_per=draw(st.sampled_from([0.5, 1, 3])))
    for ws, loc in (("A", "P"), ("B", "P"), ("K", "P"), ("KQ", "Q")):
        m.add_workstation(
            workstation=ws,
            location=loc,
            units=draw(st.integers(1, 2)),
            calendar=draw(st.sampled_from([None, "DAY"])),
        )
    for ws in draw(st.lists(st.sampled_from(["A", "B", "K", "KQ"]), max_size=2)):
        first = draw(st.integers(0, HORIZON - 1))
        m.add_downtime(
            workstation=ws,
            start=f"{day(first)}T00:00",
            end=f"{day(first + draw(st.integers(1, 4)))}T00:00",
        )
    minutes = st.sampled_from([0.5, 1, 2, 4, 8, 16])
    m.add_routing_step(
        item="F",
        step=10,
        workstation="A",
        run_minutes=draw(minutes) * 10,
        setup_minutes=draw(st.sampled_from([0, 30])),
    )
    m.add_routing_step(item="F", step=10, workstation="B", run_minutes=draw(minutes) * 10)
    m.add_routing_step(item="F", step=20, workstation="A", run_minutes=draw(minutes))
    m.add_routing_step(
        item="S", step=10, workstation="K", run_minutes=draw(minutes) * 20, location="P"
    )
    m.add_routing_step(
        item="S", step=10, workstation="KQ", run_minutes=draw(minutes) * 20, location="Q"
    )
    for item, loc in draw(
        st.lists(
            st.sampled_from(
                [("F", "W"), ("F", "P"), ("S", "P"), ("S", "Q"), ("C", "P"), ("D", "Q")]
            ),
            max_size=4,
            unique=True,
        )
    ):
        m.add_inventory(item=item, location=loc, on_hand=draw(st.integers(1, 30)))
    for n in range(draw(st.integers(0, 2))):
        release = draw(st.integers(-2, 8))
        m.add_supply(
            supply=f"MO{n}", kind="production", item=draw(st.sampled_from(["F", "S"])),
            location="P", quantity=draw(st.integers(1, 20)), release_date=day(release),
            due_date=day(release + draw(st.integers(0, 4))),
        )  # fmt: skip
    for n in range(draw(st.integers(0, 3))):
        m.add_order_line(
            order=f"O{n}", line="1", item="F", quantity=draw(st.integers(1, 25)),
            requested_date=day(draw(st.integers(0, HORIZON + 1))), ship_to="R",
            location=draw(st.sampled_from(["W", "P"])), priority=draw(st.integers(1, 3)),
        )  # fmt: skip
    return m.dataset()


requests = st.tuples(
    st.sampled_from(["F", "S"]),
    st.integers(1, 40),  # quantity
    st.integers(-1, HORIZON + 2),  # requested delivery day
    st.booleans(),  # whole
    st.sampled_from([None, 0, 3]),  # max days late
)
