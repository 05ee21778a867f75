"""Promise rows from pegged supply: each line ships what is ready, when it is ready.

A line's quantity comes in *pieces*: what the allocation drew from stock and receipts (each
piece pegged to one of them), what MRP pegged to it from the residual supply or its planned
orders, and what nothing covers. A piece ships on the later of the day it wanted to ship
(the allocation's ship day, else the line's requested ship day) and the day its supplier is
ready (:mod:`oms_plan.replan.readiness`); it is **short** when that is never, past the last
plannable day or past the line's ``max_days_late``. Then the line's rules apply, in the
allocation's own terms: ``partial_ok = false`` ships all or nothing in one shipment,
``ship_complete`` all lines of the order together or none, ``max_shipments`` and
``min_shipment`` merge a small or extra shipment into the next one (it ships later, never
earlier than its supply). A short quantity's binding names why: the reason of its supplier's
readiness (``lead_time``, ``capacity:<ws>``, ``component:<item>``), ``transit``, or — when
nothing was planned for it — the allocation's reason (``stock``, ``priority:<order>/<line>``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.outputs import output_frame
from oms_plan.replan.readiness import NEVER, Ready

_TOL = 1e-6


@dataclass(slots=True)
class Piece:
    """Part of a line's quantity with one supplier (``None``: nothing supplies it)."""

    supplier: str | None
    location: str | None
    quantity: float
    want: int
    #: From MRP's plan of the residual (no supply may be planned for it once it is short).
    planned: bool
    ship: int = 0
    late: int = 0
    ok: bool = False
    reason: str = ""
    #: What set the date when the supply is ready in time (the allocation's own binding).
    binding: str = ""
    #: For a piece the allocation drew: the day its supplier is due (else -1).
    since: int = -1


@dataclass(frozen=True)
class LineRules:
    """The promising rules of every orders row, as plain arrays."""

    order: np.ndarray
    line: np.ndarray
    item: np.ndarray
    ship_to: np.ndarray
    requested: np.ndarray
    requested_date: pd.Series
    partial: np.ndarray
    complete: np.ndarray
    min_ship: np.ndarray
    max_ships: np.ndarray
    max_late: np.ndarray
    want: np.ndarray
    home: np.ndarray
    lanes: Mapping[tuple[str, str], int]

    @classmethod
    def of(cls, dataset: Dataset) -> LineRules:
        """The rules of ``dataset``'s order lines."""
        orders, ship = dataset.orders, dataset.shipping
        start = pd.Timestamp(dataset.start)
        requested = (orders["requested_date"] - start).dt.days.to_numpy(dtype=np.int64)
        transit = ship["transit_days"].fillna(0).to_numpy(dtype=np.int64)
        lanes = dataset.lanes
        return cls(
            order=orders["order"].astype(str).to_numpy(),
            line=orders["line"].astype(str).to_numpy(),
            item=orders["item"].astype(str).to_numpy(),
            ship_to=orders["ship_to"].astype(str).to_numpy(),
            requested=requested,
            requested_date=orders["requested_date"].reset_index(drop=True),
            partial=orders["partial_ok"].astype(bool).to_numpy(),
            complete=orders["ship_complete"].astype(bool).to_numpy(),
            min_ship=orders["min_shipment"].fillna(0).to_numpy(dtype=float),
            max_ships=orders["max_shipments"].fillna(0).to_numpy(dtype=np.int64),
            max_late=orders["max_days_late"].fillna(-1).to_numpy(dtype=np.int64),
            want=np.maximum(requested - transit, 0),
            home=ship["ship_location"].astype(object).to_numpy(),
            lanes={
                (str(f), str(t)): int(d)
                for f, t, d in zip(
                    lanes["from_location"], lanes["to"], lanes["transit_days"], strict=True
                )
            },
        )


@dataclass
class Promised:
    """What :func:`promise_lines` decided."""

    promises: pd.DataFrame
    pegs: pd.DataFrame
    #: Per orders row: residual quantity found short this time (no supply may be planned).
    cut: np.ndarray
    #: Short pieces that MRP had pegged to planned supply (the plan must not build for them).
    unserved: list[tuple[int, str, float]] = field(default_factory=list)


def promise_lines(
    dataset: Dataset,
    rules: LineRules,
    pieces: Mapping[int, list[Piece]],
    ready: Mapping[str, Ready],
    short_reason: Mapping[int, str],
) -> Promised:
    """Promise every line from its pieces (see the module docstring).

    Parameters
    ----------
    dataset
        The full dataset.
    rules
        Its line rules (:meth:`LineRules.of`).
    pieces
        Per orders row, its pieces (rows without pieces are wholly short).
    ready
        Supplier readiness.
    short_reason
        Per orders row, the allocation's binding of its short quantity.

    """
    horizon = dataset.horizon_days
    n = len(rules.order)
    for row, items in pieces.items():
        for p in items:
            _time(p, row, rules, ready, horizon, short_reason)
    by_order: dict[str, list[int]] = {}
    for row in range(n):
        if rules.complete[row]:
            by_order.setdefault(rules.order[row], []).append(row)
    # Ship-complete orders: every line whole, together, or none of them.
    for rows in by_order.values():
        all_pieces = [p for r in rows for p in pieces.get(r, [])]
        covered = all(
            sum(p.quantity for p in pieces.get(r, []) if p.ok) >= _total(pieces, r) - _TOL
            and pieces.get(r)
            for r in rows
        )
        if not covered:
            why = next((p.reason for p in all_pieces if not p.ok), "stock")
            for p in all_pieces:
                if p.ok:
                    p.ok, p.reason = False, why
        else:
            day = max(p.ship for p in all_pieces)
            # Shipping together may take a line past its own lateness limit: none ships.
            beyond = [r for r in rows if not _within(rules, r, day, pieces[r], horizon)]
            why = max(all_pieces, key=lambda p: p.ship).reason
            for p in all_pieces:
                p.ship = day
                if beyond:
                    p.ok, p.reason = False, why
    out: list[dict[str, object]] = []
    pegs: list[dict[str, object]] = []
    cut = np.zeros(n)
    unserved: list[tuple[int, str, float]] = []
    start = pd.Timestamp(dataset.start)
    for row in range(n):
        items = pieces.get(row, [])
        whole = not rules.partial[row] or rules.complete[row]
        if whole and any(not p.ok for p in items):
            why = next(p.reason for p in items if not p.ok)
            for p in items:
                if p.ok:
                    p.ok, p.reason = False, why
        shipped = [p for p in items if p.ok]
        if whole and shipped:
            day = max(p.ship for p in shipped)
            ok = _within(rules, row, day, shipped, horizon)
            why = max(shipped, key=lambda p: p.ship).reason
            for p in shipped:
                p.ship = day
                if not ok:
                    p.ok, p.reason = False, why
            shipped = [p for p in shipped if p.ok]
        groups = _merge_groups(shipped, rules, row)
        if groups is None:  # below min_shipment even together: nothing ships
            for p in shipped:
                p.ok, p.reason = False, p.reason or "stock"
            shipped, groups = [], []
        for location, day, qty, reason in groups:
            transit = rules.lanes.get((str(location), rules.ship_to[row]), 0)
            late = max(0, day + transit - int(rules.requested[row]))
            out.append(
                _row(rules, row, qty, location, start, day, transit, late, reason, "shipped")
            )
        short = [p for p in items if not p.ok]
        quantity = sum(p.quantity for p in short)
        if not items:
            quantity = 0.0
        if quantity > _TOL:
            why = next((p.reason for p in short if p.reason), short_reason.get(row, "stock"))
            out.append(_row(rules, row, quantity, None, start, 0, 0, 0, why, "short"))
        for p in shipped:
            if p.supplier is not None:
                pegs.append(
                    {
                        "supplier": p.supplier,
                        "item": rules.item[row],
                        "location": p.location,
                        "quantity": p.quantity,
                        "order": rules.order[row],
                        "line": rules.line[row],
                        "need_date": start + pd.Timedelta(days=p.want),
                        "supply_date": start + pd.Timedelta(days=ready[p.supplier].day),
                        "peg": "demand",
                    }
                )
        for p in short:
            if p.planned:
                cut[row] += p.quantity
                if p.supplier is not None:
                    unserved.append((row, p.supplier, p.quantity))
    promises = output_frame("promises", pd.DataFrame(out)) if out else output_frame("promises", [])
    if not promises.empty:
        promises["days_late"] = promises["days_late"].astype("Int64")
    return Promised(promises, pd.DataFrame(pegs), cut, unserved)


def _within(rules: LineRules, row: int, day: int, items: list[Piece], horizon: int) -> bool:
    """Whether every piece of line ``row`` may ship on ``day`` (horizon and lateness)."""
    limit = int(rules.max_late[row])
    if day >= horizon:
        return False
    if limit < 0:
        return True
    for p in items:
        transit = rules.lanes.get((str(p.location), rules.ship_to[row]), 0)
        if day + transit - int(rules.requested[row]) > limit:
            return False
    return True


def _total(pieces: Mapping[int, list[Piece]], row: int) -> float:
    return sum(p.quantity for p in pieces.get(row, []))


def _time(
    p: Piece,
    row: int,
    rules: LineRules,
    ready: Mapping[str, Ready],
    horizon: int,
    short_reason: Mapping[int, str],
) -> None:
    """Ship day, lateness, feasibility and reason of one piece."""
    if p.supplier is None:
        p.ok, p.reason = False, p.reason or short_reason.get(row, "stock")
        return
    got = ready.get(p.supplier, Ready(NEVER, "stock"))
    p.ship = max(p.want, got.day)
    transit = rules.lanes.get((str(p.location), rules.ship_to[row]), 0)
    p.late = max(0, p.ship + transit - int(rules.requested[row]))
    limit = int(rules.max_late[row])
    p.ok = got.day < NEVER and p.ship < horizon and (limit < 0 or p.late <= limit)
    if got.day > p.want:
        p.reason = got.reason
    elif p.binding:
        p.reason = p.binding
    elif p.late > 0 or p.ship >= horizon:
        p.reason = "transit"
    else:
        p.reason = got.reason


def _merge_groups(
    shipped: list[Piece], rules: LineRules, row: int
) -> list[tuple[str, int, float, str]] | None:
    """Shipments (location, day, quantity, binding) within max_shipments and min_shipment.

    A shipment that is one too many or too small joins the next one at its location (it
    ships later, when its supply is long ready); ``None`` when a shipment stays below
    min_shipment with no other shipment from its location to join.
    """
    if not shipped:
        return []
    amount: dict[tuple[str, int], float] = {}
    why: dict[tuple[str, int], str] = {}
    for p in sorted(shipped, key=lambda q: (str(q.location), q.ship)):
        key = (str(p.location), p.ship)
        amount[key] = amount.get(key, 0.0) + p.quantity
        why[key] = p.reason
    groups = sorted(
        ((loc, day, qty, why[(loc, day)]) for (loc, day), qty in amount.items()),
        key=lambda g: (g[1], g[0]),
    )
    total = sum(g[2] for g in groups)
    least = min(float(rules.min_ship[row]), total)
    most = int(rules.max_ships[row])

    def partner(k: int) -> tuple[int, int] | None:
        # Shipment k joins the next one from its location (else the one before it).
        same = [j for j, g in enumerate(groups) if g[0] == groups[k][0] and j != k]
        later = [j for j in same if j > k]
        if later:
            return k, later[0]
        return (same[-1], k) if same else None

    while len(groups) > 1:
        if most > 0 and len(groups) > most:
            candidates = list(range(len(groups)))
        else:
            candidates = [k for k, g in enumerate(groups) if g[2] < least - _TOL]
        pair = next((p for p in map(partner, candidates) if p is not None), None)
        if pair is None:
            break
        a, b = pair
        loc, day, _, reason = groups[b]
        groups[b] = (loc, day, groups[a][2] + groups[b][2], reason)
        del groups[a]
    if any(g[2] < least - _TOL for g in groups):
        return None
    return groups


def _row(
    rules: LineRules,
    row: int,
    quantity: float,
    location: str | None,
    start: pd.Timestamp,
    day: int,
    transit: int,
    late: int,
    binding: str,
    kind: str,
) -> dict[str, object]:
    shipped = kind == "shipped"
    ship = start + pd.Timedelta(days=day) if shipped else pd.NaT
    return {
        "order": rules.order[row],
        "line": rules.line[row],
        "item": rules.item[row],
        "quantity": _clean(quantity),
        "location": location if shipped else None,
        "ship_date": ship,
        "delivery_date": ship + pd.Timedelta(days=transit) if shipped else pd.NaT,
        "requested_date": rules.requested_date.iat[row],
        "days_late": late if shipped else pd.NA,
        "status": ("late" if late > 0 else "on_time") if shipped else "short",
        "binding": binding,
    }


def _clean(value: float) -> float:
    rounded = round(value)
    return float(rounded) if math.isclose(value, rounded, abs_tol=1e-6) else float(value)
