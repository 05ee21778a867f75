"""Small datasets for MRP tests: one plant (optionally warehouses), periods = days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from oms_plan import Dataset, Model

START = dt.date(2026, 1, 5)


def day(n: int) -> str:
    """ISO date of day index ``n`` (0 = plan start)."""
    return (START + dt.timedelta(days=n)).isoformat()


def week(n: int) -> str:
    """Textbook period ``n`` (1-based) as a day bucket: period 1 = plan start."""
    return day(n - 1)


def build(
    *,
    horizon: int,
    items: Iterable[Mapping[str, Any]],
    sourcing: Iterable[Mapping[str, Any]],
    bom: Iterable[tuple[str, str, float]] = (),
    inventory: Mapping[str, float] | Mapping[tuple[str, str], float] = {},
    supply: Iterable[tuple[str, str, float, int]] = (),
    demand: Iterable[tuple[str, int, float]] = (),
    warehouses: Iterable[str] = (),
    plant: str = "PLANT",
) -> Dataset:
    """A dataset: ``demand`` are (item, day, qty) lines shipping from ``plant`` that day.

    ``supply`` rows are (id, item, qty, due day) at ``plant``; ``inventory`` maps item (at the
    plant) or (item, location) to on hand.
    """
    m = Model(start=START, horizon_days=horizon)
    m.add_location(location=plant, kind="plant")
    for w in warehouses:
        m.add_location(location=w, kind="warehouse")
    m.add_region(region="R")
    m.add_lane(from_location=plant, to="R", transit_days=0)
    for row in items:
        m.add_item(**row)
    for row in sourcing:
        m.add_sourcing(**{"location": plant, **row})
    for parent, comp, qty in bom:
        m.add_bom_line(parent=parent, component=comp, quantity_per=qty)
    for key, qty in inventory.items():
        item, loc = key if isinstance(key, tuple) else (key, plant)
        m.add_inventory(item=item, location=loc, on_hand=qty)
    for sid, item, qty, due in supply:
        m.add_supply(
            supply=sid, kind="purchase", item=item, location=plant, quantity=qty, due_date=day(due)
        )
    for k, (item, d, qty) in enumerate(demand):
        m.add_order_line(
            order=f"D{k + 1}",
            line="1",
            item=item,
            quantity=qty,
            requested_date=day(d),
            ship_to="R",
            location=plant,
        )
    return m.dataset()


def releases(planned: Any, item: str) -> dict[int, float]:
    """Planned order releases of ``item`` as {textbook period: quantity} (summed)."""
    rows = planned.loc[planned["item"] == item]
    out: dict[int, float] = {}
    for rel, qty in zip(rows["release_date"], rows["quantity"], strict=True):
        period = (rel.date() - START).days + 1
        out[period] = out.get(period, 0.0) + float(qty)
    return out
