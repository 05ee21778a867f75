"""The shop of a scheduling problem as read from the dataset.

Workstations, calendars, downtime, setup families, changeovers and routings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.fields import clock_minutes
from oms_plan.schedule.calendar import Shift
from oms_plan.schedule.entities import Workstation


def ceil_minutes(value: float) -> int:
    """Fractional minutes round up (a hair of float noise does not)."""
    return max(0, math.ceil(value - 1e-9))


def shop_workstations(ds: Dataset) -> tuple[Workstation, ...]:
    """The workstations, each with its own calendar or else its location's."""
    loc_cal = dict(zip(ds.locations["location"], ds.locations["calendar"], strict=True))
    out = []
    for r in ds.workstations.itertuples(index=False):
        cal = r.calendar if isinstance(r.calendar, str) else loc_cal.get(r.location)
        out.append(
            Workstation(
                str(r.workstation),
                str(r.location),
                int(r.units),
                bool(r.pausable),
                cal if isinstance(cal, str) else None,
            )
        )
    return tuple(out)


def shop_shifts(ds: Dataset) -> dict[str, list[Shift]]:
    """Calendar → its shifts ``(weekday, start minute, end minute)``."""
    shifts: dict[str, list[Shift]] = {}
    for r in ds.calendars.itertuples(index=False):
        a, b = clock_minutes(r.start), clock_minutes(r.end)
        if a is None or b is None:  # the loader rejects these; be explicit anyway
            raise PlanningError(f"calendar {r.calendar!r}: unreadable shift {r.start!r}-{r.end!r}")
        shifts.setdefault(str(r.calendar), []).append((int(r.weekday), a, b))
    return shifts


def shop_downtime(ds: Dataset, index: Mapping[str, int]) -> list[list[tuple[int, int]]]:
    """Per workstation (by ``index``), its downtime as minute ranges from plan start."""
    out: list[list[tuple[int, int]]] = [[] for _ in index]
    origin = pd.Timestamp(ds.start)
    for r in ds.downtime.itertuples(index=False):
        a = math.floor((pd.Timestamp(r.start) - origin).total_seconds() / 60)
        b = math.ceil((pd.Timestamp(r.end) - origin).total_seconds() / 60)
        out[index[str(r.workstation)]].append((a, b))
    return out


def setup_families(ds: Dataset) -> tuple[str, ...]:
    """Every setup family the routing or the setups name, sorted."""
    names = (
        set(ds.routing["setup_family"].dropna())
        | set(ds.setups["from_family"])
        | set(ds.setups["to_family"])
    )
    return tuple(sorted(str(n) for n in names))


def changeover_matrices(
    ds: Dataset, fam: Mapping[str, int], index: Mapping[str, int]
) -> tuple[np.ndarray | None, ...]:
    """Per workstation, changeover minutes family × family (``None``: no changeover there).

    A row for one workstation overrides the all-workstations row of the same families.
    """
    setups = ds.setups
    if setups.empty:
        return tuple(None for _ in index)
    general = np.zeros((len(fam), len(fam)), dtype=np.int64)
    specific: dict[int, np.ndarray] = {}
    rows = setups.assign(_any=setups["workstation"].isna()).sort_values(
        "_any", ascending=False, kind="stable"
    )
    for r in rows.itertuples(index=False):
        minutes = ceil_minutes(float(r.minutes))
        i, j = fam[str(r.from_family)], fam[str(r.to_family)]
        if isinstance(r.workstation, str):
            specific.setdefault(
                index[r.workstation], np.full((len(fam), len(fam)), -1, dtype=np.int64)
            )[i, j] = minutes
        else:
            general[i, j] = minutes
    out: list[np.ndarray | None] = []
    for m in range(len(index)):
        mat = general.copy()
        if m in specific:
            mat = np.where(specific[m] >= 0, specific[m], general)
        out.append(mat if mat.any() else None)
    return tuple(out)


def shop_routes(
    ds: Dataset,
    workstations: Sequence[Workstation],
    ws_index: Mapping[str, int],
    fam: Mapping[str, int],
) -> dict[tuple[str, str], list[tuple[int, list[tuple[int, float, float, int]]]]]:
    """(item, location) → steps in order, each with its alternatives by workstation id.

    A routing row applies at its workstation's location, if its own location is empty
    or that one. Built once: a scan of the routing table per order costs minutes at
    20,000 orders.
    """
    rows: dict[tuple[str, str], dict[int, list[tuple[str, int, float, float, int]]]] = {}
    for r in ds.routing.itertuples(index=False):
        ws = workstations[ws_index[str(r.workstation)]]
        if isinstance(r.location, str) and r.location != ws.location:
            continue
        family = fam[str(r.setup_family)] if isinstance(r.setup_family, str) else -1
        rows.setdefault((str(r.item), ws.location), {}).setdefault(int(r.step), []).append(
            (ws.id, ws_index[ws.id], float(r.setup_minutes), float(r.run_minutes), family)
        )
    return {
        key: [
            (step, [x[1:] for x in sorted(by_step[step], key=lambda x: x[0])])
            for step in sorted(by_step)
        ]
        for key, by_step in rows.items()
    }
