"""The copy-on-write rows a promise plans its legs on (``oms_plan.atp.rows.Rows``).

A take stays pending until a whole row is needed; single values read meanwhile (``value``,
``view``) must be exactly what the applied row holds, or split answers would change.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from oms_plan.atp.ledger import AtpLedger, apply_consume
from oms_plan.atp.rows import Rows

from .helpers import single_buffer

HORIZON = 9

takes = st.lists(
    st.tuples(st.integers(0, HORIZON + 2), st.floats(0.1, 30.0, allow_nan=False)), max_size=6
)


def _ledger(receipts: list[float], orders: list[float]) -> AtpLedger:
    return AtpLedger.from_dataset(single_buffer(5.0, receipts, orders, horizon=HORIZON))


def _read_values(rows: Rows, b: int) -> list[float]:
    return [rows.value(b, t) for t in range(HORIZON)]


def _read_view(rows: Rows, b: int) -> list[float]:
    row, day, quantity, cap = rows.view(b)
    return [row.item(t) - quantity if t >= day else min(row.item(t), cap) for t in range(HORIZON)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 12), min_size=HORIZON, max_size=HORIZON),
    st.lists(st.integers(0, 8), min_size=HORIZON, max_size=HORIZON),
    takes,
)
def test_pending_takes_read_exactly_as_applied(receipts, orders, plan) -> None:  # type: ignore[no-untyped-def]
    ledger = _ledger([float(q) for q in receipts], [float(q) for q in orders])
    before = ledger.smin.copy()
    rows = Rows(ledger)
    expected = ledger.smin[0].copy()
    for day, qty in plan:
        rows.take(0, day, qty)
        apply_consume(expected, min(day, HORIZON - 1), qty)
        # Read the pending take both ways before the row is applied, then apply it.
        assert _read_values(rows, 0) == expected.tolist()
        assert _read_view(rows, 0) == expected.tolist()
    assert rows.smin(0).tolist() == expected.tolist()
    assert _read_values(rows, 0) == expected.tolist()
    # Planning never touches the ledger.
    np.testing.assert_array_equal(ledger.smin, before)
