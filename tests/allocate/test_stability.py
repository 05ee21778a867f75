"""allocate_stock(previous=...): among equally good answers, the previous one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oms_plan import Dataset, PlanningError
from oms_plan.allocate import allocate_stock, build_problem, build_stages
from oms_plan.allocate.stability import STAY
from oms_plan.backends import allocation_backend
from oms_plan.generate import generate_dataset
from tests.allocate.helpers import checked, line, model, shipped
from tests.allocate.test_optimality import FAST, instances


def _policy_values(result: object) -> list[tuple[str, float]]:
    stages = result.stages  # type: ignore[attr-defined]
    return [(s.name, round(s.value, 6)) for s in stages if s.name != STAY]


@pytest.mark.parametrize("solver", ["flow", "cpsat"])
def test_a_tie_is_broken_toward_the_previous_promises(solver: str) -> None:
    # Ten units, two lines of the same priority wanting ten each: either is optimal.
    m = model(stock={"W1": 10})
    line(m, "SO-1", 10, 5)
    line(m, "SO-2", 10, 5)
    ds = m.dataset()
    cold = allocate_stock(ds, solver=solver, time_limit=None)
    winner = "SO-1" if shipped(cold, "SO-1") == 10 else "SO-2"
    loser = "SO-2" if winner == "SO-1" else "SO-1"
    # A previous plan in which the other line had the stock (it was more important then).
    m2 = model(stock={"W1": 10})
    line(m2, winner, 10, 5, priority=3)
    line(m2, loser, 10, 5, priority=1)
    before = allocate_stock(m2.dataset(), solver=solver, time_limit=None)
    assert shipped(before, loser) == 10
    warm = checked(ds, allocate_stock(ds, solver=solver, time_limit=None, previous=before.promises))
    assert shipped(warm, loser) == 10 and shipped(warm, winner) == 0
    # The policy's stages are exactly as good; the tie-break does not lower the status.
    assert _policy_values(warm) == _policy_values(cold)
    assert warm.stats.status == cold.stats.status
    assert warm.stages[-1].name == STAY and warm.stages[-1].value == 10


def test_an_unchanged_problem_keeps_its_own_answer() -> None:
    m = model(stock={"W1": 12, "W2": 12}, receipts=[("W1", 20, 6)])
    for k in range(6):
        line(m, f"SO-{k}", 7, 3 + k, priority=1 + k % 2)
    ds = m.dataset()
    first = allocate_stock(ds, solver="flow")
    again = allocate_stock(ds, solver="flow", previous=first.promises)
    pd.testing.assert_frame_equal(again.promises, first.promises)


def test_the_repair_warm_start_stays_feasible_and_closer() -> None:
    # Side constraints (ship-complete orders, all-or-nothing lines) go through the flow
    # relaxation and repair; the warm start from previous promises of an edited book must
    # still satisfy every rule (the independent checker), and keep more lines in place.
    ds = generate_dataset(300, seed=3)
    before = allocate_stock(ds, time_limit=2.0)
    orders = ds.orders.copy()
    orders.loc[orders.index[::40], "quantity"] *= 2
    edited = ds.replace(orders=orders)
    cold = allocate_stock(edited, time_limit=2.0)
    warm = checked(edited, allocate_stock(edited, time_limit=2.0, previous=before.promises))

    def kept(result: object) -> int:
        key = ["order", "line", "location", "ship_date", "quantity"]
        a = before.promises.loc[before.promises["status"] != "short", key].astype(str)
        b = result.promises  # type: ignore[attr-defined]
        b = b.loc[b["status"] != "short", key].astype(str)
        return len(a.merge(b, on=key))

    assert kept(warm) >= kept(cold)


def test_only_the_given_items_are_allocated() -> None:
    m = model(stock={"W1": 10})
    m.add_item(item="B", integral=True)
    m.add_sourcing(item="B", location="W1", method="buy", lead_days=5)
    m.add_inventory(item="B", location="W1", on_hand=4)
    line(m, "SO-1", 6, 5)
    line(m, "SO-2", 6, 5, item="B")
    ds = m.dataset()
    only_b = checked(ds, allocate_stock(ds, items={"B"}))
    assert set(only_b.promises["order"]) == {"SO-2"}
    full = allocate_stock(ds)
    pd.testing.assert_frame_equal(
        only_b.promises.reset_index(drop=True),
        full.promises.loc[full.promises["item"] == "B"].reset_index(drop=True),
    )


def test_previous_promises_without_their_columns_are_refused() -> None:
    m = model(stock={"W1": 10})
    line(m, "SO-1", 6, 5)
    with pytest.raises(PlanningError, match="previous promises lack column"):
        allocate_stock(m.dataset(), previous=pd.DataFrame({"order": ["SO-1"]}))


@FAST
@given(ds=instances(side=True), seed=st.integers(0, 2**16))
def test_the_warm_repair_is_feasible_and_never_worse_for_the_policy(ds: Dataset, seed: int) -> None:
    """Whatever the previous answer (here: random draws), the warm repair keeps every rule
    and every stage of the policy at least as good as the cold repair."""
    problem = build_problem(ds)
    stages = build_stages(problem, "strict_priority")
    rng = np.random.default_rng(seed)
    previous = rng.integers(0, problem.line_qty[problem.opt_line] + 1)
    previous[rng.random(problem.num_options) < 0.7] = 0
    flow = allocation_backend("flow")
    cold = flow.solve(problem, stages, repair=True)
    warm = flow.solve(problem, stages, repair=True, hint=previous)
    cold_values = [s.value if s.sense == "max" else -s.value for s in cold.stages]
    warm_values = [s.value if s.sense == "max" else -s.value for s in warm.stages]
    assert warm_values >= cold_values
    checked(ds, allocate_stock(ds, previous=allocate_stock(ds, solver="greedy").promises))
