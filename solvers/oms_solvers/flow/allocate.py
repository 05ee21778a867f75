"""Exact allocation as a sequence of min-cost flows (OR-Tools ``SimpleMinCostFlow``).

The network (all arcs integer; quantities in scaled units):

* a node per buffer interval with supply = its receipts; carry arcs interval → next interval
  of the same buffer; the last interval → sink (stock left over), cost 0;
* an option arc interval → line, capacity = the line's quantity, cost = the stage's
  coefficient (negated for a maximization);
* line → sink, capacity = the line's quantity.

The sink absorbs all supply, so every stage is feasible (shipping nothing is allowed).

Lexicographic stages are solved one after the other with *reduced-cost fixing*: after a
stage is optimal, node potentials π (shortest distances in the residual graph, so every
residual arc has reduced cost ``c + π_tail − π_head ≥ 0``) are an optimal dual. By
complementary slackness every optimal flow of the stage puts 0 on arcs with positive reduced
cost and saturates arcs with negative reduced cost, and every feasible flow that does so is
optimal. Removing the first and pre-sending the second leaves a smaller network whose flows
are exactly the stage's optimal flows, still a network, so the next stage keeps integral
answers and never worsens an earlier stage. No big-M weights are needed, so nothing
overflows and nothing is approximate: every stage is proven optimal.
"""

from __future__ import annotations

import time

import numpy as np

from oms_plan.allocate.policies import Stage
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.allocate.result import AllocationOutcome, allocation_outcome
from oms_plan.errors import PlanningError
from oms_plan.results import SolveStatus
from oms_solvers.flow.repair import solve_repaired
from oms_solvers.flow.stages import lexicographic

NAME = "flow"
#: What this back-end supports (see docs/allocation.md).
CAPABILITIES = frozenset({"strict_priority", "weighted", "protect_commitments", "repair"})


def solve(
    problem: AllocationProblem,
    stages: list[Stage],
    *,
    components: np.ndarray | None = None,
    time_limit: float | None = None,
    workers: int = 1,
    hint: np.ndarray | None = None,
    repair: bool = False,
    seed: int = 0,
) -> AllocationOutcome:
    """Solve ``stages`` lexicographically on the selected components, exactly.

    With ``repair``, components with side constraints are solved as well: the network
    relaxation (side constraints dropped) is solved exactly, the side-constrained lines
    keep only the part of it they may (see :mod:`oms_solvers.flow.repair`), and the other
    lines are re-solved exactly around them. The relaxation's stage values bound the answer: stages
    equal to it are proven optimal, and the first stage below it carries the gap.

    Parameters
    ----------
    problem
        The allocation problem.
    stages
        Linear stages, in order (see :func:`oms_plan.allocate.policies.build_stages`).
    components
        Boolean mask over components (default: all).
    time_limit, workers, seed
        Accepted for a uniform back-end interface; min-cost flow has no use for them.
    hint
        With ``repair``: a previous allocation (scaled quantity per option, possibly no
        longer feasible) to warm-start the repair from (see :mod:`oms_solvers.flow.warm`).
        Exact components have no use for it.
    repair
        Also solve components with side constraints, by relaxation and repair.

    Returns
    -------
    AllocationOutcome

    Raises
    ------
    PlanningError
        When a stage is not linear (``fair_share``) or a selected component has side
        constraints a network flow cannot express (use ``cpsat`` or ``pulp``).

    """
    del time_limit, workers, seed
    started = time.perf_counter()
    comps = np.ones(problem.num_components, dtype=bool) if components is None else components
    _check_supported(problem, stages, comps, repair)
    if repair and (problem.component_needs_mip() & comps).any():
        return solve_repaired(problem, stages, comps, started, hint)
    flows_all, outcomes = lexicographic(problem, stages, comps, None)
    return allocation_outcome(
        solver=NAME,
        flows=flows_all,
        stages=tuple(outcomes),
        status=SolveStatus.OPTIMAL,
        runtime=time.perf_counter() - started,
    )


def _check_supported(
    problem: AllocationProblem, stages: list[Stage], comps: np.ndarray, repair: bool = False
) -> None:
    fair = [s.name for s in stages if s.is_fair]
    if fair:
        raise PlanningError(
            f"the flow back-end cannot solve fair-share stages ({', '.join(fair)}); "
            "use solver='cpsat' or 'pulp'"
        )
    needs = problem.component_needs_mip() & comps
    if needs.any() and not repair:
        lines = np.flatnonzero(needs[problem.line_component] & problem.line_needs_mip)
        example = problem.describe_line(int(lines[0])) if len(lines) else "a quota"
        raise PlanningError(
            "the flow back-end cannot honour partial_ok=false, ship_complete, min_shipment, "
            f"max_shipments or quotas (e.g. {example}); use solver='cpsat', 'pulp' or None"
        )
