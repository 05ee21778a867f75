"""When each supplier of a plan is ready, as the finite-capacity schedule keeps it, and why.

The readiness a promise may count on (a day index from plan start):

* stock — plan start;
* a receipt — its due day; an open manufacturing order the schedule sequences — the day
  its last operation ends (never, when the scheduler set it aside);
* a planned purchase or transfer — released no earlier than plan start nor than what feeds
  it (the source of a transfer) is ready, then ``lead_days`` later;
* a planned make order — the day its last scheduled operation ends, shifted by as much as
  its components come later than its scheduled start (never, when it is not scheduled).

Each readiness carries the reason that set it, in the vocabulary of a promise's binding:
``stock``, ``supply:<id>``, ``lead_time``, ``capacity:<workstation>`` (the schedule finishes
later than the material plan assumed: the workstation where the order waited longest) or
``component:<item>`` (a component is ready later than the order's start).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset

#: The day of supply that is never ready inside the plan.
NEVER = 10**9


@dataclass(frozen=True, slots=True)
class Ready:
    """A supplier's readiness: ``day`` (from plan start; :data:`NEVER`) and its ``reason``."""

    day: int
    reason: str


@dataclass(frozen=True, slots=True)
class _Run:
    start: int
    end: int
    workstation: str


def _runs(dataset: Dataset, schedule: pd.DataFrame) -> dict[str, _Run]:
    """Per scheduled order: first start day, last end day, the workstation it waited at."""
    if schedule.empty:
        return {}
    origin = pd.Timestamp(dataset.start)
    frame = pd.DataFrame(
        {
            "order": schedule["order"].astype(str).to_numpy(),
            "step": schedule["step"].to_numpy(dtype=np.int64),
            "ws": schedule["workstation"].astype(str).to_numpy(),
            "start": pd.to_datetime(schedule["start"]).to_numpy(),
            "end": pd.to_datetime(schedule["end"]).to_numpy(),
        }
    ).sort_values(["order", "step", "start"], kind="mergesort")
    runs: dict[str, _Run] = {}
    for order, ops in frame.groupby("order", sort=False):
        starts = ops["start"].to_numpy()
        ends = ops["end"].to_numpy()
        # Waiting before each operation (after the previous one ended): the longest wait
        # names the workstation that held the order back; else its last operation's.
        waits = (starts[1:] - ends[:-1]).astype("timedelta64[m]").astype(np.int64)
        stations = ops["ws"].to_numpy()
        ws = stations[1:][int(np.argmax(waits))] if len(waits) and waits.max() > 0 else stations[-1]
        first = (pd.Timestamp(starts.min()) - origin).days
        last = (pd.Timestamp(ends.max()) - origin).days
        runs[str(order)] = _Run(int(first), int(last), str(ws))
    return runs


def supplier_readiness(
    dataset: Dataset,
    planned: pd.DataFrame,
    pegging: pd.DataFrame,
    schedule: pd.DataFrame,
    set_aside: Mapping[str, str],
) -> dict[str, Ready]:
    """Supplier id → :class:`Ready`, for stock, every receipt and every planned order.

    Parameters
    ----------
    dataset
        The full dataset (stock and receipts).
    planned
        The ``planned_orders`` table (release and due dates as MRP planned them).
    pegging
        The ``pegging`` table (a supplier feeding a planned order names it in ``order``).
    schedule
        The ``schedule`` table of the open and the planned make orders.
    set_aside
        Orders the scheduler could not hold → the workstation that could not hold them.

    """
    origin = pd.Timestamp(dataset.start)
    runs = _runs(dataset, schedule)
    ready: dict[str, Ready] = {"stock": Ready(0, "stock")}
    sup = dataset.supply
    due = (sup["due_date"] - origin).dt.days.clip(lower=0).to_numpy(dtype=np.int64)
    for sid, day in zip(sup["supply"].astype(str), due.tolist(), strict=True):
        if sid in set_aside:
            ready[sid] = Ready(NEVER, f"capacity:{set_aside[sid]}")
        elif sid in runs:
            run = runs[sid]
            late = run.end > day
            ready[sid] = Ready(run.end, f"capacity:{run.workstation}" if late else f"supply:{sid}")
        else:
            ready[sid] = Ready(int(day), f"supply:{sid}")
    if planned.empty:
        return ready
    release = (pd.to_datetime(planned["release_date"]) - origin).dt.days.to_numpy(dtype=np.int64)
    due_p = (pd.to_datetime(planned["due_date"]) - origin).dt.days.to_numpy(dtype=np.int64)
    info = {
        str(pid): (str(method), str(item), int(r), int(d))
        for pid, method, item, r, d in zip(
            planned["planned_order"],
            planned["method"],
            planned["item"],
            release.tolist(),
            due_p.tolist(),
            strict=True,
        )
    }
    feeds: dict[str, list[tuple[str, str]]] = {}
    if not pegging.empty:
        parents = pegging.loc[pegging["line"].isna() & pegging["order"].notna()]
        for supplier, item, parent in zip(
            parents["supplier"], parents["item"], parents["order"], strict=True
        ):
            if isinstance(supplier, str) and str(parent) in info:
                feeds.setdefault(str(parent), []).append((supplier, str(item)))

    def resolve(pid: str, seen: frozenset[str]) -> Ready:
        if pid in ready:
            return ready[pid]
        method, _, rel, due_day = info[pid]
        # What feeds it (components, a transfer's source) must be ready before it starts.
        upstream, component = Ready(0, "stock"), ""
        for supplier, item in feeds.get(pid, []):
            if supplier in seen:  # pragma: no cover - pegging has no cycles
                continue
            got = resolve(supplier, seen | {pid}) if supplier in info else ready.get(supplier)
            if got is not None and got.day > upstream.day:
                upstream, component = got, item
        lead = due_day - rel
        earliest = max(rel, 0)
        if method != "make":
            begin = max(earliest, upstream.day)
            reason = "lead_time"
            if upstream.day > earliest:
                reason = upstream.reason if method == "transfer" else "lead_time"
            found = Ready(NEVER if upstream.day >= NEVER else begin + lead, reason)
        elif pid in set_aside or pid not in runs:
            found = Ready(NEVER, f"capacity:{set_aside.get(pid, '')}".rstrip(":"))
        else:
            run = runs[pid]
            if upstream.day > run.start:
                end = NEVER if upstream.day >= NEVER else run.end + (upstream.day - run.start)
                found = Ready(end, f"component:{component}")
            elif run.end > max(due_day, earliest + lead):
                found = Ready(run.end, f"capacity:{run.workstation}")
            else:
                found = Ready(run.end, "lead_time")
        ready[pid] = found
        return found

    for pid in info:
        resolve(pid, frozenset())
    return ready
