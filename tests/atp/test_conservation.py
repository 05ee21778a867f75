"""Property tests: whatever is reserved and released, no unit is promised twice.

Invariant (issue 3): at every item@location and date, commitments plus reservations never
exceed stock plus scheduled receipts by that date — unless the commitments alone already do
(over-commitment), and then reservations never make it worse. The incremental ledger must
also equal a rebuild from scratch, and its ATP the brute-force definition.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_plan import Dataset
from oms_plan.atp import Promiser
from oms_plan.atp.ledger import AtpLedger

from .helpers import day, network

HORIZON = 12

supply_plan = st.lists(
    st.tuples(st.sampled_from("ABP"), st.integers(0, HORIZON + 2), st.integers(1, 20)),
    max_size=8,
)
order_plan = st.lists(
    st.tuples(st.sampled_from("ABP"), st.integers(-1, HORIZON + 2), st.integers(1, 15)),
    max_size=5,
)
operation = st.one_of(
    st.tuples(
        st.just("promise"),
        st.integers(1, 25),  # quantity
        st.integers(-2, HORIZON + 3),  # requested day
        st.booleans(),  # partial_ok
        st.sampled_from([None, 1, 2]),  # max_shipments
        st.booleans(),  # replenish
    ),
    st.tuples(st.just("release"), st.integers(0, 10)),
)


def _dataset(supply, orders) -> Dataset:  # type: ignore[no-untyped-def]
    m = network(HORIZON)
    m.add_inventory(item="X", location="A", on_hand=5)
    for n, (loc, t, qty) in enumerate(supply):
        m.add_supply(
            supply=f"S{n}", kind="purchase", item="X", location=loc, quantity=qty, due_date=day(t)
        )
    for n, (loc, t, qty) in enumerate(orders):
        m.add_order_line(
            order=f"O{n}", line="1", item="X", quantity=qty, requested_date=day(t),
            ship_to="R", location=loc,
        )  # fmt: skip
    return m.dataset()


def _expected_cum(promiser: Promiser, base: AtpLedger) -> np.ndarray:
    """Rebuild: the dataset's cumulative net minus every held reservation, from scratch."""
    cum = base.cum.copy()
    for res in promiser.reservations.values():
        for b, d, q in res.legs:
            cum[b, d:] -= q
    return cum


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(supply_plan, order_plan, st.lists(operation, max_size=25))
def test_reserve_release_conserve_stock(supply, orders, ops) -> None:  # type: ignore[no-untyped-def]
    ds = _dataset(supply, orders)
    promiser = Promiser(ds, ctp=False)
    base = AtpLedger.from_dataset(ds)
    floor = np.minimum(base.cum, 0.0)  # over-commitment the data already has
    held: list[str] = []
    for op in ops:
        if op[0] == "promise":
            _, qty, req, partial, max_ship, replenish = op
            quote = promiser.promise(
                "X", qty, "R", day(req), partial_ok=partial, max_shipments=max_ship,
                replenish=replenish,
            )  # fmt: skip
            assert abs(quote.promised_quantity + quote.short - qty) < 1e-9
            if max_ship is not None:
                assert len(quote.shipments) <= max_ship
            if not partial:
                assert len(quote.shipments) <= 1
            if quote.shipments:
                held.append(promiser.reserve(quote))
        elif held:
            promiser.release(held.pop(op[1] % len(held)))
        ledger = promiser.ledger
        expected = _expected_cum(promiser, base)
        np.testing.assert_allclose(ledger.cum, expected, atol=1e-9)
        # Never a unit promised twice: cumulative stock + receipts − commitments −
        # reservations stays ≥ 0 wherever the commitments alone left it ≥ 0.
        assert (ledger.cum >= floor - 1e-9).all()
        # The incremental suffix minimum is the suffix minimum of the rebuilt rows.
        smin = np.minimum.accumulate(expected[:, ::-1], axis=1)[:, ::-1]
        np.testing.assert_allclose(ledger.smin, smin, atol=1e-9)
    for rid in list(held):
        promiser.release(rid)
    np.testing.assert_allclose(promiser.ledger.cum, base.cum, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=15),
    st.lists(st.integers(0, 30), min_size=1, max_size=15),
)
def test_atp_is_the_largest_quantity_that_takes_from_no_commitment(receipts, demand) -> None:  # type: ignore[no-untyped-def]
    from .helpers import single_buffer

    n = max(len(receipts), len(demand))
    ds = single_buffer(0, receipts, demand, horizon=n)
    ledger = AtpLedger.from_dataset(ds)
    if ledger.num_buffers == 0:
        return
    cum = np.cumsum(np.pad(receipts, (0, n - len(receipts))) - np.pad(demand, (0, n - len(demand))))
    for t in range(n):
        # Brute force: the largest q such that shipping q on day t keeps every cumulative
        # balance from t on at least where it was (and never below 0) — searched upwards.
        q = 0
        while (cum[t:] - (q + 1) >= 0).all():
            q += 1
        assert ledger.available(0, t) == q
