"""Promising one line: location choice, transit, policies, transfers, replenishment, errors."""

from __future__ import annotations

import json
import math
import pickle
import re

import pytest

from oms_plan import Dataset, PlanningError
from oms_plan.atp import Promiser, QuoteExpiredError, UnknownReservationError

from .helpers import day, network


def _ds(stock: dict[str, float], receipts: tuple[tuple[str, int, float], ...] = ()) -> Dataset:
    m = network()
    for loc, qty in stock.items():
        m.add_inventory(item="X", location=loc, on_hand=qty)
    for n, (loc, t, qty) in enumerate(receipts):
        m.add_supply(
            supply=f"PO{n}", kind="purchase", item="X", location=loc, quantity=qty, due_date=day(t)
        )
    return m.dataset()


def _plan(p) -> list[tuple[str, float, str, str]]:  # type: ignore[no-untyped-def]
    return [(s.location, s.quantity, s.delivery_date.isoformat(), s.binding) for s in p.shipments]


# -- where from and when ------------------------------------------------------------------------
def test_earliest_delivery_wins_then_cost() -> None:
    p = Promiser(_ds({"A": 10, "B": 10}), ctp=False)
    # Both on time on day 5: A is cheaper (1 vs 5 per unit).
    assert _plan(p.promise("X", 5, "R", day(5))) == [("A", 5, day(5), "stock")]
    # Wanted on day 1: only B (1 day in transit) makes it; A would be late (transit 2).
    assert _plan(p.promise("X", 5, "R", day(1))) == [("B", 5, day(1), "stock")]
    # Wanted on day 0: nothing can arrive before day 1; B is earliest, bound by transit.
    quote = p.promise("X", 5, "R", day(0))
    assert _plan(quote) == [("B", 5, day(1), "transit")]
    assert quote.days_late == 1 and quote.binding == "transit"


def test_ship_date_is_delivery_minus_transit_and_never_before_start() -> None:
    p = Promiser(_ds({"A": 10}), ctp=False)
    s = p.promise("X", 3, "R", day(9)).shipments[0]
    assert (s.ship_date.isoformat(), s.delivery_date.isoformat()) == (day(7), day(9))
    s = p.promise("X", 3, "R", day(-5)).shipments[0]  # requested before plan start
    assert (s.ship_date.isoformat(), s.delivery_date.isoformat()) == (day(0), day(2))


def test_receipt_binds_a_late_date() -> None:
    p = Promiser(_ds({"A": 2}, (("A", 6, 20),)), ctp=False)
    quote = p.promise("X", 8, "R", day(3), partial_ok=False)
    assert _plan(quote) == [("A", 8, day(8), "supply:PO0")]
    assert quote.to_frame()["status"].tolist() == ["late"]


# -- policies -----------------------------------------------------------------------------------
def test_partial_ships_now_and_the_rest_later() -> None:
    p = Promiser(_ds({"A": 4}, (("A", 6, 10),)), ctp=False)
    quote = p.promise("X", 10, "R", day(3))
    assert _plan(quote) == [("A", 4, day(3), "stock"), ("A", 6, day(8), "supply:PO0")]
    frame = quote.to_frame()
    assert frame["status"].tolist() == ["on_time", "late"]
    assert frame["days_late"].tolist() == [0, 5]


def test_partial_from_a_second_location() -> None:
    p = Promiser(_ds({"A": 4, "B": 3}, (("A", 20, 10),)), ctp=False)
    quote = p.promise("X", 7, "R", day(3))
    assert _plan(quote) == [("A", 4, day(3), "stock"), ("B", 3, day(3), "stock")]
    assert quote.on_time


def test_no_partial_waits_for_the_whole_quantity() -> None:
    p = Promiser(_ds({"A": 4}, (("A", 6, 10),)), ctp=False)
    for quote in (
        p.promise("X", 10, "R", day(3), partial_ok=False),
        p.promise("X", 10, "R", day(3), max_shipments=1),
    ):
        assert _plan(quote) == [("A", 10, day(8), "supply:PO0")]


def test_no_partial_and_not_enough_is_all_short() -> None:
    p = Promiser(_ds({"A": 4}), ctp=False)
    quote = p.promise("X", 10, "R", day(3), partial_ok=False)
    assert quote.shipments == () and quote.short == 10 and quote.binding == "stock"
    rows = quote.to_frame()
    assert rows["status"].tolist() == ["short"]
    assert rows["location"].isna().all() and rows["days_late"].isna().all()


def test_max_days_late_turns_late_into_short() -> None:
    p = Promiser(_ds({"A": 4}, (("A", 6, 10),)), ctp=False)
    quote = p.promise("X", 10, "R", day(3), max_days_late=2)
    assert _plan(quote) == [("A", 4, day(3), "stock")]
    assert quote.short == 6 and quote.binding == "stock"
    assert p.promise("X", 10, "R", day(3), max_days_late=5).short == 0


def test_max_days_late_beyond_transit_is_a_transit_short() -> None:
    p = Promiser(_ds({"A": 10}), ctp=False)
    quote = p.promise("X", 3, "R", day(-3), max_days_late=1)
    assert quote.short == 3 and quote.short_binding == "transit"


def test_min_shipment_skips_small_shipments() -> None:
    p = Promiser(_ds({"A": 4}, (("A", 6, 10),)), ctp=False)
    quote = p.promise("X", 10, "R", day(3), min_shipment=5)
    assert _plan(quote) == [("A", 10, day(8), "supply:PO0")]


def test_min_shipment_never_leaves_a_too_small_rest() -> None:
    p = Promiser(_ds({"A": 8}, (("A", 6, 10),)), ctp=False)
    quote = p.promise("X", 10, "R", day(3), min_shipment=3)
    assert [s.quantity for s in quote.shipments] == [7, 3]


def test_line_smaller_than_min_shipment_ships_whole() -> None:
    p = Promiser(_ds({"A": 8}), ctp=False)
    assert [s.quantity for s in p.promise("X", 2, "R", day(3), min_shipment=5).shipments] == [2]


def test_max_shipments_last_one_carries_the_rest() -> None:
    p = Promiser(_ds({"A": 3, "B": 3}, (("A", 10, 10),)), ctp=False)
    quote = p.promise("X", 10, "R", day(3), max_shipments=2)
    assert _plan(quote) == [("A", 3, day(3), "stock"), ("A", 7, day(12), "supply:PO0")]
    unlimited = p.promise("X", 10, "R", day(3))
    assert [s.quantity for s in unlimited.shipments] == [3, 3, 4]


def test_last_shipment_takes_the_most_when_nothing_covers_the_rest() -> None:
    p = Promiser(_ds({"A": 3, "B": 5}), ctp=False)
    quote = p.promise("X", 10, "R", day(3), max_shipments=1)
    assert _plan(quote) == [("B", 5, day(3), "stock")]
    assert quote.short == 5


# -- transfers and replenishment ----------------------------------------------------------------
def test_transfer_when_earlier_than_anything_at_the_location() -> None:
    p = Promiser(_ds({"P": 10}), ctp=False)
    quote = p.promise("X", 4, "R", day(3))
    (s,) = quote.shipments
    assert (s.kind, s.location, s.source_location) == ("transfer", "A", "P")
    assert (s.source_date.isoformat(), s.ship_date.isoformat()) == (day(0), day(1))  # type: ignore[union-attr]
    assert s.delivery_date.isoformat() == day(3) and quote.on_time
    # The transfer takes P's stock: reserving it leaves 6 at P.
    p.reserve(quote)
    assert p.atp("X", "P")["atp"].iloc[0] == 6


def test_direct_beats_transfer_on_a_tie_and_stock_at_the_location_first() -> None:
    p = Promiser(_ds({"P": 10, "A": 10}), ctp=False)
    assert p.promise("X", 4, "R", day(3)).shipments[0].kind == "direct"


def test_replenishment_is_off_by_default() -> None:
    p = Promiser(_ds({}), ctp=False)
    assert p.promise("X", 5, "R", day(2)).short == 5
    quote = p.promise("X", 5, "R", day(2), replenish=True)
    # B buys in 6 days and ships in 1: day 7, before P (10 + 4) and A (no buy row).
    assert _plan(quote) == [("B", 5, day(7), "lead_time")]
    assert quote.shipments[0].kind == "replenishment"
    assert Promiser(_ds({}), replenish=True, ctp=False).promise("X", 5, "R", day(2)).short == 0


def test_replenishment_only_covers_what_stock_cannot() -> None:
    p = Promiser(_ds({"B": 2}), replenish=True, ctp=False)
    quote = p.promise("X", 5, "R", day(8))
    assert sorted((s.kind, s.quantity) for s in quote.shipments) == [
        ("direct", 2),
        ("replenishment", 3),
    ]


def test_no_lane_to_region_is_short_not_an_error() -> None:
    p = Promiser(_ds({"A": 10}), ctp=False)
    quote = p.promise("X", 5, "FAR", day(3))
    assert quote.short == 5 and quote.binding == "transit"


def test_fixed_location() -> None:
    p = Promiser(_ds({"A": 10, "B": 10}), ctp=False)
    assert p.promise("X", 5, "R", day(1), location="A").shipments[0].location == "A"


# -- orders -------------------------------------------------------------------------------------
def test_promise_order_lines_see_each_other() -> None:
    p = Promiser(_ds({"A": 10}), ctp=False)
    lines = [
        {"order": "SO", "line": "1", "item": "X", "quantity": 6, "ship_to": "R",
         "requested_date": day(5)},
        {"order": "SO", "line": "2", "item": "X", "quantity": 6, "ship_to": "R",
         "requested_date": day(5), "max_days_late": 0},
    ]  # fmt: skip
    first, second = p.promise_order(lines)
    assert first.promised_quantity == 6 and second.promised_quantity == 4 and second.short == 2
    assert second.to_frame()["order"].tolist() == ["SO", "SO"]
    # Quotes only: nothing is held afterwards.
    assert p.atp("X", "A")["atp"].iloc[0] == 10


def test_ship_complete_waits_for_the_latest_line() -> None:
    m = network()
    m.add_inventory(item="Y", location="A", on_hand=5)
    m.add_inventory(item="X", location="A", on_hand=1)
    m.add_supply(
        supply="PO-X", kind="purchase", item="X", location="A", quantity=9, due_date=day(6)
    )
    p = Promiser(m.dataset(), ctp=False)
    lines = [
        {"order": "SO", "line": "1", "item": "Y", "quantity": 2.5, "ship_to": "R",
         "requested_date": day(3)},
        {"order": "SO", "line": "2", "item": "X", "quantity": 4, "ship_to": "R",
         "requested_date": day(3)},
    ]  # fmt: skip
    apart = p.promise_order(lines)
    assert [q.delivery_date.isoformat() for q in apart] == [day(3), day(8)]  # type: ignore[union-attr]
    together = p.promise_order(lines, ship_complete=True)
    assert [len(q.shipments) for q in together] == [1, 1]
    assert {q.delivery_date.isoformat() for q in together} == {day(8)}  # type: ignore[union-attr]
    # Y could have gone on day 3: it waits for X, whose receipt is what bound the date.
    assert [q.binding for q in together] == ["supply:PO-X", "supply:PO-X"]


def test_ship_complete_all_short_when_a_line_cannot_be_served() -> None:
    m = network()
    m.add_inventory(item="Y", location="A", on_hand=5)
    p = Promiser(m.dataset(), ctp=False)
    lines = [
        {"item": "Y", "quantity": 2, "ship_to": "R", "requested_date": day(3)},
        {"item": "X", "quantity": 4, "ship_to": "R", "requested_date": day(3)},
    ]
    quotes = p.promise_order(lines, ship_complete=True)
    assert [q.short for q in quotes] == [2, 4]


# -- reservations -------------------------------------------------------------------------------
def test_reserve_rechecks_and_release_gives_back() -> None:
    p = Promiser(_ds({"A": 10}), ctp=False)
    quote = p.promise("X", 8, "R", day(4))
    rid = p.reserve(quote)
    assert p.atp("X", "A")["atp"].iloc[0] == 2
    # A quote of the same content made before the reservation (another quote) has expired.
    twin = Promiser(p.dataset, ctp=False).promise("X", 8, "R", day(4))
    assert twin == quote
    with pytest.raises(QuoteExpiredError, match=r"'X'.*'A'.*only 2 is available"):
        p.reserve(twin)
    assert p.atp("X", "A")["atp"].iloc[0] == 2  # the failed reserve changed nothing
    p.release(rid)
    assert p.atp("X", "A")["atp"].iloc[0] == 10
    with pytest.raises(UnknownReservationError, match=rid):
        p.release(rid)
    again = p.reserve(quote)  # released, the quote can be held again, under a new id
    assert again != rid and re.fullmatch(r"R-[0-9a-f]{32}", again)


def test_reserve_a_quote_from_another_promiser() -> None:
    ds = _ds({"A": 10})
    quote = Promiser(ds, ctp=False).promise("X", 8, "R", day(4))
    other = Promiser(ds, ctp=False)
    other.reserve(quote)
    assert other.atp("X", "A")["atp"].iloc[0] == 2


def test_reservation_counts_in_projection_on_hand() -> None:
    p = Promiser(_ds({"A": 10}), ctp=False)
    p.reserve(p.promise("X", 3, "R", day(4)))
    row = p.atp("X", "A")
    assert row["on_hand"].tolist()[:4] == [10, 10, 7, 7]


# -- errors, results ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"item": "NOPE"}, "unknown item 'NOPE'"),
        ({"ship_to": "MARS"}, "unknown region 'MARS'"),
        ({"quantity": 0}, "quantity must be > 0"),
        ({"quantity": -3}, "quantity must be > 0"),
        ({"quantity": math.nan}, "quantity must be > 0"),
        ({"quantity": "many"}, "quantity 'many' is not a number"),
        ({"requested_date": "soon"}, "requested date 'soon' is not a date"),
        ({"location": "Z"}, "unknown location 'Z'"),
        ({"max_shipments": 0}, "max_shipments must be ≥ 1"),
    ],
)
def test_bad_requests_raise_planning_error(kwargs: dict[str, object], message: str) -> None:
    p = Promiser(_ds({"A": 10}), ctp=False)
    args: dict[str, object] = {"item": "X", "quantity": 3, "ship_to": "R", "requested_date": day(2)}
    args.update(kwargs)
    with pytest.raises(PlanningError, match=message):
        p.promise(**args)  # type: ignore[arg-type]


def test_bad_line_in_an_order_is_named() -> None:
    p = Promiser(_ds({"A": 10}), ctp=False)
    with pytest.raises(PlanningError, match="order 'SO' line '2': unknown item 'Q'"):
        p.promise_order(
            [{"order": "SO", "line": "2", "item": "Q", "quantity": 1, "ship_to": "R",
              "requested_date": day(1)}]
        )  # fmt: skip


def test_json_shape_pickle_and_determinism() -> None:
    ds = _ds({"A": 4}, (("A", 6, 10),))
    quote = Promiser(ds, ctp=False).promise("X", 10, "R", day(3))
    payload = json.loads(json.dumps(quote.to_dict()))
    assert list(payload) == ["item", "quantity", "shipments", "short", "binding"]
    assert list(payload["shipments"][0]) == [
        "location", "quantity", "ship_date", "delivery_date", "source"
    ]  # fmt: skip
    assert payload["shipments"][0] == {
        "location": "A", "quantity": 4, "ship_date": day(1), "delivery_date": day(3),
        "source": "stock",
    }  # fmt: skip
    assert pickle.loads(pickle.dumps(quote)) == quote
    assert Promiser(ds, ctp=False).promise("X", 10, "R", day(3)) == quote
    assert "4 from A" in quote.summary()
