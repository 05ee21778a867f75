"""The plan's ``projection``: MRP's projection of the residual, with the allocation put back.

MRP plans the residual (:mod:`oms_plan.replan.supplypeg`): stock and receipts that allocated
shipments draw are taken out of its input, so its projected on-hand misses them. Each such
unit is back in stock from the day its supplier is due until the day its shipment leaves (to
the horizon's end when the shipment ended up short). ``atp`` is the dataset's own cumulative
available-to-promise (stock and receipts against every commitment, SCHEMA.md), as the
``mrp`` command reports it. Rows stay sparse: plan start, then the days a value changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oms_plan.atp import AtpLedger
from oms_plan.dataset import Dataset
from oms_plan.outputs import output_frame


def plan_projection(
    dataset: Dataset, projection: pd.DataFrame, moves: pd.DataFrame
) -> pd.DataFrame:
    """The residual ``projection`` with the allocated units in stock until they ship.

    Parameters
    ----------
    dataset
        The full dataset.
    projection
        MRP's sparse projection of the residual dataset.
    moves
        Columns ``item``, ``location``, ``quantity``, ``since`` (day the supplier is due)
        and ``until`` (ship day; ``horizon_days`` when it never ships).

    """
    if projection.empty:
        return projection
    horizon = dataset.horizon_days
    start = pd.Timestamp(dataset.start)
    items = projection["item"].astype(str).to_numpy()
    locations = projection["location"].astype(str).to_numpy()
    days = (pd.to_datetime(projection["date"]) - start).dt.days.to_numpy(dtype=np.int64)
    values = projection["on_hand"].to_numpy(dtype=float)
    delta: dict[tuple[str, str], np.ndarray] = {}
    for item, loc, qty, since, until in zip(
        moves["item"].astype(str),
        moves["location"].astype(str),
        moves["quantity"].to_numpy(dtype=float),
        moves["since"].to_numpy(dtype=np.int64),
        moves["until"].to_numpy(dtype=np.int64),
        strict=True,
    ):
        if until <= since:
            continue
        step = delta.setdefault((item, loc), np.zeros(horizon + 1))
        step[min(max(since, 0), horizon)] += qty
        step[min(until, horizon)] -= qty
    ledger = AtpLedger.from_dataset(dataset)
    first = np.flatnonzero(
        np.r_[True, (items[1:] != items[:-1]) | (locations[1:] != locations[:-1])]
    )
    ends = np.r_[first[1:], len(items)]
    grid = np.arange(horizon)
    out_item: list[np.ndarray] = []
    out_loc: list[np.ndarray] = []
    out_day: list[np.ndarray] = []
    out_on: list[np.ndarray] = []
    out_atp: list[np.ndarray] = []
    for a, b in zip(first.tolist(), ends.tolist(), strict=True):
        key = (str(items[a]), str(locations[a]))
        at = np.searchsorted(days[a:b], grid, side="right") - 1
        on_hand = values[a:b][np.maximum(at, 0)]
        if key in delta:
            on_hand = on_hand + np.cumsum(delta[key])[:horizon]
        buffer = ledger.buffer(*key)
        atp = ledger.atp(buffer) if buffer is not None else np.zeros(horizon)
        keep = np.ones(horizon, dtype=bool)
        keep[1:] = (on_hand[1:] != on_hand[:-1]) | (atp[1:] != atp[:-1])
        chosen = np.flatnonzero(keep)
        out_item.append(np.full(len(chosen), key[0], dtype=object))
        out_loc.append(np.full(len(chosen), key[1], dtype=object))
        out_day.append(chosen)
        out_on.append(_clean(on_hand[chosen]))
        out_atp.append(_clean(atp[chosen]))
    item_cats = projection["item"].astype("category").cat.categories
    loc_cats = projection["location"].astype("category").cat.categories
    frame = pd.DataFrame(
        {
            "item": pd.Categorical(np.concatenate(out_item), categories=item_cats),
            "location": pd.Categorical(np.concatenate(out_loc), categories=loc_cats),
            "date": dataset.dates.to_numpy()[np.concatenate(out_day)],
            "on_hand": np.concatenate(out_on),
            "atp": np.concatenate(out_atp),
        }
    )
    return output_frame("projection", frame)


def _clean(values: np.ndarray) -> np.ndarray:
    # Sums of fractional quantities leave float dust (1e-13): show exact integers.
    rounded = np.round(values)
    out: np.ndarray = np.where(np.abs(values - rounded) < 1e-9, rounded, values) + 0.0
    return out
