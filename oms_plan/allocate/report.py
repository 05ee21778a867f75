"""Turn option quantities into the SCHEMA tables: promises, exceptions and kpis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oms_plan.allocate.policies import Weights, weighted_value
from oms_plan.allocate.problem import AllocationProblem
from oms_plan.dataset import Dataset
from oms_plan.kpis import fill_rate_pct, on_time_pct, on_time_qty_pct
from oms_plan.outputs import ExceptionRow, exceptions_frame, output_frame


def allocation_promises(
    dataset: Dataset, problem: AllocationProblem, flows: np.ndarray
) -> pd.DataFrame:
    """The ``promises`` table: a row per shipment, then the short quantity of each line.

    Rows follow the orders table; within a line, shipments by ship date and location.
    """
    used = np.flatnonzero(flows > 0)
    binding_short, binding_opt = _bindings(problem, flows)
    start = pd.Timestamp(problem.start)
    loc_ids = np.array(problem.location_ids, dtype=object)
    item_ids = np.array(problem.item_ids, dtype=object)
    order_ids = np.array(problem.order_ids, dtype=object)
    line_scale = problem.item_scale[problem.line_item]

    ol = problem.opt_line[used]
    ship = pd.DataFrame(
        {
            "_row": problem.line_row[ol],
            "_kind": np.zeros(len(used), dtype=np.int64),
            "order": order_ids[problem.line_order[ol]],
            "line": problem.line_id[ol],
            "item": item_ids[problem.line_item[ol]],
            "quantity": _real(flows[used], line_scale[ol]),
            "location": loc_ids[problem.opt_location[used]],
            "ship_date": start + pd.to_timedelta(problem.opt_day[used], unit="D"),
            "delivery_date": start
            + pd.to_timedelta(problem.opt_day[used] + problem.opt_transit[used], unit="D"),
            "requested_date": start + pd.to_timedelta(problem.line_requested[ol], unit="D"),
            "days_late": problem.opt_late[used].astype(np.int64),
            "status": np.where(problem.opt_late[used] > 0, "late", "on_time").astype(object),
            "binding": binding_opt[used],
            "_day": problem.opt_day[used],
        }
    )
    filled = np.bincount(problem.opt_line, weights=flows, minlength=problem.num_lines)
    short_qty = problem.line_qty - np.rint(filled).astype(np.int64)
    sl = np.flatnonzero(short_qty > 0)
    short = pd.DataFrame(
        {
            "_row": problem.line_row[sl],
            "_kind": np.ones(len(sl), dtype=np.int64),
            "order": order_ids[problem.line_order[sl]],
            "line": problem.line_id[sl],
            "item": item_ids[problem.line_item[sl]],
            "quantity": _real(short_qty[sl], line_scale[sl]),
            "location": np.full(len(sl), None, dtype=object),
            "ship_date": pd.Series(pd.NaT, index=range(len(sl)), dtype="datetime64[ns]"),
            "delivery_date": pd.Series(pd.NaT, index=range(len(sl)), dtype="datetime64[ns]"),
            "requested_date": start + pd.to_timedelta(problem.line_requested[sl], unit="D"),
            "days_late": pd.array([pd.NA] * len(sl), dtype="Int64"),
            "status": np.full(len(sl), "short", dtype=object),
            "binding": binding_short[sl],
            "_day": np.zeros(len(sl), dtype=np.int64),
        }
    )
    parts = [p for p in (ship, short) if len(p)]
    if not parts:
        return output_frame("promises", [])
    rows = pd.concat(parts, ignore_index=True)
    rows["days_late"] = rows["days_late"].astype("Int64")
    rows = rows.sort_values(["_row", "_kind", "_day", "location"], kind="mergesort")
    return output_frame("promises", rows.drop(columns=["_row", "_kind", "_day"]))


def _real(scaled: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Scaled integers back to item units (whole numbers stay exact)."""
    return np.asarray(np.round(scaled / scale, 6), dtype=float)


def _bindings(problem: AllocationProblem, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Why a line is short (per line) and what bound each shipment's date (per option).

    A shipment is bound by the supply it waited for (``stock`` or ``supply:<id>`` of its
    interval), by ``transit`` when even shipping on the first day arrives late, or by
    ``priority:<order>/<line>`` when a more important line drew from the same buffer. A
    short quantity is bound by ``priority:…`` in the same way, else by ``stock``.
    """
    n, prio = problem.num_lines, problem.line_priority
    opt_buf = problem.opt_buffer
    n_buf = len(problem.buf_item)
    # Most important line drawing from each buffer (ties: larger quantity, then orders row).
    used = np.flatnonzero(flows > 0)
    taker = np.full(n_buf, -1, dtype=np.int64)
    if len(used):
        frame = pd.DataFrame(
            {
                "buf": opt_buf[used],
                "line": problem.opt_line[used],
                "qty": flows[used],
            }
        )
        frame = frame.groupby(["buf", "line"], sort=False)["qty"].sum().reset_index()
        frame["prio"] = prio[frame["line"].to_numpy()]
        frame["row"] = problem.line_row[frame["line"].to_numpy()]
        frame = frame.sort_values(["buf", "prio", "qty", "row"], ascending=[1, 1, 0, 1])
        first = frame.drop_duplicates("buf")
        taker[first["buf"].to_numpy()] = first["line"].to_numpy()

    def label(lines: np.ndarray) -> np.ndarray:
        orders = np.array(problem.order_ids, dtype=object)[problem.line_order[lines]]
        return np.array(
            [f"priority:{o}/{ln}" for o, ln in zip(orders, problem.line_id[lines], strict=True)],
            dtype=object,
        )

    # Per option: is a more important line drawing from the option's buffer?
    opt_taker = taker[opt_buf]
    more = (opt_taker >= 0) & (prio[np.maximum(opt_taker, 0)] < prio[problem.opt_line])
    binding_opt = problem.iv_source[problem.opt_interval].astype(object)
    transit_bound = (problem.opt_day == 0) & (problem.opt_late > 0)
    binding_opt = np.where(transit_bound, "transit", binding_opt).astype(object)
    late_more = more & (problem.opt_late > 0) & ~transit_bound
    if late_more.any():
        binding_opt[late_more] = label(opt_taker[late_more])
    # Per line: the most important taker among the line's options, if more important.
    binding_short = np.full(n, "stock", dtype=object)
    cand = np.flatnonzero(more)
    if len(cand):
        frame = pd.DataFrame({"line": problem.opt_line[cand], "taker": opt_taker[cand]})
        frame["tprio"] = prio[frame["taker"].to_numpy()]
        frame["trow"] = problem.line_row[frame["taker"].to_numpy()]
        frame = frame.sort_values(["line", "tprio", "trow"]).drop_duplicates("line")
        binding_short[frame["line"].to_numpy()] = label(frame["taker"].to_numpy())
    return binding_short, binding_opt


def exceptions_for(
    dataset: Dataset,
    problem: AllocationProblem,
    flows: np.ndarray,
    promises: pd.DataFrame,
    *,
    protect_commitments: bool,
) -> pd.DataFrame:
    """Exceptions: broken commitments, over-committed items, lines and receipts beyond horizon."""
    rows: list[ExceptionRow] = []
    orders = dataset.orders
    for row, reason in problem.excluded:
        o, ln, item = orders["order"].iat[row], orders["line"].iat[row], orders["item"].iat[row]
        text = (
            "requested after the last plannable day; not allocated"
            if reason == "beyond_horizon"
            else "quantity 0; nothing to allocate"
        )
        rows.append(
            ExceptionRow(
                kind="beyond_horizon" if reason == "beyond_horizon" else "zero_quantity",
                severity="info",
                item=item,
                order=o,
                line=ln,
                date=orders["requested_date"].iat[row],
                message=f"order {o!r} line {ln!r}: {text}",
            )
        )
    sup = dataset.supply
    late_supply = sup.loc[
        (sup["due_date"] - pd.Timestamp(dataset.start)).dt.days >= problem.horizon_days
    ]
    for _, s in late_supply.iterrows():
        rows.append(
            ExceptionRow(
                kind="beyond_horizon",
                severity="info",
                item=s["item"],
                location=s["location"],
                date=s["due_date"],
                message=f"receipt {s['supply']!r} is due after the last plannable day; "
                "not allocated",
            )
        )
    rows += _over_committed(problem)
    rows += _broken(problem, flows, promises, protect_commitments)
    return exceptions_frame(rows)


def _over_committed(problem: AllocationProblem) -> list[ExceptionRow]:
    """Items whose promised lines ask more than all their supply within the horizon."""
    out: list[ExceptionRow] = []
    n_items = len(problem.item_ids)
    promised = np.bincount(
        problem.line_item[problem.line_has_promise],
        weights=problem.line_qty[problem.line_has_promise],
        minlength=n_items,
    )
    supply = np.bincount(
        problem.buf_item[problem.iv_buffer], weights=problem.iv_supply, minlength=n_items
    )
    for i in np.flatnonzero(promised > supply):
        scale = problem.item_scale[i]
        out.append(
            ExceptionRow(
                kind="over_committed",
                severity="warning",
                item=problem.item_ids[i],
                message=f"item {problem.item_ids[i]!r}: promised lines ask "
                f"{promised[i] / scale:g}, stock and receipts within the horizon are "
                f"{supply[i] / scale:g}",
            )
        )
    return out


def _broken(
    problem: AllocationProblem, flows: np.ndarray, promises: pd.DataFrame, protect: bool
) -> list[ExceptionRow]:
    """One ``broken_commitment`` per promised line not fully delivered by its promised date."""
    del promises
    kept = np.bincount(
        problem.opt_line, weights=flows * problem.opt_keep, minlength=problem.num_lines
    )
    broken = np.flatnonzero(problem.line_has_promise & (kept < problem.line_qty))
    if not len(broken):
        return []
    binding_short, binding_opt = _bindings(problem, flows)
    filled = np.bincount(problem.opt_line, weights=flows, minlength=problem.num_lines)
    lo = np.searchsorted(problem.opt_line, broken, side="left")
    hi = np.searchsorted(problem.opt_line, broken, side="right")
    start = pd.Timestamp(problem.start)
    out: list[ExceptionRow] = []
    for j, a, b in zip(broken, lo, hi, strict=True):
        used = np.arange(a, b)[flows[a:b] > 0]
        order = problem.order_ids[problem.line_order[j]]
        line = str(problem.line_id[j])
        promised = start + pd.Timedelta(days=int(problem.line_promised[j]))
        scale = problem.item_scale[problem.line_item[j]]
        missing = (problem.line_qty[j] - kept[j]) / scale
        late = used[~problem.opt_keep[used]]
        reasons = {str(x) for x in binding_opt[late]}
        if filled[j] < problem.line_qty[j]:
            reasons.add(str(binding_short[j]))
        why = ", ".join(sorted(reasons)) or "stock"
        if not protect:
            why += " (commitment protection was off)"
        if len(used):
            last = int((problem.opt_day[used] + problem.opt_transit[used]).max())
            when = f"last delivery {(start + pd.Timedelta(days=last)).date().isoformat()}"
        else:
            when = "nothing delivered"
        out.append(
            ExceptionRow(
                kind="broken_commitment",
                severity="warning",
                item=problem.item_ids[problem.line_item[j]],
                order=order,
                line=line,
                date=promised,
                message=f"order {order!r} line {line!r}: promised {promised.date().isoformat()}, "
                f"{missing:g} of {problem.line_qty[j] / scale:g} not delivered by then "
                f"({when}); bound by {why}",
            )
        )
    return out


def kpis_for(
    problem: AllocationProblem,
    flows: np.ndarray,
    promises: pd.DataFrame,
    exceptions: pd.DataFrame,
    *,
    weights: Weights,
) -> dict[str, object]:
    """Service-level KPIs (solver KPIs are added by the caller)."""
    qty = problem.line_qty.astype(float)
    scale = problem.item_scale[problem.line_item].astype(float)
    per_line = np.bincount(problem.opt_line, weights=flows, minlength=problem.num_lines)
    on_time = np.bincount(
        problem.opt_line, weights=flows * problem.opt_on_time, minlength=problem.num_lines
    )
    total = float((qty / scale).sum())
    late_rows = promises.loc[promises["status"] == "late"]
    ships = promises.loc[promises["status"] != "short"]
    key = ["order", "line"]
    cost = float(np.dot(flows / problem.opt_scale, problem.opt_cost))
    all_lines = problem.num_lines + len(problem.excluded)
    return {
        "lines": all_lines,
        "lines_planned": problem.num_lines,
        "ordered_quantity": round(total, 6),
        "on_time_pct": on_time_pct(int((on_time >= qty).sum()), all_lines),
        "fill_rate_pct": fill_rate_pct(float((per_line / scale).sum()), total),
        "on_time_qty_pct": on_time_qty_pct(float((on_time / scale).sum()), total),
        "lines_on_time": int((on_time >= qty).sum()),
        "lines_late": int(late_rows[key].drop_duplicates().shape[0]),
        "lines_short": int((per_line < qty).sum()),
        "total_days_late": int(late_rows.groupby(key)["days_late"].max().sum())
        if len(late_rows)
        else 0,
        "unit_days_late": round(
            float((late_rows["quantity"] * late_rows["days_late"].astype(float)).sum()), 6
        ),
        "shipments": len(ships),
        "shipping_cost": round(cost, 4),
        "broken_commitments": int((exceptions["kind"] == "broken_commitment").sum()),
        "weighted_objective": round(weighted_value(problem, flows, weights), 4),
    }
