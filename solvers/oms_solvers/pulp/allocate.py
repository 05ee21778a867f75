"""Allocation as integer programs in PuLP, solved by CBC: a cross-check of the optimum.

The same :class:`oms_plan.allocate.formulation.LinearModel` as the CP-SAT back-end, compiled
for another solver family (branch and cut on the LP relaxation). Tests compare its stage
values with the min-cost-flow back-end (a different formulation) on random instances.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pulp

from oms_plan.allocate.formulation import build_model
from oms_plan.allocate.policies import Stage
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.allocate.result import (
    AllocationOutcome,
    StageOutcome,
    allocation_outcome,
    worst_status,
)
from oms_plan.results import SolveStatus

NAME = "pulp"
CAPABILITIES = frozenset(
    {
        "strict_priority",
        "weighted",
        "fair_share",
        "protect_commitments",
        "side_constraints",
        "quotas",
    }
)


def solve(
    problem: AllocationProblem,
    stages: list[Stage],
    *,
    components: np.ndarray | None = None,
    time_limit: float | None = 30.0,
    workers: int = 1,
    hint: np.ndarray | None = None,
    repair: bool = False,
    seed: int = 0,
) -> AllocationOutcome:
    """Solve ``stages`` lexicographically with CBC on the selected components (one model).

    Parameters
    ----------
    problem
        The allocation problem.
    stages
        Stages in order.
    components
        Boolean mask over components (default: all).
    time_limit
        Seconds for all stages (``None``: no limit).
    workers
        CBC threads.
    hint
        Unused (CBC warm starts through PuLP need files; the model is small).
    repair
        Unused: side constraints are solved exactly.
    seed
        Unused: CBC runs deterministically here.

    Returns
    -------
    AllocationOutcome

    """
    del hint, repair, seed
    started = time.perf_counter()
    comps = np.ones(problem.num_components, dtype=bool) if components is None else components
    options = np.flatnonzero(comps[problem.line_component[problem.opt_line]])
    flows = np.zeros(problem.num_options, dtype=np.int64)
    if not len(options):  # nothing can ship: shipping nothing is optimal
        nothing = tuple(
            StageOutcome(s.name, s.sense, v, v, SolveStatus.OPTIMAL)
            for s in stages
            for v in [1.0 if s.is_fair else 0.0]
        )
        return allocation_outcome(
            NAME, flows, nothing, SolveStatus.OPTIMAL, time.perf_counter() - started
        )
    m = build_model(problem, stages, options)
    prob = pulp.LpProblem("allocation", pulp.LpMaximize)
    xs = [
        pulp.LpVariable(f"v{i}", lowBound=lo, upBound=hi, cat=pulp.LpInteger)
        for i, (lo, hi) in enumerate(zip(m.lb, m.ub, strict=True))
    ]
    for r, row in enumerate(m.rows):
        expr = pulp.lpSum(int(c) * xs[i] for i, c in zip(row.var, row.coef, strict=True))
        if row.lo is not None and row.lo == row.hi:
            prob += expr == row.lo, f"r{r}"
        else:
            if row.lo is not None:
                prob += expr >= row.lo, f"r{r}lo"
            if row.hi is not None:
                prob += expr <= row.hi, f"r{r}hi"
    deadline = math.inf if time_limit is None else started + time_limit
    outcomes: list[StageOutcome] = []
    values: list[int] | None = None
    for k, (stage, (idx, coef)) in enumerate(zip(stages, m.objectives, strict=True)):
        expr = pulp.lpSum(int(c) * xs[i] for i, c in zip(idx, coef, strict=True))
        prob.sense = pulp.LpMaximize if stage.sense == "max" else pulp.LpMinimize
        prob.setObjective(expr)
        budget = (deadline - time.perf_counter()) / (len(stages) - k)
        cmd = pulp.PULP_CBC_CMD(
            msg=False,
            timeLimit=max(1.0, budget) if math.isfinite(budget) else None,
            threads=workers,
        )
        prob.solve(cmd)
        solved = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        if not solved:
            outcomes.append(
                StageOutcome(stage.name, stage.sense, math.nan, math.nan, SolveStatus.NO_SOLUTION)
            )
            break
        values = [round(v.varValue or 0) for v in xs]
        value = int(sum(int(c) * values[i] for i, c in zip(idx, coef, strict=True)))
        optimal = prob.sol_status == pulp.LpSolutionOptimal
        st = SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE
        bound = value if optimal else math.nan
        outcomes.append(
            StageOutcome(stage.name, stage.sense, value / stage.divisor, bound / stage.divisor, st)
        )
        prob += (expr >= value if stage.sense == "max" else expr <= value), f"stage{k}"
    if values is not None:
        flows[options] = np.asarray(values[: len(options)], dtype=np.int64)
    status = worst_status([o.status for o in outcomes])
    return allocation_outcome(
        solver=NAME,
        flows=flows,
        stages=tuple(outcomes),
        status=status,
        runtime=time.perf_counter() - started,
    )
