"""Hypothesis strategy: small random multi-level, multi-location MRP datasets."""

from __future__ import annotations

from hypothesis import strategies as st

from oms_plan import Dataset, Model
from tests.mrp.builders import START, day

RULES = ("lot_for_lot", "fixed", "poq", "eoq")


@st.composite
def mrp_datasets(draw: st.DrawFn, *, max_items: int = 6, horizon: int = 20) -> Dataset:
    """A plant and a warehouse; a random BOM DAG; random lot rules, stock, receipts, lines."""
    m = Model(start=START, horizon_days=horizon)
    m.add_location(location="P", kind="plant")
    m.add_location(location="W", kind="warehouse")
    m.add_region(region="R")
    m.add_lane(from_location="P", to="R", transit_days=0)
    m.add_lane(from_location="W", to="R", transit_days=1)
    n = draw(st.integers(2, max_items))
    names = [f"I{i}" for i in range(n)]
    parents: dict[int, list[int]] = {i: [] for i in range(n)}
    for c in range(1, n):
        for p in range(c):
            if draw(st.integers(0, 2)) == 0:
                parents[c].append(p)
                m.add_bom_line(
                    parent=names[p],
                    component=names[c],
                    quantity_per=draw(st.sampled_from([1, 2, 3, 0.5])),
                    scrap_rate=draw(st.sampled_from([0, 0, 0.1])),
                )
    has_components = {p for c in parents for p in parents[c]}
    for i, name in enumerate(names):
        rule = draw(st.sampled_from(RULES))
        integral = draw(st.booleans())
        row: dict[str, object] = {
            "item": name,
            "lot_rule": rule,
            "integral": integral,
            "unit_cost": 2.0,
            "safety_stock": float(draw(st.sampled_from([0, 0, 3, 5]))),
        }
        if rule == "fixed":
            row["lot_size"] = float(draw(st.integers(1, 30)))
        if rule == "poq":
            row["lot_days"] = draw(st.integers(1, 6))
        if rule == "eoq":
            row["order_cost"] = float(draw(st.sampled_from([0, 10, 100])))
        mult = draw(st.sampled_from([0, 0, 2, 5]))
        lmin = draw(st.sampled_from([0, 0, 4, 9]))
        if mult:
            row["lot_multiple"] = float(mult)
        if lmin:
            row["lot_min"] = float(lmin)
        if draw(st.booleans()):
            # lot_max large enough for min and multiple.
            floor = max(mult, lmin + mult, 1)
            row["lot_max"] = float(floor + draw(st.integers(0, 20)))
        m.add_item(**row)
        sourced = draw(st.integers(0, 9)) > 0
        if sourced:
            m.add_sourcing(
                item=name,
                location="P",
                method="make" if i in has_components else "buy",
                lead_days=draw(st.integers(0, 4)),
            )
            if i in has_components and draw(st.booleans()):
                m.add_sourcing(
                    item=name,
                    location="P",
                    method="buy",
                    lead_days=draw(st.integers(0, 2)),
                    priority=2,
                )
        if i == 0 or (not parents[i] and draw(st.booleans())):
            m.add_sourcing(
                item=name,
                location="W",
                method="transfer",
                from_location="P",
                lead_days=draw(st.integers(0, 3)),
            )
        if draw(st.booleans()):
            m.add_inventory(item=name, location="P", on_hand=float(draw(st.integers(0, 40))))
        for k in range(draw(st.integers(0, 2))):
            m.add_supply(
                supply=f"S-{name}-{k}",
                kind="purchase",
                item=name,
                location="P",
                quantity=float(draw(st.integers(1, 30))),
                due_date=day(draw(st.integers(-2, horizon + 2))),
            )
    for k in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, n - 1))
        loc = "W" if i == 0 and draw(st.booleans()) else "P"
        m.add_order_line(
            order=f"O{k}",
            line="1",
            item=names[i],
            quantity=float(draw(st.integers(1, 40))),
            requested_date=day(draw(st.integers(-2, horizon + 3))),
            ship_to="R",
            location=loc,
        )
    return m.dataset()
