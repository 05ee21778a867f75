"""``generate_frames`` and ``generate_dataset``: the synthetic dataset, end to end.

The parts are built in dependency order, each from its own random stream (spawned from the
seed), so the same knobs always give the same dataset:
geography → factory size → products → costs → assortment → orders → requirement explosion →
items → sourcing → routings → stock and open supply.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.generate.attributes import item_costs, items_frame
from oms_plan.generate.config import GeneratorConfig, resolve_config
from oms_plan.generate.demand import build_assortment, build_orders
from oms_plan.generate.factory import build_factory, workstations_per_plant
from oms_plan.generate.geography import build_geography
from oms_plan.generate.products import build_products
from oms_plan.generate.replenishment import build_sourcing, build_stock
from oms_plan.generate.schedulable import make_schedulable
from oms_plan.loading import load
from oms_plan.settings import PlanSettings

logger = logging.getLogger("oms_plan")

#: The independent random streams, one per part (order matters: it fixes the spawn keys).
STREAMS = (
    "geography",
    "factory",
    "products",
    "costs",
    "assortment",
    "orders",
    "items",
    "sourcing",
    "stock",
    "unschedulable",  # appended last: the streams before it keep their seeds
)


def generate_frames(
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
) -> tuple[dict[str, pd.DataFrame], PlanSettings]:
    """Generate the tables of a synthetic dataset, before validation.

    Takes the same arguments as :func:`generate_dataset`.

    Returns
    -------
    tuple
        A dict of table name → DataFrame (SCHEMA columns; dates as ``datetime64``) and the
        :class:`~oms_plan.settings.PlanSettings` (with a ``[generator]`` section recording
        the resolved knobs). ``oms_plan.load(frames, settings=settings)`` validates them.

    Raises
    ------
    ValueError
        When a knob is out of range (the message names it).

    """
    cfg = resolve_config(
        scale,
        seed=seed,
        items=items,
        locations=locations,
        horizon_days=horizon_days,
        bom_levels=bom_levels,
        supply_ratio=supply_ratio,
        committed_share=committed_share,
        workstations=workstations,
        start=start,
        unschedulable=unschedulable,
    )
    return frames_for(cfg), settings_for(cfg)


def frames_for(cfg: GeneratorConfig) -> dict[str, pd.DataFrame]:
    """Generate the tables for resolved knobs (see :func:`generate_frames`)."""
    children = np.random.SeedSequence(cfg.seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}

    geo = build_geography(cfg, rng["geography"])
    has_ws = workstations_per_plant(cfg) > 0
    products = build_products(cfg, rng["products"], has_ws)
    costs = item_costs(rng["costs"], products)
    assortment = build_assortment(rng["assortment"], geo, products)
    book = build_orders(cfg, rng["orders"], geo, products, assortment, costs.price)
    end_demand = np.bincount(book.item, weights=book.quantity, minlength=len(products.item_ids))
    requirement, at_plant = products.explode(end_demand, cfg.plants)
    items_table = items_frame(rng["items"], products, costs, requirement, cfg.horizon_days)
    sourcing = build_sourcing(rng["sourcing"], geo, products, assortment, costs)
    factory = build_factory(cfg, rng["factory"], geo, products, requirement)
    stock = build_stock(cfg, rng["stock"], geo, products, sourcing, book, at_plant)
    frames = {
        "items": items_table,
        **geo.frames(),
        "sourcing": sourcing.frame,
        "bom": products.bom_frame(),
        "routing": factory.routing,
        "workstations": factory.workstations,
        "calendars": factory.calendars,
        "downtime": factory.downtime,
        "setups": factory.setups,
        "inventory": stock.inventory,
        "supply": stock.supply,
        "orders": book.orders,
    }
    need = dict(zip(products.item_ids.tolist(), requirement.tolist(), strict=True))
    frames = make_schedulable(cfg, rng["unschedulable"], frames, need)
    logger.debug("generated %s", {name: len(f) for name, f in frames.items()})
    return frames


def settings_for(cfg: GeneratorConfig) -> PlanSettings:
    """Plan settings of a generated dataset, recording the knobs under ``[generator]``."""
    return PlanSettings(cfg.start, cfg.horizon_days, {"generator": cfg.to_dict()})


def generate_dataset(
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
) -> Dataset:
    """Generate a valid synthetic manufacturer-distributor dataset.

    Knobs left at ``None`` get defaults that grow with ``scale`` (see ``docs/generate.md``).

    Parameters
    ----------
    scale
        Number of open order lines (≥ 1).
    seed
        Seed (≥ 0): the same arguments always give the same dataset.
    items
        Items over all BOM levels (default ``scale // 10``, between 12 and 10,000).
    locations
        Plants plus warehouses (≥ 2; default 3 growing to 20 with scale). About a quarter
        are plants.
    horizon_days
        Horizon length (7 to 3660; default 180).
    bom_levels
        BOM depth: end items on top, purchased materials at the bottom; 1 means traded
        goods only (default 3, or 4 from 1,000 items).
    supply_ratio
        End-item stock plus scheduled receipts ÷ end-item demand (≥ 0; default 1.1; 0.8
        makes stock scarce).
    committed_share
        Share of order lines that carry a promised date (0 to 1; default 0.3).
    workstations
        Workstations over all plants (≥ 0; default one per 15 made items, 3 to 200).
    start
        Plan start (default 2026-11-23).
    unschedulable
        Open production orders to plant that no schedule can hold (default 0: every
        generated manufacturing order is schedulable); ids ``MO-X00001``, ...

    Returns
    -------
    Dataset
        The validated dataset; ``dataset.settings.extra["generator"]`` records the knobs.

    Raises
    ------
    ValueError
        When a knob is out of range (the message names it).

    Examples
    --------
    >>> ds = generate_dataset(200, seed=1)
    >>> ds.num_rows()["orders"]
    200

    """
    frames, settings = generate_frames(
        scale,
        seed=seed,
        items=items,
        locations=locations,
        horizon_days=horizon_days,
        bom_levels=bom_levels,
        supply_ratio=supply_ratio,
        committed_share=committed_share,
        workstations=workstations,
        start=start,
        unschedulable=unschedulable,
    )
    return load(frames, settings=settings)
