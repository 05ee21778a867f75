"""The generator's knobs: defaults that grow with the scale, and their validation."""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any

#: Plan start of generated datasets unless told otherwise (a Monday; the project's demo date).
DEFAULT_START = dt.date(2026, 11, 23)
#: Default horizon in days.
DEFAULT_HORIZON_DAYS = 180
#: Default ratio of end-item stock plus receipts to end-item demand.
DEFAULT_SUPPLY_RATIO = 1.1
#: Default share of order lines that already carry a promised date.
DEFAULT_COMMITTED_SHARE = 0.3

MAX_ITEMS = 10_000
MAX_LOCATIONS = 20
MAX_WORKSTATIONS = 200


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """Every knob of one generated dataset, with defaults resolved.

    Attributes
    ----------
    scale
        Number of open order lines.
    seed
        Seed of the random streams; the same config always gives the same dataset.
    items
        Number of items over all BOM levels.
    locations
        Number of locations (plants plus warehouses).
    plants
        Number of plants (derived: about a quarter of the locations, at least one).
    regions
        Number of delivery regions (derived: two per warehouse, 2 to 30).
    horizon_days
        Plan horizon in days.
    bom_levels
        Depth of the bill of materials: 1 = traded goods only.
    supply_ratio
        End-item stock plus scheduled receipts ÷ end-item demand.
    committed_share
        Share of order lines carrying a promised date.
    workstations
        Number of workstations over all plants.
    start
        Plan start date.
    unschedulable
        Open production orders planted that no schedule can hold (0 by default: every
        generated order is schedulable).

    """

    scale: int
    seed: int
    items: int
    locations: int
    plants: int
    regions: int
    horizon_days: int
    bom_levels: int
    supply_ratio: float
    committed_share: float
    workstations: int
    start: dt.date
    unschedulable: int = 0

    @property
    def warehouses(self) -> int:
        """Number of warehouses."""
        return self.locations - self.plants

    def to_dict(self) -> dict[str, Any]:
        """The knobs as plain values (for ``dataset.toml``'s ``[generator]`` section)."""
        out = asdict(self)
        out["start"] = self.start.isoformat()
        return out


def default_items(scale: int) -> int:
    """About one item per ten order lines, at least 12 and at most 10,000."""
    return int(min(MAX_ITEMS, max(12, scale // 10)))


def default_locations(scale: int) -> int:
    """Three locations for small order books, growing with √scale up to 20."""
    return int(min(MAX_LOCATIONS, 3 + int(math.sqrt(scale / 300))))


def default_bom_levels(items: int) -> int:
    """Two levels below 8 items, three below 1,000, four above."""
    if items < 8:
        return min(2, items)
    return 3 if items < 1000 else 4


def default_workstations(items: int, bom_levels: int, plants: int) -> int:
    """About one workstation per 15 made items, at least 3 and one per plant, at most 200."""
    if bom_levels < 2:
        return 0
    made = int(items * 0.6)
    return int(min(MAX_WORKSTATIONS, max(3, plants, round(made / 15))))


def resolve_config(
    scale: int,
    *,
    seed: int = 0,
    items: int | None = None,
    locations: int | None = None,
    horizon_days: int | None = None,
    bom_levels: int | None = None,
    supply_ratio: float | None = None,
    committed_share: float | None = None,
    workstations: int | None = None,
    start: dt.date | None = None,
    unschedulable: int | None = None,
) -> GeneratorConfig:
    """Fill in defaults for the knobs left at ``None`` and check every knob.

    Parameters
    ----------
    scale
        Number of open order lines (≥ 1).
    seed
        Random seed (≥ 0).
    items
        Items over all levels (≥ 1 and ≥ ``bom_levels``).
    locations
        Plants plus warehouses (≥ 2).
    horizon_days
        Horizon length, 7 to 3660 days.
    bom_levels
        BOM depth (≥ 1).
    supply_ratio
        End-item stock plus receipts ÷ end-item demand (≥ 0).
    committed_share
        Share of lines with a promised date (0 to 1).
    workstations
        Workstations over all plants (≥ 0).
    start
        Plan start date.
    unschedulable
        Open production orders to plant that cannot be scheduled (≥ 0; default 0).

    Returns
    -------
    GeneratorConfig
        The resolved knobs.

    Raises
    ------
    ValueError
        Naming the knob and the allowed range when a knob is out of range.

    """
    _whole("scale", scale, 1)
    _whole("seed", seed, 0)
    n_items = default_items(scale) if items is None else _whole("items", items, 1)
    n_locations = (
        default_locations(scale) if locations is None else _whole("locations", locations, 2)
    )
    horizon = (
        DEFAULT_HORIZON_DAYS
        if horizon_days is None
        else _whole("horizon_days", horizon_days, 7, 3660)
    )
    levels = (
        default_bom_levels(n_items) if bom_levels is None else _whole("bom_levels", bom_levels, 1)
    )
    if levels > n_items:
        raise ValueError(
            f"bom_levels {levels} needs at least {levels} items (one per level), got {n_items}"
        )
    ratio = DEFAULT_SUPPLY_RATIO if supply_ratio is None else float(supply_ratio)
    if not math.isfinite(ratio) or ratio < 0:
        raise ValueError(f"supply_ratio must be a number ≥ 0, got {supply_ratio!r}")
    share = DEFAULT_COMMITTED_SHARE if committed_share is None else float(committed_share)
    if not math.isfinite(share) or not 0 <= share <= 1:
        raise ValueError(f"committed_share must be between 0 and 1, got {committed_share!r}")
    # About a quarter of the locations are plants; at least one of each kind.
    plants = min(n_locations - 1, max(1, round(n_locations / 4)))
    n_ws = (
        default_workstations(n_items, levels, plants)
        if workstations is None
        else _whole("workstations", workstations, 0)
    )
    warehouses = n_locations - plants
    regions = min(30, max(2, 2 * warehouses))
    if start is not None and not isinstance(start, dt.date):
        raise ValueError(f"start must be a date, got {start!r}")
    plan_start = DEFAULT_START if start is None else _as_date(start)
    planted = 0 if unschedulable is None else _whole("unschedulable", unschedulable, 0)
    return GeneratorConfig(
        scale=int(scale),
        seed=int(seed),
        items=n_items,
        locations=n_locations,
        plants=plants,
        regions=regions,
        horizon_days=horizon,
        bom_levels=levels,
        supply_ratio=ratio,
        committed_share=share,
        workstations=n_ws,
        start=plan_start,
        unschedulable=planted,
    )


def _whole(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f"≥ {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bound}, got {number}")
    return number


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
