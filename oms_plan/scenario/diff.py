"""The tables of a plan difference: promise changes, KPI deltas, weekly load, exceptions.

Each function takes the same table of two plans (``before`` and ``after``) and returns the
difference frame of SCHEMA.md "Scenarios"; they are pure and vectorized, so a diff of two
plans of 100,000 lines takes a second or two.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from oms_plan.replan.load import load_by_period, working_times

if TYPE_CHECKING:
    from oms_plan.dataset import Dataset

#: Columns of each difference table (SCHEMA.md), extra columns after them.
PROMISE_COLUMNS = (
    "order",
    "line",
    "item",
    "quantity_before",
    "quantity_after",
    "delivery_before",
    "delivery_after",
    "days_moved",
    "status_before",
    "status_after",
)
PROMISE_EXTRA = ("location_before", "location_after")
KPI_COLUMNS = ("kpi", "before", "after", "delta")
LOAD_COLUMNS = ("workstation", "week", "minutes_before", "minutes_after")
EXCEPTION_COLUMNS = ("kind", "item", "location", "order", "line", "change")
EXCEPTION_EXTRA = ("severity", "date", "message")
_EXCEPTION_KEY = ["kind", "item", "location", "order", "line"]


def line_view(promises: pd.DataFrame) -> pd.DataFrame:
    """One row per order line: what it gets, when, from where, and a shipment signature.

    Parameters
    ----------
    promises
        A ``promises`` table (one row per shipment, a short quantity its own row).

    Returns
    -------
    pandas.DataFrame
        Indexed by (order, line), in first-appearance order: ``item``, ``quantity``
        (promised, short rows excluded), ``delivery`` (the last delivery date; NaT when
        nothing is promised), ``status`` (``short`` if any quantity is short, else ``late``
        if any shipment is late, else ``on_time``), ``location`` (ship-from locations,
        comma-separated) and ``signature`` (every shipment, sorted: two lines with the same
        signature are promised exactly alike).

    """
    if promises.empty:
        index = pd.MultiIndex.from_arrays([[], []], names=["order", "line"])
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("item", "status", "location", "signature")}
            | {"quantity": pd.Series(dtype=float), "delivery": pd.Series(dtype="M8[ns]")},
            index=index,
        )[["item", "quantity", "delivery", "status", "location", "signature"]]
    p = promises.copy()
    p["order"] = p["order"].astype(str)
    p["line"] = p["line"].astype(str)
    short = p["status"].astype(str) == "short"
    delivery = pd.to_datetime(p["delivery_date"], errors="coerce")
    quantity = pd.to_numeric(p["quantity"], errors="coerce").fillna(0.0)
    p["_promised"] = quantity.where(~short, 0.0)
    p["_delivery"] = delivery.where(~short)
    p["_short"] = short
    p["_late"] = p["status"].astype(str) == "late"
    p["_location"] = p["location"].where(~short & p["location"].notna(), None)
    # Quantities rounded so a float written to CSV and read back signs the same.
    p["_shipment"] = (
        p["status"].astype(str)
        + "|"
        + p["_location"].fillna("").astype(str)
        + "|"
        + delivery.dt.strftime("%Y-%m-%d").fillna("")
        + "|"
        + quantity.round(6).map(repr)
    )
    grouped = p.groupby(["order", "line"], sort=False)
    out = pd.DataFrame(
        {
            "item": grouped["item"].first().astype(object),
            "quantity": grouped["_promised"].sum(),
            "delivery": grouped["_delivery"].max(),
            "_short": grouped["_short"].any(),
            "_late": grouped["_late"].any(),
            "location": grouped["_location"].agg(_joined),
            "signature": grouped["_shipment"].agg(lambda s: ";".join(sorted(s))),
        }
    )
    out["status"] = np.where(out["_short"], "short", np.where(out["_late"], "late", "on_time"))
    return out[["item", "quantity", "delivery", "status", "location", "signature"]]


def _joined(values: pd.Series) -> object:
    found = sorted({str(v) for v in values if v is not None and not pd.isna(v)})
    return ", ".join(found) if found else None


def promise_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Order lines promised differently in ``after`` than in ``before`` (changed lines only).

    A line present in one plan only is a changed row whose other side is empty. A line
    counts as changed when any of its shipments differs (quantity, date, ship-from
    location or status), so ``location_before``/``location_after`` are shown too.
    """
    a, b = line_view(before), line_view(after)
    joined = a.add_suffix("_before").join(b.add_suffix("_after"), how="outer", sort=False)
    # Lines of the later plan first, in its order, then lines it no longer has.
    order = list(b.index) + [k for k in a.index if k not in b.index]
    joined = joined.reindex(pd.MultiIndex.from_tuples(order, names=["order", "line"]))
    changed = joined["signature_before"].fillna("\0") != joined["signature_after"].fillna("\0")
    rows = joined.loc[changed].reset_index()
    rows["item"] = rows["item_after"].where(rows["item_after"].notna(), rows["item_before"])
    moved = (rows["delivery_after"] - rows["delivery_before"]).dt.days
    rows["days_moved"] = moved.astype("Int64")
    out = rows[[*PROMISE_COLUMNS, *PROMISE_EXTRA]].reset_index(drop=True)
    for col in ("order", "line", "item", "status_before", "status_after", *PROMISE_EXTRA):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def kpi_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Every KPI of either plan: its value before and after, and the delta when numeric."""
    b = dict(zip(before["kpi"], before["value"], strict=True))
    a = dict(zip(after["kpi"], after["value"], strict=True))
    names = list(b) + [k for k in a if k not in b]
    rows = []
    for name in names:
        old, new = _number(b.get(name)), _number(a.get(name))
        delta: object = None
        if _is_number(old) and _is_number(new):
            delta = round(float(new) - float(old), 6)  # type: ignore[arg-type]
        rows.append({"kpi": name, "before": old, "after": new, "delta": delta})
    return pd.DataFrame(rows, columns=list(KPI_COLUMNS)).astype(object)


def _number(value: object) -> object:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _is_number(value: object) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool | np.bool_)
        and not np.isnan(float(value))
    )


def load_changes(
    before: pd.DataFrame, after: pd.DataFrame, dataset: Dataset | None = None
) -> pd.DataFrame:
    """Minutes per workstation and week in both plans (every week either plan loads).

    With ``dataset``, working minutes (calendar minus downtime) of that dataset; without,
    clock minutes from start to end of each operation.
    """
    if dataset is None:
        b, a = load_by_period(before, "week"), load_by_period(after, "week")
    else:
        working, _ = working_times(dataset)
        origin = pd.Timestamp(dataset.start)
        b = load_by_period(before, "week", working, origin)
        a = load_by_period(after, "week", working, origin)
    both = pd.concat({"minutes_before": b, "minutes_after": a}, axis=1).fillna(0.0)
    both = both.sort_index().reset_index()
    both["workstation"] = both["workstation"].astype(object)
    return both[list(LOAD_COLUMNS)]


def exception_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Exceptions raised only by ``after`` (``new``) or only by ``before`` (``resolved``).

    Exceptions are matched on (kind, item, location, order, line), as many times as each
    plan raises them; a date or wording that changed does not make a new exception.
    """

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.reindex(columns=[*_EXCEPTION_KEY, *EXCEPTION_EXTRA]).copy()
        for col in _EXCEPTION_KEY:
            out[col] = out[col].map(lambda v: "" if v is None or pd.isna(v) else str(v))
        out["_n"] = out.groupby(_EXCEPTION_KEY, sort=False).cumcount()
        return out

    b, a = keyed(before), keyed(after)
    merged = b.merge(
        a,
        on=[*_EXCEPTION_KEY, "_n"],
        how="outer",
        indicator=True,
        sort=False,
        suffixes=("_b", "_a"),
    )
    rows = []
    for side, change, suffix in (("right_only", "new", "_a"), ("left_only", "resolved", "_b")):
        part = merged.loc[merged["_merge"] == side]
        frame = part[_EXCEPTION_KEY].copy()
        frame["change"] = change
        for col in EXCEPTION_EXTRA:
            frame[col] = part[f"{col}{suffix}"]
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)[[*EXCEPTION_COLUMNS, *EXCEPTION_EXTRA]]
    for col in _EXCEPTION_KEY:
        out[col] = out[col].map(lambda v: None if v == "" else v).astype(object)
    return out.reset_index(drop=True)
