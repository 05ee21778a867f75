"""Lines that depended on a manufacturing order the scheduler set aside become short.

An order the scheduler cannot run (see :attr:`oms_plan.schedule.ScheduleResult.set_aside`)
will not deliver. Every customer line pegged to it — directly, or through the planned
orders it feeds (a component order feeds its parent, a plant's order feeds a transfer) —
loses the pegged quantity: it is taken from the line's latest shipments and reported short
with binding ``capacity:<workstation>``, the workstation that could not hold the order.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from oms_plan.outputs import output_frame


def blocked_suppliers(pegging: pd.DataFrame, set_aside: Mapping[str, str]) -> dict[str, str]:
    """Supplier id → workstation, for set-aside orders and everything they feed.

    Parameters
    ----------
    pegging
        The ``pegging`` table (a supplier feeding a parent order has the parent's id in
        ``order``).
    set_aside
        Set-aside order id → its workstation.

    """
    blocked = dict(set_aside)
    if pegging.empty or not blocked:
        return blocked
    # Rows that feed a parent order have no line; rows with a line serve a customer.
    feeds = pegging.loc[pegging["line"].isna()]
    suppliers = feeds["supplier"].astype(str).tolist()
    parents = feeds["order"].tolist()
    frontier = set(blocked)
    while frontier:
        nxt: set[str] = set()
        for supplier, parent in zip(suppliers, parents, strict=True):
            if supplier in frontier and isinstance(parent, str) and parent not in blocked:
                blocked[parent] = blocked[supplier]
                nxt.add(parent)
        frontier = nxt
    return blocked


def short_lines(
    promises: pd.DataFrame, pegging: pd.DataFrame, set_aside: Mapping[str, str]
) -> pd.DataFrame:
    """``promises`` with the quantity pegged to set-aside orders made short.

    Parameters
    ----------
    promises
        The ``promises`` table.
    pegging
        The ``pegging`` table.
    set_aside
        Set-aside order id → the workstation that could not hold it.

    Returns
    -------
    pandas.DataFrame
        The promises; an affected line keeps its row order, its latest shipments shrink
        and its short row (added if needed) has binding ``capacity:<workstation>``.

    """
    if not set_aside or promises.empty or pegging.empty:
        return promises
    blocked = blocked_suppliers(pegging, set_aside)
    pegs = pegging.loc[pegging["supplier"].astype(str).isin(blocked)]
    lost: dict[tuple[str, str], float] = {}
    where: dict[tuple[str, str], str] = {}
    keys = set(zip(promises["order"].astype(str), promises["line"].astype(str), strict=True))
    for supplier, order, line, qty in zip(
        pegs["supplier"].astype(str), pegs["order"], pegs["line"], pegs["quantity"], strict=True
    ):
        if not isinstance(order, str) or line is None or pd.isna(line):
            continue
        key = (order, _line(line))
        if key not in keys:
            continue  # a parent planned order, not a customer line
        lost[key] = lost.get(key, 0.0) + float(qty)
        where.setdefault(key, blocked[supplier])
    if not lost:
        return promises
    frame = promises.reset_index(drop=True)
    line_key = list(zip(frame["order"].astype(str), frame["line"].astype(str), strict=True))
    out: list[pd.DataFrame] = []
    start = 0
    # Rows of a line are consecutive in the promises table: rewrite each affected block.
    k = 0
    n = len(frame)
    while k < n:
        j = k
        while j < n and line_key[j] == line_key[k]:
            j += 1
        key = line_key[k]
        if key in lost:
            out.append(frame.iloc[start:k])
            out.append(_cut(frame.iloc[k:j], lost[key], f"capacity:{where[key]}"))
            start = j
        k = j
    out.append(frame.iloc[start:])
    merged = pd.concat([f for f in out if not f.empty], ignore_index=True)
    return output_frame("promises", merged)


def _line(value: object) -> str:
    # Line ids are read as numbers from some tables (1.0): compare them as the text "1".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cut(rows: pd.DataFrame, quantity: float, binding: str) -> pd.DataFrame:
    """One line's promise rows with ``quantity`` more short (latest shipments first)."""
    rows = rows.copy()
    is_short = rows["status"] == "short"
    already = float(rows.loc[is_short, "quantity"].sum())
    total = float(rows["quantity"].sum())
    target = min(total, max(already, quantity))
    take = target - already
    shipped = rows.loc[~is_short].sort_values("ship_date", kind="mergesort", ascending=False)
    for idx in shipped.index:
        if take <= 1e-9:
            break
        cut = min(take, float(rows.at[idx, "quantity"]))
        rows.at[idx, "quantity"] = float(rows.at[idx, "quantity"]) - cut
        take -= cut
    rows = rows.loc[(rows["quantity"] > 1e-9) | is_short]
    is_short = rows["status"] == "short"
    if is_short.any():
        idx = rows.index[is_short][0]
        rows.at[idx, "quantity"] = target
        rows.at[idx, "binding"] = binding
        return rows
    short = rows.iloc[[0]].copy()
    for col in ("location", "ship_date", "delivery_date", "days_late"):
        short[col] = None
    short["quantity"] = target
    short["status"] = "short"
    short["binding"] = binding
    return pd.concat([rows, short], ignore_index=True)
