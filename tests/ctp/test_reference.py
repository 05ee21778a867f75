"""The fast CTP engine gives exactly the answers of the naive reference, on random networks.

Both start from the same dataset (open manufacturing orders loading workstations, open order
lines covered first), answer a random sequence of quotes, and apply (reserve) or give back
(release) the answers; after every step their answers, and the orders, takes and bookings
behind them, must be the same.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_plan.atp.ledger import AtpLedger
from oms_plan.ctp import CtpEngine
from oms_plan.ctp.reference import RefAnswer, ReferenceCtp

from .networks import networks, requests

NEVER = 1 << 40


def _fast_view(engine: CtpEngine, answer):  # type: ignore[no-untyped-def]
    if answer is None:
        return None
    bufs = engine.ledger.buffers
    takes = tuple((*bufs[b], d, q) for b, d, q in answer.takes)
    return (
        answer.route,
        answer.quantity,
        answer.completion,
        answer.binding,
        takes,
        answer.loads,
        answer.orders,
    )


def _ref_view(answer: RefAnswer | None) -> tuple | None:  # type: ignore[type-arg]
    if answer is None:
        return None
    return (
        answer.route,
        answer.quantity,
        answer.completion,
        answer.binding,
        answer.takes,
        answer.loads,
        answer.orders,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.lists(st.tuples(requests, st.integers(0, 3)), min_size=1, max_size=8))
def test_fast_equals_reference(ds, steps) -> None:  # type: ignore[no-untyped-def]
    ledger = AtpLedger.from_dataset(ds)
    fast = CtpEngine(ds, ledger)
    ref = ReferenceCtp(ds)
    assert fast.committed == list(fast.public_orders(tuple(ref.committed)))
    held: list[tuple] = []  # type: ignore[type-arg]
    for (item, qty, requested, whole, late), action in steps:
        limit = NEVER if late is None else requested + late
        answer, why = fast.quote(item, fast.routes(item, "R"), qty, requested, limit, whole=whole)
        expected, why_ref = ref.quote(
            item, ref.routes(item, "R"), qty, requested, limit, whole=whole
        )
        assert list(fast.routes(item, "R")) == ref.routes(item, "R")
        assert _fast_view(fast, answer) == _ref_view(expected)
        assert why == why_ref
        if answer is not None and expected is not None and action > 0:
            fast.apply(answer.takes, answer.loads)
            ref.apply(expected.takes, expected.loads)
            held.append((answer, expected))
        elif held and action == 0:
            a, e = held.pop(0)
            fast.undo(a.takes, a.loads)
            ref.undo(e.takes, e.loads)
