"""Explanations of a plan's late and short lines, each in the state it was promised in.

The plan is replayed with a :class:`~oms_plan.Promiser` (capable-to-promise on) over the
dataset's stock, receipts, open manufacturing orders and capacity: lines are promised one by
one, most important first (lines with a promised date, then priority, then requested date,
then their order in the dataset), each reserving what it gets. Just before a late or short
line is reserved, the :class:`~oms_plan.explain.engine.Explainer` re-solves it with one lever
changed at a time, so its counterfactuals are computed in the state the more important lines
left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd

from oms_plan.atp.promiser import Promiser
from oms_plan.dataset import Dataset
from oms_plan.explain.amounts import Budget
from oms_plan.explain.chain import ChainIndex
from oms_plan.explain.engine import (
    DEFAULT_RESOLVES,
    DEFAULT_TOTAL,
    MAX_TARGETS,
    Ask,
    Explainer,
    lateness,
)
from oms_plan.explain.table import explanations_frame

log = logging.getLogger("oms_plan")

LineKey = tuple[str, str]


def late_lines(promises: pd.DataFrame) -> set[LineKey]:
    """The (order, line) of every line with a ``late`` or ``short`` row in ``promises``."""
    bad = promises.loc[promises["status"].isin(["late", "short"])]
    return {(str(o), str(ln)) for o, ln in zip(bad["order"], bad["line"], strict=True)}


def explain_plan(
    dataset: Dataset,
    promises: pd.DataFrame | None = None,
    *,
    lines: Iterable[LineKey] | None = None,
    resolves: int = DEFAULT_RESOLVES,
    total: int | None = DEFAULT_TOTAL,
    targets: int = MAX_TARGETS,
) -> pd.DataFrame:
    """The ``explanations`` table: counterfactuals of the late and short lines of a plan.

    Parameters
    ----------
    dataset
        The planned dataset.
    promises
        The plan's ``promises`` table: its late and short lines are explained.
    lines
        (order, line) keys to explain instead (or, with ``promises``, the late and short
        lines among them).
    resolves
        Re-solves one line may spend over all its levers (the cap that bounds the work).
    total
        Re-solves the whole table may spend (``None``: no limit). Each line, most important
        first, gets ``min(resolves, left // lines still to explain)`` and at least one, so
        the work is bounded by ``total`` plus one per line, and every line gets its share.
    targets
        Candidate targets tried per lever.

    Returns
    -------
    pandas.DataFrame
        SCHEMA.md's ``explanations`` columns, then ``on_time`` (the lever alone makes the
        line on time) and ``exact`` (the amount search finished within the cap); rows in the
        order of the lines in the dataset, best lever first within a line.

    Raises
    ------
    KeyError
        A key of ``lines`` that is not an order line of the dataset.

    """
    orders = dataset.orders
    keys = [(str(o), str(ln)) for o, ln in zip(orders["order"], orders["line"], strict=True)]
    wanted = late_lines(promises) if promises is not None else set(keys)
    if lines is not None:
        asked = {(str(o), str(ln)) for o, ln in lines}
        unknown = sorted(asked - set(keys))
        if unknown:
            raise KeyError(f"no order line {unknown[0][0]!r}/{unknown[0][1]!r} in the dataset")
        wanted &= asked
    if not wanted:
        return explanations_frame([])
    promiser = Promiser(_replay_dataset(dataset), ctp=True)
    explainer = Explainer(promiser, resolves=resolves, targets=targets, chains=ChainIndex(dataset))
    # As the allocation ranks them: commitments (a promised date) first, then priority.
    committed = orders["promised_date"].notna().to_numpy()
    rank = sorted(
        range(len(orders)),
        key=lambda k: (
            not committed[k],
            int(orders["priority"].iat[k]),
            orders["requested_date"].iat[k],
            k,
        ),
    )
    stop = max(pos for pos, k in enumerate(rank) if keys[k] in wanted)
    found: dict[int, list[dict[str, Any]]] = {}
    pending = len(wanted)
    left = total
    unexplained = on_time = 0
    for k in rank[: stop + 1]:
        ask = _ask(orders, k)
        quote = promiser.promise(
            ask.item, ask.quantity, ask.ship_to, ask.requested_date, **ask.kwargs()
        )
        if keys[k] in wanted:
            share = resolves if left is None else max(1, min(resolves, left // pending))
            budget = Budget(share)
            rows = [
                {"order": keys[k][0], "line": keys[k][1], **e.row()}
                for e in explainer.explain(ask, quote, budget)
            ]
            pending -= 1
            if left is not None:
                left = max(left - (share - budget.left), 0)
            if not rows:
                on_time += lateness(quote, dataset.end) == 0
                unexplained += 1
            found[k] = rows
        if quote.shipments:
            promiser.reserve(quote)
    if unexplained:
        log.info(
            "explanations: %d of %d lines without one (%d on time when replayed, the others "
            "helped by no single lever)",
            unexplained,
            len(found),
            on_time,
        )
    return explanations_frame([row for k in sorted(found) for row in found[k]])


def _ask(orders: pd.DataFrame, k: int) -> Ask:
    """The request of order line ``k`` (ship-complete lines ship whole, in one shipment)."""
    row = orders.iloc[k]
    complete = bool(row["ship_complete"])
    location = row["location"]
    return Ask(
        item=str(row["item"]),
        quantity=float(row["quantity"]),
        ship_to=str(row["ship_to"]),
        requested_date=pd.Timestamp(row["requested_date"]).date(),
        partial_ok=bool(row["partial_ok"]) and not complete,
        max_shipments=1 if complete else _int_or_none(row["max_shipments"]),
        min_shipment=float(row["min_shipment"]),
        max_days_late=_int_or_none(row["max_days_late"]),
        location=None if pd.isna(location) else str(location),
        order=str(row["order"]),
        line=str(row["line"]),
    )


def _int_or_none(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _replay_dataset(dataset: Dataset) -> Dataset:
    """The dataset to replay in: no open order lines (they are replayed as new lines).

    With an (empty) stock row for every item@location a sourcing row names, so stock and
    component levers have a row to add to.
    """
    inv = dataset.inventory
    have = set(zip(inv["item"], inv["location"], strict=True))
    src = dataset.sourcing[["item", "location"]].drop_duplicates()
    extra = [(i, loc) for i, loc in zip(src["item"], src["location"], strict=True)]
    extra = [key for key in extra if key not in have]
    inventory = inv
    if extra:
        zeros = pd.DataFrame(extra, columns=["item", "location"]).assign(on_hand=0.0)
        inventory = pd.concat([inv, zeros], ignore_index=True)
    return dataset.replace(orders=dataset.orders.iloc[0:0], inventory=inventory)
