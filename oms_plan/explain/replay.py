"""Explanations of a plan's late and short lines: everything else stays as planned.

A :class:`~oms_plan.Promiser` (capable-to-promise on) is built over the dataset's stock,
receipts, open manufacturing orders and capacity, and every line's shipments of the plan are
held in it (taken from stock where and when they ship). A late or short line then gives its
own shipments back and is re-solved — its baseline —, and the
:class:`~oms_plan.explain.engine.Explainer` re-solves it with one lever changed at a time: the
smallest change that *alone*, with every other line keeping what the plan gave it, makes the
line on time. The ``priority`` lever gives back what a more important line holds (lines with
a promised date first, then priority, then requested date, then their order in the dataset,
as the allocation ranks them).

Without a plan's promises, the lines are first promised one by one in that order, each
reserving what it gets, and that replay is what they hold.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from oms_plan.atp.promiser import Promiser
from oms_plan.atp.types import Promise
from oms_plan.dataset import Dataset
from oms_plan.explain.amounts import Budget
from oms_plan.explain.chain import ChainIndex, bom_by_parent
from oms_plan.explain.engine import (
    DEFAULT_RESOLVES,
    DEFAULT_TOTAL,
    MAX_TARGETS,
    Ask,
    Explainer,
    lateness,
)
from oms_plan.explain.state import Held, released
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
    planned_orders: pd.DataFrame | None = None,
    schedule: pd.DataFrame | None = None,
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
        The plan's ``promises`` table: its late and short lines are explained, every line
        holding what it was promised. ``None``: the lines are promised one by one (most
        important first) and every line is explained.
    planned_orders
        The plan's ``planned_orders``: they arrive as receipts on their due dates (a make
        order loads its workstations from release to due, as an open manufacturing order
        does, and takes its components on its release day; a transfer takes the item at its
        origin on its release day), so every line keeps the supply the plan builds for it.
        Orders released before plan start are left out (they cannot happen as planned).
    schedule
        The plan's ``schedule``: a make order it sequences (planned or open) arrives on the
        day its last operation ends, not on its due date.
    lines
        Explain only these (order, line) keys (among the late and short ones).
    resolves
        Re-solves one line may spend over all its levers (the cap that bounds the work).
    total
        Re-solves the whole table may spend (``None``: no limit), besides one baseline quote
        per line. Each line that is late when re-solved, most important first, gets
        ``min(resolves, left // such lines still to explain)`` and at least one, so the work
        is bounded by ``total`` plus one per line, and every line gets its share.
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
    planned = planned_orders if planned_orders is not None else pd.DataFrame()
    if not planned.empty:
        # An order released before plan start cannot happen as planned (MRP lists it as
        # ``expedite``; capable-to-promise never plans one): it brings nothing here.
        released_on = pd.to_datetime(planned["release_date"])
        planned = planned.loc[released_on >= pd.Timestamp(dataset.start)]
    ends = _scheduled_ends(schedule)
    promiser = Promiser(_replay_dataset(dataset, planned, ends), ctp=True)
    if not planned.empty:
        _take_inputs(promiser, dataset, planned)
    order = _ranking(orders)
    rank = {keys[k]: pos for pos, k in enumerate(order)}
    asks = {keys[k]: _ask(orders, k) for k in range(len(keys))}
    row_of = {key: k for k, key in enumerate(keys)}
    if promises is not None:
        holdings = _hold_plan(promiser, dataset, promises)
    else:
        holdings = _hold_replay(promiser, [asks[keys[k]] for k in order])
    by_buffer: dict[int, list[tuple[int, Held]]] = {}
    for key, held in holdings.items():
        for b in dict.fromkeys(b for b, _, _ in held.legs):
            by_buffer.setdefault(b, []).append((rank[key], held))

    def holders(ask: Ask, buffers: set[int]) -> list[Held]:
        mine = rank[(str(ask.order), str(ask.line))]
        ahead = {r: h for b in sorted(buffers) for r, h in by_buffer.get(b, []) if r < mine}
        return [ahead[r] for r in sorted(ahead)]

    explainer = Explainer(
        promiser, resolves=resolves, targets=targets, chains=ChainIndex(dataset), holders=holders
    )
    engine = promiser._engine

    def own(key: LineKey) -> contextlib.AbstractContextManager[None]:
        held = holdings.get(key)
        return released(promiser.ledger, engine, held) if held else contextlib.nullcontext()

    # First every line's baseline (one quote each), so the cap is shared among the lines
    # that are really late when re-solved, most important first.
    baselines: dict[LineKey, Promise] = {}
    for key in sorted(wanted, key=rank.__getitem__):
        ask = asks[key]
        with own(key):
            baselines[key] = promiser.promise(
                ask.item, ask.quantity, ask.ship_to, ask.requested_date, **ask.kwargs()
            )
    late = [key for key, quote in baselines.items() if lateness(quote, dataset.end) > 0]
    found: dict[int, list[dict[str, Any]]] = {row_of[key]: [] for key in baselines}
    left = total
    for pending, key in zip(range(len(late), 0, -1), late, strict=True):
        share = resolves if left is None else max(1, min(resolves, left // pending))
        budget = Budget(share)
        with own(key):
            explained = explainer.explain(asks[key], baselines[key], budget)
        if left is not None:
            left = max(left - (share - budget.left), 0)
        found[row_of[key]] = [{"order": key[0], "line": key[1], **e.row()} for e in explained]
    on_time = len(baselines) - len(late)
    missing = sum(not rows for rows in found.values())
    if missing:
        log.info(
            "explanations: %d of %d lines without one (%d on time when re-solved, the others "
            "helped by no single lever)",
            missing,
            len(found),
            on_time,
        )
    return explanations_frame([row for k in sorted(found) for row in found[k]])


def _ranking(orders: pd.DataFrame) -> list[int]:
    """Rows of ``orders``, most important first: commitments, priority, requested date."""
    committed = orders["promised_date"].notna().to_numpy()
    priority = orders["priority"].to_numpy(dtype=np.int64)
    requested = orders["requested_date"].to_numpy()
    return sorted(
        range(len(orders)), key=lambda k: (not committed[k], priority[k], requested[k], k)
    )


def _hold_plan(promiser: Promiser, dataset: Dataset, promises: pd.DataFrame) -> dict[LineKey, Held]:
    """Take every shipment of the plan from stock where and when it ships.

    A shipment from a location without a row of its item takes nothing (there was no stock
    to take there: it comes from supply the plan builds).
    """
    ledger = promiser.ledger
    shipped = promises.loc[promises["location"].notna() & promises["ship_date"].notna()]
    legs: dict[LineKey, list[tuple[int, int, float]]] = {}
    last = dataset.horizon_days - 1
    for o, ln, item, loc, when, qty in zip(
        shipped["order"],
        shipped["line"],
        shipped["item"],
        shipped["location"],
        pd.to_datetime(shipped["ship_date"]),
        shipped["quantity"],
        strict=True,
    ):
        b = ledger.buffer(str(item), str(loc))
        if b is None:
            continue
        day = min(max((when.date() - dataset.start).days, 0), last)
        legs.setdefault((str(o), str(ln)), []).append((b, day, float(qty)))
    held = {key: Held(key[0], key[1], tuple(rows)) for key, rows in legs.items()}
    for h in held.values():
        for b, day, qty in h.legs:
            ledger.consume(b, day, qty)
    return held


def _hold_replay(promiser: Promiser, asks: Sequence[Ask]) -> dict[LineKey, Held]:
    """Promise the lines one by one in the given order, each reserving what it gets."""
    held: dict[LineKey, Held] = {}
    for ask in asks:
        quote = promiser.promise(
            ask.item, ask.quantity, ask.ship_to, ask.requested_date, **ask.kwargs()
        )
        if quote.shipments:
            rid = promiser.reserve(quote)
            reservation = promiser.reservations[rid]
            got = Held.of(reservation)
            if got is not None:
                held[(got.order, got.line)] = got
    return held


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


def _take_inputs(promiser: Promiser, dataset: Dataset, planned: pd.DataFrame) -> None:
    """Planned make orders take their components, transfers their item at the origin."""
    ledger, start, last = promiser.ledger, dataset.start, dataset.horizon_days - 1
    bom = bom_by_parent(dataset)
    for method, item, loc, origin, qty, release in zip(
        planned["method"],
        planned["item"],
        planned["location"],
        planned["from_location"],
        planned["quantity"],
        pd.to_datetime(planned["release_date"]),
        strict=True,
    ):
        day = min(max((release.date() - start).days, 0), last)
        takes: list[tuple[str, str, float]] = []
        if method == "make":
            takes = [
                (comp, str(loc), float(qty) * per)
                for comp, per, where in bom.get(str(item), [])
                if where is None or where == str(loc)
            ]
        elif method == "transfer" and not pd.isna(origin):
            takes = [(str(item), str(origin), float(qty))]
        for what, where, amount in takes:
            b = ledger.buffer(what, where)
            if b is not None:
                ledger.consume(b, day, amount)


_SUPPLY_KIND = {"buy": "purchase", "make": "production", "transfer": "transfer"}


def _scheduled_ends(schedule: pd.DataFrame | None) -> dict[str, pd.Timestamp]:
    """The day each scheduled order's last operation ends."""
    if schedule is None or schedule.empty:
        return {}
    ends = pd.to_datetime(schedule["end"]).dt.normalize()
    last = ends.groupby(schedule["order"].astype(str).to_numpy()).max()
    return {str(k): v for k, v in last.items()}


def _replay_dataset(
    dataset: Dataset, planned: pd.DataFrame, ends: dict[str, pd.Timestamp]
) -> Dataset:
    """The dataset to re-solve in: no open order lines (what they hold is added after).

    The plan's planned orders are scheduled receipts in it, and a sequenced make order is
    due when the schedule finishes it (``ends``). With an (empty) stock row for every
    item@location a sourcing row names, so stock and component levers have a row to add to.
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
    supply = dataset.supply
    if not planned.empty:
        rows = pd.DataFrame(
            {
                "supply": planned["planned_order"].astype(str),
                "kind": planned["method"].map(_SUPPLY_KIND),
                "item": planned["item"],
                "location": planned["location"],
                "quantity": planned["quantity"].astype(float),
                "due_date": pd.to_datetime(planned["due_date"]),
                "from_location": planned["from_location"],
                "release_date": pd.to_datetime(planned["release_date"]),
            }
        )
        supply = pd.concat([supply, rows], ignore_index=True)
    if ends:
        finished = supply["supply"].astype(str).map(ends)
        supply = supply.assign(due_date=finished.fillna(pd.to_datetime(supply["due_date"])))
    return dataset.replace(orders=dataset.orders.iloc[0:0], inventory=inventory, supply=supply)
