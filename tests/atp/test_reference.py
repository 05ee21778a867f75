"""The fast promiser against the naive reference, on random small networks.

The reference (oms_plan/atp/reference.py) recomputes ATP from its definition on every read and
scans day by day; the fast promiser must give exactly its shipments, short quantities and
bindings, line after line, each reservation seen by the next line.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_plan import Dataset
from oms_plan.atp import Promise, Promiser
from oms_plan.atp.reference import ReferenceAnswer, ReferencePromiser
from oms_plan.atp.routes import KIND_NAMES

from .helpers import START, day, network

HORIZON = 14

supply_plan = st.lists(
    st.tuples(st.sampled_from("XY"), st.sampled_from("ABP"), st.integers(0, HORIZON + 2),
              st.integers(1, 20)),
    max_size=8,
)  # fmt: skip
order_plan = st.lists(
    st.tuples(st.sampled_from("ABP"), st.integers(-1, HORIZON + 2), st.integers(1, 15)),
    max_size=5,
)
line_plan = st.lists(
    st.fixed_dictionaries(
        {
            "item": st.sampled_from("XY"),
            "quantity": st.one_of(st.integers(1, 30), st.sampled_from([0.5, 2.25, 7.5])),
            "requested": st.integers(-2, HORIZON + 3),
            "partial_ok": st.booleans(),
            "max_shipments": st.sampled_from([None, None, 1, 2, 3]),
            "min_shipment": st.sampled_from([0, 0, 2, 5]),
            "max_days_late": st.sampled_from([None, None, 0, 3, 8]),
            "ship_to": st.sampled_from(["R", "R", "FAR"]),
            "replenish": st.booleans(),
        }
    ),
    min_size=1,
    max_size=8,
)


def _dataset(stock: int, supply, orders) -> Dataset:  # type: ignore[no-untyped-def]
    m = network(HORIZON)
    m.add_lane(from_location="A", to="FAR", transit_days=HORIZON + 5)
    if stock:
        m.add_inventory(item="X", location="A", on_hand=stock)
    m.add_inventory(item="Y", location="A", on_hand=1.5)
    for n, (item, loc, t, qty) in enumerate(supply):
        m.add_supply(
            supply=f"S{n}", kind="purchase", item=item, location=loc, quantity=qty,
            due_date=day(t),
        )  # fmt: skip
    for n, (loc, t, qty) in enumerate(orders):
        m.add_order_line(
            order=f"O{n}", line="1", item="X", quantity=qty, requested_date=day(t),
            ship_to="R", location=loc,
        )  # fmt: skip
    return m.dataset()


def _date(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def _same(fast: Promise, ref: ReferenceAnswer) -> None:
    got = [
        (s.location, round(s.quantity, 9), s.delivery_date, s.source_date, s.binding, s.kind,
         s.source_location)
        for s in fast.shipments
    ]  # fmt: skip
    want = [
        (s.location, round(s.quantity, 9), _date(s.delivery_day), _date(s.take_day), s.binding,
         KIND_NAMES[s.kind], s.source_location)
        for s in ref.shipments
    ]  # fmt: skip
    assert got == want
    assert abs(fast.short - ref.short) < 1e-9
    assert fast.short_binding == ref.short_reason


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 12), supply_plan, order_plan, line_plan)
def test_fast_promiser_equals_reference(stock, supply, orders, lines) -> None:  # type: ignore[no-untyped-def]
    ds = _dataset(stock, supply, orders)
    fast, ref = Promiser(ds, ctp=False), ReferencePromiser(ds)
    for spec in lines:
        quantity = spec["quantity"]
        if spec["item"] == "X" and not float(quantity).is_integer():
            quantity = int(quantity) + 1  # X is integral
        options = {
            "partial_ok": spec["partial_ok"],
            "max_shipments": spec["max_shipments"],
            "min_shipment": spec["min_shipment"],
            "max_days_late": spec["max_days_late"],
        }
        quote = fast.promise(
            spec["item"], quantity, spec["ship_to"], day(spec["requested"]),
            replenish=spec["replenish"], **options,
        )  # fmt: skip
        answer = ref.promise(
            spec["item"], quantity, spec["ship_to"], spec["requested"],
            replenish=spec["replenish"], reserve=True, **options,
        )  # fmt: skip
        _same(quote, answer)
        if quote.shipments:
            fast.reserve(quote)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 6),
    st.lists(st.integers(0, 8), max_size=HORIZON),
    st.lists(st.integers(0, 6), max_size=HORIZON),
    line_plan,
)
def test_one_warehouse_equals_reference(on_hand, receipts, orders, lines) -> None:  # type: ignore[no-untyped-def]
    from .helpers import single_buffer

    ds = single_buffer(on_hand, receipts, orders, horizon=HORIZON)
    fast, ref = Promiser(ds, ctp=False), ReferencePromiser(ds)
    for spec in lines:
        options = {
            "partial_ok": spec["partial_ok"],
            "max_shipments": spec["max_shipments"],
            "min_shipment": spec["min_shipment"],
            "max_days_late": spec["max_days_late"],
        }
        quantity = int(spec["quantity"]) + 1
        quote = fast.promise(
            "X", quantity, "R", day(spec["requested"]), replenish=spec["replenish"], **options
        )
        answer = ref.promise(
            "X", quantity, "R", spec["requested"], replenish=spec["replenish"], reserve=True,
            **options,
        )  # fmt: skip
        _same(quote, answer)
        if quote.shipments:
            fast.reserve(quote)


def test_split_starts_on_the_first_day_anything_arrives() -> None:
    """No single route ever has all 10; 5 arrive on day 2, new supply from day 3.

    Rule 3: the split starts on the first day anything can arrive (day 2, the receipt), not on
    the requested day when nothing is there yet; new supply covers only the rest.
    """
    from .helpers import single_buffer

    ds = single_buffer(0, [0, 0, 5], [], horizon=10)
    quote = Promiser(ds, ctp=False).promise("X", 10, "R", day(0), replenish=True)
    answer = ReferencePromiser(ds).promise("X", 10, "R", 0, replenish=True)
    assert [(s.quantity, s.delivery_date) for s in quote.shipments] == [
        (5, _date(2)),
        (5, _date(3)),
    ]
    _same(quote, answer)
