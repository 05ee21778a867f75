"""``plan_materials``: one MRP run from a dataset to its result tables."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError, VerificationError
from oms_plan.mrp.checker import check_materials
from oms_plan.mrp.exceptions import SEVERITY, mrp_exceptions
from oms_plan.mrp.netting import NettingResult, net_requirements
from oms_plan.mrp.pegging import (
    EXCESS,
    ORDER_LINE,
    PARENT_ORDER,
    PLANNED,
    RECEIPT,
    SAFETY_STOCK,
    SHORT,
    STOCK,
    Pegging,
    peg,
)
from oms_plan.mrp.problem import METHOD_NAMES, TRANSFER, MrpProblem, build_problem
from oms_plan.mrp.result import MrpResult
from oms_plan.outputs import output_frame

log = logging.getLogger("oms_plan")


def plan_materials(
    dataset: Dataset,
    *,
    reschedule_days: int = 0,
    verify: bool = False,
) -> MrpResult:
    """Run MRP on ``dataset``: planned orders, pegging, projection, exceptions, KPIs.

    Parameters
    ----------
    dataset
        A loaded dataset (:func:`oms_plan.load`).
    reschedule_days
        Dampener: a scheduled receipt within this many days of its need date raises no
        ``reschedule_in`` / ``reschedule_out`` message (default 0: every difference).
    verify
        Re-check the answer with the independent checker (:func:`oms_plan.check`).

    Returns
    -------
    MrpResult
        The tables ``oms-plan mrp`` writes (docs/outputs.md).

    Raises
    ------
    PlanningError
        When an option is invalid or the items' lot rules contradict each other.
    VerificationError
        With ``verify``, when the checker finds a violation (a bug in oms_plan).

    Examples
    --------
    >>> result = plan_materials(oms_plan.load("data/tiny"))  # doctest: +SKIP
    >>> result.planned_orders.head()  # doctest: +SKIP

    """
    if reschedule_days < 0:
        raise PlanningError(f"reschedule_days must be ≥ 0, got {reschedule_days}")
    t0 = time.perf_counter()
    problem = build_problem(dataset)
    t1 = time.perf_counter()
    netting = net_requirements(problem)
    t2 = time.perf_counter()
    pegs = peg(problem, netting)
    t3 = time.perf_counter()
    ids = planned_order_ids(problem, netting)
    planned = planned_orders_frame(problem, netting, ids)
    pegging = pegging_frame(problem, netting, pegs, ids)
    projection = mrp_projection(dataset, problem, netting)
    exceptions = mrp_exceptions(
        dataset, problem, netting, pegs, ids, reschedule_days=reschedule_days
    )
    runtime = time.perf_counter() - t0
    log.debug(
        "mrp: build %.3fs, netting %.3fs, pegging %.3fs, total %.3fs",
        t1 - t0,
        t2 - t1,
        t3 - t2,
        runtime,
    )
    kpis = _kpis(problem, netting, pegs, planned, exceptions, runtime)
    result = MrpResult(
        planned_orders=planned,
        pegging=pegging,
        projection=projection,
        exceptions=exceptions,
        kpis=kpis,
        runtime=runtime,
    )
    if verify:
        report = check_materials(result, dataset)
        if not report.ok:
            raise VerificationError(f"MRP answer failed its check: {report}")
    return result


def planned_order_ids(problem: MrpProblem, netting: NettingResult) -> NDArray[np.object_]:
    """Deterministic ids ``PLN-<item>-<location>-<n>``, n = 1, 2, … per buffer by due date.

    Should an id collide with a supply id (or ``stock``), the prefix gets more ``X``s
    until none does.
    """
    p, n = problem, netting
    if n.num_orders == 0:
        return np.zeros(0, dtype=object)
    starts = np.r_[True, n.po_buf[1:] != n.po_buf[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n.num_orders), 0))
    seq = np.arange(n.num_orders) - first + 1
    labels = [f"{p.item_of(b)}-{p.location_of(b)}" for b in range(p.num_buffers)]
    taken = {str(s) for s in p.supply_ids} | {"stock"}
    prefix = "PLN"
    while True:
        ids = np.array(
            [
                f"{prefix}-{labels[b]}-{k}"
                for b, k in zip(n.po_buf.tolist(), seq.tolist(), strict=True)
            ],
            dtype=object,
        )
        if taken.isdisjoint(ids.tolist()):
            return ids
        prefix += "X"


def _dates(start: object, days: NDArray[np.int64]) -> pd.Series:
    return pd.Series(pd.Timestamp(start) + pd.to_timedelta(days, unit="D"))


def planned_orders_frame(
    problem: MrpProblem, netting: NettingResult, ids: NDArray[np.object_]
) -> pd.DataFrame:
    """The ``planned_orders`` table (sorted by item, location, due date, id)."""
    p, n = problem, netting
    method = p.src_method[n.po_src]
    from_loc = np.array(
        [
            p.location_of(int(b)) if b >= 0 else None
            for b in np.where(method == TRANSFER, p.src_from[n.po_src], -1).tolist()
        ],
        dtype=object,
    )
    frame = pd.DataFrame(
        {
            "planned_order": ids,
            "method": np.array(METHOD_NAMES, dtype=object)[method],
            "item": np.array(p.item_ids, dtype=object)[p.buf_item[n.po_buf]],
            "location": np.array(p.location_ids, dtype=object)[p.buf_loc[n.po_buf]],
            "from_location": from_loc,
            "quantity": n.po_qty,
            "release_date": _dates(p.start, n.po_release),
            "due_date": _dates(p.start, n.po_due),
        }
    )
    order = np.lexsort(
        (np.arange(n.num_orders), n.po_due, p.buf_loc[n.po_buf], p.buf_item[n.po_buf])
    )
    return output_frame("planned_orders", frame.iloc[order])


def pegging_frame(
    problem: MrpProblem,
    netting: NettingResult,
    pegs: Pegging,
    ids: NDArray[np.object_],
) -> pd.DataFrame:
    """The ``pegging`` table plus ``need_date``, ``supply_date`` and ``peg``."""
    p, n = problem, netting
    k = len(pegs)
    supplier = np.full(k, None, dtype=object)
    sup_day = np.zeros(k, dtype=np.int64)
    m = pegs.sup_kind == STOCK
    supplier[m] = "stock"
    m = pegs.sup_kind == RECEIPT
    supplier[m] = p.supply_ids[p.rec_row[pegs.sup_ref[m]]]
    sup_day[m] = p.rec_day[pegs.sup_ref[m]]
    m = pegs.sup_kind == PLANNED
    supplier[m] = ids[pegs.sup_ref[m]]
    sup_day[m] = n.po_due[pegs.sup_ref[m]]
    order = np.full(k, None, dtype=object)
    line = np.full(k, None, dtype=object)
    m = pegs.req_kind == ORDER_LINE
    rows = p.dem_row[pegs.req_ref[m]]
    order[m] = p.order_ids[rows]
    line[m] = p.line_ids[rows]
    m = pegs.req_kind == PARENT_ORDER
    order[m] = ids[n.dep_parent[pegs.req_ref[m]]]
    peg_kind = np.full(k, "demand", dtype=object)
    peg_kind[pegs.req_kind == SAFETY_STOCK] = "safety_stock"
    peg_kind[pegs.req_kind == EXCESS] = "excess"
    peg_kind[pegs.sup_kind == SHORT] = "short"
    leftover = (pegs.req_kind == SAFETY_STOCK) | (pegs.req_kind == EXCESS)
    need = _dates(p.start, pegs.need_day).where(~leftover)
    supply_date = _dates(p.start, sup_day).where(pegs.sup_kind != SHORT)
    frame = pd.DataFrame(
        {
            "supplier": supplier,
            "item": np.array(p.item_ids, dtype=object)[p.buf_item[pegs.buf]],
            "location": np.array(p.location_ids, dtype=object)[p.buf_loc[pegs.buf]],
            "quantity": pegs.quantity,
            "order": order,
            "line": line,
            "need_date": need,
            "supply_date": supply_date,
            "peg": peg_kind,
        }
    )
    sort = np.lexsort((np.arange(k), p.buf_loc[pegs.buf], p.buf_item[pegs.buf]))
    return output_frame("pegging", frame.iloc[sort])


def mrp_projection(dataset: Dataset, problem: MrpProblem, netting: NettingResult) -> pd.DataFrame:
    """The ``projection`` table: MRP on-hand and ATP per buffer, on change days only.

    One row per buffer at plan start and one per day where its on_hand or atp changes
    (:func:`expand_projection` gives one row per day back).
    """
    from oms_plan.atp import AtpLedger

    p, n = problem, netting
    horizon = p.horizon_days
    # Expand change points into one value per day. Change points come sorted by buffer
    # (buffers are netted in increasing order) and every buffer has one on day 0.
    ends = np.r_[n.proj_day[1:], horizon]
    last = np.r_[n.proj_buf[1:] != n.proj_buf[:-1], True] if len(n.proj_buf) else np.zeros(0, bool)
    ends = np.where(last, horizon, ends)
    blocks = np.repeat(n.proj_value, ends - n.proj_day).reshape(p.num_buffers, horizon)
    chosen = np.lexsort((p.buf_loc, p.buf_item))
    blocks = blocks[chosen]
    items = np.array(p.item_ids, dtype=object)[p.buf_item[chosen]]
    locs = np.array(p.location_ids, dtype=object)[p.buf_loc[chosen]]
    # ATP from the ATP engine's ledger (what oms_plan.atp.projection_frame tabulates): stock
    # and scheduled receipts against commitments, never below 0. Buffers it does not know
    # hold no stock or receipts: nothing to promise.
    ledger = AtpLedger.from_dataset(dataset)
    atp = np.zeros((len(chosen), horizon))
    for k, (item, loc) in enumerate(zip(items.tolist(), locs.tolist(), strict=True)):
        b = ledger.buffer(item, loc)
        if b is not None:
            atp[k] = ledger.atp(b)
    # Sparse (the contract allows it): plan start, then only the days where on_hand or atp
    # changes; a reader carries values forward. At 10k items a dense table is 15 M rows.
    keep = np.ones(blocks.shape, dtype=bool)
    if horizon > 1:
        keep[:, 1:] = (blocks[:, 1:] != blocks[:, :-1]) | (atp[:, 1:] != atp[:, :-1])
    buf_rows, day_cols = np.nonzero(keep)
    frame = pd.DataFrame(
        {
            "item": pd.Categorical.from_codes(
                p.buf_item[chosen][buf_rows], categories=list(p.item_ids)
            ),
            "location": pd.Categorical.from_codes(
                p.buf_loc[chosen][buf_rows], categories=list(p.location_ids)
            ),
            "date": dataset.dates.to_numpy()[day_cols],
            "on_hand": _clean(blocks[buf_rows, day_cols]),
            "atp": _clean(atp[buf_rows, day_cols]),
        }
    )
    return output_frame("projection", frame)


def _clean(values: NDArray[np.float64]) -> NDArray[np.float64]:
    # Sums of fractional quantities leave float dust (1e-13): show exact integers.
    rounded = np.round(values)
    return np.where(np.abs(values - rounded) < 1e-9, rounded, values) + 0.0


def _kpis(
    problem: MrpProblem,
    netting: NettingResult,
    pegs: Pegging,
    planned: pd.DataFrame,
    exceptions: pd.DataFrame,
    runtime: float,
) -> dict[str, object]:
    values: dict[str, object] = {
        "planned_orders": len(planned),
    }
    for method in METHOD_NAMES:
        values[f"planned_orders_{method}"] = int((planned["method"] == method).sum())
    values["planned_quantity"] = float(planned["quantity"].sum()) if len(planned) else 0.0
    values["items_planned"] = int(planned["item"].nunique()) if len(planned) else 0
    values["buffers"] = problem.num_buffers
    values["buffers_planned"] = len(np.unique(netting.po_buf))
    values["expedited_orders"] = int((netting.po_release < 0).sum())
    values["short_quantity"] = float(pegs.quantity[pegs.sup_kind == SHORT].sum())
    values["exceptions"] = len(exceptions)
    for kind in SEVERITY:
        values[f"exceptions_{kind}"] = int((exceptions["kind"] == kind).sum())
    values["runtime_seconds"] = round(runtime, 6)
    return values


def expand_projection(projection: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per buffer and day of ``dates`` from a sparse ``projection`` (carried forward).

    Parameters
    ----------
    projection
        A ``projection`` table (sparse or dense), dates as dates or ISO strings.
    dates
        Every day of the horizon (``Dataset.dates``).

    Returns
    -------
    pandas.DataFrame
        Columns item, location, date, on_hand, atp; sorted by item, location, date.

    """
    if projection.empty:
        return projection.copy()
    frame = projection.assign(
        item=projection["item"].astype(str),
        location=projection["location"].astype(str),
        date=pd.to_datetime(projection["date"]),
    )
    keys = frame[["item", "location"]].drop_duplicates().sort_values(["item", "location"])
    grid = keys.merge(pd.DataFrame({"date": pd.to_datetime(dates)}), how="cross")
    out = grid.merge(frame, on=["item", "location", "date"], how="left")
    out = out.sort_values(["item", "location", "date"], kind="mergesort")
    out[["on_hand", "atp"]] = out.groupby(["item", "location"], sort=False)[
        ["on_hand", "atp"]
    ].ffill()
    return output_frame("projection", out.reset_index(drop=True))
