"""An independent check of an allocation, from the dataset and the promises table alone.

It shares no code with the problem builder or the solvers: it re-reads stock and receipts
(:func:`oms_plan.timeline.supply_events`), lanes and order lines, and verifies that

* no unit ships before it exists or twice: per item@location and day, cumulative receipts −
  cumulative shipments ≥ 0;
* shipments lie within the horizon, deliver ship date + lane transit, from a location that
  has a lane to the line's region (the line's own location when it names one);
* per line, shipped + short = ordered (short only as its own row), days late and status
  agree with the requested date, whole units for integral items;
* partial_ok = false → nothing or everything in one shipment; min_shipment, max_shipments,
  max_days_late; ship_complete → all lines of the order ship whole, together (one location,
  one day), or none does; optional customer-group quotas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oms_plan.allocate.problem import Quota
from oms_plan.dataset import Dataset
from oms_plan.timeline import supply_events

_TOL = 1e-6


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Violations found (empty when the allocation is valid)."""

    violations: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is violated."""
        return not self.violations

    def __str__(self) -> str:
        if self.ok:
            return "allocation OK"
        return f"{len(self.violations)} violation(s):\n" + "\n".join(self.violations)


def check_allocation(
    dataset: Dataset,
    promises: pd.DataFrame,
    *,
    quotas: Sequence[Quota] | Mapping[str, float] | None = None,
) -> CheckReport:
    """Verify ``promises`` against ``dataset`` (see the module docstring).

    Parameters
    ----------
    dataset
        The dataset that was allocated.
    promises
        The ``promises`` table of an allocation.
    quotas
        The quotas the allocation had to honour, if any.

    Returns
    -------
    CheckReport

    """
    v: list[str] = []
    start = pd.Timestamp(dataset.start)
    h = dataset.horizon_days
    orders = dataset.orders.copy()
    orders["lkey"] = list(zip(orders["order"].astype(str), orders["line"].astype(str), strict=True))
    line_of: dict[tuple[str, str], dict[str, object]] = {
        k: rec for k, rec in zip(orders["lkey"], orders.to_dict("records"), strict=True)
    }
    integral = dict(zip(dataset.items["item"], dataset.items["integral"], strict=True))
    lane = {
        (f, t): int(d)
        for f, t, d in zip(
            dataset.lanes["from_location"], dataset.lanes["to"], dataset.lanes["transit_days"],
            strict=True,
        )
    }
    p = promises.copy()
    p["lkey"] = list(zip(p["order"].astype(str), p["line"].astype(str), strict=True))
    ships = p.loc[p["status"] != "short"]
    short = p.loc[p["status"] == "short"]

    for key in sorted(set(p["lkey"]) - set(line_of)):
        v.append(f"promises name unknown order line {key}")
    for r in short.itertuples():
        if pd.notna(r.location) or pd.notna(r.ship_date) or pd.notna(r.delivery_date):
            v.append(f"{r.lkey}: short row has a location or dates")
    for r in ships.itertuples():
        _check_shipment(r, line_of, lane, start, h, integral, v)

    shipped = ships.groupby("lkey")["quantity"].sum()
    shorted = short.groupby("lkey")["quantity"].sum()
    planned = set(p["lkey"])
    for key, row in line_of.items():
        if key not in planned:
            continue
        s, q = float(shipped.get(key, 0.0)), float(row["quantity"])
        if s > q + _TOL:
            v.append(f"{key}: ships {s} > ordered {q}")
        if abs(s + float(shorted.get(key, 0.0)) - q) > _TOL:
            v.append(f"{key}: shipped {s} + short {float(shorted.get(key, 0.0))} ≠ ordered {q}")
        _check_line_rules(key, row, ships.loc[ships["lkey"] == key], v)
    _check_ship_complete(orders, ships, p, v)
    _check_stock(dataset, ships, start, h, v)
    if quotas:
        _check_quotas(dataset, ships, orders, quotas, start, v)
    return CheckReport(tuple(v))


def _check_shipment(
    r: object,
    line_of: Mapping[tuple[str, str], Mapping[str, object]],
    lane: dict[tuple[str, str], int],
    start: pd.Timestamp,
    h: int,
    integral: Mapping[str, bool],
    v: list[str],
) -> None:
    key = r.lkey  # type: ignore[attr-defined]
    if key not in line_of:
        return
    line: Mapping[str, Any] = line_of[key]
    qty = float(r.quantity)  # type: ignore[attr-defined]
    if qty <= 0:
        v.append(f"{key}: shipment of {qty}")
    if integral.get(line["item"], True) and abs(qty - round(qty)) > _TOL:
        v.append(f"{key}: fractional quantity {qty} of integral item {line['item']!r}")
    if r.item != line["item"]:  # type: ignore[attr-defined]
        v.append(f"{key}: item {r.item!r} ≠ ordered {line['item']!r}")  # type: ignore[attr-defined]
    loc = r.location  # type: ignore[attr-defined]
    if line["location"] is not None and loc != line["location"]:
        v.append(f"{key}: ships from {loc!r}, the line names {line['location']!r}")
    transit = lane.get((loc, line["ship_to"]))
    if transit is None:
        v.append(f"{key}: no lane from {loc!r} to {line['ship_to']!r}")
        return
    ship_day = int((pd.Timestamp(r.ship_date) - start).days)  # type: ignore[attr-defined]
    if not 0 <= ship_day < h:
        v.append(f"{key}: ship date {r.ship_date} outside the horizon")  # type: ignore[attr-defined]
    delivery = pd.Timestamp(r.ship_date) + pd.Timedelta(days=transit)  # type: ignore[attr-defined]
    if pd.Timestamp(r.delivery_date) != delivery:  # type: ignore[attr-defined]
        v.append(f"{key}: delivery {r.delivery_date} ≠ ship date + {transit} days")  # type: ignore[attr-defined]
    late = max(int((delivery - pd.Timestamp(line["requested_date"])).days), 0)
    if int(r.days_late) != late:  # type: ignore[attr-defined]
        v.append(f"{key}: days_late {r.days_late} ≠ {late}")  # type: ignore[attr-defined]
    if r.status != ("late" if late > 0 else "on_time"):  # type: ignore[attr-defined]
        v.append(f"{key}: status {r.status!r} with {late} days late")  # type: ignore[attr-defined]
    max_late = line["max_days_late"]
    if pd.notna(max_late) and late > int(max_late):
        v.append(f"{key}: {late} days late > max_days_late {int(max_late)}")


def _check_line_rules(key: object, line: Mapping[str, Any], rows: pd.DataFrame, v: list[str]) -> None:
    q = float(line["quantity"])
    total = float(rows["quantity"].sum())
    if not bool(line["partial_ok"]) and len(rows):
        if len(rows) > 1 or abs(total - q) > _TOL:
            v.append(f"{key}: partial_ok=false but ships {total} of {q} in {len(rows)} shipment(s)")
    min_ship = min(float(line["min_shipment"]), q)
    if min_ship > 0 and len(rows) and float(rows["quantity"].min()) < min_ship - _TOL:
        v.append(f"{key}: shipment below min_shipment {min_ship}")
    max_ship = line["max_shipments"]
    if pd.notna(max_ship) and len(rows) > int(max_ship):
        v.append(f"{key}: {len(rows)} shipments > max_shipments {int(max_ship)}")


def _check_ship_complete(
    orders: pd.DataFrame, ships: pd.DataFrame, p: pd.DataFrame, v: list[str]
) -> None:
    planned = set(p["lkey"])
    for order, lines in orders.groupby("order", sort=True):
        if not lines["ship_complete"].any():
            continue
        keys = [k for k in lines["lkey"] if k in planned]
        rows = ships.loc[ships["lkey"].isin(keys)]
        if rows.empty:
            continue
        qty = dict(zip(lines["lkey"], lines["quantity"], strict=True))
        got = rows.groupby("lkey")["quantity"].sum()
        whole = all(abs(float(got.get(k, 0.0)) - float(qty[k])) <= _TOL for k in keys)
        together = rows[["location", "ship_date"]].drop_duplicates().shape[0] == 1
        single = rows.groupby("lkey").size().max() == 1
        if not (whole and together and single):
            v.append(f"order {order!r}: ship_complete but lines do not ship whole and together")


def _check_stock(
    dataset: Dataset, ships: pd.DataFrame, start: pd.Timestamp, h: int, v: list[str]
) -> None:
    """Per item@location and day: cumulative receipts − cumulative shipments ≥ 0."""
    events = supply_events(dataset)
    events = events.loc[~events["beyond_horizon"].astype(bool)]
    supply = events.groupby(["item", "location", "day"])["quantity"].sum()
    taken = ships.assign(day=(pd.to_datetime(ships["ship_date"]) - start).dt.days)
    taken = taken.groupby(["item", "location", "day"])["quantity"].sum()
    buffers = sorted(set(taken.index.droplevel("day")))
    for item, loc in buffers:
        rec = np.zeros(h)
        out = np.zeros(h)
        if (item, loc) in supply.index.droplevel("day"):
            s = supply.loc[(item, loc)]
            np.add.at(rec, s.index.to_numpy(dtype=np.int64), s.to_numpy(dtype=float))
        t = taken.loc[(item, loc)]
        days = np.clip(t.index.to_numpy(dtype=np.int64), 0, h - 1)
        np.add.at(out, days, t.to_numpy(dtype=float))
        balance = np.cumsum(rec) - np.cumsum(out)
        bad = np.flatnonzero(balance < -_TOL)
        if len(bad):
            d = int(bad[0])
            v.append(
                f"{item!r} at {loc!r}: ships {np.cumsum(out)[d]:g} by "
                f"{(start + pd.Timedelta(days=d)).date()} but only {np.cumsum(rec)[d]:g} exist"
            )


def _check_quotas(
    dataset: Dataset,
    ships: pd.DataFrame,
    orders: pd.DataFrame,
    quotas: Sequence[Quota] | Mapping[str, float],
    start: pd.Timestamp,
    v: list[str],
) -> None:
    rules = (
        [Quota(g, float(s)) for g, s in quotas.items()] if isinstance(quotas, Mapping) else quotas
    )
    h = dataset.horizon_days
    events = supply_events(dataset)
    events = events.loc[~events["beyond_horizon"].astype(bool)]
    group = dict(zip(orders["lkey"], orders["customer_group"], strict=True))
    s = ships.assign(
        group=ships["lkey"].map(group), day=(pd.to_datetime(ships["ship_date"]) - start).dt.days
    )
    for rule in rules:
        mine = s.loc[s["group"] == rule.group]
        for item, rows in mine.groupby("item"):
            if rule.item is not None and item != rule.item:
                continue
            rec = np.zeros(h)
            ev = events.loc[events["item"] == item]
            np.add.at(rec, ev["day"].to_numpy(dtype=np.int64), ev["quantity"].to_numpy(dtype=float))
            out = np.zeros(h)
            np.add.at(out, rows["day"].to_numpy(dtype=np.int64), rows["quantity"].to_numpy(float))
            ends = list(range(rule.period_days - 1, h, rule.period_days)) + [h - 1]
            for e in ends:
                if out[: e + 1].sum() > rule.share * rec[: e + 1].sum() + _TOL:
                    v.append(f"group {rule.group!r} item {item!r}: quota exceeded by day {e}")
                    break
