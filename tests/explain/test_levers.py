"""Each lever on a shop whose answer is known by hand (tests/explain/shops.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_plan import PlanningError, Promiser
from oms_plan.explain import LEVERS, Ask, Explainer, explain_plan, lateness

from . import shops
from .shops import day


def _rows(promiser: Promiser, item: str, quantity: float, requested: int) -> list[dict]:  # type: ignore[type-arg]
    quote = promiser.promise(item, quantity, "R", day(requested))
    return quote.explain(promiser).to_dict("records")  # type: ignore[return-value]


def test_a_receipt_five_days_late_is_expedited_by_five_days() -> None:
    promiser = Promiser(shops.late_receipt(late_by=5))
    quote = promiser.promise("A", 10, "R", day(10))
    assert quote.days_late == 5 and quote.binding == "supply:PO-1"
    rows = quote.explain(promiser)
    first = rows.iloc[0]
    assert (first["lever"], first["target"], first["amount"], first["unit"]) == (
        "expedite",
        "PO-1",
        5.0,
        "days",
    )
    assert first["date"].date() == day(10) and first["days_gained"] == 5
    assert bool(first["on_time"]) and bool(first["exact"])
    # 10 more in stock at W would do as well.
    stock = rows.loc[rows["lever"] == "stock"].iloc[0]
    assert (stock["target"], stock["amount"], stock["date"].date()) == ("A@W", 10.0, day(0))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(late_by=st.integers(1, 15), quantity=st.integers(1, 50))
def test_expedite_is_exactly_the_days_late(late_by: int, quantity: int) -> None:
    promiser = Promiser(shops.late_receipt(late_by=late_by, quantity=quantity))
    rows = _rows(promiser, "A", quantity, 10)
    expedite = [r for r in rows if r["lever"] == "expedite"]
    assert len(expedite) == 1
    assert expedite[0]["amount"] == late_by and expedite[0]["days_gained"] == late_by
    assert expedite[0]["on_time"]


def test_a_full_workstation_needs_twenty_minutes_on_the_due_day() -> None:
    promiser = Promiser(shops.full_workstation())
    quote = promiser.promise("F", 50, "R", day(3))
    assert quote.days_late == 1 and quote.binding == "capacity:M"
    rows = quote.explain(promiser).to_dict("records")
    assert rows[0]["lever"] == "capacity" and rows[0]["target"] == "M"
    assert rows[0]["amount"] == 20.0 and rows[0]["unit"] == "minutes"
    assert rows[0]["date"].date() == day(3) and rows[0]["on_time"]


def test_a_line_short_of_a_component_gets_the_missing_units() -> None:
    promiser = Promiser(shops.short_component())
    quote = promiser.promise("F", 8, "R", day(5))
    assert quote.short == 3 and quote.binding == "component:C"
    rows = quote.explain(promiser).to_dict("records")
    comp = [r for r in rows if r["lever"] == "component"]
    # 8 F need 16 C; 10 are there: 6 more at P by the make order's release (day 4).
    assert comp[0]["target"] == "C@P" and comp[0]["amount"] == 6.0
    assert comp[0]["unit"] == "units" and comp[0]["date"].date() == day(4)
    assert comp[0]["on_time"]
    # A short line counts as delivered after the horizon: from day 5 that is 25 days late.
    assert comp[0]["days_gained"] == shops.HORIZON - 5


def test_a_line_that_lost_its_stock_names_the_more_important_line() -> None:
    table = explain_plan(shops.two_lines())
    assert set(zip(table["order"], table["line"], strict=True)) == {("L", "1")}
    prio = table.loc[table["lever"] == "priority"].iloc[0]
    assert (prio["target"], prio["amount"], prio["unit"]) == ("H/1", 10.0, "units")
    assert bool(prio["on_time"])
    assert set(table["lever"]) <= set(LEVERS)


def test_an_on_time_line_has_no_explanation() -> None:
    promiser = Promiser(shops.late_receipt(late_by=5))
    quote = promiser.promise("A", 10, "R", day(20))
    assert quote.on_time and quote.explain(promiser).empty


def test_the_quote_options_are_those_it_is_re_solved_with() -> None:
    promiser = Promiser(shops.late_receipt())
    quote = promiser.promise("A", 10, "R", day(10), location="W", max_days_late=2)
    assert quote.short == 10  # the receipt is 5 days late, 2 are allowed
    rows = quote.explain(promiser, location="W", max_days_late=2)
    assert rows["lever"].tolist()[0] == "expedite" and rows["amount"].tolist()[0] == 5.0
    with pytest.raises(PlanningError):
        quote.explain(promiser, location="NOWHERE")


def test_no_lever_helps_a_line_requested_before_plan_start() -> None:
    promiser = Promiser(shops.late_receipt())
    promiser.ledger.restore(0, 0, 10)  # stock on day 0: only the calendar makes it late
    quote = promiser.promise("A", 10, "R", day(-2))
    assert quote.days_late == 2
    assert quote.explain(promiser).empty


def _state(promiser: Promiser) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    engine = promiser._engine
    assert engine is not None
    return promiser.ledger.smin.copy(), promiser.ledger.cum.copy(), engine.free.copy()


@pytest.mark.parametrize(
    ("shop", "item", "quantity", "requested"),
    [
        (shops.late_receipt, "A", 10, 10),
        (shops.full_workstation, "F", 50, 3),
        (shops.short_component, "F", 8, 5),
    ],
)
def test_explaining_leaves_the_promiser_exactly_as_it_was(
    shop,
    item: str,
    quantity: float,
    requested: int,  # type: ignore[no-untyped-def]
) -> None:
    promiser = Promiser(shop())
    before = _state(promiser)
    quote = promiser.promise(item, quantity, "R", day(requested))
    assert not quote.explain(promiser).empty
    for a, b in zip(before, _state(promiser), strict=True):
        assert np.array_equal(a, b)
    assert promiser.promise(item, quantity, "R", day(requested)) == quote


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resolves=st.integers(1, 12), late_by=st.integers(1, 20))
def test_the_cap_bounds_the_re_solves(resolves: int, late_by: int) -> None:
    promiser = Promiser(shops.late_receipt(late_by=late_by))
    calls = 0
    real = promiser.promise

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    promiser.promise = counting  # type: ignore[method-assign]
    ask = Ask(item="A", quantity=10, ship_to="R", requested_date=day(10))
    found = Explainer(promiser, resolves=resolves).explain(ask)
    assert calls <= resolves + 1  # + the baseline
    # What is found within the cap is still a true counterfactual: never overstated.
    for e in found:
        assert e.days_gained <= late_by
        if e.lever == "expedite":
            assert e.amount >= late_by or not e.on_time


def test_lateness_of_a_short_line_counts_past_the_horizon() -> None:
    promiser = Promiser(shops.short_component())
    quote = promiser.promise("F", 8, "R", day(5))
    assert lateness(quote, day(shops.HORIZON - 1)) == shops.HORIZON - 5


def test_bad_caps_are_refused() -> None:
    with pytest.raises(ValueError, match="resolves"):
        Explainer(Promiser(shops.late_receipt()), resolves=0)
