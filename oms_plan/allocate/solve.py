"""``allocate_stock``: the one entry point (API, CLI and service all come through here)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from oms_plan.allocate.building import build_problem
from oms_plan.allocate.checker import check_allocation
from oms_plan.allocate.policies import Policy, Stage, Weights, build_stages
from oms_plan.allocate.problem import AllocationProblem, Quota
from oms_plan.allocate.report import allocation_promises, exceptions_for, kpis_for
from oms_plan.allocate.result import (
    AllocationOutcome,
    AllocationResult,
    StageOutcome,
    worst_status,
)
from oms_plan.allocate.stability import previous_quantities, stay_stage
from oms_plan.backends import AllocationBackend, allocation_backend, greedy_allocation
from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError, VerificationError
from oms_plan.results import SolverStats, SolveStatus

log = logging.getLogger("oms_plan")

#: Default seconds for the MIP back-ends (all stages, all components).
DEFAULT_TIME_LIMIT = 30.0
#: When all components with side constraints hold at most this many options together, they
#: go to CP-SAT (proven optimal within the time limit); otherwise to the flow
#: relaxation-and-repair (fast, gap reported). ``solver="cpsat"`` forces CP-SAT.
MIP_MAX_OPTIONS = 5_000


def allocate_stock(
    dataset: Dataset,
    *,
    policy: Policy | str = "strict_priority",
    protect_commitments: bool = True,
    solver: str | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    weights: Weights | Mapping[str, object] | None = None,
    quotas: Sequence[Quota] | Mapping[str, float] | None = None,
    workers: int = 1,
    seed: int = 0,
    hint: AllocationResult | None = None,
    previous: pd.DataFrame | None = None,
    items: Collection[str] | None = None,
    verify: bool = False,
) -> AllocationResult:
    """Allocate stock and scheduled receipts to the open order lines of ``dataset``.

    Parameters
    ----------
    dataset
        A validated dataset.
    policy
        ``strict_priority`` (default), ``weighted`` or ``fair_share``.
    protect_commitments
        Lines with a promised date keep it whenever any allocation can (ranks above the
        policy); each line moved past it is a ``broken_commitment`` exception.
    solver
        ``None`` (default): each independent component goes to the exact min-cost-flow
        back-end when it is a pure network, else to CP-SAT. Or one of ``flow``, ``cpsat``,
        ``pulp``, ``greedy`` (first come, first served) for every component.
    time_limit
        Seconds for the MIP back-ends (``None``: no limit). Min-cost flow is always exact.
    weights
        Weights of the ``weighted`` policy (:class:`Weights` or a dict of its fields).
    quotas
        Customer-group quotas (:class:`Quota` rows, or group → weekly share of every item).
    workers
        Solver threads for the MIP back-ends.
    seed
        Random seed of the randomized back-ends (CP-SAT).
    hint
        A previous allocation of the same dataset and quotas to start CP-SAT from (its
        flows, when they fit this problem; otherwise it is ignored and the log says so).
    previous
        The promises of a previous allocation (of this dataset or an earlier version of
        it). Among the answers optimal for every stage of the policy, the one that ships
        the most units exactly as ``previous`` did (same line, location and ship date) is
        chosen: a last stage ``stay`` (see :mod:`oms_plan.allocate.stability`) that keeps
        unchanged lines where they were without changing the policy's objective. It is a
        tie-break: it counts in neither the headline objective nor the status.
    items
        Allocate only the lines of these items (the others are neither planned nor
        reported), as if the dataset held only them. ``None``: every item.
    verify
        Re-check the answer with the independent checker (:func:`check_allocation`).

    Returns
    -------
    AllocationResult
        Promises, exceptions, kpis and solver statistics. An empty order book gives status
        ``empty``; solve outcomes are data, never exceptions.

    Raises
    ------
    PlanningError
        For an unknown policy or solver, bad weights or quotas, a non-positive time limit,
        or a back-end that cannot honour the problem's constraints.
    VerificationError
        With ``verify``, when the checker finds a violation (a bug in oms_plan).

    """
    started = time.perf_counter()
    pol = _policy(policy)
    w = weights if isinstance(weights, Weights) else Weights.from_mapping(weights)
    if time_limit is not None and not (time_limit > 0 and math.isfinite(time_limit)):
        raise PlanningError(f"time_limit must be a positive number of seconds, got {time_limit}")
    if workers < 1:
        raise PlanningError(f"workers must be ≥ 1, got {workers}")
    problem = build_problem(dataset, quotas=quotas, items=items)
    stages = build_stages(problem, pol, protect_commitments=protect_commitments, weights=w)
    policy_stages = len(stages)
    kept = None
    if previous is not None:
        kept = previous_quantities(problem, previous)
        stay = stay_stage(problem, kept)
        if stay is not None:
            stages.append(stay)
            if time_limit is not None and policy_stages:
                # CP-SAT shares its budget evenly among the stages still to solve: one
                # more stage gets its share on top, so the policy's stages keep theirs.
                time_limit *= (policy_stages + 1) / policy_stages
    warm = _previous_flows(problem, hint)
    answers = _dispatch(
        problem, stages, pol, solver, time_limit, workers, protect_commitments, seed, warm, kept
    )
    flows = np.zeros(problem.num_options, dtype=np.int64)
    for answer, _ in answers:
        flows += answer.solution
    outcomes = _merge_stages(problem, stages, answers, flows)
    runtime = time.perf_counter() - started
    stats = _stats(answers, outcomes[:policy_stages], runtime, len(stages) > policy_stages)
    promises = allocation_promises(dataset, problem, flows)
    exceptions = exceptions_for(
        dataset, problem, flows, promises, protect_commitments=protect_commitments
    )
    kpis = kpis_for(problem, flows, promises, exceptions, weights=w)
    kpis.update(
        {
            "policy": pol.value,
            "protect_commitments": protect_commitments,
            "solver": stats.solver,
            "solver_status": stats.status.value,
            "objective": stats.objective,
            "bound": stats.bound,
            "gap": stats.gap,
            "runtime_seconds": round(runtime, 4),
        }
    )
    log.info("allocation: %s", stats)
    result = AllocationResult(
        policy=pol.value,
        protect_commitments=protect_commitments,
        stats=stats,
        stages=outcomes,
        promises=promises,
        exceptions=exceptions,
        kpis=kpis,
        flows=flows,
        backends={name: int(mask.sum()) for name, mask in _names(answers)},
    )
    if verify:
        report = check_allocation(dataset, promises, quotas=quotas)
        if not report.ok:
            raise VerificationError(f"allocation failed its check: {report}")
    return result


def _previous_flows(problem: AllocationProblem, hint: AllocationResult | None) -> np.ndarray | None:
    """The flows of a previous allocation when they fit ``problem`` option for option."""
    if hint is None:
        return None
    flows = np.asarray(hint.flows, dtype=np.int64)
    if flows.shape != (problem.num_options,):
        log.info(
            "allocation hint ignored: %d options, this problem has %d",
            len(flows),
            problem.num_options,
        )
        return None
    return flows


def _policy(policy: Policy | str) -> Policy:
    try:
        return Policy(policy)
    except ValueError:
        known = ", ".join(p.value for p in Policy)
        raise PlanningError(f"unknown allocation policy {policy!r}; known: {known}") from None


def _backend(name: str, needs: set[str]) -> AllocationBackend:
    """The back-end ``name`` once the registry has checked it can do ``needs``."""
    return allocation_backend(name, needs=needs)


def _needs(
    problem: AllocationProblem, policy: Policy, protect: bool, comps: np.ndarray
) -> set[str]:
    """The capabilities solving components ``comps`` under ``policy`` asks of a back-end."""
    needs = {policy.value}
    if protect:
        needs.add("protect_commitments")
    if (problem.component_needs_mip() & comps).any():
        needs.add("side_constraints")
    if (problem.component_has_quota() & comps).any():
        needs.add("quotas")
    return needs


def _dispatch(
    problem: AllocationProblem,
    stages: list[Stage],
    policy: Policy,
    solver: str | None,
    time_limit: float | None,
    workers: int,
    protect: bool,
    seed: int = 0,
    previous: np.ndarray | None = None,
    kept: np.ndarray | None = None,
) -> list[tuple[AllocationOutcome, np.ndarray]]:
    """Run the back-end(s): per component flow or CP-SAT when ``solver`` is None.

    ``previous`` is CP-SAT's hint; ``kept`` (what previous promises shipped per option)
    warm-starts the flow relaxation-and-repair.
    """
    n = problem.num_components
    if n == 0:
        if solver is not None and solver != "auto":
            _backend(solver, set())  # an unknown name is still an error
        return []
    if solver is not None and solver != "auto":
        mask = np.ones(n, dtype=bool)
        backend = _backend(solver, _needs(problem, policy, protect, mask))
        answer = backend.solve(
            problem,
            stages,
            components=mask,
            time_limit=time_limit,
            workers=workers,
            hint=previous,
            seed=seed,
        )
        return [(answer, mask)]
    side = problem.component_needs_mip()
    small = int(problem.component_options()[side].sum()) <= MIP_MAX_OPTIONS
    exact_mip = problem.component_has_quota() | (side & small) | (policy is Policy.FAIR_SHARE)
    mip = side | exact_mip
    out: list[tuple[AllocationOutcome, np.ndarray]] = []
    if (~mip).any():
        flow = _backend("flow", _needs(problem, policy, protect, ~mip))
        out.append((flow.solve(problem, stages, components=~mip), ~mip))
    repair = mip & ~exact_mip
    if repair.any():
        flow = _backend("flow", {"repair"})
        answer = flow.solve(problem, stages, components=repair, repair=True, hint=kept)
        out.append((answer, repair))
    mip = exact_mip
    if mip.any():
        cpsat = _backend("cpsat", _needs(problem, policy, protect, mip))
        hint = _warm_start(problem, stages, mip) if previous is None else previous
        # One worker runs on deterministic time: a budget that depended on the clock would
        # make the answer depend on the machine's load.
        limit = (
            None
            if time_limit is None
            else time_limit
            if workers == 1
            else max(0.1, time_limit - _elapsed(out))
        )
        answer = cpsat.solve(
            problem,
            stages,
            components=mip,
            time_limit=limit,
            workers=workers,
            hint=hint,
            seed=seed,
        )
        out.append((answer, mip))
    return out


def _warm_start(
    problem: AllocationProblem, stages: list[Stage], comps: np.ndarray
) -> np.ndarray | None:
    """A good feasible start for CP-SAT: flow relaxation-and-repair where it applies.

    It ignores quotas and cannot do fair-share stages: those components keep CP-SAT's own
    first-come-first-served start.
    """
    usable = comps & ~problem.component_has_quota()
    if not usable.any() or any(s.is_fair for s in stages):
        return None
    flow = _backend("flow", {"repair"})
    repaired = flow.solve(problem, stages, components=usable, repair=True).solution
    rest = comps & ~usable
    if rest.any():
        repaired = repaired + greedy_allocation(problem, rest)
    return np.asarray(repaired, dtype=np.int64)


def _elapsed(answers: list[tuple[AllocationOutcome, np.ndarray]]) -> float:
    return sum(a.stats.runtime for a, _ in answers)


def _names(answers: list[tuple[AllocationOutcome, np.ndarray]]) -> list[tuple[str, np.ndarray]]:
    return [(a.stats.solver, mask) for a, mask in answers]


def _merge_stages(
    problem: AllocationProblem,
    stages: list[Stage],
    answers: list[tuple[AllocationOutcome, np.ndarray]],
    flows: np.ndarray,
) -> tuple[StageOutcome, ...]:
    """Stage outcomes over all back-ends: values recomputed from the combined answer."""
    from oms_plan.allocate.policies import fair_ratio

    out = []
    for k, stage in enumerate(stages):
        parts = [a.stages[k] for a, _ in answers if k < len(a.stages)]
        missing = any(k >= len(a.stages) for a, _ in answers)
        status = worst_status([p.status for p in parts])
        if missing:
            status = worst_status([status, SolveStatus.NO_SOLUTION])
        if stage.is_fair:
            lines = stage.fair_lines if stage.fair_lines is not None else np.zeros(0, np.int64)
            value = fair_ratio(problem, flows, lines)
            bound = min((p.bound for p in parts), default=1.0)
        else:
            value = stage.value(flows)
            bound = sum(p.bound for p in parts) if parts else value
        if status is SolveStatus.OPTIMAL:
            bound = value
        out.append(StageOutcome(stage.name, stage.sense, value, bound, status))
    return tuple(out)


def _stats(
    answers: list[tuple[AllocationOutcome, np.ndarray]],
    outcomes: tuple[StageOutcome, ...],
    runtime: float,
    tie_break: bool = False,
) -> SolverStats:
    """Overall status; objective and bound of the first stage not proven optimal (else last).

    ``outcomes`` are the policy's stages. With ``tie_break`` (a ``stay`` stage was solved
    after them), a solved answer's status is that of the policy's stages: a tie-break not
    proven optimal leaves the answer optimal for the policy.
    """
    if not answers:
        return SolverStats("none", SolveStatus.EMPTY, math.nan, math.nan, runtime, True)
    name = "+".join(dict.fromkeys(a.stats.solver for a, _ in answers))
    status = worst_status([a.stats.status for a, _ in answers])
    solved = (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    if tie_break and status in solved and outcomes:
        status = worst_status([o.status for o in outcomes])
    headline = next(
        (o for o in outcomes if o.status is not SolveStatus.OPTIMAL),
        outcomes[-1] if outcomes else None,
    )
    objective = headline.value if headline else math.nan
    bound = headline.bound if headline else math.nan
    deterministic = all(a.stats.deterministic for a, _ in answers)
    return SolverStats(name, status, objective, bound, runtime, deterministic)
