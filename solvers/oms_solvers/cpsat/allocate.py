"""Allocation with side constraints as integer programs solved by OR-Tools CP-SAT.

Compiles :class:`oms_plan.allocate.formulation.LinearModel` (all integer, exact) and solves
the policy's stages lexicographically: after each stage its value is added as a constraint
(``objective ≥ value`` for a maximization) and the answer is kept as the next stage's hint.
Components are solved in chunks of a few thousand options; a chunk's stages are a share of
the time limit. Warm start: the first-come-first-served answer (always feasible).
"""

from __future__ import annotations

import math
import time

import numpy as np
from ortools.sat.python import cp_model

from oms_plan.allocate.formulation import LinearModel, build_model
from oms_plan.allocate.policies import Stage
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.allocate.result import (
    AllocationOutcome,
    StageOutcome,
    allocation_outcome,
    worst_status,
)
from oms_plan.results import SolveStatus

NAME = "cpsat"
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
#: Options per CP-SAT model (components are grouped up to this size) when a policy has a
#: fair-share stage, whose max-min ratio is taken over each model's lines together.
CHUNK_OPTIONS = 4000
#: Options per model when every stage is a sum: such a lexicographic optimum is the union of
#: each component's own optimum, and small models are proven optimal far sooner (data/sample,
#: strict_priority: 12 components, 7.0 s as one model, 2.6 s in models of about this size).
SEPARABLE_CHUNK_OPTIONS = 300


def chunks(problem: AllocationProblem, comps: np.ndarray, size: int) -> list[np.ndarray]:
    """Option indices grouped by whole components, each group up to about ``size`` options."""
    opt_comp = problem.line_component[problem.opt_line]
    sel = np.flatnonzero(comps[opt_comp])
    if not len(sel):
        return []
    order = sel[np.argsort(opt_comp[sel], kind="stable")]
    comp_of = opt_comp[order]
    bounds = np.flatnonzero(np.diff(comp_of)) + 1
    pieces = np.split(order, bounds)
    out: list[np.ndarray] = []
    current: list[np.ndarray] = []
    count = 0
    for piece in pieces:
        current.append(piece)
        count += len(piece)
        if count >= size:
            out.append(np.sort(np.concatenate(current)))
            current, count = [], 0
    if current:
        out.append(np.sort(np.concatenate(current)))
    return out


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
    """Solve ``stages`` lexicographically with CP-SAT on the selected components.

    Parameters
    ----------
    problem
        The allocation problem.
    stages
        Stages in order (linear and fair-share).
    components
        Boolean mask over components (default: all).
    time_limit
        Seconds for all stages of all chunks (``None``: no limit).
    workers
        CP-SAT search workers. With 1, ``time_limit`` is CP-SAT *deterministic* time, so
        the answer is reproducible even when the limit is hit (the replan relies on it).
    hint
        Option quantities to start from (default: first come, first served).
    repair
        Unused: side constraints are solved exactly.
    seed
        CP-SAT's random seed.

    Returns
    -------
    AllocationOutcome

    Raises
    ------
    RuntimeError
        When CP-SAT reports an invalid model (a bug here), with its validation text.

    """
    from oms_solvers.greedy.allocate import allocate_fcfs

    started = time.perf_counter()
    comps = np.ones(problem.num_components, dtype=bool) if components is None else components
    start_flows = allocate_fcfs(problem, comps) if hint is None else hint
    flows = np.zeros(problem.num_options, dtype=np.int64)
    separable = not any(stage.is_fair for stage in stages)
    parts = chunks(problem, comps, SEPARABLE_CHUNK_OPTIONS if separable else CHUNK_OPTIONS)
    deadline = math.inf if time_limit is None else started + time_limit
    per_stage: list[list[StageOutcome]] = [[] for _ in stages]
    hit_limit = False
    # Deterministic seconds left (one worker): budgets then never depend on the clock.
    det_left = [math.inf if time_limit is None else float(time_limit)]
    for c, options in enumerate(parts):
        model = build_model(problem, stages, options)
        share = len(options) / max(1, sum(len(p) for p in parts[c:]))
        start = start_flows[options]
        if hint is not None and not _satisfies(model, start):
            # A hint from elsewhere (a previous allocation) may no longer fit: CP-SAT would
            # keep it as its fallback, so first come, first served starts instead.
            start = allocate_fcfs(problem, comps)[options]
        outcomes, values, limited = _solve_chunk(
            model, stages, start, deadline, share, workers, det_left, seed
        )
        hit_limit |= limited
        flows[options] = values
        for k, o in enumerate(outcomes):
            per_stage[k].append(o)
    merged = tuple(_merge(stages[k], per_stage[k]) for k in range(len(stages)))
    status = worst_status([o.status for o in merged]) if merged else SolveStatus.OPTIMAL
    return allocation_outcome(
        solver=NAME,
        flows=flows,
        stages=merged,
        status=status,
        runtime=time.perf_counter() - started,
        deterministic=workers == 1,
    )


def _merge(stage: Stage, outcomes: list[StageOutcome]) -> StageOutcome:
    """One stage over several chunks: sums (minimum for a fair-share ratio)."""
    if not outcomes:  # no options at all: shipping nothing is the only, optimal answer
        value = 1.0 if stage.is_fair else 0.0
        return StageOutcome(stage.name, stage.sense, value, value, SolveStatus.OPTIMAL)
    status = worst_status([o.status for o in outcomes])
    if stage.is_fair:
        return StageOutcome(
            stage.name,
            stage.sense,
            min(o.value for o in outcomes),
            min(o.bound for o in outcomes),
            status,
        )
    return StageOutcome(
        stage.name,
        stage.sense,
        sum(o.value for o in outcomes),
        sum(o.bound for o in outcomes),
        status,
    )


def _satisfies(m: LinearModel, x: np.ndarray) -> bool:
    """Whether option quantities ``x`` keep their bounds and every row on options only.

    Rows that also involve auxiliary variables (beyond the options) are left to CP-SAT,
    which chooses those variables itself.
    """
    x = np.asarray(x, dtype=np.int64)
    n = len(x)
    if (x < np.asarray(m.lb[:n])).any() or (x > np.asarray(m.ub[:n])).any():
        return False
    for row in m.rows:
        if len(row.var) and int(np.max(row.var)) >= n:
            continue
        total = int(np.dot(row.coef, x[row.var]))
        if (row.lo is not None and total < row.lo) or (row.hi is not None and total > row.hi):
            return False
    return True


def _solve_chunk(
    m: LinearModel,
    stages: list[Stage],
    start: np.ndarray,
    deadline: float,
    share: float,
    workers: int,
    det_left: list[float],
    seed: int = 0,
) -> tuple[list[StageOutcome], np.ndarray, bool]:
    """All stages on one chunk; returns outcomes, option quantities, and whether a limit hit."""
    model = cp_model.CpModel()
    xs = [model.new_int_var(lo, hi, name) for lo, hi, name in zip(m.lb, m.ub, m.names, strict=True)]
    for row in m.rows:
        expr = cp_model.LinearExpr.weighted_sum([xs[i] for i in row.var], row.coef.tolist())
        if row.lo is not None and row.lo == row.hi:
            model.add(expr == row.lo)
        else:
            if row.lo is not None:
                model.add(expr >= row.lo)
            if row.hi is not None:
                model.add(expr <= row.hi)
    n_opt = len(m.options)
    # The best answer so far (option quantities): it satisfies every row and every stage
    # constraint added so far, so it is always a valid hint and a fallback.
    best = np.asarray(start, dtype=np.int64).copy()
    outcomes: list[StageOutcome] = []
    limited = False
    for k, (stage, (idx, coef)) in enumerate(zip(stages, m.objectives, strict=True)):
        expr = cp_model.LinearExpr.weighted_sum([xs[i] for i in idx], coef.tolist())
        if stage.sense == "max":
            model.maximize(expr)
        else:
            model.minimize(expr)
        model.clear_hints()  # type: ignore[no-untyped-call]
        for i in range(n_opt):
            model.add_hint(xs[i], int(best[i]))
        solver = cp_model.CpSolver()
        remaining = len(stages) - k
        if workers == 1:
            budget = det_left[0] * share / remaining
            if math.isfinite(budget):
                solver.parameters.max_deterministic_time = max(0.05, budget)
        else:
            budget = (deadline - time.perf_counter()) * share / remaining
            if math.isfinite(budget):
                solver.parameters.max_time_in_seconds = max(0.05, budget)
        solver.parameters.num_workers = workers
        if seed:  # 0 keeps CP-SAT's own default seed
            solver.parameters.random_seed = seed
        status = solver.solve(model)
        det_left[0] = max(0.0, det_left[0] - solver.response_proto.deterministic_time)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT model invalid (a bug): {model.validate()}")
        if status == cp_model.INFEASIBLE:
            raise RuntimeError(f"allocation stage {stage.name} infeasible; this is a bug")
        hinted = m.stage_value(k, best)
        value, st = hinted, SolveStatus.FEASIBLE
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = round(solver.objective_value)
            better = found > hinted if stage.sense == "max" else found < hinted
            if better or status == cp_model.OPTIMAL:
                best = np.array([solver.value(xs[i]) for i in range(n_opt)], dtype=np.int64)
                value = found
                st = SolveStatus.OPTIMAL if status == cp_model.OPTIMAL else SolveStatus.FEASIBLE
        bound = solver.best_objective_bound if status != cp_model.UNKNOWN else math.nan
        if st is SolveStatus.OPTIMAL:
            bound = value
        limited |= st is not SolveStatus.OPTIMAL
        outcomes.append(
            StageOutcome(stage.name, stage.sense, value / stage.divisor, bound / stage.divisor, st)
        )
        model.add(expr >= value if stage.sense == "max" else expr <= value)
    values = best
    return outcomes, values, limited
