"""Workstation capacity in day buckets: working minutes, the load of open orders, what is free.

For workstation ``w`` and day ``t`` of the horizon:

* ``capacity[w, t]`` = working minutes of day ``t`` (its calendar's shifts — the location's
  calendar when it has none, always open without either — minus downtime) × ``units``;
* ``load[w, t]`` = minutes of open manufacturing orders (``supply`` rows of kind
  ``production``): each routing step on its alternative with the fewest minutes for the
  order's quantity (setup + quantity × run; ties: workstation order), spread over the days
  from its release date through its due date in proportion to each day's working minutes
  (an order whose window has no working time loads its due day);
* ``free[w, t]`` = max(0, capacity − load): what new production may book.

Days before plan start count as day 0; days after the horizon are left out.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.fields import clock_minutes
from oms_plan.schedule.calendar import MINUTES_PER_DAY, Shift, working_time

FloatArray = npt.NDArray[np.float64]


def daily_capacity(dataset: Dataset) -> FloatArray:
    """Working minutes per workstation and horizon day, times its units.

    Parameters
    ----------
    dataset
        The dataset (workstations, locations, calendars, downtime).

    Returns
    -------
    numpy.ndarray
        ``(num_workstations, horizon_days)`` in workstation table order.

    """
    horizon = dataset.horizon_days
    ws = dataset.workstations
    loc_cal = dict(zip(dataset.locations["location"], dataset.locations["calendar"], strict=True))
    shifts = _shifts(dataset.calendars)
    downtime = _downtime(dataset)
    first_weekday = dataset.start.weekday()
    edges = np.arange(horizon + 1, dtype=np.int64) * MINUTES_PER_DAY
    out = np.zeros((len(ws), horizon), dtype=np.float64)
    for w, row in enumerate(ws.itertuples(index=False)):
        cal = row.calendar if isinstance(row.calendar, str) else loc_cal.get(row.location)
        wt = working_time(
            shifts.get(cal) if isinstance(cal, str) else None,
            downtime.get(str(row.workstation), []),
            first_weekday,
            horizon * MINUTES_PER_DAY,
        )
        # W(t) at every midnight, vectorized: working minutes before each day boundary.
        k = np.searchsorted(wt.starts, edges, side="right") - 1
        kk = np.maximum(k, 0)
        lengths = wt.ends - wt.starts
        worked = np.where(
            k >= 0,
            wt.cum[kk] + np.minimum(edges - wt.starts[kk], lengths[kk]) if len(wt.starts) else 0,
            0,
        )
        out[w] = np.diff(worked).astype(np.float64) * int(row.units)
    return out


def open_order_load(dataset: Dataset, capacity: FloatArray) -> FloatArray:
    """Minutes of open manufacturing orders per workstation and day (see the module doc).

    Parameters
    ----------
    dataset
        The dataset (supply, routing, workstations).
    capacity
        :func:`daily_capacity` of the dataset (the spread follows working minutes).

    Returns
    -------
    numpy.ndarray
        Same shape as ``capacity``.

    """
    horizon = dataset.horizon_days
    load = np.zeros_like(capacity)
    sup = dataset.supply
    sup = sup.loc[sup["kind"] == "production"]
    if sup.empty:
        return load
    ws_ids = [str(w) for w in dataset.workstations["workstation"]]
    ws_index = {w: i for i, w in enumerate(ws_ids)}
    ws_loc = dict(zip(ws_ids, dataset.workstations["location"].astype(str), strict=True))
    steps: dict[tuple[str, str], dict[int, list[tuple[int, float, float]]]] = {}
    for r in dataset.routing.itertuples(index=False):
        ws = str(r.workstation)
        plant = ws_loc[ws]
        if isinstance(r.location, str) and r.location != plant:
            continue
        steps.setdefault((str(r.item), plant), {}).setdefault(int(r.step), []).append(
            (ws_index[ws], float(r.setup_minutes), float(r.run_minutes))
        )
    start = pd.Timestamp(dataset.start)
    for r in sup.itertuples(index=False):
        routing = steps.get((str(r.item), str(r.location)))
        if not routing:
            continue
        release = r.release_date if not pd.isna(r.release_date) else start
        first = max(0, (pd.Timestamp(release) - start).days)
        last = max(first, (pd.Timestamp(r.due_date) - start).days)
        if first >= horizon:
            continue
        last = min(last, horizon - 1)
        qty = float(r.quantity)
        for step in sorted(routing):
            w, minutes = min(
                ((w, setup + qty * run) for w, setup, run in sorted(routing[step])),
                key=lambda pair: pair[1],
            )
            window = capacity[w, first : last + 1]
            total = float(window.sum())
            if total > 0:
                load[w, first : last + 1] += minutes * (window / total)
            else:
                load[w, last] += minutes
    return load


def _shifts(calendars: pd.DataFrame) -> dict[str, list[Shift]]:
    shifts: dict[str, list[Shift]] = {}
    for r in calendars.itertuples(index=False):
        a, b = clock_minutes(r.start), clock_minutes(r.end)
        if a is None or b is None:  # the loader rejects these; be explicit anyway
            raise PlanningError(f"calendar {r.calendar!r}: unreadable shift {r.start!r}-{r.end!r}")
        shifts.setdefault(str(r.calendar), []).append((int(r.weekday), a, b))
    return shifts


def _downtime(dataset: Dataset) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    origin = pd.Timestamp(dataset.start)
    for r in dataset.downtime.itertuples(index=False):
        a = math.floor((pd.Timestamp(r.start) - origin).total_seconds() / 60)
        b = math.ceil((pd.Timestamp(r.end) - origin).total_seconds() / 60)
        out.setdefault(str(r.workstation), []).append((a, b))
    return out
