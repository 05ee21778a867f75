"""Allocation policies as ordered *stages*: objectives solved one after the other.

Every policy is a lexicographic sequence of stages. Each stage optimizes one objective over
the answers that are optimal for all earlier stages, so a later stage can never make an
earlier one worse. Most stages are linear in the option quantities ``x_a`` (scaled units):
``value = Σ_a coef_a · x_a / divisor``. Coefficients are integers so that the min-cost-flow
and CP-SAT back-ends are exact:

* quantity stages count real units: ``coef_a = resolution · M / scale_a`` where ``M`` is the
  largest item scale in the problem, so a kilogram and a bicycle each count as one unit;
* cost and weighted stages round their per-unit values to ``1/resolution``.

Stages (``c`` = a priority class, ascending; ``K`` = the lines with a promised date):

``protect:c``   max Σ_{a: line in c ∩ K, delivers by the promised date} x_a
``on_time:c``   max Σ_{a: line in c, delivers by the requested date} x_a
``filled:c``    max Σ_{a: line in c} x_a
``days_late:c`` min Σ_{a: line in c} late_a · x_a
``fair:c``      max T_c  s.t.  F · on_time_j ≥ T_c · qty_j  for every line j in c  (MIP only)
``cost``        min Σ_a cost_a · x_a
``weighted``    max Σ_a [w_p (fill + on_time·[late_a = 0] − day_late·late_a) − ship·cost_a] x_a
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from oms_plan.allocate.problem import AllocationProblem
from oms_plan.errors import PlanningError

#: Resolution of the fair-share ratio T (parts per FAIR_SCALE).
FAIR_SCALE = 10_000
#: Cost stage: cents.
COST_RESOLUTION = 100
#: Weighted stage: values to 1/10,000.
WEIGHTED_RESOLUTION = 10_000


class Policy(StrEnum):
    """How scarce stock is shared (see ``docs/allocation.md``)."""

    STRICT_PRIORITY = "strict_priority"
    WEIGHTED = "weighted"
    FAIR_SHARE = "fair_share"


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the ``weighted`` policy (value per unit of an item).

    A unit delivered to a line of priority ``p`` scores ``w_p · (fill + on_time)`` when on
    time, ``w_p · (fill − day_late · days_late)`` when late, minus ``shipping_cost`` per
    currency unit of lane cost.

    Attributes
    ----------
    fill
        Value of a delivered unit.
    on_time
        Bonus of a unit delivered by its requested date.
    day_late
        Penalty per unit per day late.
    shipping_cost
        Penalty per currency unit of shipping cost.
    priority
        Weight ``w_p`` per priority; priorities not listed get ``2 ** (5 - p)`` with ``p``
        clipped to ``0 … 5`` (1 → 16, 3 → 4, 5 and above → 1).

    """

    fill: float = 1.0
    on_time: float = 1.0
    day_late: float = 0.02
    shipping_cost: float = 0.01
    priority: Mapping[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("fill", "on_time", "day_late", "shipping_cost"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise PlanningError(f"weight {name} must be a finite number ≥ 0, got {value}")
        for p, w in self.priority.items():
            if not math.isfinite(w) or w <= 0:
                raise PlanningError(f"priority weight of priority {p} must be > 0, got {w}")

    def priority_weight(self, priorities: np.ndarray) -> np.ndarray:
        """``w_p`` for an array of priorities."""
        base = 2.0 ** (5 - np.clip(priorities, 0, 5))
        out = base.astype(float)
        for p, w in self.priority.items():
            out[priorities == p] = w
        return np.asarray(out, dtype=float)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object] | None) -> Weights:
        """Weights from a dict (unknown keys are an error)."""
        if not values:
            return cls()
        known = {"fill", "on_time", "day_late", "shipping_cost", "priority"}
        unknown = set(values) - known
        if unknown:
            raise PlanningError(
                f"unknown weight(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
            )
        kwargs: dict[str, object] = dict(values)
        if "priority" in kwargs:
            prio = kwargs["priority"]
            if not isinstance(prio, Mapping):
                raise PlanningError("weight 'priority' must map priority → weight")
            kwargs["priority"] = {int(k): float(v) for k, v in prio.items()}
        return replace(cls(), **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class Stage:
    """One objective of a policy.

    Attributes
    ----------
    name
        ``on_time:1``, ``cost``, ``fair:2``, …
    sense
        ``"max"`` or ``"min"``.
    coef
        Integer coefficient per option (linear stages).
    divisor
        Real value = Σ coef·x / divisor.
    fair_lines
        For ``fair`` stages: the lines whose on-time fill ratio is maximized at its minimum
        (``None`` for linear stages).

    """

    name: str
    sense: str
    coef: np.ndarray
    divisor: float
    fair_lines: np.ndarray | None = None

    @property
    def is_fair(self) -> bool:
        """Whether this stage is a max-min fairness stage (not linear in x alone)."""
        return self.fair_lines is not None

    def value(self, flows: np.ndarray) -> float:
        """Real value of a linear stage for option quantities ``flows``."""
        return float(np.dot(self.coef, flows)) / self.divisor


def quantity_multiplier(problem: AllocationProblem) -> int:
    """``M``: the largest item scale among planned lines (1 when every item is integral)."""
    if problem.num_lines == 0:
        return 1
    return int(problem.item_scale[problem.line_item].max())


def build_stages(
    problem: AllocationProblem,
    policy: Policy | str,
    *,
    protect_commitments: bool = True,
    weights: Weights | None = None,
) -> list[Stage]:
    """The stages of ``policy`` for ``problem``, in solving order.

    Parameters
    ----------
    problem
        The allocation problem.
    policy
        ``strict_priority``, ``weighted`` or ``fair_share``.
    protect_commitments
        Put ``protect:c`` stages first (lines with a promised date keep it when possible).
    weights
        Weights of the ``weighted`` policy (defaults: :class:`Weights`).

    Returns
    -------
    list of Stage

    Raises
    ------
    PlanningError
        For an unknown policy.

    """
    try:
        pol = Policy(policy)
    except ValueError:
        known = ", ".join(p.value for p in Policy)
        raise PlanningError(f"unknown allocation policy {policy!r}; known: {known}") from None
    m = quantity_multiplier(problem)
    per_unit = (m // problem.opt_scale).astype(np.int64)  # M / scale, exact (scales divide M)
    prio = problem.line_priority[problem.opt_line]
    classes = sorted(int(c) for c in np.unique(problem.line_priority))
    stages: list[Stage] = []

    def count(name: str, sense: str, mask: np.ndarray, factor: np.ndarray | int = 1) -> None:
        coef = np.where(mask, per_unit * factor, 0).astype(np.int64)
        if coef.any():
            stages.append(Stage(name, sense, coef, float(m)))

    if protect_commitments:
        for c in classes:
            count(f"protect:{c}", "max", (prio == c) & problem.opt_keep)
    if pol is Policy.WEIGHTED:
        stages.append(weighted_stage(problem, weights or Weights()))
        return stages
    for c in classes:
        in_c = prio == c
        if pol is Policy.FAIR_SHARE:
            # Lines that cannot be on time at all stay at ratio 0 whatever happens (they
            # are frozen first in a max-min sense); the share is over the others.
            can = np.zeros(problem.num_lines, dtype=bool)
            can[problem.opt_line[problem.opt_on_time]] = True
            lines = np.flatnonzero((problem.line_priority == c) & can)
            stages.append(
                Stage(
                    f"fair:{c}", "max", np.zeros(problem.num_options, np.int64), FAIR_SCALE, lines
                )
            )
        count(f"on_time:{c}", "max", in_c & problem.opt_on_time)
        count(f"filled:{c}", "max", in_c)
        count(f"days_late:{c}", "min", in_c, problem.opt_late)
    cents = np.rint(problem.opt_cost * COST_RESOLUTION).astype(np.int64)
    coef = cents * per_unit
    if coef.any():
        stages.append(Stage("cost", "min", coef, float(COST_RESOLUTION * m)))
    return stages


def weighted_stage(problem: AllocationProblem, weights: Weights) -> Stage:
    """The single objective of the ``weighted`` policy (see the module docstring)."""
    m = quantity_multiplier(problem)
    w_p = weights.priority_weight(problem.line_priority[problem.opt_line])
    value = (
        w_p
        * (
            weights.fill
            + weights.on_time * problem.opt_on_time
            - weights.day_late * problem.opt_late
        )
        - weights.shipping_cost * problem.opt_cost
    )
    per_unit = np.rint(value * WEIGHTED_RESOLUTION).astype(np.int64)
    coef = per_unit * (m // problem.opt_scale)
    return Stage("weighted", "max", coef.astype(np.int64), float(WEIGHTED_RESOLUTION * m))


def weighted_value(problem: AllocationProblem, flows: np.ndarray, weights: Weights) -> float:
    """The ``weighted`` objective of an answer (comparable across policies and back-ends)."""
    return weighted_stage(problem, weights).value(flows)


def fair_ratio(problem: AllocationProblem, flows: np.ndarray, lines: np.ndarray) -> float:
    """Smallest on-time fill ratio among ``lines`` (1.0 when there are none)."""
    if len(lines) == 0:
        return 1.0
    on_time = np.bincount(
        problem.opt_line, weights=flows * problem.opt_on_time, minlength=problem.num_lines
    )
    return float((on_time[lines] / problem.line_qty[lines]).min())
