"""Workstations, shift calendars, downtime, routings and setup changeovers of the plants.

Workstations at a plant come in small groups of interchangeable machines (a step routed to
a group may list every member as an alternative). Run minutes are calibrated so that each
workstation would be 45–85 % busy if the horizon's whole requirement were made on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.generate.config import GeneratorConfig
from oms_plan.generate.geography import PLANT_CALENDAR, Geography
from oms_plan.generate.ids import make_ids, where_or_none
from oms_plan.generate.products import Products

#: Shift patterns, Monday to Friday (weekends off): calendar → (start, end) shifts.
SHIFTS: dict[str, tuple[tuple[str, str], ...]] = {
    "1-SHIFT": (("06:00", "14:00"),),
    "2-SHIFT": (("06:00", "14:00"), ("14:00", "22:00")),
    "3-SHIFT": (("06:00", "14:00"), ("14:00", "22:00"), ("22:00", "06:00")),
}
WEEKLY_MINUTES = {name: 5 * 480 * len(shifts) for name, shifts in SHIFTS.items()}
#: Setup families are drawn from this pool (think paint colours or materials).
FAMILY_POOL = np.array([f"FAM-{k:02d}" for k in range(1, 9)], dtype=object)
#: Longest run time per unit after calibration, in minutes.
MAX_RUN_MINUTES = 240.0


def workstations_per_plant(cfg: GeneratorConfig) -> np.ndarray:
    """Spread ``cfg.workstations`` over the plants as evenly as possible."""
    base, extra = divmod(cfg.workstations, cfg.plants)
    return np.array([base + (1 if p < extra else 0) for p in range(cfg.plants)], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Factory:
    """The plant-floor tables: calendars, workstations, downtime, routing and setups."""

    calendars: pd.DataFrame
    workstations: pd.DataFrame
    downtime: pd.DataFrame
    routing: pd.DataFrame
    setups: pd.DataFrame


def build_factory(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    geo: Geography,
    products: Products,
    requirement: np.ndarray,
) -> Factory:
    """Create workstations and routings for every made item whose plant has workstations.

    Parameters
    ----------
    cfg
        Resolved knobs.
    rng
        The random stream of this part.
    geo
        Locations (plant ids).
    products
        Items, where they are made.
    requirement
        Gross requirement of every item over the horizon (calibrates run minutes).

    Returns
    -------
    Factory
        The tables.

    """
    per_plant = workstations_per_plant(cfg)
    n_ws = int(per_plant.sum())
    ws_plant = np.repeat(np.arange(cfg.plants), per_plant)
    ws_ids = make_ids("WS-", n_ws, 3)

    # Groups of 1-3 interchangeable workstations, never spanning two plants.
    group_of = np.empty(n_ws, dtype=np.int64)
    g_start: list[int] = []
    g_size: list[int] = []
    g_plant: list[int] = []
    pos = 0
    for plant, count in enumerate(per_plant):
        end = pos + int(count)
        while pos < end:
            size = min(end - pos, int(rng.choice([1, 1, 2, 2, 3])))
            group_of[pos : pos + size] = len(g_start)
            g_start.append(pos)
            g_size.append(size)
            g_plant.append(plant)
            pos += size
    group_start = np.array(g_start, dtype=np.int64)
    group_size = np.array(g_size, dtype=np.int64)
    group_plant = np.array(g_plant, dtype=np.int64)

    calendar_names = np.array(["1-SHIFT", PLANT_CALENDAR, "3-SHIFT"], dtype=object)
    group_cal = calendar_names[rng.choice(3, size=len(group_start), p=[0.25, 0.5, 0.25])]
    ws_cal = group_cal[group_of] if n_ws else np.array([], dtype=object)
    units = rng.choice(np.array([1, 2, 3]), size=n_ws, p=[0.7, 0.2, 0.1])
    workstations = pd.DataFrame(
        {
            "workstation": ws_ids,
            "location": geo.location_ids[ws_plant],
            # Workstations on the plant's own pattern leave the calendar to the location.
            "calendar": where_or_none(ws_cal != PLANT_CALENDAR, ws_cal),
            "units": units.astype(np.int64),
            "pausable": rng.random(n_ws) < 0.85,
        }
    )
    # A third of the workstations change over between setup families.
    has_family = rng.random(n_ws) < 0.35
    fam_first = rng.integers(0, len(FAMILY_POOL), n_ws)
    fam_count = rng.integers(2, 5, n_ws)

    routing = _routing(
        rng,
        products,
        geo.location_ids,
        group_start,
        group_size,
        group_plant,
        ws_ids,
        has_family,
        fam_first,
        fam_count,
    )
    capacity = (
        units * np.array([WEEKLY_MINUTES[c] for c in ws_cal], dtype=float) * cfg.horizon_days / 7
    )
    routing = _calibrate(rng, routing, requirement, capacity)
    return Factory(
        calendars=_calendars(),
        workstations=workstations,
        downtime=_downtime(cfg, rng, ws_ids),
        routing=routing.drop(columns=["item_index", "ws_index", "alternatives"]),
        setups=_setups(rng, ws_ids, has_family, fam_first, fam_count),
    )


def _routing(
    rng: np.random.Generator,
    products: Products,
    location_ids: np.ndarray,
    group_start: np.ndarray,
    group_size: np.ndarray,
    group_plant: np.ndarray,
    ws_ids: np.ndarray,
    has_family: np.ndarray,
    fam_first: np.ndarray,
    fam_count: np.ndarray,
) -> pd.DataFrame:
    plants = int(group_plant.max(initial=-1)) + 1
    groups_per_plant = np.bincount(group_plant, minlength=plants)
    first_group = np.concatenate([[0], np.cumsum(groups_per_plant)[:-1]]).astype(np.int64)
    home = products.home
    routed = np.flatnonzero(products.make & (home >= 0))
    # Items of a plant without workstations have a BOM only.
    routed = routed[groups_per_plant[home[routed]] > 0] if plants else routed[:0]
    # One to four operations per made item.
    n_steps = rng.choice(np.array([1, 2, 3, 4]), size=len(routed), p=[0.25, 0.35, 0.25, 0.15])
    step_item = np.repeat(routed, n_steps)
    step_no = 10 * (
        np.arange(len(step_item)) - np.repeat(np.cumsum(n_steps) - n_steps, n_steps) + 1
    )
    plant = home[step_item]
    group = first_group[plant] + (rng.random(len(step_item)) * groups_per_plant[plant]).astype(
        np.int64
    )
    size = group_size[group]
    alternative = (size > 1) & (rng.random(len(step_item)) < 0.5)
    count = np.where(alternative, size, 1)
    pick = (rng.random(len(step_item)) * size).astype(np.int64)
    row_step = np.repeat(np.arange(len(step_item)), count)
    within = np.arange(len(row_step)) - np.repeat(np.cumsum(count) - count, count)
    member = np.where(alternative[row_step], within, pick[row_step])
    ws = group_start[group[row_step]] + member

    base_run = rng.lognormal(np.log(3.0), 0.7, len(step_item))
    # Alternatives are a little faster or slower than the first machine of the group.
    speed = np.where(member > 0, rng.uniform(0.85, 1.25, len(row_step)), 1.0)
    setup = np.where(
        rng.random(len(step_item)) < 0.3, 0.0, 5.0 * rng.integers(2, 19, len(step_item))
    )
    fam_pick = (rng.random(len(row_step)) * fam_count[ws]).astype(np.int64)
    family = where_or_none(
        has_family[ws], FAMILY_POOL[(fam_first[ws] + fam_pick) % len(FAMILY_POOL)]
    )
    return pd.DataFrame(
        {
            "item": products.item_ids[step_item[row_step]],
            "step": step_no[row_step].astype(np.int64),
            "workstation": ws_ids[ws],
            "run_minutes": base_run[row_step] * speed,
            "setup_minutes": setup[row_step],
            "setup_family": family,
            # Explicit although each item is made at one plant only: says where it runs.
            "location": location_ids[plant[row_step]],
            "item_index": step_item[row_step],
            "ws_index": ws,
            "alternatives": count[row_step],
        }
    )


def _calibrate(
    rng: np.random.Generator,
    routing: pd.DataFrame,
    requirement: np.ndarray,
    capacity: np.ndarray,
) -> pd.DataFrame:
    """Scale run minutes per workstation to a target utilisation of 45-85 %."""
    ws = routing["ws_index"].to_numpy()
    run = routing["run_minutes"].to_numpy()
    # Alternatives share the step's quantity.
    load_rows = requirement[routing["item_index"].to_numpy()] * run / routing["alternatives"]
    load = np.bincount(ws, weights=load_rows.to_numpy(dtype=float), minlength=len(capacity))
    target = rng.uniform(0.45, 0.85, len(capacity)) * capacity
    factor = np.where(load > 0, target / np.maximum(load, 1e-9), 1.0)
    out = routing.copy()
    out["run_minutes"] = np.clip(np.round(run * factor[ws], 2), 0.01, MAX_RUN_MINUTES)
    return out


def _calendars() -> pd.DataFrame:
    rows = [
        (name, day, start, end)
        for name, shifts in SHIFTS.items()
        for day in range(5)
        for start, end in shifts
    ]
    return pd.DataFrame(rows, columns=["calendar", "weekday", "start", "end"])


def _downtime(cfg: GeneratorConfig, rng: np.random.Generator, ws_ids: np.ndarray) -> pd.DataFrame:
    """A planned maintenance shift on some workstations, a breakdown on a few."""
    n = len(ws_ids)
    start = pd.Timestamp(cfg.start)
    h = cfg.horizon_days
    maint = np.flatnonzero(rng.random(n) < 0.3)
    day = rng.integers(0, h, len(maint))
    weekday = (cfg.start.weekday() + day) % 7
    # Maintenance happens on a weekday's early shift: move weekends back to Friday.
    day = np.where(weekday >= 5, day - (weekday - 4), day)
    day = np.where(day < 0, day + 7, day)
    m_start = start + pd.to_timedelta(day, unit="D") + pd.Timedelta(hours=6)
    m_end = m_start + pd.Timedelta(hours=8)
    broken = np.flatnonzero(rng.random(n) < 0.1)
    b_minutes = rng.integers(0, min(h, 21) * 1440, len(broken)) // 60 * 60
    b_start = start + pd.to_timedelta(b_minutes, unit="m")
    b_end = b_start + pd.to_timedelta(rng.integers(4, 73, len(broken)), unit="h")
    frame = pd.DataFrame(
        {
            "workstation": np.concatenate([ws_ids[maint], ws_ids[broken]]).astype(object),
            "start": np.concatenate([m_start.to_numpy(), b_start.to_numpy()]),
            "end": np.concatenate([m_end.to_numpy(), b_end.to_numpy()]),
        }
    )
    return frame.sort_values(["workstation", "start"], kind="mergesort").reset_index(drop=True)


def _setups(
    rng: np.random.Generator,
    ws_ids: np.ndarray,
    has_family: np.ndarray,
    fam_first: np.ndarray,
    fam_count: np.ndarray,
) -> pd.DataFrame:
    """Changeover minutes between each ordered pair of a workstation's families.

    Families are ordered (light to dark): going further along the order takes longer.
    """
    rows: list[tuple[str, str, float, str]] = []
    pool = len(FAMILY_POOL)
    for w in np.flatnonzero(has_family):
        k = int(fam_count[w])
        fams = FAMILY_POOL[(fam_first[w] + np.arange(k)) % pool]
        for a in range(k):
            for b in range(k):
                if a != b:
                    minutes = 10.0 + 15.0 * abs(a - b) + 5.0 * int(rng.integers(0, 3))
                    rows.append((str(fams[a]), str(fams[b]), minutes, str(ws_ids[w])))
    return pd.DataFrame(rows, columns=["from_family", "to_family", "minutes", "workstation"])
