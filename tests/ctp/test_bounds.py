"""The lower bounds that let the search skip attempts never exceed what the search achieves.

The answers themselves are checked against the naive reference (test_reference.py); here
the bounds are checked directly: no make order of an answer completes before the earliest
make day computed on the state the quote started from, all the make orders of an item
completing by a day never exceed the bound on what could be made by then, the least order
the lot rules allow is a true lower bound, and failures remembered by one route do not
change another route's answer.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_plan import Model
from oms_plan.atp.ledger import AtpLedger
from oms_plan.ctp import CtpEngine
from oms_plan.ctp.bounds import NEVER, Bounds
from oms_plan.ctp.engine import CtpAnswer
from oms_plan.ctp.network import Lot
from oms_plan.ctp.search import Search

from .networks import START, networks, requests

FAR = 1 << 40
EPS = 1e-7

lots = st.builds(
    Lot,
    fixed=st.booleans(),
    piece=st.sampled_from([1.0, 4.0, 7.5, 170.0]),
    lot_min=st.sampled_from([0.0, 1.0, 3.0, 2.5, 50.0]),
    multiple=st.sampled_from([0.0, 1.0, 2.0, 0.5, 5.0]),
    cap=st.sampled_from([math.inf, 64.0, 6.0, 2.0, 0.5]),
    integral=st.booleans(),
)
amounts = st.floats(1e-6, 1e4, allow_nan=False) | st.sampled_from([1.0, 2.0, 4.0, 64.0])


@given(lots, amounts, amounts | st.just(math.inf))
def test_least_and_possible_bound_every_order(lot: Lot, want: float, most: float) -> None:
    q = lot.size(want, most)
    if q > 0.0:
        assert lot.possible()
        assert q >= lot.least()
    assert lot.least() <= lot.smallest() + 1e-6 or lot.fixed


def test_a_fixed_lot_above_lot_max_is_never_made_and_says_why() -> None:
    m = Model(start=START, horizon_days=60)
    m.add_location(location="P", kind="plant")
    m.add_region(region="R")
    m.add_lane(from_location="P", to="R", transit_days=1)
    m.add_workstation(workstation="W", location="P")
    m.add_item(item="F", lot_rule="fixed", lot_size=170, lot_max=64)
    m.add_sourcing(item="F", location="P", method="make", lead_days=2)
    m.add_routing_step(item="F", step=10, workstation="W", run_minutes=1)
    ds = m.dataset()
    engine = CtpEngine(ds, AtpLedger.from_dataset(ds))
    scratch = engine.scratch()
    search = Search(engine.network, engine.ledger.buffer, scratch, 10_000)
    assert search.earliest_make("F", "P", 2) == NEVER
    answer, why = engine.quote("F", engine.routes("F", "R"), 5, 3, FAR, whole=False)
    assert answer is None and why == "capacity:W"
    # One attempt tells the days apart: none of the others is tried.
    search = Search(engine.network, engine.ledger.buffer, scratch, 10_000)
    assert search.make_backward("F", "P", 5, 50, 2) == 0.0
    assert search.work == 1


def _lead(engine: CtpEngine, item: str, plant: str) -> int:
    return next(a.lead for a in engine.network.alternatives(item, plant) if a.method == "make")


def _check(engine: CtpEngine, bounds: Bounds, answer: CtpAnswer) -> None:
    made: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for order in answer.orders:
        if order.method == "make":
            made.setdefault((order.item, order.location), []).append((order.due, order.quantity))
    for (item, plant), orders in made.items():
        lead = _lead(engine, item, plant)
        first = bounds.earliest_make(item, plant, lead)
        most = bounds.most_made(item, plant, lead)
        assert min(due for due, _ in orders) >= first
        total = sum(q for _, q in orders)
        assert bounds.earliest_made(item, plant, lead, total) <= max(d for d, _ in orders)
        for day in {due for due, _ in orders}:
            assert sum(q for d, q in orders if d <= day) <= most[day] + 1e-6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.lists(requests, min_size=1, max_size=6))
def test_no_make_order_completes_before_its_bounds(ds, asks) -> None:  # type: ignore[no-untyped-def]
    engine = CtpEngine(ds, AtpLedger.from_dataset(ds))
    for item, qty, requested, whole, late in asks:
        limit = FAR if late is None else requested + late
        # Bounds on the state the quote starts from: the quote only takes and books.
        bounds = Bounds(engine.network, engine.ledger.buffer, engine.scratch())
        answer, _ = engine.quote(item, engine.routes(item, "R"), qty, requested, limit, whole=whole)
        if answer is None:
            continue
        _check(engine, bounds, answer)
        engine.apply(answer.takes, answer.loads)  # the next quote starts from less


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), requests)
def test_each_route_alone_gives_the_answer_it_gives_among_others(ds, ask) -> None:  # type: ignore[no-untyped-def]
    item, qty, requested, whole, late = ask
    limit = FAR if late is None else requested + late
    engine = CtpEngine(ds, AtpLedger.from_dataset(ds))
    routes = engine.routes(item, "R")
    together, _ = engine.quote(item, routes, qty, requested, limit, whole=whole)
    alone = [engine.quote(item, (r,), qty, requested, limit, whole=whole)[0] for r in routes]
    # The best of the routes asked one by one is the answer of all of them asked together
    # (what earlier routes remembered did not change a later route's answer).
    best = None
    for answer in alone:
        if answer is None or (whole and answer.quantity < qty - EPS):
            continue
        if best is None or (-answer.quantity, answer.delivery) < (
            -best.quantity - EPS,
            best.delivery,
        ):
            best = answer
    if together is None:
        assert best is None
    else:
        assert best is not None
        assert (together.route, together.quantity, together.completion, together.orders) == (
            best.route,
            best.quantity,
            best.completion,
            best.orders,
        )
