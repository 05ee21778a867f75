"""The amount search: doubling then bisection finds the smallest amount, within its budget."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from oms_plan.explain.amounts import Budget, smallest_amount


@given(most=st.integers(1, 100_000), data=st.data())
def test_the_smallest_amount_that_reaches_on_time(most: int, data: st.DataObject) -> None:
    need = data.draw(st.integers(1, most))
    calls: list[int] = []

    def late(n: int) -> int:
        calls.append(n)
        return 0 if n >= need else 7

    found = smallest_amount(late, most, 7, Budget(100))
    assert found is not None and found.exact
    assert (found.amount, found.lateness) == (need, 0)
    assert len(calls) <= 2 * most.bit_length() + 2


@given(most=st.integers(1, 1000), data=st.data())
def test_when_no_amount_is_enough_the_least_that_gains_the_most(
    most: int, data: st.DataObject
) -> None:
    enough = data.draw(st.integers(1, most))

    def late(n: int) -> int:  # gains up to 3 days, from ``enough`` on
        return 10 - min(3, 3 * n // enough)

    found = smallest_amount(late, most, 10, Budget(100))
    assert found is not None and found.lateness == 7 and found.amount == enough


def test_nothing_gained_is_no_answer_and_a_spent_budget_stops_early() -> None:
    assert smallest_amount(lambda n: 5, 50, 5, Budget(10)) is None
    assert smallest_amount(lambda n: 0, 50, 5, Budget(0)) is None
    cut = smallest_amount(lambda n: 0 if n >= 40 else 5, 64, 5, Budget(3))
    assert cut is not None and not cut.exact and cut.amount >= 40
