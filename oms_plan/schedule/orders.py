"""The orders a scheduling problem holds, read from the dataset, and their weights."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.outputs import ExceptionRow

#: Tardiness weight per priority: a mapping (missing priorities keep the default) or a function.
OrderWeights = Mapping[int, int] | Callable[[int], int]


def default_weight(priority: int) -> int:
    """Tardiness weight of an order of ``priority`` (1 = most important): ``max(1, 6 − p)``."""
    return max(1, 6 - int(priority))


def order_weight(priority: int, weights: OrderWeights | None) -> int:
    """The tardiness weight of an order of ``priority``.

    Parameters
    ----------
    priority
        The order's priority (1 = most important).
    weights
        Weight per priority (a mapping, missing priorities keep the default, or a
        function); ``None``: :func:`default_weight`.

    Returns
    -------
    int
        The weight.

    Raises
    ------
    PlanningError
        When the weight is not a positive integer.

    """
    w: object
    if weights is None:
        w = default_weight(priority)
    elif callable(weights):
        w = weights(priority)
    else:
        w = weights.get(priority, default_weight(priority))
    if isinstance(w, bool) or not isinstance(w, int | np.integer) or int(w) < 1:
        raise PlanningError(
            f"tardiness weight of priority {priority} must be a positive integer, got {w!r}"
        )
    return int(w)


def order_rows(
    ds: Dataset, extra: pd.DataFrame | None, diagnostics: list[ExceptionRow]
) -> list[dict[str, object]]:
    """The orders to schedule: the dataset's production supply, then the ``extra`` orders.

    Parameters
    ----------
    ds
        The dataset.
    extra
        Extra orders (see :meth:`SchedulingProblem.from_dataset`), or ``None``.
    diagnostics
        Receives a ``not_scheduled`` note per extra order that is not a make order.

    Returns
    -------
    list of dict
        Per order: ``id, item, location, quantity, release_date, due_date, priority``.

    Raises
    ------
    PlanningError
        For a malformed extra order or an id used twice.

    """
    sup = ds.supply
    sup = sup.loc[sup["kind"] == "production"]
    rows = [
        {
            "id": str(r.supply),
            "item": r.item,
            "location": r.location,
            "quantity": float(r.quantity),
            "release_date": r.release_date,
            "due_date": r.due_date,
            "priority": int(r.priority),
        }
        for r in sup.itertuples(index=False)
    ]
    if extra is not None:
        rows += _extra_rows(ds, extra, diagnostics)
    seen: set[str] = set()
    for r in rows:
        if r["id"] in seen:
            raise PlanningError(
                f"order id {r['id']!r} is used twice (ids of supply and planned orders must differ)"
            )
        seen.add(str(r["id"]))
    return rows


def _extra_rows(
    ds: Dataset, extra: pd.DataFrame, diagnostics: list[ExceptionRow]
) -> list[dict[str, object]]:
    id_col = next((c for c in ("planned_order", "order", "supply") if c in extra.columns), None)
    missing = [c for c in ("item", "location", "quantity", "due_date") if c not in extra.columns]
    if id_col is None or missing:
        need = ["planned_order (or order)"] if id_col is None else []
        raise PlanningError(f"orders: missing column(s) {', '.join(need + missing)}")
    out: list[dict[str, object]] = []
    # Whole columns at once (per-row conversions cost seconds at 20,000 orders); the
    # raw value is kept for messages.
    quantities = pd.to_numeric(extra["quantity"], errors="coerce").tolist()
    for pos, (r, number) in enumerate(
        zip(extra.to_dict("records"), quantities, strict=True), start=1
    ):
        oid = str(r[id_col])
        method = r.get("method")
        if isinstance(method, str) and method != "make":
            diagnostics.append(
                ExceptionRow(
                    "not_scheduled",
                    "info",
                    f"{method} order {oid!r} is not a manufacturing order",
                    item=str(r["item"]),
                    location=str(r["location"]),
                    order=oid,
                )
            )
            continue
        if r["item"] not in ds.item_index:
            raise PlanningError(f"orders row {pos}: order {oid!r} has unknown item {r['item']!r}")
        if r["location"] not in ds.location_index:
            raise PlanningError(
                f"orders row {pos}: order {oid!r} has unknown location {r['location']!r}"
            )
        qty = number
        if pd.isna(qty) or qty < 0:
            raise PlanningError(
                f"orders row {pos}: order {oid!r} needs a quantity ≥ 0, got {r['quantity']!r}"
            )
        try:
            due = pd.Timestamp(r["due_date"])
            rel_raw = r.get("release_date")
            release = (
                pd.Timestamp(ds.start)
                if rel_raw is None or pd.isna(rel_raw)
                else pd.Timestamp(rel_raw)
            )
        except (ValueError, TypeError) as exc:
            raise PlanningError(f"orders row {pos}: order {oid!r}: bad date ({exc})") from exc
        if pd.isna(due):
            raise PlanningError(f"orders row {pos}: order {oid!r} needs a due_date")
        prio = r.get("priority")
        out.append(
            {
                "id": oid,
                "item": r["item"],
                "location": r["location"],
                "quantity": float(qty),
                "release_date": release,
                "due_date": due,
                "priority": 3 if prio is None or pd.isna(prio) else int(prio),
            }
        )
    return out
