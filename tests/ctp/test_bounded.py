"""Bounded work: deep and wide BOMs are answered, and a search that runs out of work says so."""

from __future__ import annotations

from oms_plan import Dataset, Model
from oms_plan.atp.ledger import AtpLedger
from oms_plan.ctp import CtpEngine
from oms_plan.ctp.engine import QUOTE_BUDGET
from oms_plan.ctp.search import SEARCH_LIMIT

from .networks import START

NEVER = 1 << 40


def _deep(levels: int, *, buy_last: bool = True, run: float = 1.0) -> Dataset:
    """L0 ← L1 ← … ← L<levels>: each made at P in 1 day from the next; the last bought."""
    m = Model(start=START, horizon_days=120)
    m.add_location(location="P", kind="plant")
    m.add_region(region="R")
    m.add_lane(from_location="P", to="R", transit_days=0)
    m.add_workstation(workstation="W", location="P", units=1)
    for k in range(levels + 1):
        m.add_item(item=f"L{k}")
    for k in range(levels):
        m.add_sourcing(item=f"L{k}", location="P", method="make", lead_days=1)
        m.add_bom_line(parent=f"L{k}", component=f"L{k + 1}", quantity_per=1)
        m.add_routing_step(item=f"L{k}", step=10, workstation="W", run_minutes=run)
    if buy_last:
        m.add_sourcing(item=f"L{levels}", location="P", method="buy", lead_days=2)
    return m.dataset()


def _quote(ds: Dataset, item: str, qty: float, day: int, budget: int = QUOTE_BUDGET):  # type: ignore[no-untyped-def]
    engine = CtpEngine(ds, AtpLedger.from_dataset(ds))
    return engine.quote(item, engine.routes(item, "R"), qty, day, NEVER, whole=True, budget=budget)


def test_ten_level_bom_is_made_level_by_level() -> None:
    answer, why = _quote(_deep(10), "L0", 5, 0)
    assert answer is not None
    # L10 arrives on day 2, then one level a day: L0 completes on day 12.
    assert answer.completion == 12
    # The first attempt (L0 on day 1) finds L1 missing: it cannot be made before plan start.
    assert why == answer.binding == "component:L1"
    made = [o for o in answer.orders if o.method == "make"]
    assert [o.item for o in made] == [f"L{k}" for k in range(9, -1, -1)]
    assert [o.due for o in made] == list(range(3, 13))


def test_ten_level_bom_without_a_source_is_short_with_its_reason() -> None:
    answer, why = _quote(_deep(10, buy_last=False), "L0", 5, 0)
    assert answer is None
    assert why == "component:L1"  # the first failure: L1 is missing on day 0


def test_a_scarce_deep_bom_stops_at_the_work_budget() -> None:
    # Each level's orders fit 30 minutes a day: many small orders at every level.
    ds = _deep(10, run=48.0)
    answer, why = _quote(ds, "L0", 400, 0, budget=200)
    assert answer is None and why == SEARCH_LIMIT
    answer, why = _quote(ds, "L0", 3, 30)
    assert answer is not None and answer.quantity == 3


def test_two_hundred_components() -> None:
    m = Model(start=START, horizon_days=60)
    m.add_location(location="P", kind="plant")
    m.add_region(region="R")
    m.add_lane(from_location="P", to="R", transit_days=1)
    m.add_workstation(workstation="W", location="P")
    m.add_item(item="F")
    m.add_sourcing(item="F", location="P", method="make", lead_days=2)
    m.add_routing_step(item="F", step=10, workstation="W", run_minutes=2)
    for k in range(200):
        m.add_item(item=f"C{k:03d}")
        m.add_sourcing(item=f"C{k:03d}", location="P", method="buy", lead_days=3 + k % 7)
        m.add_bom_line(parent="F", component=f"C{k:03d}", quantity_per=1 + k % 3)
        if k % 10 == 0:
            m.add_inventory(item=f"C{k:03d}", location="P", on_hand=50)
    answer, _ = _quote(m.dataset(), "F", 20, 0)
    assert answer is not None
    # The slowest purchase (9 days) sets the release; 2 days to make, 1 to ship.
    assert answer.completion == 11 and answer.delivery == 12
    assert answer.binding.startswith("component:C")
    # Stock (50) first: a purchase only where there is none or it covers less than 20 × per.
    short_of_stock = [k for k in range(0, 200, 10) if 20 * (1 + k % 3) > 50]
    assert sum(o.method == "buy" for o in answer.orders) == 180 + len(short_of_stock)
    assert len(answer.takes) == 20
