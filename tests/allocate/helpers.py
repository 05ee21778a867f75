"""Small allocation datasets built with the Model builder, checkable by hand."""

from __future__ import annotations

from typing import Any

from oms_plan import Dataset, Model
from oms_plan.allocate import AllocationResult, check_allocation

START = "2026-01-05"


def day(n: int) -> str:
    """ISO date of day index n from START."""
    import datetime as dt

    return (dt.date.fromisoformat(START) + dt.timedelta(days=n)).isoformat()


def model(
    *,
    stock: dict[str, float] | None = None,
    receipts: list[tuple[str, float, int]] | None = None,
    lanes: list[tuple[str, str, int, float]] | None = None,
    item: str = "A",
    integral: bool = True,
    horizon: int = 30,
) -> Model:
    """Locations with stock of one item, scheduled receipts (location, qty, day) and lanes."""
    m = Model(start=START, horizon_days=horizon)
    m.add_item(item=item, integral=integral)
    stock = stock if stock is not None else {"W1": 10}
    locs = set(stock) | {r[0] for r in receipts or []} | {ln[0] for ln in lanes or []}
    locs = locs or {"W1"}
    for loc in sorted(locs):
        m.add_location(location=loc, kind="warehouse")
        m.add_sourcing(item=item, location=loc, method="buy", lead_days=5)
    for loc, qty in stock.items():
        m.add_inventory(item=item, location=loc, on_hand=qty)
    for k, (loc, qty, d) in enumerate(receipts or []):
        m.add_supply(
            supply=f"PO-{k + 1}",
            kind="purchase",
            item=item,
            location=loc,
            quantity=qty,
            due_date=day(d),
        )
    for loc, region, transit, cost in lanes or [(loc, "R", 1, 1.0) for loc in sorted(locs)]:
        m.add_lane(from_location=loc, to=region, transit_days=transit, cost_per_unit=cost)
    return m


def line(m: Model, order: str, qty: float, due: int, **kw: Any) -> None:
    """Add an order line (line '1' unless given) to region R (unless given)."""
    values: dict[str, Any] = {
        "order": order,
        "line": kw.pop("line", "1"),
        "item": kw.pop("item", "A"),
        "quantity": qty,
        "requested_date": day(due),
        "ship_to": kw.pop("ship_to", "R"),
    }
    if "promised" in kw:
        values["promised_date"] = day(kw.pop("promised"))
    values.update(kw)
    m.add_order_line(**values)


def checked(ds: Dataset, result: AllocationResult, **kw: Any) -> AllocationResult:
    """Assert the independent checker accepts the result; return it."""
    report = check_allocation(ds, result.promises, **kw)
    assert report.ok, str(report)
    return result


def shipped(result: AllocationResult, order: str, line_id: str = "1") -> float:
    """Quantity shipped to a line."""
    p = result.promises
    rows = p.loc[(p["order"] == order) & (p["line"] == line_id) & (p["status"] != "short")]
    return float(rows["quantity"].sum())


def on_time(result: AllocationResult, order: str, line_id: str = "1") -> float:
    """Quantity shipped on time to a line."""
    p = result.promises
    rows = p.loc[(p["order"] == order) & (p["line"] == line_id) & (p["status"] == "on_time")]
    return float(rows["quantity"].sum())
