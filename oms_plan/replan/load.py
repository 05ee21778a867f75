"""Workstation load of a ``schedule`` table per day or per week, and capacity to set it against.

Without a dataset an operation counts in clock minutes from its start to its end, split at
midnights (per day) or at Monday 00:00 (per week) — so a pausable operation that waits over a
night or a weekend counts that wait. With the dataset, only the workstation's working minutes
count (its calendar minus downtime), which is what its capacity is measured in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from oms_plan.dataset import Dataset
    from oms_plan.schedule.calendar import WorkingTime

MINUTES_PER_DAY = 1440
#: 1970-01-05 was a Monday: week k starts 4 + 7k days after the epoch.
_MONDAY = 4

Period = Literal["day", "week"]


def working_times(dataset: Dataset) -> tuple[dict[str, WorkingTime], dict[str, int]]:
    """Working stretches (minutes from plan start) and unit count of every workstation."""
    from oms_plan.schedule.problem import SchedulingProblem

    problem = SchedulingProblem.from_dataset(dataset)
    stations = problem.workstations
    working = {w.id: t for w, t in zip(stations, problem.working, strict=True)}
    return working, {w.id: w.units for w in stations}


def worked(working: WorkingTime, minutes: np.ndarray) -> np.ndarray:
    """Working minutes before each clock minute of ``minutes`` (vectorized ``W(t)``)."""
    if working.num_stretches == 0:
        return np.zeros(len(minutes), dtype=np.int64)
    k = np.searchsorted(working.starts, minutes, side="right") - 1
    inside = np.clip(k, 0, None)
    span = working.ends[inside] - working.starts[inside]
    done = working.cum[inside] + np.clip(minutes - working.starts[inside], 0, span)
    return np.where(k >= 0, done, 0)


def _bounds(period: Period, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if period == "day":
        return index * MINUTES_PER_DAY, (index + 1) * MINUTES_PER_DAY
    return (index * 7 + _MONDAY) * MINUTES_PER_DAY, ((index + 1) * 7 + _MONDAY) * MINUTES_PER_DAY


def _period_of(period: Period, minute: np.ndarray) -> np.ndarray:
    day = minute // MINUTES_PER_DAY
    return day if period == "day" else (day - _MONDAY) // 7


def _period_start(period: Period, index: np.ndarray) -> np.ndarray:
    days = index if period == "day" else index * 7 + _MONDAY
    return days.astype("M8[D]").astype("M8[ns]")


def load_by_period(
    schedule: pd.DataFrame,
    period: Period = "week",
    working: Mapping[str, WorkingTime] | None = None,
    origin: pd.Timestamp | None = None,
) -> pd.Series:
    """Minutes per (workstation, period start) occupied by the operations of ``schedule``.

    Parameters
    ----------
    schedule
        A ``schedule`` table (workstation, start, end).
    period
        ``"day"`` or ``"week"`` (weeks start on Monday).
    working
        Working time per workstation (minutes from ``origin``): count working minutes only.
    origin
        Plan start (00:00), needed with ``working``.

    Returns
    -------
    pandas.Series
        Indexed by (workstation, period) — the period's first day — sorted.

    """
    if schedule.empty:
        index = pd.MultiIndex.from_arrays(
            [pd.Series([], dtype=object), pd.Series([], dtype="M8[ns]")],
            names=["workstation", period],
        )
        return pd.Series([], index=index, dtype=float, name="minutes")
    start = pd.to_datetime(schedule["start"]).to_numpy("M8[m]").astype("int64")
    end = pd.to_datetime(schedule["end"]).to_numpy("M8[m]").astype("int64")
    stations = schedule["workstation"].astype(str).to_numpy()
    first, last = _period_of(period, start), _period_of(period, np.maximum(end - 1, start))
    span = last - first
    ws_parts, period_parts, minute_parts = [], [], []
    shift = 0
    if working is not None:
        if origin is None:
            raise ValueError("origin is needed to count working minutes")
        shift = int(pd.Timestamp(origin).to_datetime64().astype("M8[m]").astype("int64"))
    for offset in range(int(span.max()) + 1):
        take = span >= offset
        index = first[take] + offset
        period_lo, period_hi = _bounds(period, index)
        lo = np.maximum(start[take], period_lo)
        hi = np.minimum(end[take], period_hi)
        minutes = np.maximum(hi - lo, 0).astype(float)
        names = stations[take]
        if working is not None:
            for ws in np.unique(names):
                if ws not in working:
                    continue
                mask = names == ws
                wt = working[ws]
                minutes[mask] = (worked(wt, hi[mask] - shift) - worked(wt, lo[mask] - shift)).clip(
                    0
                )
        ws_parts.append(names)
        period_parts.append(index)
        minute_parts.append(minutes)
    frame = pd.DataFrame(
        {
            "workstation": np.concatenate(ws_parts),
            period: _period_start(period, np.concatenate(period_parts)),
            "minutes": np.concatenate(minute_parts),
        }
    )
    return frame.groupby(["workstation", period], sort=True)["minutes"].sum()


def weekly_load(schedule: pd.DataFrame) -> pd.Series:
    """Clock minutes per (workstation, week) of a ``schedule`` table."""
    return load_by_period(schedule, "week")


def capacity_by_period(dataset: Dataset, period: Period = "week") -> pd.Series:
    """Working minutes × units per (workstation, period) over the dataset's horizon."""
    working, units = working_times(dataset)
    days = np.arange(dataset.horizon_days + 1, dtype=np.int64) * MINUTES_PER_DAY
    dates = pd.DatetimeIndex(dataset.dates)
    frames = []
    for ws, wt in working.items():
        daily = np.diff(worked(wt, days)).astype(float) * units[ws]
        frames.append(pd.DataFrame({"workstation": ws, "date": dates, "minutes": daily}))
    if not frames:
        index = pd.MultiIndex.from_arrays([[], []], names=["workstation", period])
        return pd.Series([], index=index, dtype=float, name="minutes")
    frame = pd.concat(frames, ignore_index=True)
    if period == "week":
        frame["date"] = frame["date"] - pd.to_timedelta(frame["date"].dt.day_of_week, unit="D")
    frame = frame.rename(columns={"date": period})
    return frame.groupby(["workstation", period], sort=True)["minutes"].sum()
