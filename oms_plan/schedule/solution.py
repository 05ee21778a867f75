"""A back-end's schedule (:class:`Solution`) and the objectives computed from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oms_plan.schedule.problem import SchedulingProblem

#: The scheduling objectives, each computed by :func:`objective_values`.
OBJECTIVES = ("weighted_tardiness", "makespan", "flow_time")


def parse_objective(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Objective names of ``spec`` (``"makespan"`` or ``"makespan,flow_time"``), checked.

    Raises
    ------
    ValueError
        On an unknown, repeated or empty objective name.

    """
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    if not names or any(not n for n in names):
        raise ValueError(f"empty objective in {spec!r}")
    for n in names:
        if n not in OBJECTIVES:
            raise ValueError(f"unknown objective {n!r}; choose from {', '.join(OBJECTIVES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"objective listed twice in {spec!r}")
    return tuple(names)


@dataclass(frozen=True, slots=True)
class Solution:
    """A schedule as arrays aligned with ``problem.operations`` (clock minutes).

    Attributes
    ----------
    alternative
        Index of the chosen alternative of each operation.
    unit
        Unit (1-based) of the workstation the operation runs on.
    start, end
        Clock minutes from plan start.

    """

    alternative: tuple[int, ...]
    unit: tuple[int, ...]
    start: tuple[int, ...]
    end: tuple[int, ...]


def order_completions(problem: SchedulingProblem, solution: Solution) -> list[int]:
    """Completion minute of each order (end of its last operation)."""
    return [solution.end[o.operations[-1]] for o in problem.orders]


def objective_values(problem: SchedulingProblem, solution: Solution) -> dict[str, int]:
    """Every objective of :data:`OBJECTIVES`, computed from the schedule.

    ``weighted_tardiness`` = Σ weight·max(0, C − due); ``makespan`` = max C;
    ``flow_time`` = Σ (C − release); all in minutes.
    """
    done = order_completions(problem, solution)
    orders = problem.orders
    return {
        "weighted_tardiness": sum(
            o.weight * max(0, c - o.due) for o, c in zip(orders, done, strict=True)
        ),
        "makespan": max(done, default=0),
        "flow_time": sum(c - o.release for o, c in zip(orders, done, strict=True)),
    }
