"""Capable-to-promise through the Promiser and the CLI: answers, reservations, conservation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import oms_plan
from oms_plan import Promise, Promiser
from oms_plan.atp import QuoteExpiredError
from oms_plan.cli.main import app
from tests.conftest import DATA

from .networks import HORIZON, day, networks

SAMPLE = oms_plan.load(DATA / "sample")


def test_sample_big_bicycle_order_is_made() -> None:
    atp = Promiser(SAMPLE, ctp=False).promise("BK-CITY", 400, "FR", "2027-01-20")
    assert atp.short > 0  # stock and receipts cannot
    quote = Promiser(SAMPLE).promise("BK-CITY", 400, "FR", "2027-01-20")
    assert quote.short == 0
    made = [s for s in quote.shipments if s.origin == "make"]
    assert made and made[0].source_location == "PORTO" and made[0].location == "DC-PARIS"
    assert quote.binding in {"lead_time"} or quote.binding.startswith(("capacity:", "component:"))
    # The orders behind it: bicycles at PORTO, frames at LYON moved to PORTO, purchases.
    methods = {(o.method, o.item, o.location) for o in quote.supplies}
    assert ("make", "BK-CITY", "PORTO") in methods
    assert ("transfer", "FR-CITY", "PORTO") in methods
    assert any(ld.workstation.startswith("ASSY") for ld in quote.loads)
    assert quote.to_frame()["source"].tolist() == [s.origin for s in quote.shipments]


def test_reserve_takes_minutes_and_release_gives_them_back() -> None:
    promiser = Promiser(SAMPLE)
    before = promiser.capacity()
    quote = promiser.promise("BK-CITY", 400, "FR", "2027-01-20")
    rid = promiser.reserve(quote)
    held = promiser.capacity()
    booked = held["booked"].sum() - before["booked"].sum()
    assert booked == pytest.approx(sum(ld.minutes for ld in quote.loads))
    # The same capacity is not promised twice: the next big order comes later.
    again = promiser.promise("BK-CITY", 400, "FR", "2027-01-20")
    assert again.short > 0 or again.delivery_date > quote.delivery_date
    # Another promiser of the same dataset reserves the same quote (plain data) ...
    other = Promiser(SAMPLE)
    other.reserve(Promise.from_dict(json.loads(json.dumps(quote.to_record()))))
    pd.testing.assert_frame_equal(other.capacity(), promiser.capacity())
    # ... and here the quote cannot be held twice.
    with pytest.raises(oms_plan.PlanningError):
        promiser.reserve(Promise.from_dict(quote.to_record()))
    promiser.release(rid)
    pd.testing.assert_frame_equal(promiser.capacity(), before)


def test_an_expired_capacity_quote_is_refused() -> None:
    promiser = Promiser(SAMPLE)
    first = promiser.promise("BK-CITY", 400, "FR", "2027-01-20")
    second = promiser.promise("BK-CITY", 400, "FR", "2027-01-20")
    promiser.reserve(first)
    with pytest.raises(QuoteExpiredError):
        promiser.reserve(second)


def test_lines_and_ship_complete_orders_use_ctp() -> None:
    promiser = Promiser(SAMPLE)
    lines = pd.DataFrame(
        {
            "order": ["W-1", "W-1", "W-2"],
            "line": ["1", "2", "1"],
            "item": ["BK-CITY", "BK-TREK", "BK-CITY"],
            "quantity": [150, 40, 150],
            "ship_to": ["FR", "FR", "FR"],
            "requested_date": ["2027-01-20"] * 3,
            "ship_complete": [True, True, False],
        }
    )
    quotes = promiser.promise_lines(lines)
    w1 = quotes[:2]
    assert all(q.short == 0 for q in w1)
    assert w1[0].delivery_date == w1[1].delivery_date  # together
    assert all(len(q.shipments) == 1 for q in w1)
    assert any(s.origin == "make" for q in quotes for s in q.shipments)
    assert len(promiser.reservations) == 3


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    out: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return out


def test_cli_json_end_to_end() -> None:
    args = ["promise", DATA / "sample", "--item", "BK-CITY", "--quantity", "400", "--ship-to", "FR",
            "--requested-date", "2027-01-20", "--json"]  # fmt: skip
    out = _json(*args)
    assert out["short"] == 0 and out["binding"]
    assert {s["source"] for s in out["shipments"]} == {"make"}
    atp = _json(*args, "--no-ctp")
    assert atp["short"] > 0
    bad = CliRunner().invoke(app, [str(a) for a in args] + ["--replenish"])
    assert bad.exit_code == 2 and "--no-ctp" in bad.output


# -- conservation ----------------------------------------------------------------------------
operation = st.one_of(
    st.tuples(
        st.just("promise"),
        st.sampled_from(["F", "S"]),
        st.integers(1, 30),  # quantity
        st.integers(-1, HORIZON + 2),  # requested day
        st.booleans(),  # partial_ok
        st.sampled_from([None, 1, 2]),  # max_shipments
    ),
    st.tuples(st.just("release"), st.integers(0, 10)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.lists(operation, max_size=12))
def test_no_unit_or_minute_counted_twice(ds, ops) -> None:  # type: ignore[no-untyped-def]
    promiser = Promiser(ds)
    engine = promiser._engine
    assert engine is not None
    base_cum = promiser.ledger.cum.copy()
    base_free = engine.free.copy()
    floor = np.minimum(base_cum, 0.0)
    held: list[str] = []
    for op in ops:
        if op[0] == "promise":
            _, item, qty, req, partial, most = op
            quote = promiser.promise(
                item, qty, "R", day(req), partial_ok=partial, max_shipments=most
            )
            assert abs(quote.promised_quantity + quote.short - qty) < 1e-9
            if most is not None:
                assert len(quote.shipments) <= most
            if quote.shipments:
                held.append(promiser.reserve(quote))
        elif held:
            promiser.release(held.pop(op[1] % len(held)))
        # Rebuild from scratch: the base state minus every held reservation's legs.
        cum = base_cum.copy()
        free = base_free.copy()
        for res in promiser.reservations.values():
            for b, d, q in res.legs:
                cum[b, d:] -= q
            for w, d, m in res.loads:
                free[w, d] -= m
        np.testing.assert_allclose(promiser.ledger.cum, cum, atol=1e-9)
        np.testing.assert_allclose(engine.free, free, atol=1e-9)
        # No unit promised twice (components included), no minute booked twice.
        assert (promiser.ledger.cum >= floor - 1e-9).all()
        assert (engine.free >= -1e-6).all()
    for rid in list(held):
        promiser.release(rid)
    np.testing.assert_allclose(promiser.ledger.cum, base_cum, atol=1e-9)
    np.testing.assert_allclose(engine.free, base_free, atol=1e-9)
