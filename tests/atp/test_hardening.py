"""Requests checked as strictly as the loader; reservations that trust nothing (issue 9)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import multiprocessing
import re

import pandas as pd
import pytest

from oms_plan import DatasetError, PlanningError
from oms_plan.atp import (
    DuplicateReservationError,
    LinesError,
    Promiser,
    QuoteExpiredError,
    Shipment,
)
from oms_plan.atp.request import as_date

from .helpers import day, network


def _promiser(stock: float = 10) -> Promiser:
    m = network()
    m.add_inventory(item="X", location="A", on_hand=stock)
    m.add_inventory(item="Y", location="A", on_hand=stock)
    m.add_order_line(
        order="OPEN", line="1", item="X", quantity=1, requested_date=day(20), ship_to="R",
        location="A",
    )  # fmt: skip
    return Promiser(m.dataset(), ctp=False)  # ATP at A: stock - 1 (the open line)


# -- dates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["2026-11-31", "2026-12-20xyz", "2026-02-29", "20261220", "2026-W51-7", " ", ""]
)
def test_impossible_or_sloppy_dates_are_rejected(text: str) -> None:
    with pytest.raises(PlanningError, match=re.escape(repr(text))):
        _promiser().promise("X", 1, "R", text)


def test_dates_print_back_as_given() -> None:
    assert as_date("2028-02-29") == dt.date(2028, 2, 29)
    assert as_date(" 2026-12-20 ") == dt.date(2026, 12, 20)
    assert as_date(pd.Timestamp("2026-12-20")) == dt.date(2026, 12, 20)


@pytest.mark.parametrize("text", ["9999-12-31", "1899-12-31", "2200-01-01"])
def test_dates_outside_the_loader_range_are_rejected(text: str) -> None:
    with pytest.raises(PlanningError, match=re.escape("outside 1900-01-01 .. 2199-12-31")):
        _promiser().promise("X", 1, "R", text)


# -- quantities and options -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantity": 2.5}, "quantity 2.5 is not a whole number, but item 'X' is integral"),
        ({"quantity": 1e300}, "quantity 1e\\+300 is larger than 1e\\+15"),
        ({"quantity": math.inf}, "quantity must be > 0"),
        ({"quantity": True}, "quantity True is not a number"),
        ({"min_shipment": 0.5}, "min_shipment 0.5 is not a whole number"),
        ({"min_shipment": -1}, "min_shipment must be ≥ 0"),
        ({"max_shipments": 1.5}, "max_shipments 1.5 is not a whole number"),
        ({"max_days_late": 10**9}, "max_days_late must be ≥ 0 and ≤ 36600"),
        ({"item": ["X"]}, "unknown item \\['X'\\]"),
        ({"partial_ok": "maybe"}, "partial_ok 'maybe' is not true or false"),
    ],
)
def test_promise_applies_the_loader_ranges(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"item": "X", "quantity": 3, "ship_to": "R", "requested_date": day(2)}
    args.update(kwargs)
    with pytest.raises(PlanningError, match=message):
        _promiser().promise(**args)  # type: ignore[arg-type]


def test_every_problem_of_a_line_at_once() -> None:
    with pytest.raises(PlanningError) as info:
        _promiser().promise("X", 2.5, "MARS", "2026-11-31")
    text = str(info.value)
    assert "unknown region 'MARS'" in text and "2.5" in text and "2026-11-31" in text


def test_a_fractional_quantity_of_a_continuous_item_is_fine() -> None:
    assert _promiser().promise("Y", 2.5, "R", day(4)).promised_quantity == 2.5


# -- batches --------------------------------------------------------------------------------
def _line(order: str, line: str, **cols: object) -> dict[str, object]:
    row: dict[str, object] = {
        "order": order, "line": line, "item": "X", "quantity": 1, "ship_to": "R",
        "requested_date": day(3),
    }  # fmt: skip
    row.update(cols)
    return row


def test_batch_errors_all_at_once_with_row_and_column() -> None:
    p = _promiser()
    lines = [
        _line("N", "1"),
        _line("N", "1"),  # duplicate key
        _line("OPEN", "1"),  # an open line of the dataset
        _line("N", "2", quantity=2.5),  # fractional, integral item
        _line("N", "3", item="NOPE", requested_date="2026-11-31"),
        _line("N", "4", ship_to="MARS"),
    ]
    with pytest.raises(LinesError) as info:
        p.promise_lines(lines)
    err = info.value
    assert isinstance(err, DatasetError) and isinstance(err, PlanningError)
    where = {(i.row, i.column) for i in err.issues}
    assert where == {
        (2, "line"),
        (3, "line"),
        (4, "quantity"),
        (5, "item"),
        (5, "requested_date"),
        (6, "ship_to"),
    }
    assert all(i.table == "lines" for i in err.issues)
    assert "order 'N' line '1': appears twice (first at line 1)" in str(err)
    assert "order 'OPEN' line '1': is an open line of the dataset already" in str(err)
    # Nothing was promised or reserved.
    assert not p.reservations


def test_promise_order_checks_every_line_too() -> None:
    with pytest.raises(LinesError, match="line 2: missing quantity"):
        _promiser().promise_order(
            [_line("N", "1"), {"item": "X", "ship_to": "R", "requested_date": day(2)}]
        )


# -- reservations ---------------------------------------------------------------------------
def test_a_quote_is_reserved_once() -> None:
    p = _promiser()
    quote = p.promise("X", 4, "R", day(4))
    rid = p.reserve(quote)
    with pytest.raises(DuplicateReservationError, match=f"reserved already \\({rid}\\)"):
        p.reserve(quote)
    assert p.atp("X", "A")["atp"].iloc[0] == 5
    # A copy of the quote (plain data, e.g. pickled) is the same quote.
    with pytest.raises(DuplicateReservationError):
        p.reserve(dataclasses.replace(quote))


def test_idempotency_key_returns_the_first_id() -> None:
    p = _promiser()
    quote = p.promise("X", 4, "R", day(4))
    rid = p.reserve(quote, idempotency_key="k1")
    assert p.reserve(quote, idempotency_key="k1") == rid
    assert len(p.reservations) == 1 and p.atp("X", "A")["atp"].iloc[0] == 5
    with pytest.raises(DuplicateReservationError, match="reserved already"):
        p.reserve(quote, idempotency_key="k2")
    other = p.promise("X", 1, "R", day(4))
    with pytest.raises(DuplicateReservationError, match="'k1' was used for reservation"):
        p.reserve(other, idempotency_key="k1")


def test_reservation_ids_are_globally_unique() -> None:
    ids = {_promiser().reserve(_promiser().promise("X", 1, "R", day(4))) for _ in range(3)}
    assert len(ids) == 3
    assert all(re.fullmatch(r"R-[0-9a-f]{32}", rid) for rid in ids)


def _quote_id_in_child() -> str | None:
    return _promiser().promise("X", 1, "R", day(4)).quote_id


def test_quote_ids_differ_across_forked_processes() -> None:
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        ids = pool.starmap(_quote_id_in_child, [()] * 2)
    here = _quote_id_in_child()
    assert None not in ids and len({*ids, here}) == 3


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (-1000.0, "must be a positive finite number"),
        (math.nan, "must be a positive finite number"),
        (math.inf, "must be a positive finite number"),
        (0.0, "must be a positive finite number"),
        (2.5, "is not whole"),
        (11.0, "ships 11, more than its quantity 4"),
    ],
)
def test_reserve_rejects_hand_built_quantities(quantity: float, message: str) -> None:
    p = _promiser()
    quote = p.promise("X", 4, "R", day(4))
    forged = dataclasses.replace(
        quote, shipments=(dataclasses.replace(quote.shipments[0], quantity=quantity),)
    )
    with pytest.raises(PlanningError, match=message):
        p.reserve(forged)
    assert p.atp("X", "A")["atp"].iloc[0] == 9  # nothing changed, no NaN in the ledger
    assert not p.reservations


def test_reserve_reads_the_public_fields_not_hidden_state() -> None:
    p = _promiser(stock=3)
    quote = p.promise("X", 2, "R", day(4))
    # Same hidden legs, but the shipment now asks for more than there is: re-checked.
    bigger = dataclasses.replace(
        quote,
        quantity=5,
        shipments=(dataclasses.replace(quote.shipments[0], quantity=5),),
        quote_id=None,
    )
    with pytest.raises(QuoteExpiredError, match="only 2 is available"):
        p.reserve(bigger)


def test_reserve_rejects_what_is_not_a_promise() -> None:
    p = _promiser()
    with pytest.raises(PlanningError, match="needs a Promise"):
        p.reserve({"item": "X"})  # type: ignore[arg-type]
    quote = p.promise("X", 1, "R", day(4))
    with pytest.raises(PlanningError, match="unknown item 'Z'"):
        p.reserve(dataclasses.replace(quote, item="Z"))
    odd = Shipment("A", 1, dt.date(2026, 1, 6), dt.date(2026, 1, 8), "stock", kind="teleport")  # type: ignore[arg-type]
    with pytest.raises(PlanningError, match="unknown kind 'teleport'"):
        p.reserve(dataclasses.replace(quote, shipments=(odd,)))


def test_a_quote_is_accepted_by_any_promiser_of_the_dataset() -> None:
    ds = _promiser().dataset
    quote = Promiser(ds, ctp=False).promise("X", 4, "R", day(4))
    a, b = Promiser(ds, ctp=False), Promiser(ds, ctp=False)
    a.reserve(quote)
    b.reserve(quote)  # another promiser's ledger: its own reservation
    assert a.atp("X", "A")["atp"].iloc[0] == 5 == b.atp("X", "A")["atp"].iloc[0]
