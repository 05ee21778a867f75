"""Small datasets for the promising tests, built with the Model builder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from oms_plan import Dataset, Model

START = dt.date(2026, 1, 5)


def day(n: int) -> str:
    """ISO date of day index ``n`` (0 = START)."""
    return (START + dt.timedelta(days=n)).isoformat()


def single_buffer(
    on_hand: float,
    receipts: Sequence[float],
    orders: Sequence[float],
    *,
    horizon: int | None = None,
    item: str = "X",
) -> Dataset:
    """One item at one warehouse W with a zero-transit lane to region R.

    ``receipts[t]`` arrives on day t (a supply row ``S<t>``), ``orders[t]`` is committed on
    day t (an order line ``O<t>`` shipping from W).
    """
    horizon = horizon or max(len(receipts), len(orders), 1)
    m = Model(start=START, horizon_days=horizon)
    m.add_item(item=item)
    m.add_location(location="W", kind="warehouse")
    m.add_region(region="R")
    m.add_lane(from_location="W", to="R", transit_days=0)
    m.add_sourcing(item=item, location="W", method="buy", lead_days=3)
    if on_hand:
        m.add_inventory(item=item, location="W", on_hand=on_hand)
    for t, q in enumerate(receipts):
        if q:
            m.add_supply(
                supply=f"S{t}",
                kind="purchase",
                item=item,
                location="W",
                quantity=q,
                due_date=day(t),
            )
    for t, q in enumerate(orders):
        if q:
            m.add_order_line(
                order=f"O{t}",
                line="1",
                item=item,
                quantity=q,
                requested_date=day(t),
                ship_to="R",
                location="W",
            )
    return m.dataset()


def network(horizon: int = 30) -> Model:
    """Item X at two warehouses (A: 2 days to R, cost 1; B: 1 day to R, cost 5) and plant P.

    P ships to R in 4 days; A can be replenished from P by a 1-day transfer (1 + 2 < 4). No stock.
    """
    m = Model(start=START, horizon_days=horizon)
    m.add_item(item="X")
    m.add_item(item="Y", integral=False)
    for loc, kind in (("A", "warehouse"), ("B", "warehouse"), ("P", "plant")):
        m.add_location(location=loc, kind=kind)
    m.add_region(region="R")
    m.add_region(region="FAR")
    m.add_lane(from_location="A", to="R", transit_days=2, cost_per_unit=1)
    m.add_lane(from_location="B", to="R", transit_days=1, cost_per_unit=5)
    m.add_lane(from_location="P", to="R", transit_days=4, cost_per_unit=3)
    m.add_sourcing(item="X", location="P", method="buy", lead_days=10, cost_per_unit=2)
    m.add_sourcing(item="X", location="A", method="transfer", lead_days=1, from_location="P")
    m.add_sourcing(item="X", location="B", method="buy", lead_days=6)
    m.add_sourcing(item="Y", location="A", method="buy", lead_days=1)
    return m
