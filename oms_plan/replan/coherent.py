"""One coherent plan: promises from stock, receipts and the supply the plan builds.

The replan's stages each answer a different question — the allocation shares stock and
receipts among the lines, MRP plans what to buy, make and transfer, the scheduler says when
the make orders really finish. :func:`coherent_plan` makes them agree, by a fixed point:

1. the allocation's shipments are pegged to the stock and receipts they draw
   (:mod:`oms_plan.replan.supplypeg`); MRP plans only for what is left (the *residual*
   demand, against the residual supply) — never for a quantity already promised;
2. the scheduler sequences the open and the planned make orders; every supplier gets the
   day it is really ready (:mod:`oms_plan.replan.readiness`);
3. each line ships its pieces when their supply is ready (:mod:`oms_plan.replan.shipments`):
   a line moves later where the schedule finishes later than MRP assumed, and a quantity
   whose supply is ready only past the line's ``max_days_late`` or the horizon is short;
4. a short quantity that MRP had planned supply for is *cut* from the residual demand and
   MRP runs again without it (so the plan does not build for what it does not promise),
   then the schedule — until no new quantity is cut, in at most ``rounds`` rounds.

Cuts only grow, so the rounds end; a plan that has not settled after the last round keeps
its promises and marks the supply planned for the last cuts as ``excess`` in the pegging,
so it is still coherent (it builds a little it does not need). The same inputs give the
same plan: every stage is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.mrp.result import MrpResult
from oms_plan.outputs import output_frame
from oms_plan.replan.projection import plan_projection
from oms_plan.replan.readiness import supplier_readiness
from oms_plan.replan.shipments import LineRules, Piece, Promised, promise_lines
from oms_plan.replan.supplypeg import AllocatedSupply, match_allocation, residual_dataset

#: Rounds of MRP and scheduling before a plan that has not settled is made coherent as is.
MAX_ROUNDS = 4

R = TypeVar("R")

#: MRP of a residual dataset.
MaterialsRun = Callable[[Dataset], MrpResult]
#: Schedules the open manufacturing orders and the planned make orders of these planned
#: orders (given with their pegging); returns the ``schedule`` table, the orders set aside
#: (id → the workstation that could not hold them) and the caller's own result.
ScheduleRun = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, Mapping[str, str], R]]


@dataclass(frozen=True)
class CoherentPlan(Generic[R]):
    """The agreed tables of one part, with the last round's MRP and schedule."""

    promises: pd.DataFrame
    planned_orders: pd.DataFrame
    pegging: pd.DataFrame
    projection: pd.DataFrame
    materials: MrpResult
    schedule_table: pd.DataFrame
    schedule: R
    rounds: int
    settled: bool


def coherent_plan(
    dataset: Dataset,
    allocation: pd.DataFrame,
    run_materials: MaterialsRun,
    run_schedule: ScheduleRun[R],
    *,
    rounds: int = MAX_ROUNDS,
    cut: np.ndarray | None = None,
) -> CoherentPlan[R]:
    """Promises, planned orders, pegging and schedule that agree (see the module docstring).

    Parameters
    ----------
    dataset
        The dataset (one part).
    allocation
        The allocation's promises (stock and receipts only).
    run_materials
        MRP on a residual dataset.
    run_schedule
        The scheduler, given the planned orders and their pegging.
    rounds
        At most this many MRP-and-schedule rounds (≥ 1).
    cut
        Per orders row, quantity to leave unplanned from the start (a previous plan's short
        quantities: a replan against it then starts where it settled).

    """
    if rounds < 1:
        raise ValueError(f"rounds must be ≥ 1, got {rounds}")
    allocated = match_allocation(dataset, allocation)
    rules = LineRules.of(dataset)
    row_of = {(o, ln): k for k, (o, ln) in enumerate(zip(rules.order, rules.line, strict=True))}
    allocation_short = _short_reasons(allocation, row_of)
    n = len(rules.order)
    cut = np.zeros(n) if cut is None else np.minimum(cut, _residual(dataset, allocated))
    cut_reason: dict[int, str] = {}
    for k in np.flatnonzero(cut > 1e-9).tolist():
        cut_reason[k] = allocation_short.get(k, "stock")
    done = 0
    while True:
        done += 1
        residual, _ = residual_dataset(dataset, allocated, cut)
        materials = run_materials(residual)
        table, aside, schedule = run_schedule(materials.planned_orders, materials.pegging)
        ready = supplier_readiness(
            dataset, materials.planned_orders, materials.pegging, table, aside
        )
        pieces = _pieces(dataset, rules, row_of, allocated, materials.pegging, cut, cut_reason)
        promised = promise_lines(dataset, rules, pieces, ready, allocation_short)
        fresh = promised.cut > 1e-9
        if not fresh.any() or done >= rounds:
            break
        reasons = _short_bindings(promised.promises)
        for k in np.flatnonzero(fresh).tolist():
            cut_reason.setdefault(k, reasons.get((rules.order[k], rules.line[k]), "stock"))
        cut = cut + promised.cut
    pegging = _pegging(materials.pegging, promised, rules, materials.planned_orders)
    projection = plan_projection(
        dataset, materials.projection, _moves(pieces, rules, dataset.horizon_days)
    )
    return CoherentPlan(
        promises=promised.promises,
        planned_orders=materials.planned_orders,
        pegging=pegging,
        projection=projection,
        materials=materials,
        schedule_table=table,
        schedule=schedule,
        rounds=done,
        settled=not fresh.any(),
    )


def _residual(dataset: Dataset, allocated: AllocatedSupply) -> np.ndarray:
    left = dataset.orders["quantity"].to_numpy(dtype=float) - allocated.allocated
    out: np.ndarray = np.maximum(left, 0.0)
    return out


def _short_reasons(allocation: pd.DataFrame, row_of: dict[tuple[str, str], int]) -> dict[int, str]:
    """Per orders row, the binding the allocation gave its short quantity."""
    short = allocation.loc[allocation["status"].astype(str) == "short"]
    out: dict[int, str] = {}
    for o, ln, binding in zip(short["order"], short["line"], short["binding"], strict=True):
        row = row_of.get((str(o), str(ln)))
        if row is not None and isinstance(binding, str) and binding:
            out[row] = binding
    return out


def _short_bindings(promises: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(order, line) → the binding of its short row."""
    short = promises.loc[promises["status"] == "short"]
    return {
        (str(o), str(ln)): str(b)
        for o, ln, b in zip(short["order"], short["line"], short["binding"], strict=True)
    }


def _pieces(
    dataset: Dataset,
    rules: LineRules,
    row_of: dict[tuple[str, str], int],
    allocated: AllocatedSupply,
    pegging: pd.DataFrame,
    cut: np.ndarray,
    cut_reason: dict[int, str],
) -> dict[int, list[Piece]]:
    """Each line's quantity as pieces: allocated, pegged by MRP, cut, uncovered."""
    pieces: dict[int, list[Piece]] = {}
    pegs = allocated.pegs
    for row, supplier, location, qty, day, binding, since in zip(
        pegs["row"].tolist(),
        pegs["supplier"].tolist(),
        pegs["location"].tolist(),
        pegs["quantity"].tolist(),
        pegs["ship_day"].tolist(),
        pegs["binding"].tolist(),
        pegs["supply_day"].tolist(),
        strict=True,
    ):
        piece = Piece(supplier, location, qty, int(day), False, binding=binding, since=since)
        pieces.setdefault(row, []).append(piece)
    covered = np.zeros(len(rules.order))
    if not pegging.empty:
        to_lines = pegging.loc[pegging["line"].notna() & pegging["order"].notna()]
        for supplier, location, qty, o, ln in zip(
            to_lines["supplier"].tolist(),
            to_lines["location"].tolist(),
            to_lines["quantity"].tolist(),
            to_lines["order"].tolist(),
            to_lines["line"].tolist(),
            strict=True,
        ):
            row = row_of.get((str(o), _label(ln)))
            if row is None:
                continue
            has = isinstance(supplier, str)
            piece = Piece(supplier if has else None, str(location), qty, int(rules.want[row]), has)
            pieces.setdefault(row, []).append(piece)
            covered[row] += qty
    left = _residual(dataset, allocated) - cut - covered
    for row in np.flatnonzero(left > 1e-6).tolist():
        pieces.setdefault(row, []).append(Piece(None, None, float(left[row]), 0, False))
    for row in np.flatnonzero(cut > 1e-6).tolist():
        piece = Piece(None, None, float(cut[row]), 0, False, reason=cut_reason.get(row, ""))
        pieces.setdefault(row, []).append(piece)
    return pieces


def _moves(pieces: dict[int, list[Piece]], rules: LineRules, horizon: int) -> pd.DataFrame:
    """The allocated pieces as stock held from their supplier's due day until they ship."""
    rows = [
        (rules.item[row], p.location, p.quantity, p.since, p.ship if p.ok else horizon)
        for row, items in pieces.items()
        for p in items
        if p.since >= 0
    ]
    return pd.DataFrame(rows, columns=["item", "location", "quantity", "since", "until"])


def _label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pegging(
    pegging: pd.DataFrame, promised: Promised, rules: LineRules, planned: pd.DataFrame
) -> pd.DataFrame:
    """MRP's pegging with its line pegs replaced by what the promises ship."""
    keep = pegging
    if len(pegging):
        keep = pegging.loc[pegging["line"].isna() | pegging["supplier"].isna()]
    where = dict(zip(planned["planned_order"].astype(str), planned["location"], strict=True))
    frames = [keep]
    if not promised.pegs.empty:
        frames.append(promised.pegs)
    if promised.unserved:
        # The last round's cuts: their supply is built without a line to serve (excess).
        frames.append(
            pd.DataFrame(
                {
                    "supplier": [s for _, s, _ in promised.unserved],
                    "item": [rules.item[r] for r, _, _ in promised.unserved],
                    "location": [where.get(s) for _, s, _ in promised.unserved],
                    "quantity": [q for _, _, q in promised.unserved],
                    "order": [None] * len(promised.unserved),
                    "line": [None] * len(promised.unserved),
                    "peg": ["excess"] * len(promised.unserved),
                }
            )
        )
    frames = [f for f in frames if len(f)]
    if not frames:
        return output_frame("pegging", [])
    return output_frame("pegging", pd.concat(frames, ignore_index=True))
