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

import numpy as np
import pandas as pd

from oms_plan.allocate.problem import Quota
from oms_plan.dataset import Dataset
from oms_plan.results import CheckReport
from oms_plan.timeline import supply_events

_TOL = 1e-6


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
    orders["lkey"] = orders["order"].astype(str) + "\x1f" + orders["line"].astype(str)
    p = promises.copy()
    p["lkey"] = p["order"].astype(str) + "\x1f" + p["line"].astype(str)
    unknown = sorted(set(p["lkey"]) - set(orders["lkey"]))
    for key in unknown[:20]:
        v.append(f"promises name unknown order line {key.replace(chr(31), '/')}")
    o = orders.rename(columns=lambda c: f"o_{c}" if c != "lkey" else c)
    p = p.merge(o, on="lkey", how="inner")
    ships = p.loc[p["status"] != "short"].copy()
    short = p.loc[p["status"] == "short"]

    bad = short["location"].notna() | short["ship_date"].notna() | short["delivery_date"].notna()
    _report(v, short.loc[bad], "short row has a location or dates")
    _check_shipments(dataset, ships, start, h, v)

    lines = p.groupby("lkey", sort=False).agg(ordered=("o_quantity", "first"))
    lines["shipped"] = ships.groupby("lkey")["quantity"].sum()
    lines["short"] = short.groupby("lkey")["quantity"].sum()
    lines["n"] = ships.groupby("lkey").size()
    lines = lines.fillna({"shipped": 0.0, "short": 0.0, "n": 0})
    over = lines["shipped"] > lines["ordered"] + _TOL
    _report(v, lines.loc[over].reset_index(), "ships more than ordered")
    mismatch = (lines["shipped"] + lines["short"] - lines["ordered"]).abs() > _TOL
    _report(v, lines.loc[mismatch].reset_index(), "shipped + short ≠ ordered")
    rules = orders.set_index("lkey").loc[lines.index]
    partial = ~rules["partial_ok"].astype(bool)
    whole_bad = (
        partial
        & (lines["n"] > 0)
        & ((lines["n"] > 1) | ((lines["shipped"] - lines["ordered"]).abs() > _TOL))
    )
    _report(v, lines.loc[whole_bad].reset_index(), "partial_ok=false but not one whole shipment")
    max_ship = rules["max_shipments"]
    too_many = max_ship.notna() & (lines["n"] > max_ship.fillna(0))
    _report(v, lines.loc[too_many.astype(bool)].reset_index(), "more shipments than max_shipments")
    min_ship = np.minimum(ships["o_min_shipment"], ships["o_quantity"])
    _report(v, ships.loc[ships["quantity"] < min_ship - _TOL], "shipment below min_shipment")
    _check_ship_complete(orders, ships, p, v)
    _check_stock(dataset, ships, start, h, v)
    if quotas:
        _check_quotas(dataset, ships, orders, quotas, start, v)
    return CheckReport(tuple(v))


def _report(v: list[str], rows: pd.DataFrame, what: str, limit: int = 20) -> None:
    """Add one violation per offending row (the first ``limit``, then a count)."""
    if rows.empty:
        return
    for key in rows["lkey"].head(limit):
        v.append(f"order/line {str(key).replace(chr(31), '/')}: {what}")
    if len(rows) > limit:
        v.append(f"... and {len(rows) - limit} more: {what}")


def _check_shipments(
    dataset: Dataset, ships: pd.DataFrame, start: pd.Timestamp, h: int, v: list[str]
) -> None:
    """Row rules of every shipment: quantity, item, location, lane, dates, lateness."""
    integral = dict(zip(dataset.items["item"], dataset.items["integral"], strict=True))
    lanes = dataset.lanes.rename(
        columns={"from_location": "location", "to": "o_ship_to", "transit_days": "transit"}
    )[["location", "o_ship_to", "transit"]]
    s = ships.merge(lanes, on=["location", "o_ship_to"], how="left")
    qty = s["quantity"].astype(float)
    _report(v, s.loc[qty <= 0], "shipment quantity ≤ 0")
    whole_item = s["o_item"].map(integral).fillna(True).astype(bool)
    _report(v, s.loc[whole_item & ((qty - qty.round()).abs() > _TOL)], "fractional units")
    _report(v, s.loc[s["item"] != s["o_item"]], "item differs from the order line")
    fixed = s["o_location"].notna() & (s["location"] != s["o_location"])
    _report(v, s.loc[fixed], "ships from another location than the line names")
    _report(v, s.loc[s["transit"].isna()], "no lane from the location to the line's region")
    s = s.loc[s["transit"].notna()]
    ship_day = (pd.to_datetime(s["ship_date"]) - start).dt.days
    _report(v, s.loc[(ship_day < 0) | (ship_day >= h)], "ship date outside the horizon")
    delivery = pd.to_datetime(s["ship_date"]) + pd.to_timedelta(s["transit"], unit="D")
    _report(v, s.loc[pd.to_datetime(s["delivery_date"]) != delivery], "delivery ≠ ship + transit")
    late = (delivery - pd.to_datetime(s["o_requested_date"])).dt.days.clip(lower=0)
    _report(v, s.loc[s["days_late"].astype(float) != late], "days_late inconsistent")
    status = np.where(late > 0, "late", "on_time")
    _report(v, s.loc[s["status"].to_numpy() != status], "status inconsistent with lateness")
    max_late = s["o_max_days_late"]
    too_late = max_late.notna() & (late > max_late.fillna(0))
    _report(v, s.loc[too_late.astype(bool)], "later than max_days_late")


def _check_ship_complete(
    orders: pd.DataFrame, ships: pd.DataFrame, p: pd.DataFrame, v: list[str]
) -> None:
    """Orders with ship_complete: every planned line whole, one location, one day — or none."""
    sc = set(orders.loc[orders["ship_complete"].astype(bool), "order"])
    if not sc:
        return
    planned = p.loc[p["order"].isin(sc)].drop_duplicates("lkey")
    rows = ships.loc[ships["order"].isin(sc)]
    if rows.empty:
        return
    per_line = rows.groupby("lkey").agg(
        order=("order", "first"),
        got=("quantity", "sum"),
        n=("quantity", "size"),
        ordered=("o_quantity", "first"),
    )
    line_ok = (per_line["n"] == 1) & ((per_line["got"] - per_line["ordered"]).abs() <= _TOL)
    by_order = pd.DataFrame(
        {
            "lines_ok": line_ok.groupby(per_line["order"]).sum(),
            "shipped_lines": per_line.groupby("order").size(),
            "keys": rows.groupby("order")[["location", "ship_date"]].apply(
                lambda f: len(f.drop_duplicates())
            ),
        }
    )
    by_order["planned"] = planned.groupby("order").size()
    bad = (by_order["lines_ok"] != by_order["planned"]) | (by_order["keys"] != 1)
    for order in by_order.index[bad][:20]:
        v.append(f"order {order!r}: ship_complete but lines do not ship whole and together")


def _check_stock(
    dataset: Dataset, ships: pd.DataFrame, start: pd.Timestamp, h: int, v: list[str]
) -> None:
    """Per item@location and day: cumulative receipts − cumulative shipments ≥ 0."""
    events = supply_events(dataset)
    events = events.loc[~events["beyond_horizon"].astype(bool)]
    rec = events[["item", "location", "day", "quantity"]]
    out = pd.DataFrame(
        {
            "item": ships["item"],
            "location": ships["location"],
            "day": (pd.to_datetime(ships["ship_date"]) - start).dt.days.clip(0, h - 1),
            "quantity": -ships["quantity"].astype(float),
        }
    )
    net = pd.concat([rec, out], ignore_index=True)
    net = net.groupby(["item", "location", "day"], sort=True)["quantity"].sum().reset_index()
    net["balance"] = net.groupby(["item", "location"], sort=False)["quantity"].cumsum()
    bad = net.loc[net["balance"] < -_TOL].drop_duplicates(["item", "location"])
    for r in bad.head(20).itertuples():
        date = (start + pd.Timedelta(days=int(r.day))).date()
        v.append(f"{r.item!r} at {r.location!r}: by {date} ships {-r.balance:g} more than exists")


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
            ends = [*list(range(rule.period_days - 1, h, rule.period_days)), h - 1]
            for e in ends:
                if out[: e + 1].sum() > rule.share * rec[: e + 1].sum() + _TOL:
                    v.append(f"group {rule.group!r} item {item!r}: quota exceeded by day {e}")
                    break
