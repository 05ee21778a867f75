"""MRP exception messages (docs/outputs.md ``exceptions``), built from the netting arrays.

Kinds and when they are raised:

``expedite`` (warning)
    a planned order's release date falls before plan start (it keeps that date).
``reschedule_in`` (warning) / ``reschedule_out`` (info) / ``cancel`` (warning)
    a scheduled receipt is needed before / after its due date, or not within the horizon.
    A receipt's need date is the first day on which the gross requirements to date exceed
    stock plus the earlier receipts less safety stock (the projection without planned
    orders); the plan itself keeps receipts where they are.
``below_safety_stock`` (warning)
    stock at plan start is below the item's safety stock, or the projected on-hand of a
    buffer without sourcing falls below it.
``no_sourcing`` (error)
    a requirement (order line or parent planned order) at a buffer with no sourcing row
    cannot be covered; one message per requirement, with the quantity short.
``beyond_horizon`` (info)
    an order line ships, or a scheduled receipt is due, after the last plannable day; it
    is left out of the plan.
``sourcing_cycle`` (warning)
    a transfer alternative would make material flow in a circle; it is not used.

The ``order`` column holds the order of a line, a planned order id or a supply id.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from oms_plan.dataset import Dataset
from oms_plan.mrp.lotsizing import TOL
from oms_plan.mrp.netting import NettingResult
from oms_plan.mrp.pegging import ORDER_LINE, PARENT_ORDER, SHORT, Pegging
from oms_plan.mrp.problem import MrpProblem
from oms_plan.outputs import OUTPUT_COLUMNS, empty_output, output_frame

#: Severity of each kind.
SEVERITY = {
    "expedite": "warning",
    "reschedule_in": "warning",
    "reschedule_out": "info",
    "cancel": "warning",
    "below_safety_stock": "warning",
    "no_sourcing": "error",
    "beyond_horizon": "info",
    "sourcing_cycle": "warning",
}


def _fmt(q: float) -> str:
    return f"{q:.6g}"


def _date(start: dt.date, day: int | np.integer) -> dt.datetime:
    # Plain datetimes (tens of thousands of rows at scale); the column becomes datetime64.
    return dt.datetime(start.year, start.month, start.day) + dt.timedelta(days=int(day))


def mrp_exceptions(
    dataset: Dataset,
    problem: MrpProblem,
    netting: NettingResult,
    pegging: Pegging,
    po_ids: NDArray[np.object_],
    *,
    reschedule_days: int = 0,
) -> pd.DataFrame:
    """All exception rows of an MRP run, sorted by kind, then date, item, location, order.

    Parameters
    ----------
    dataset
        The planned dataset (for table rows named in messages).
    problem
        Its MRP problem.
    netting
        The netting result.
    pegging
        The pegging result.
    po_ids
        Planned order ids, aligned with the netting's planned orders.
    reschedule_days
        Receipts within this many days of their need date raise no reschedule message.

    Returns
    -------
    pandas.DataFrame
        The ``exceptions`` table.

    """
    p, n = problem, netting
    rows: list[dict[str, object]] = []

    def add(kind: str, message: str, b: int | None = None, **kw: object) -> None:
        row: dict[str, object] = {"kind": kind, "severity": SEVERITY[kind], "message": message}
        if b is not None:
            row["item"], row["location"] = p.item_of(b), p.location_of(b)
        row.update(kw)
        rows.append(row)

    for k in np.flatnonzero(n.po_release < 0):
        b, rel, due = int(n.po_buf[k]), int(n.po_release[k]), int(n.po_due[k])
        add(
            "expedite",
            f"planned order {po_ids[k]} must be released {-rel} day(s) before plan start "
            f"(lead time {int(p.src_lead[n.po_src[k]])} days) to be due "
            f"{_date(p.start, due).date()}",
            b,
            order=po_ids[k],
            date=_date(p.start, rel),
        )

    for r in range(len(p.rec_buf)):
        b, due, need = int(p.rec_buf[r]), int(p.rec_day[r]), int(n.rec_need_day[r])
        sid = p.supply_ids[p.rec_row[r]]
        if need >= p.horizon_days:
            add(
                "cancel",
                f"receipt {sid} ({_fmt(p.rec_qty[r])}) is not needed within the horizon",
                b,
                order=sid,
                date=_date(p.start, due),
            )
        elif need < due - reschedule_days:
            add(
                "reschedule_in",
                f"receipt {sid} due {_date(p.start, due).date()} is needed "
                f"{due - need} day(s) earlier",
                b,
                order=sid,
                date=_date(p.start, need),
            )
        elif need > due + reschedule_days:
            add(
                "reschedule_out",
                f"receipt {sid} due {_date(p.start, due).date()} is not needed until "
                f"{_date(p.start, need).date()}",
                b,
                order=sid,
                date=_date(p.start, need),
            )

    ss = p.safety_stock
    low_start = (ss > TOL) & (p.on_hand < ss - TOL)
    for b in np.flatnonzero(low_start | (n.below_day >= 0)).tolist():
        day = 0 if low_start[b] else int(n.below_day[b])
        what = (
            f"stock at plan start {_fmt(p.on_hand[b])}"
            if low_start[b]
            else f"projected on hand falls to {_fmt(n.below_min[b])}"
        )
        add(
            "below_safety_stock",
            f"{what} is below safety stock {_fmt(ss[b])}",
            b,
            date=_date(p.start, day),
        )

    short = np.flatnonzero(
        (pegging.sup_kind == SHORT)
        & ((pegging.req_kind == ORDER_LINE) | (pegging.req_kind == PARENT_ORDER))
    )
    for k in short:
        b, ref = int(pegging.buf[k]), int(pegging.req_ref[k])
        msg = (
            f"no sourcing row for {p.item_of(b)} at {p.location_of(b)}: "
            f"{_fmt(pegging.quantity[k])} short"
        )
        if pegging.req_kind[k] == ORDER_LINE:
            row = int(p.dem_row[ref])
            order, line = p.order_ids[row], p.line_ids[row]
        else:
            order, line = po_ids[n.dep_parent[ref]], None
        add("no_sourcing", msg, b, order=order, line=line, date=_date(p.start, pegging.need_day[k]))

    orders, ship = dataset.orders, dataset.shipping
    for row in p.late_dem_row:
        day = int(ship["ship_day"].iat[row])
        add(
            "beyond_horizon",
            f"line ships {_date(p.start, day).date()}, after the last plannable day "
            f"{dataset.end}: not planned",
            None,
            item=orders["item"].iat[row],
            location=ship["ship_location"].iat[row],
            order=orders["order"].iat[row],
            line=orders["line"].iat[row],
            date=_date(p.start, day),
        )
    supply = dataset.supply
    for row in p.late_rec_row:
        add(
            "beyond_horizon",
            f"receipt {supply['supply'].iat[row]} is due after the last plannable day "
            f"{dataset.end}: not planned",
            None,
            item=supply["item"].iat[row],
            location=supply["location"].iat[row],
            order=supply["supply"].iat[row],
            date=pd.Timestamp(supply["due_date"].iat[row]),
        )
    src = dataset.sourcing
    for row in p.dropped_src_rows:
        add(
            "sourcing_cycle",
            f"sourcing row {int(row) + 1} (transfer of {src['item'].iat[row]} to "
            f"{src['location'].iat[row]} from {src['from_location'].iat[row]}) would make "
            "material flow in a circle and is not used",
            None,
            item=src["item"].iat[row],
            location=src["location"].iat[row],
        )
    if not rows:
        return empty_output("exceptions")
    frame = output_frame("exceptions", rows)
    frame["date"] = pd.to_datetime(frame["date"])
    kind_rank = {k: i for i, k in enumerate(SEVERITY)}
    frame["_k"] = frame["kind"].map(kind_rank)
    frame = frame.sort_values(
        ["_k", "date", "item", "location", "order"], kind="mergesort", na_position="last"
    )
    return frame.drop(columns="_k").reset_index(drop=True)[list(OUTPUT_COLUMNS["exceptions"])]
