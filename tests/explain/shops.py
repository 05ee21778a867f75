"""Small hand-made datasets whose counterfactuals are known by hand.

Every shop has one region R served at transit 0 and a horizon of 30 days from a Monday, so
a day number is also the delivery day. Purchases take 60 days: they never help inside the
horizon, so only the lever under test can.
"""

from __future__ import annotations

import datetime as dt

from oms_plan import Dataset, Model

START = dt.date(2026, 1, 5)  # a Monday
HORIZON = 30


def day(n: int) -> dt.date:
    """The date of day ``n``."""
    return START + dt.timedelta(days=n)


def _base(location: str, kind: str, calendar: str | None = None) -> Model:
    m = Model(start=START, horizon_days=HORIZON)
    m.add_location(location=location, kind=kind, calendar=calendar)
    m.add_region(region="R")
    m.add_lane(from_location=location, to="R", transit_days=0)
    return m


def late_receipt(late_by: int = 5, quantity: float = 10) -> Dataset:
    """A at warehouse W: no stock, receipt PO-1 due ``late_by`` days after day 10."""
    m = _base("W", "warehouse")
    m.add_item(item="A")
    m.add_sourcing(item="A", location="W", method="buy", lead_days=60)
    m.add_supply(
        supply="PO-1",
        kind="purchase",
        item="A",
        location="W",
        quantity=quantity,
        due_date=day(10 + late_by),
    )
    return m.dataset()


def full_workstation() -> Dataset:
    """F made at plant P on M (10 min a unit, lead 0), open 08:00-10:00 every day.

    By day 3 the plant has 4 x 120 = 480 minutes: 48 of a line of 50 on time, the last 2
    on day 4 — 20 more minutes on M on day 3 make it on time.
    """
    m = _base("P", "plant", calendar="SHORT")
    m.add_item(item="F")
    m.add_sourcing(item="F", location="P", method="make", lead_days=0)
    for weekday in range(7):
        m.add_shift(calendar="SHORT", weekday=weekday, start="08:00", end="10:00")
    m.add_workstation(workstation="M", location="P")
    m.add_routing_step(item="F", step=10, workstation="M", run_minutes=10)
    return m.dataset()


def short_component() -> Dataset:
    """F made at plant P from 2 C each (lead 1); 10 C in stock: 5 of a line of 8 F."""
    m = _base("P", "plant")
    m.add_item(item="F")
    m.add_item(item="C")
    m.add_sourcing(item="F", location="P", method="make", lead_days=1)
    m.add_sourcing(item="C", location="P", method="buy", lead_days=60)
    m.add_bom_line(parent="F", component="C", quantity_per=2)
    m.add_inventory(item="C", location="P", on_hand=10)
    return m.dataset()


def two_lines() -> Dataset:
    """10 A in stock at W; H/1 (priority 1) and L/1 (priority 3) both want 10 on day 5."""
    m = _base("W", "warehouse")
    m.add_item(item="A")
    m.add_sourcing(item="A", location="W", method="buy", lead_days=60)
    m.add_inventory(item="A", location="W", on_hand=10)
    for order, priority in (("H", 1), ("L", 3)):
        m.add_order_line(
            order=order,
            line="1",
            item="A",
            quantity=10,
            requested_date=day(5),
            ship_to="R",
            priority=priority,
        )
    return m.dataset()


def crowd(lines: int = 20, stock: float = 50) -> Dataset:
    """``lines`` lines of 10 A at W (priorities 1-3 in turn) and ``stock`` A on hand."""
    m = _base("W", "warehouse")
    m.add_item(item="A")
    m.add_sourcing(item="A", location="W", method="buy", lead_days=60)
    m.add_inventory(item="A", location="W", on_hand=stock)
    m.add_supply(
        supply="PO-9", kind="purchase", item="A", location="W", quantity=30, due_date=day(12)
    )
    for k in range(lines):
        m.add_order_line(
            order=f"O{k:02d}",
            line="1",
            item="A",
            quantity=10,
            requested_date=day(5 + k % 4),
            ship_to="R",
            priority=1 + k % 3,
        )
    return m.dataset()
