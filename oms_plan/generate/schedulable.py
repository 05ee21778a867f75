"""Keep generated manufacturing schedulable — or plant orders that are not, on purpose.

A step on a non-pausable workstation must fit inside one stretch of working time. Left to
chance, large lots of slow items do not (at 20,000 lines some 30 orders would not), and a
schedule test would be about them rather than about the shop. So, by default, every item
with a non-pausable step gets a largest lot (``lot_max``) that fits a shift with room to
spare, and so does each of its open production orders; a step that would not fit even
for a lot of one (or only for lots so small that MRP would split the horizon's need into
hundreds of orders) runs faster instead.

``unschedulable = N`` then adds N open production orders that cannot be scheduled: a lot
too large for its non-pausable step, or — when no item has such a step — a release after
the horizon. Their ids start with ``MO-X``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from oms_plan.generate.config import GeneratorConfig
from oms_plan.generate.geography import PLANT_CALENDAR

#: Longest stretch of working time of each calendar, in minutes (3-SHIFT runs Monday
#: 06:00 to Saturday 06:00 without a break).
LONGEST_STRETCH = {"1-SHIFT": 480, "2-SHIFT": 960, "3-SHIFT": 5 * 1440}
#: Share of the longest stretch a generated lot may use on a non-pausable workstation.
FILL = 0.8
#: Most orders MRP should need for an item's horizon requirement under its lot limit.
MAX_LOTS = 100


def _limits(
    routing: pd.DataFrame, workstations: pd.DataFrame, requirement: dict[str, float]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Faster steps where needed, and the largest lot of each item with a non-pausable step."""
    stations = workstations.set_index("workstation")
    cal = stations["calendar"].where(stations["calendar"].notna(), PLANT_CALENDAR)
    stretch = cal.map(LONGEST_STRETCH).astype(float)
    pausable = stations["pausable"].astype(bool)
    out = routing.copy()
    tight = ~out["workstation"].map(pausable).to_numpy(dtype=bool)
    limit: dict[str, float] = {}
    for idx in np.flatnonzero(tight):
        row = out.iloc[idx]
        item, ws = str(row["item"]), str(row["workstation"])
        room = FILL * float(stretch[ws])
        setup = float(row["setup_minutes"])
        if setup > room / 2:
            setup = round(room / 4, 2)
            out.iat[idx, out.columns.get_loc("setup_minutes")] = setup
        need = max(1.0, math.ceil(requirement.get(item, 0.0) / MAX_LOTS))
        run = float(row["run_minutes"])
        if setup + need * run > room:
            run = max(0.01, math.floor((room - setup) / need * 100) / 100)
            out.iat[idx, out.columns.get_loc("run_minutes")] = run
        lot = math.floor((room - setup) / run)
        limit[item] = min(limit.get(item, math.inf), float(lot))
    return out, limit


def make_schedulable(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    frames: dict[str, pd.DataFrame],
    requirement: dict[str, float],
) -> dict[str, pd.DataFrame]:
    """Fit lots to non-pausable steps, then plant ``cfg.unschedulable`` orders.

    Parameters
    ----------
    cfg
        Resolved knobs.
    rng
        The random stream of this part (used only to plant orders).
    frames
        The generated tables (``items``, ``routing``, ``workstations``, ``supply``).
    requirement
        Gross requirement of every item over the horizon.

    Returns
    -------
    dict
        The tables, with ``items``, ``routing`` and ``supply`` adjusted.

    """
    routing, limit = _limits(frames["routing"], frames["workstations"], requirement)
    items = frames["items"].copy()
    cap = items["item"].map(limit)
    has = cap.notna()
    lot_max = items["lot_max"].where(items["lot_max"].notna(), np.inf)
    items.loc[has, "lot_max"] = np.minimum(lot_max[has], cap[has])
    items.loc[has, "lot_min"] = np.minimum(items.loc[has, "lot_min"], items.loc[has, "lot_max"])
    supply = frames["supply"].copy()
    made = supply["kind"] == "production"
    mo_cap = supply["item"].map(limit)
    clip = made & mo_cap.notna() & (supply["quantity"] > mo_cap)
    supply.loc[clip, "quantity"] = mo_cap[clip]
    if cfg.unschedulable:
        planted = _planted(cfg, rng, {**frames, "routing": routing})
        supply = pd.concat([supply, planted], ignore_index=True)
    return {**frames, "items": items, "routing": routing, "supply": supply}


def _too_big(routing: pd.DataFrame, workstations: pd.DataFrame) -> dict[str, float]:
    """Item → a lot no non-pausable step of it can hold (steps without another way only)."""
    stations = workstations.set_index("workstation")
    cal = stations["calendar"].where(stations["calendar"].notna(), PLANT_CALENDAR)
    stretch = cal.map(LONGEST_STRETCH).astype(float)
    pausable = stations["pausable"].astype(bool)
    out: dict[str, float] = {}
    for (item, _), rows in routing.groupby(["item", "step"], sort=True):
        if rows["workstation"].map(pausable).any():
            continue  # some alternative may pause: it would fit there
        fits = (rows["workstation"].map(stretch) - rows["setup_minutes"]) / rows["run_minutes"]
        out.setdefault(str(item), float(math.floor(fits.max()) + 1))
    return out


def _planted(
    cfg: GeneratorConfig, rng: np.random.Generator, frames: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """``cfg.unschedulable`` open production orders that no schedule can hold."""
    routing = frames["routing"]
    plant_of = dict(zip(routing["item"], routing["location"], strict=False))
    too_big = _too_big(routing, frames["workstations"])
    candidates = sorted(too_big)
    routed = sorted(set(routing["item"]))
    start = pd.Timestamp(cfg.start)
    rows = []
    for k in range(cfg.unschedulable):
        if candidates:
            item = candidates[int(rng.integers(len(candidates)))]
            # One unit more than the longest stretch of any of its workstations holds.
            quantity = too_big[item]
            due = int(rng.integers(7, cfg.horizon_days))
            release = start + pd.Timedelta(days=max(0, due - 5))
        else:
            if not routed:
                break  # nothing is made: there is no manufacturing order to plant
            item = routed[int(rng.integers(len(routed)))]
            quantity = 1.0
            due = cfg.horizon_days + 10
            release = start + pd.Timedelta(days=cfg.horizon_days + 5)
        rows.append(
            {
                "supply": f"MO-X{k + 1:05d}",
                "kind": "production",
                "item": item,
                "location": plant_of[item],
                "quantity": quantity,
                "due_date": start + pd.Timedelta(days=due),
                "from_location": None,
                "release_date": release,
                "priority": 3,
            }
        )
    return pd.DataFrame(rows, columns=list(frames["supply"].columns))
