"""The smallest amount of a lever that reaches a target, within a budget of re-solves.

An evaluation re-solves the line with the lever at some amount and returns its lateness
(days; 0 = on time). Lateness is taken to fall as the amount grows, so the search doubles
the amount from 1 until the target is met, then bisects between the last miss and the first
hit: about ``2·log2(answer)`` re-solves.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


class Budget:
    """Re-solves one line may still spend (shared by all its levers).

    Parameters
    ----------
    resolves
        How many re-solves in all.

    """

    def __init__(self, resolves: int) -> None:
        self.left = resolves

    def take(self) -> bool:
        """Spend one re-solve; ``False`` (nothing spent) when none is left."""
        if self.left <= 0:
            return False
        self.left -= 1
        return True


@dataclass(frozen=True, slots=True)
class Found:
    """The outcome of a search.

    Attributes
    ----------
    amount
        The smallest amount found that reaches ``lateness``.
    lateness
        Lateness (days) at that amount.
    exact
        Whether the search ran to the end (``False``: the budget ran out first, so a
        smaller amount may also do).

    """

    amount: int
    lateness: int
    exact: bool


Evaluate = Callable[[int], int]


def smallest_amount(
    evaluate: Evaluate, most: int, base: int, budget: Budget, at_most: int | None = None
) -> Found | None:
    """The smallest amount in ``[1, most]`` that makes the line on time, or gains the most.

    Parameters
    ----------
    evaluate
        Lateness of the line with the lever at an amount (one re-solve).
    most
        The largest amount worth trying (≥ 1).
    base
        Lateness without the lever.
    budget
        Re-solves left for the line.
    at_most
        Lateness at ``most`` when already known (saves a re-solve).

    Returns
    -------
    Found or None
        ``None`` when even ``most`` gains nothing (or the budget is spent before it is
        known); else the smallest amount reaching on time — or, when ``most`` is not enough,
        reaching the lateness ``most`` gives.

    """
    most = max(math.ceil(most), 1)
    if at_most is None:
        if not budget.take():
            return None
        at_most = evaluate(most)
    if at_most >= base:
        return None
    goal = at_most
    miss, hit = 0, most  # evaluate(miss) > goal (0 = no lever), evaluate(hit) <= goal
    step = 1
    while step < hit:
        if not budget.take():
            return Found(hit, goal, exact=False)
        if evaluate(step) <= goal:
            hit = step
            break
        miss = step
        step *= 2
    while hit - miss > 1:
        mid = (miss + hit) // 2
        if not budget.take():
            return Found(hit, goal, exact=False)
        if evaluate(mid) <= goal:
            hit = mid
        else:
            miss = mid
    return Found(hit, goal, exact=True)
