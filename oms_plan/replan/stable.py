"""``plan(dataset, previous=..., freeze_days=N)``: the replan, stable against a previous plan.

Without ``previous`` this is the pipeline's replan (:func:`oms_plan.replan.pipeline.plan`),
stamped with the fingerprints of its stages' inputs and remembered for later what-ifs. With
``previous`` (a Plan or a plan folder) the plan keeps what the previous one decided wherever
the inputs do not force a change (see :mod:`oms_plan.replan.previous`):

1. **allocate** — every allocation group (items tied by ship-complete orders) allocated
   again as a plan from scratch allocates it (deterministic: a group whose inputs did not
   change gets what it had); a group whose inputs changed chooses, among the policy's
   equally good answers, the one that ships most as the previous promises did (the
   ``stay`` stage of :mod:`oms_plan.allocate.stability`);
2. **MRP** — recomputed (it is cheap and deterministic), with the previous planned orders
   released inside the first ``freeze_days`` days kept as firm;
3. **schedule** — the previous schedule when nothing the scheduler reads changed; else the
   previous schedule *repaired* (:mod:`oms_plan.replan.repair`): same sequences, only what
   the changes force moves, new orders slotted in by release date.

So a what-if costs what its edits touch: the allocation's blocks that a plan in this process
already solved are answered from memory, a machine down or a rush order runs no CP-SAT
schedule search; and the same dataset replanned against its own plan changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from typing import Any

import numpy as np
import pandas as pd

import oms_plan.replan.pipeline as pipeline
from oms_plan.allocate import allocate_stock
from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.mrp import plan_materials
from oms_plan.mrp.result import MrpResult
from oms_plan.outputs import kpis_frame
from oms_plan.replan.coherence import verify_coherent
from oms_plan.replan.coherent import coherent_plan
from oms_plan.replan.commitments import broken_commitments
from oms_plan.replan.decompose import partition, subset
from oms_plan.replan.kpis import worst
from oms_plan.replan.previous import (
    INPUT_COLUMN,
    PreviousLike,
    allocation_groups,
    as_previous,
    as_supply,
    frozen_orders,
    group_digests,
    remember,
    renamed,
    schedule_stamp,
    stable_ids,
    stamped,
    stamps_of,
    with_inputs,
)
from oms_plan.replan.repair import repair
from oms_plan.replan.result import Plan
from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.result import ScheduleResult, parse_objective

_FIELDS = tuple(f.name for f in dataclasses.fields(pipeline.PlanOptions))
_PIPELINE_ONLY = ("executor", "parts", "progress")


def plan(
    dataset: Dataset,
    *,
    previous: PreviousLike | None = None,
    freeze_days: int = 0,
    explain: bool = True,
    explain_resolves: int | None = None,
    explain_total: int | None = None,
    **options: Any,
) -> Plan:
    """Replan the whole order book, optionally keeping what a previous plan decided.

    Parameters
    ----------
    dataset
        The dataset to plan.
    previous
        The previous plan (a :class:`Plan` or a plan folder). Promises of lines whose
        inputs did not change are kept unless stock and receipts force a move, the previous
        schedule is kept or repaired rather than searched again, and stages whose inputs
        did not change keep their previous answer. The plan then runs in one part.
    freeze_days
        With ``previous``: planned orders it released before plan start + ``freeze_days``
        are kept as firm (MRP nets against them instead of planning them again).
    explain
        Compute the ``explanations`` table (counterfactuals of every late and short line,
        :mod:`oms_plan.explain`) once the promises are final.
    explain_resolves
        Re-solves each late or short line may spend on its explanation (the cap that
        bounds the work; default :data:`oms_plan.explain.DEFAULT_RESOLVES`).
    explain_total
        Re-solves all the explanations may spend, shared among the lines, most important
        first (default :data:`oms_plan.explain.DEFAULT_TOTAL`).
    **options
        Every option of :func:`oms_plan.replan.pipeline.plan` (``policy``,
        ``schedule_solver``, ``schedule_time_limit``, ``executor``, ``parts``, …).

    Returns
    -------
    Plan
        Every plan table; its KPIs include the stamps ``input_allocation`` and
        ``input_schedule`` (fingerprints of what those stages read).

    Raises
    ------
    PlanningError
        On invalid options, a negative ``freeze_days``, or ``freeze_days`` without
        ``previous``.
    DatasetError
        When ``previous`` is a folder that is not a readable plan.

    """
    if freeze_days < 0:
        raise PlanningError(f"freeze_days must be ≥ 0, got {freeze_days}")
    for name, cap in (("explain_resolves", explain_resolves), ("explain_total", explain_total)):
        if cap is not None and cap < 1:
            raise PlanningError(f"{name} must be ≥ 1, got {cap}")
    if previous is None:
        if freeze_days:
            raise PlanningError("freeze_days keeps a previous plan's orders: give previous=")
        result = pipeline.plan(dataset, **options)
        chosen = _options(options)
        digests = group_digests(dataset, chosen)
        result = stamped(
            _with_inputs(result, dataset, digests), _stamps(dataset, result, chosen, digests)
        )
    else:
        result = _stable(dataset, as_previous(previous), freeze_days, options)
    # The one point where explanations join the plan: after every promise is final.
    result = result.with_explanations(
        dataset, explain=explain, resolves=explain_resolves, total=explain_total
    )
    remember(dataset, options, result)
    return result


def _options(options: dict[str, Any]) -> pipeline.PlanOptions:
    unknown = sorted(set(options) - set(_FIELDS) - set(_PIPELINE_ONLY))
    if unknown:
        raise TypeError(f"plan() got unexpected keyword argument(s) {', '.join(unknown)}")
    chosen = pipeline.PlanOptions(**{k: v for k, v in options.items() if k in _FIELDS})
    if chosen.schedule_time_limit <= 0 or (
        chosen.allocation_time_limit is not None and chosen.allocation_time_limit <= 0
    ):
        raise PlanningError("time limits must be > 0")
    return chosen


def _make_orders(dataset: Dataset, planned: pd.DataFrame, pegging: pd.DataFrame) -> pd.DataFrame:
    """Planned make orders with the priority the pipeline gives them, in id order."""
    make = planned.loc[planned["method"] == "make"].copy()
    make["priority"] = pipeline._planned_priorities(dataset, pegging, make)
    return make.sort_values("planned_order", kind="mergesort").reset_index(drop=True)


def _stamps(
    dataset: Dataset, result: Plan, options: pipeline.PlanOptions, digests: dict[str, str]
) -> dict[str, str]:
    make = _make_orders(dataset, result.tables["planned_orders"], result.tables["pegging"])
    return {
        "input_allocation": _overall(digests),
        "input_schedule": schedule_stamp(dataset, make, options),
    }


def _kept_stats(previous: Plan, stage: str) -> SolverStats:
    """A stage's outcome as the previous plan reported it (status and gap)."""
    kpis = dict(zip(previous.tables["kpis"]["kpi"], previous.tables["kpis"]["value"], strict=True))
    status = SolveStatus(str(kpis.get(f"{stage}_status", SolveStatus.FEASIBLE.value)))
    gap = float(str(kpis.get(f"{stage}_gap", 0.0)) or 0.0)
    # objective 1 and bound 1 - gap report the same gap (a fraction ≤ 1).
    return SolverStats("previous", status, 1.0, 1.0 - min(gap, 1.0), 0.0)


def _previous_exceptions(previous: Plan, source: str) -> pd.DataFrame:
    exceptions = previous.tables["exceptions"]
    if "source" not in exceptions.columns:
        return exceptions.iloc[0:0]
    return exceptions.loc[exceptions["source"] == source].reset_index(drop=True)


def _stable(dataset: Dataset, previous: Plan, freeze_days: int, raw: dict[str, Any]) -> Plan:
    began = time.perf_counter()
    options = _options(raw)
    progress = raw.get("progress")
    stamps = stamps_of(previous)
    stats: dict[str, SolverStats] = {}

    def tick(stage: str, done: int) -> None:
        if progress is not None:
            progress(stage, done, len(pipeline.STAGES))

    # 1. allocate: groups whose inputs did not change keep their promises
    digests = group_digests(dataset, options)
    allocation_key = _overall(digests)
    parts = raw.get("parts") or pipeline.MAX_DEFAULT_PARTS
    promises, allocation_exceptions, allocate_stats, kept_items = _allocate(
        dataset, previous, digests, options, int(parts)
    )
    stats["allocate"] = allocate_stats
    tick("allocate", 1)

    # 2. MRP of what the allocation left, against the frozen planned orders as firm
    # receipts; 3. the schedule — kept, else repaired — in rounds until they agree.
    frozen = frozen_orders(dataset, previous.tables["planned_orders"], freeze_days)
    frozen_ids = set(frozen["planned_order"].astype(str))

    def run_materials(residual: Dataset) -> MrpResult:
        material_ds = residual
        if not frozen.empty:
            material_ds = residual.replace(
                supply=pd.concat([residual.supply, as_supply(frozen)], ignore_index=True)
            )
        materials = plan_materials(material_ds)
        # Planned orders identical to previous ones keep their ids (MRP renumbers per buffer).
        names = stable_ids(materials.planned_orders, previous.tables["planned_orders"], frozen_ids)
        planned = renamed(materials.planned_orders, ("planned_order",), names)
        pegging = renamed(materials.pegging, ("supplier", "order"), names)
        exceptions = renamed(pipeline._tagged(materials.exceptions, "mrp"), ("order",), names)
        if not frozen.empty:
            planned = pd.concat([frozen[list(planned.columns)], planned], ignore_index=True)
            # A frozen order released before plan start still has to be expedited: as a
            # firm receipt MRP no longer says so, so its previous message is kept.
            kept = _previous_exceptions(previous, "mrp")
            kept = kept.loc[(kept["kind"] == "expedite") & kept["order"].isin(frozen_ids)]
            exceptions = pd.concat([kept, exceptions], ignore_index=True)
        return dataclasses.replace(
            materials, planned_orders=planned, pegging=pegging, exceptions=exceptions
        )

    def run_schedule(
        planned: pd.DataFrame, pegging: pd.DataFrame
    ) -> tuple[pd.DataFrame, dict[str, str], tuple[str, ScheduleResult | None]]:
        make = _make_orders(dataset, planned, pegging)
        key = schedule_stamp(dataset, make, options)
        if stamps.get("input_schedule") == key:
            problem = SchedulingProblem.from_dataset(dataset, orders=make if len(make) else None)
            aside = {a.order: a.workstation for a in problem.set_aside}
            return previous.tables["schedule"], aside, (key, None)
        result = _schedule(dataset, make, previous.tables["schedule"], options)
        aside = {a.order: a.workstation for a in result.set_aside}
        return result.to_frames()["schedule"], aside, (key, result)

    agreed = coherent_plan(
        dataset,
        promises,
        run_materials,
        run_schedule,
        cut=_kept_cuts(dataset, previous, kept_items),
    )
    materials = agreed.materials
    tick("mrp", 2)
    schedule_key, schedule = agreed.schedule
    schedule_reused = schedule is None
    if schedule is None:
        schedule_table = previous.tables["schedule"]
        schedule_exceptions = _previous_exceptions(previous, "schedule")
        stats["schedule"] = _kept_stats(previous, "schedule")
        kpis = previous.tables["kpis"]
        schedule_kpis: dict[str, object] = {
            str(k): v
            for k, v in zip(kpis["kpi"], kpis["value"], strict=True)
            if str(k).startswith("utilisation:")
        }
        late = kpis.loc[kpis["kpi"] == "manufacturing_orders_late", "value"]
        schedule_kpis["late_orders"] = int(float(str(late.iloc[0]))) if len(late) else 0
    else:
        frames = schedule.to_frames()
        schedule_table = frames["schedule"]
        schedule_exceptions = pipeline._tagged(frames["exceptions"], "schedule")
        stats["schedule"] = schedule.stats
        schedule_kpis = {**schedule.kpis, "late_orders": len(schedule.late_orders)}
    tick("schedule", 3)

    tables = {
        pipeline.ALLOCATION: promises,
        "promises": agreed.promises,
        "planned_orders": agreed.planned_orders,
        "pegging": agreed.pegging,
        "schedule": schedule_table,
        "projection": agreed.projection,
        "exceptions": pd.concat(
            [
                pipeline._without_broken(allocation_exceptions),
                pipeline._tagged(broken_commitments(dataset, agreed.promises), "allocate"),
                materials.exceptions,
                schedule_exceptions,
            ],
            ignore_index=True,
        ),
    }
    outcome = pipeline.PartOutcome(
        tables=tables,
        stats=stats,
        schedule_kpis=schedule_kpis,
        stages=pipeline.STAGES,
        schedule_parts=() if schedule is None else schedule.parts,
        set_aside=0 if schedule is None else len(schedule.set_aside),
        fallback=False if schedule is None else schedule.fallback,
        rounds=agreed.rounds,
        settled=agreed.settled,
    )
    result = pipeline._merge(dataset, [outcome], 1, time.perf_counter() - began, options)
    result = _with_inputs(result, dataset, digests)
    if schedule_reused:
        result = _with_schedule_kpis(result, previous)
    if options.verify:
        verify_coherent(result.tables, dataset)
    return stamped(result, {"input_allocation": allocation_key, "input_schedule": schedule_key})


def _overall(digests: dict[str, str]) -> str:
    """One fingerprint of every allocation group's inputs."""
    text = ";".join(f"{g}={d}" for g, d in sorted(digests.items()))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _with_inputs(result: Plan, dataset: Dataset, digests: dict[str, str]) -> Plan:
    promises = with_inputs(result.tables["promises"], dataset, digests)
    return dataclasses.replace(result, tables={**result.tables, "promises": promises})


def _allocate(
    dataset: Dataset,
    previous: Plan,
    digests: dict[str, str],
    options: pipeline.PlanOptions,
    parts: int,
) -> tuple[pd.DataFrame, pd.DataFrame, SolverStats, set[str]]:
    """Allocation promises, exceptions and stats; the items of unchanged groups.

    A group is unchanged when every previous promise row of its items was made from the
    same inputs (the row's :data:`INPUT_COLUMN` is the group's digest); it keeps the
    previous allocation when the previous plan holds it (made in this process). The other
    groups are allocated as a plan from scratch allocates them: in the parts
    :func:`oms_plan.replan.decompose.partition` makes, each with its own budget; a group
    whose inputs changed gets its previous promises as the tie-break
    (``allocate_stock(previous=...)``): the policy's optimum, and among its equally good
    answers the one closest to the previous.
    """
    groups = allocation_groups(dataset)
    before = previous.tables["promises"]
    before_exceptions = _previous_exceptions(previous, "allocate")
    line_items = dataset.orders["item"].astype(str)
    line_groups = set(line_items.map(groups))
    kept: set[str] = set()
    if INPUT_COLUMN in before.columns and not before.empty:
        before_group = before["item"].astype(str).map(groups)
        for g, inputs in before[INPUT_COLUMN].groupby(before_group, sort=False):
            if str(g) in line_groups and (inputs.astype(str) == digests.get(str(g))).all():
                kept.add(str(g))
    else:
        before_group = pd.Series(None, index=before.index, dtype=object)
    unchanged = {i for i, g in groups.items() if g in kept}
    allocated = previous.tables.get(pipeline.ALLOCATION)
    if allocated is not None:
        # A plan of this process holds its allocation: unchanged groups keep theirs.
        kept_items = unchanged
        kept_promises = allocated.loc[allocated["item"].astype(str).isin(kept_items)]
        kept_exceptions = before_exceptions.loc[before_exceptions["item"].isin(kept_items)]
        changed = line_groups - kept
    else:
        # Read from a folder: its promises mix allocation and planned supply, so every group
        # is allocated again — deterministically, so an unchanged group gets what it had.
        kept_items = set()
        kept_promises = before.iloc[0:0].drop(columns=[INPUT_COLUMN], errors="ignore")
        kept_exceptions = before_exceptions.iloc[0:0]
        changed = line_groups
    if not changed:
        return kept_promises, kept_exceptions, _kept_stats(previous, "allocation"), unchanged
    changed_items = {i for i, g in groups.items() if g in changed}
    # A changed group is allocated again in the very sub-problem a plan from scratch gives
    # it (the part decompose.split makes: which of several equally good answers a solver
    # returns depends on the whole problem it sees), each line preferring, among the
    # policy's optimal answers, to ship as it did before.
    bins = partition(dataset, parts) if parts > 1 else [list(dataset.item_ids)]
    fresh_promises, fresh_exceptions, all_stats = [], [], {}
    for k, items in enumerate(b for b in bins if changed_items & set(b)):
        part = dataset if len(bins) == 1 else subset(dataset, items, keep_idle_workstations=False)
        allocation = allocate_stock(
            part,
            policy=options.policy,
            protect_commitments=options.protect_commitments,
            solver=options.allocation_solver,
            time_limit=options.allocation_time_limit,
            previous=before.loc[~before_group.isin(kept)],
        )
        p, e = allocation.promises, allocation.exceptions
        fresh_promises.append(p.loc[p["item"].astype(str).isin(changed_items)])
        fresh_exceptions.append(e.loc[~e["item"].astype(str).isin(kept_items)])
        all_stats[f"allocate[{k}]"] = allocation.stats
    promises = pd.concat([kept_promises, *fresh_promises], ignore_index=True)
    exceptions = pd.concat(
        [kept_exceptions, *(pipeline._tagged(e, "allocate") for e in fresh_exceptions)],
        ignore_index=True,
    )
    status, gap = worst(all_stats, "allocate")
    stats = SolverStats("allocate", SolveStatus(status), 1.0, 1.0 - min(gap, 1.0), 0.0)
    return promises, exceptions, stats, unchanged


def _kept_cuts(dataset: Dataset, previous: Plan, kept_items: set[str]) -> np.ndarray:
    """Per orders row, the quantity the previous plan left short, for lines of kept items.

    The replan starts where the previous plan settled: supply is not planned again for
    what it found it cannot promise in time, unless the line's allocation changed.
    """
    orders = dataset.orders
    cut = np.zeros(len(orders))
    before = previous.tables["promises"]
    short = before.loc[before["status"].astype(str) == "short"]
    if short.empty or not kept_items:
        return cut
    amount = short.groupby([short["order"].astype(str), short["line"].astype(str)])[
        "quantity"
    ].sum()
    for k, (o, ln, item) in enumerate(
        zip(orders["order"].astype(str), orders["line"].astype(str), orders["item"], strict=True)
    ):
        if str(item) in kept_items:
            cut[k] = float(amount.get((o, ln), 0.0))
    return cut


def _schedule_kpi(name: str) -> bool:
    return name.startswith(("schedule_", "utilisation:")) or name in (
        "bottleneck",
        "scheduled_orders",
        "manufacturing_orders_late",
    )


def _with_schedule_kpis(result: Plan, previous: Plan) -> Plan:
    """``result`` with the schedule's KPIs as the previous plan reported them (kept whole)."""
    kpis = result.tables["kpis"]
    values = dict(zip(kpis["kpi"], kpis["value"], strict=True))
    before = previous.tables["kpis"]
    known = {str(k) for k in before["kpi"]}
    for name, value in zip(before["kpi"], before["value"], strict=True):
        if _schedule_kpi(str(name)):
            values[str(name)] = value
    for name in [k for k in values if _schedule_kpi(k) and k not in known]:
        del values[name]
    return dataclasses.replace(result, tables={**result.tables, "kpis": kpis_frame(values)})


def _schedule(
    dataset: Dataset, make: pd.DataFrame, before: pd.DataFrame, options: pipeline.PlanOptions
) -> ScheduleResult:
    """The previous schedule repaired; the pipeline's own search when repair cannot answer."""
    extra = make if not make.empty else None
    problem = SchedulingProblem.from_dataset(dataset, orders=extra)
    names = parse_objective(options.schedule_objective)
    result = repair(problem, before, names, verify=options.verify)
    if result.stats.status in (SolveStatus.FEASIBLE, SolveStatus.EMPTY):
        return result
    # Set-aside or unplaceable orders: the pipeline's engine knows how to degrade.
    return pipeline.search_schedule(dataset, make, options)
