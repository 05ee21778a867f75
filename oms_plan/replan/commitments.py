"""``broken_commitment`` exceptions of the plan's promises (not only the allocation's).

A line with a ``promised_date`` is a commitment. The allocation reports the commitments it
cannot keep from stock and receipts; the plan then promises from planned supply too, and
moves lines where the schedule finishes later — so the plan reports again, from its final
promises: one warning per committed line not wholly delivered by its promised date, with
its last delivery and the bindings that held it back.
"""

from __future__ import annotations

import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.outputs import ExceptionRow, output_frame


def broken_commitments(dataset: Dataset, promises: pd.DataFrame) -> pd.DataFrame:
    """One ``broken_commitment`` exception per committed line the promises do not keep.

    Parameters
    ----------
    dataset
        The dataset (its orders' ``promised_date``).
    promises
        The plan's ``promises``.

    Returns
    -------
    pandas.DataFrame
        An ``exceptions`` table (``date`` = the promised date).

    """
    orders = dataset.orders
    committed = orders.loc[orders["promised_date"].notna()]
    if committed.empty or promises.empty:
        return output_frame("exceptions", [])
    key = committed["order"].astype(str) + "\x1f" + committed["line"].astype(str)
    promised_of = dict(zip(key, pd.to_datetime(committed["promised_date"]), strict=True))
    rows = promises.assign(
        _key=promises["order"].astype(str) + "\x1f" + promises["line"].astype(str)
    )
    rows = rows.loc[rows["_key"].isin(promised_of)]
    if rows.empty:
        return output_frame("exceptions", [])
    promised_at = rows["_key"].map(promised_of)
    on_time = (rows["status"].astype(str) != "short") & (
        pd.to_datetime(rows["delivery_date"]) <= promised_at
    )
    kept_of = rows["quantity"].where(on_time, 0.0).groupby(rows["_key"], sort=False).sum()
    listed = set(rows["_key"])
    broken = {
        k
        for k, q in zip(key, committed["quantity"].to_numpy(dtype=float), strict=True)
        if k in listed and float(kept_of.get(k, 0.0)) < q - 1e-6
    }
    by_line = {k: part for k, part in rows.loc[rows["_key"].isin(broken)].groupby("_key")}
    out: list[ExceptionRow] = []
    for order, line, item, qty, promised in zip(
        committed["order"].astype(str),
        committed["line"].astype(str),
        committed["item"].astype(str),
        committed["quantity"].to_numpy(dtype=float),
        pd.to_datetime(committed["promised_date"]),
        strict=True,
    ):
        part = by_line.get(f"{order}\x1f{line}")
        if part is None:
            continue
        shipped = part.loc[part["status"].astype(str) != "short"]
        delivery = pd.to_datetime(shipped["delivery_date"])
        kept = float(shipped.loc[(delivery <= promised).to_numpy(), "quantity"].sum())
        # Short rows and deliveries after the promise (a short row has no date: NaT).
        late = part.loc[
            (part["status"].astype(str) == "short")
            | (pd.to_datetime(part["delivery_date"]) > promised)
        ]
        why = ", ".join(sorted({str(b) for b in late["binding"] if isinstance(b, str)})) or "stock"
        when = (
            f"last delivery {delivery.max().date().isoformat()}"
            if len(delivery)
            else "nothing delivered"
        )
        out.append(
            ExceptionRow(
                kind="broken_commitment",
                severity="warning",
                item=item,
                order=order,
                line=line,
                date=promised,
                message=f"order {order!r} line {line!r}: promised {promised.date().isoformat()}, "
                f"{qty - kept:g} of {qty:g} not delivered by then ({when}); bound by {why}",
            )
        )
    return output_frame("exceptions", [r.to_row() for r in out])
