"""``plan``: the nightly replan — allocate stock, plan material, schedule capacity.

One pass per independent part of the supply network (see :mod:`oms_plan.replan.decompose`):

1. **allocate** stock and scheduled receipts to the open order lines (the promises);
2. **MRP** nets every item@location and plans what to buy, make and transfer;
3. **schedule** the open manufacturing orders together with MRP's planned make orders on
   the workstations, each planned order carrying the priority of the lines it serves.

Parts run on any :class:`concurrent.futures.Executor` — a process pool, or a Dask cluster
through ``distributed.Client.get_executor()`` — with the same code path; the tables are
merged in a fixed order, so the same dataset and options give the same plan.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from oms_plan.allocate import allocate_stock
from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.mrp import plan_materials
from oms_plan.outputs import kpis_frame, output_frame
from oms_plan.replan.coherence import verify_coherent
from oms_plan.replan.coherent import coherent_plan
from oms_plan.replan.commitments import broken_commitments
from oms_plan.replan.decompose import split
from oms_plan.replan.kpis import schedule_parts_kpis, service_kpis, utilisation, worst
from oms_plan.replan.repair import repair
from oms_plan.replan.result import PLAN_TABLES, Plan
from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule import schedule_orders
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.result import PartReport, ScheduleResult, parse_objective

log = logging.getLogger("oms_plan")

#: ``progress(stage, done, total)`` is called as parts finish stages.
Progress = Callable[[str, int, int], None]

STAGES = ("allocate", "mrp", "schedule")
#: A table a Plan made in this process also holds (never written): the allocation's own
#: promises, so a replan against it keeps unchanged groups without allocating them again.
ALLOCATION = "allocation"
#: Parts when an executor is given and ``parts`` is not: one per item group, at most this.
MAX_DEFAULT_PARTS = 16
_DEFAULT_PRIORITY = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanOptions:
    """Settings of a replan (all keyword arguments of :func:`plan`)."""

    policy: str = "strict_priority"
    protect_commitments: bool = True
    allocation_solver: str | None = None
    allocation_time_limit: float = 5.0
    schedule_solver: str = "cpsat"
    schedule_objective: str = "weighted_tardiness"
    schedule_time_limit: float = 1.0
    seed: int = 0
    verify: bool = False


def search_schedule(dataset: Dataset, make: pd.DataFrame, options: PlanOptions) -> ScheduleResult:
    """The plan's schedule search: open and planned make orders, in deterministic mode.

    ``make`` holds the planned make orders (may be empty: the open orders alone).
    """
    return schedule_orders(
        dataset,
        orders=make if not make.empty else None,
        solver=options.schedule_solver,
        objective=options.schedule_objective,
        time_limit=options.schedule_time_limit,
        seed=options.seed,
        deterministic=True,
        verify=options.verify,
    )


@dataclass(frozen=True)
class PartOutcome:
    """What planning one part produced (picklable, so it can come back from a worker)."""

    tables: dict[str, pd.DataFrame]
    stats: dict[str, SolverStats]
    schedule_kpis: dict[str, object]
    stages: tuple[str, ...]
    schedule_parts: tuple[PartReport, ...] = ()
    set_aside: int = 0
    fallback: bool = False
    #: Rounds of MRP and scheduling until the promises agreed (see replan.coherent).
    rounds: int = 1
    settled: bool = True


def plan(
    dataset: Dataset,
    *,
    policy: str = "strict_priority",
    protect_commitments: bool = True,
    allocation_solver: str | None = None,
    allocation_time_limit: float = 5.0,
    schedule_solver: str = "cpsat",
    schedule_objective: str = "weighted_tardiness",
    schedule_time_limit: float = 1.0,
    seed: int = 0,
    verify: bool = False,
    executor: Executor | None = None,
    parts: int | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Replan the whole order book: promises, planned orders, pegging, schedule, projection.

    Parameters
    ----------
    dataset
        The dataset to plan.
    policy, protect_commitments, allocation_solver, allocation_time_limit
        Passed to :func:`oms_plan.allocate_stock` (one worker: the limit is CP-SAT
        deterministic time, so the promises are reproducible; such seconds can take
        several wall seconds each).
    schedule_solver, schedule_objective, schedule_time_limit, seed
        Passed to :func:`oms_plan.schedule_orders`, which runs in its deterministic mode
        (one worker, deterministic time limit) so the plan is reproducible. CP-SAT's
        deterministic time is not wall-clock time: a limit of 3 can take several times
        as many seconds on a large shop.
    verify
        Re-check every schedule with the independent checker, and the whole plan with
        the coherent-plan rule (:func:`oms_plan.replan.coherence.coherence_problems`):
        a violation raises :class:`~oms_plan.errors.VerificationError`.
    executor
        Where parts run; ``None`` plans in this process.
    parts
        Number of parts to split the dataset into (independent item groups are packed
        into this many bins). Default: one per item group, packed into at most 16 — the
        same with or without an executor, so the plan does not depend on where it runs.
    progress
        Called as ``progress(stage, done, total)`` while parts finish their stages.

    Returns
    -------
    Plan
        Every table of SCHEMA.md's plan outputs, with plan-level KPIs.

    Raises
    ------
    PlanningError
        On invalid options (unknown policy or back-end, non-positive limits, parts < 1).

    """
    options = PlanOptions(
        policy=policy,
        protect_commitments=protect_commitments,
        allocation_solver=allocation_solver,
        allocation_time_limit=allocation_time_limit,
        schedule_solver=schedule_solver,
        schedule_objective=schedule_objective,
        schedule_time_limit=schedule_time_limit,
        seed=seed,
        verify=verify,
    )
    if schedule_time_limit <= 0 or (
        allocation_time_limit is not None and allocation_time_limit <= 0
    ):
        raise PlanningError("time limits must be > 0")
    if parts is not None and parts < 1:
        raise PlanningError(f"parts must be ≥ 1, got {parts}")
    began = time.perf_counter()
    if parts is None:
        # partition() never makes more bins than there are item groups. Never derived from
        # the executor or its workers: the same dataset gives the same parts everywhere.
        parts = MAX_DEFAULT_PARTS
    pieces = split(dataset, parts)
    total = len(pieces) * len(STAGES)
    done = 0

    def tick(stage: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(stage, done, total)

    outcomes: list[PartOutcome] = []
    if executor is None:
        for piece in pieces:
            outcomes.append(plan_part(piece, options, on_stage=tick))
    else:
        futures = [executor.submit(plan_part, piece, options) for piece in pieces]
        for future in futures:
            outcome = future.result()
            for stage in outcome.stages:
                tick(stage)
            outcomes.append(outcome)
    result = _merge(dataset, outcomes, len(pieces), time.perf_counter() - began, options)
    if verify:
        verify_coherent(result.tables, dataset)
    return result


def plan_part(
    dataset: Dataset, options: PlanOptions, on_stage: Callable[[str], None] | None = None
) -> PartOutcome:
    """Plan one independent part: allocate, MRP, then schedule (a pure function)."""
    stages: list[str] = []

    def finished(stage: str) -> None:
        stages.append(stage)
        if on_stage is not None:
            on_stage(stage)

    allocation = allocate_stock(
        dataset,
        policy=options.policy,
        protect_commitments=options.protect_commitments,
        solver=options.allocation_solver,
        time_limit=options.allocation_time_limit,
    )
    finished("allocate")

    searched: list[ScheduleResult] = []

    def run_schedule(
        planned: pd.DataFrame, pegging: pd.DataFrame
    ) -> tuple[pd.DataFrame, dict[str, str], ScheduleResult]:
        make = planned.loc[planned["method"] == "make"].copy()
        make["priority"] = _planned_priorities(dataset, pegging, make)
        result = None
        if searched:
            # Later rounds only take orders away: repair the last schedule (same sequences,
            # nothing earlier) rather than search again — fast, and no line moves for nothing.
            result = _repaired(dataset, make, _carried(make, last[0]), options)
        if result is None:
            result = search_schedule(dataset, make, options)
            searched.append(result)
        table = result.to_frames()["schedule"]
        last[:] = [table.assign(_key=table["order"].map(_order_keys(make)))]
        aside = {a.order: a.workstation for a in result.set_aside}
        return table, aside, result

    last: list[pd.DataFrame] = []
    agreed = coherent_plan(dataset, allocation.promises, plan_materials, run_schedule)
    materials, schedule = agreed.materials, agreed.schedule
    finished("mrp")
    finished("schedule")
    schedule_frames = schedule.to_frames()
    tables = {
        ALLOCATION: allocation.promises,
        "promises": agreed.promises,
        "planned_orders": agreed.planned_orders,
        "pegging": agreed.pegging,
        "schedule": schedule_frames["schedule"],
        "projection": agreed.projection,
        "exceptions": pd.concat(
            [
                _tagged(_without_broken(allocation.exceptions), "allocate"),
                _tagged(broken_commitments(dataset, agreed.promises), "allocate"),
                _tagged(materials.exceptions, "mrp"),
                _tagged(schedule_frames["exceptions"], "schedule"),
            ],
            ignore_index=True,
        ),
    }
    # The solver's outcome (status, gap, parts) is that of the last search; a repaired
    # schedule has no bound of its own.
    search = searched[-1]
    return PartOutcome(
        tables=tables,
        stats={"allocate": allocation.stats, "schedule": search.stats},
        schedule_kpis={**schedule.kpis, "late_orders": len(schedule.late_orders)},
        stages=tuple(stages),
        schedule_parts=search.parts,
        set_aside=len(schedule.set_aside),
        fallback=schedule.fallback,
        rounds=agreed.rounds,
        settled=agreed.settled,
    )


def _order_keys(make: pd.DataFrame) -> dict[str, tuple[str, str, str, str]]:
    """Planned make order id → what identifies it across rounds but its quantity."""
    return {
        str(pid): (str(item), str(loc), str(release), str(due))
        for pid, item, loc, release, due in zip(
            make["planned_order"],
            make["item"],
            make["location"],
            make["release_date"],
            make["due_date"],
            strict=True,
        )
    }


def _carried(make: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """The last round's schedule with its planned orders named as this round's.

    MRP numbers planned orders per buffer, so cutting one quantity renames the later ones;
    an order with the same item, location, release and due date (its quantity may have
    shrunk) keeps its place in the schedule under its new name.
    """
    by_key: dict[tuple[str, str, str, str], list[str]] = {}
    for pid, key in _order_keys(make).items():
        by_key.setdefault(key, []).append(pid)
    names: dict[str, str] = {}
    for old, key in dict(zip(before["order"].astype(str), before["_key"], strict=True)).items():
        if isinstance(key, tuple) and by_key.get(key):
            names[old] = by_key[key].pop(0)
    # A planned order of the last round with no counterpart was cut: it leaves the schedule.
    planned_before = before["_key"].map(lambda k: isinstance(k, tuple))
    kept = ~planned_before | before["order"].astype(str).isin(names)
    out = before.loc[kept]
    return out.assign(order=out["order"].astype(str).map(lambda o: names.get(o, o))).drop(
        columns="_key"
    )


def _repaired(
    dataset: Dataset, make: pd.DataFrame, before: pd.DataFrame, options: PlanOptions
) -> ScheduleResult | None:
    """``before`` repaired for these planned make orders; ``None`` when repair cannot say."""
    problem = SchedulingProblem.from_dataset(dataset, orders=make if len(make) else None)
    objective = parse_objective(options.schedule_objective)
    result = repair(problem, before, objective, verify=options.verify)
    if result.stats.status not in (SolveStatus.FEASIBLE, SolveStatus.EMPTY):
        return None
    return result


def _without_broken(exceptions: pd.DataFrame) -> pd.DataFrame:
    """The allocation's exceptions but its ``broken_commitment`` ones (the plan's replace them)."""
    return exceptions.loc[exceptions["kind"] != "broken_commitment"]


def _tagged(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    # Which engine raised an exception: kept as an extra column after the SCHEMA ones.
    out = output_frame("exceptions", frame.copy())
    out["source"] = source
    return out


def _planned_priorities(dataset: Dataset, pegging: pd.DataFrame, make: pd.DataFrame) -> list[int]:
    """Each planned make order takes the most important priority among what it serves.

    A planned order pegged to customer lines takes their best priority; one pegged to a
    parent planned order inherits the parent's, up the BOM; anything else gets 3.
    """
    if make.empty:
        return []
    orders = dataset.orders
    line_priority = {
        (o, str(ln)): int(p)
        for o, ln, p in zip(orders["order"], orders["line"], orders["priority"], strict=True)
    }
    planned_ids = set(pegging["supplier"]) if not pegging.empty else set()
    best: dict[str, int] = {}
    parents: dict[str, set[str]] = {}
    for supplier, order, line in zip(
        pegging.get("supplier", []), pegging.get("order", []), pegging.get("line", []), strict=True
    ):
        prio = line_priority.get((order, str(line)))
        if prio is not None:
            best[supplier] = min(best.get(supplier, prio), prio)
        elif isinstance(order, str) and order in planned_ids:
            parents.setdefault(supplier, set()).add(order)
    # Propagate down the BOM: a component order is as urgent as its most urgent parent.
    for _ in range(len(parents) + 1):
        changed = False
        for child, ups in parents.items():
            inherited = [best[u] for u in ups if u in best]
            if inherited and min(inherited) < best.get(child, _DEFAULT_PRIORITY + 1):
                best[child] = min(inherited)
                changed = True
        if not changed:
            break
    return [best.get(pid, _DEFAULT_PRIORITY) for pid in make["planned_order"]]


def _merge(
    dataset: Dataset,
    outcomes: list[PartOutcome],
    parts: int,
    runtime: float,
    options: PlanOptions,
) -> Plan:
    tables: dict[str, pd.DataFrame] = {}
    for name in PLAN_TABLES:
        if name == "kpis":
            continue
        frames = [o.tables[name] for o in outcomes if not o.tables[name].empty]
        merged = pd.concat(frames, ignore_index=True) if frames else output_frame(name, [])
        # Always the canonical order, even for one part: the rows must not depend on how
        # the dataset was split.
        tables[name] = output_frame(name, _sorted(dataset, name, merged))
    allocated = [o.tables[ALLOCATION] for o in outcomes if ALLOCATION in o.tables]
    if allocated:
        merged = pd.concat(allocated, ignore_index=True)
        tables[ALLOCATION] = output_frame("promises", _sorted(dataset, "promises", merged))
    stats: dict[str, SolverStats] = {}
    for k, outcome in enumerate(outcomes):
        for stage, value in outcome.stats.items():
            stats[f"{stage}[{k}]"] = value
    first = options.schedule_objective.split(",")[0].strip()
    tables["kpis"] = kpis_frame(_kpis(dataset, tables, stats, outcomes, parts, runtime, first))
    return Plan(tables=tables, part_stats=stats, parts=parts, runtime=runtime)


def _sorted(dataset: Dataset, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A canonical row order per table, so the plan does not depend on how it was split."""
    if frame.empty:
        return frame
    if name == "promises":
        rank = {
            (o, str(ln)): k
            for k, (o, ln) in enumerate(
                zip(dataset.orders["order"], dataset.orders["line"], strict=True)
            )
        }
        keys = [
            rank.get((o, str(ln)), len(rank))
            for o, ln in zip(frame["order"], frame["line"], strict=True)
        ]
        return frame.assign(_k=keys).sort_values("_k", kind="mergesort").drop(columns="_k")
    by: Mapping[str, list[str]] = {
        "planned_orders": ["planned_order"],
        "pegging": ["supplier", "order", "line"],
        "schedule": ["start", "workstation", "unit", "order", "step"],
        "projection": ["item", "location", "date"],
    }
    columns = by.get(name)
    if columns is None:
        return frame
    return frame.sort_values(columns, kind="mergesort", na_position="first")


def _kpis(
    dataset: Dataset,
    tables: Mapping[str, pd.DataFrame],
    stats: Mapping[str, SolverStats],
    outcomes: list[PartOutcome],
    parts: int,
    runtime: float,
    objective: str,
) -> dict[str, object]:
    kpis: dict[str, Any] = service_kpis(tables["promises"], dataset.orders)
    planned = tables["planned_orders"]
    kpis["planned_orders"] = len(planned)
    for method in ("buy", "make", "transfer"):
        kpis[f"planned_orders_{method}"] = int((planned["method"] == method).sum())
    kpis["scheduled_orders"] = int(tables["schedule"]["order"].nunique())
    kpis["manufacturing_orders_late"] = sum(
        int(str(o.schedule_kpis.get("late_orders", 0))) for o in outcomes
    )
    loads = utilisation([o.schedule_kpis for o in outcomes])
    for ws, value in loads.items():
        kpis[f"utilisation:{ws}"] = value
    kpis["bottleneck"] = max(loads, key=lambda w: (loads[w], w)) if loads else ""
    for stage, label in (("allocate", "allocation"), ("schedule", "schedule")):
        status, gap = worst(stats, stage)
        kpis[f"{label}_status"] = status
        kpis[f"{label}_gap"] = round(gap, 6)
    kpis.update(schedule_parts_kpis([o.schedule_parts for o in outcomes], objective))
    kpis["schedule_orders_set_aside"] = sum(o.set_aside for o in outcomes)
    kpis["schedule_fallback"] = any(o.fallback for o in outcomes)
    kpis["plan_rounds"] = max((o.rounds for o in outcomes), default=1)
    kpis["plan_settled"] = all(o.settled for o in outcomes)
    exceptions = tables["exceptions"]
    kpis["exceptions"] = len(exceptions)
    for kind, count in exceptions["kind"].value_counts().sort_index().items():
        kpis[f"exceptions_{kind}"] = int(count)
    kpis["parts"] = parts
    kpis["runtime_seconds"] = round(runtime, 3)
    return kpis
