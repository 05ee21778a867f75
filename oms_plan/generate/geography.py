"""Plants, warehouses and delivery regions on a map, and the lanes between them.

Regions are random points in the unit square; each warehouse sits next to one region (its
home market) and ships to every region, slower and dearer the farther away; each plant also
ships directly to its nearest region. Transit days and lane costs grow with distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.generate.config import GeneratorConfig
from oms_plan.generate.ids import make_ids, where_or_none

#: Calendar of every plant (workstations without their own calendar use it).
PLANT_CALENDAR = "2-SHIFT"


@dataclass(frozen=True, slots=True)
class Geography:
    """Locations (plants first, then warehouses), regions and lanes as arrays.

    Attributes
    ----------
    location_ids
        Plants ``PLANT-01``… then warehouses ``DC-01``….
    plants
        Number of plants (location indices ``0 … plants-1``).
    region_ids
        Regions ``R-01``….
    region_weight
        Share of customers in each region (sums to 1).
    lane_from, lane_to, lane_transit, lane_cost
        One entry per lane: location index, region index, transit days, cost per unit.
    location_xy
        Map position of each location (unit square).

    """

    location_ids: np.ndarray
    plants: int
    region_ids: np.ndarray
    region_weight: np.ndarray
    lane_from: np.ndarray
    lane_to: np.ndarray
    lane_transit: np.ndarray
    lane_cost: np.ndarray
    location_xy: np.ndarray

    def transfer_days(self, origin: np.ndarray, destination: np.ndarray) -> np.ndarray:
        """Lead days of a transfer between two locations: one day plus one per quarter map."""
        dist = np.linalg.norm(self.location_xy[origin] - self.location_xy[destination], axis=1)
        return np.asarray(1 + np.floor(dist * 4), dtype=np.int64)

    def transfer_cost(self, origin: np.ndarray, destination: np.ndarray) -> np.ndarray:
        """Freight cost per unit of a transfer between two locations."""
        dist = np.linalg.norm(self.location_xy[origin] - self.location_xy[destination], axis=1)
        return np.asarray(np.round(0.3 + 2 * dist, 2), dtype=float)

    @property
    def warehouse_index(self) -> np.ndarray:
        """Location indices of the warehouses."""
        return np.arange(self.plants, len(self.location_ids))

    def preference(self) -> np.ndarray:
        """Rank of each location for each region by the SCHEMA ship-from rule.

        Returns a ``(locations, regions)`` float array: 0 is the best location for the
        region (least transit, then lowest cost, then lowest id); ``inf`` means no lane.
        """
        n_loc, n_reg = len(self.location_ids), len(self.region_ids)
        rank = np.full((n_loc, n_reg), np.inf)
        id_rank = np.argsort(np.argsort(self.location_ids.astype(str), kind="stable"))
        order = np.lexsort((id_rank[self.lane_from], self.lane_cost, self.lane_transit))
        # Position in that global order is a valid per-region ranking too.
        rank[self.lane_from[order], self.lane_to[order]] = np.arange(len(order), dtype=float)
        return rank

    def frames(self) -> dict[str, pd.DataFrame]:
        """The ``locations``, ``regions`` and ``lanes`` tables."""
        kinds = np.where(np.arange(len(self.location_ids)) < self.plants, "plant", "warehouse")
        locations = pd.DataFrame(
            {
                "location": self.location_ids,
                "kind": kinds.astype(object),
                "calendar": where_or_none(kinds == "plant", np.full(len(kinds), PLANT_CALENDAR)),
            }
        )
        regions = pd.DataFrame(
            {
                "region": self.region_ids,
                "name": np.array([f"Region {k + 1}" for k in range(len(self.region_ids))]),
            }
        )
        lanes = pd.DataFrame(
            {
                "from_location": self.location_ids[self.lane_from],
                "to": self.region_ids[self.lane_to],
                "transit_days": self.lane_transit,
                "cost_per_unit": self.lane_cost,
            }
        )
        return {"locations": locations, "regions": regions, "lanes": lanes}


def build_geography(cfg: GeneratorConfig, rng: np.random.Generator) -> Geography:
    """Place locations and regions and connect them by lanes.

    Parameters
    ----------
    cfg
        The resolved knobs (locations, plants, regions).
    rng
        The random stream of this part.

    Returns
    -------
    Geography
        Every region has lanes from every warehouse, so each is reachable.

    """
    n_reg, n_wh, n_pl = cfg.regions, cfg.warehouses, cfg.plants
    region_xy = rng.random((n_reg, 2))
    home = rng.permutation(n_reg)[np.arange(n_wh) % n_reg]
    wh_xy = np.clip(region_xy[home] + rng.normal(0, 0.03, (n_wh, 2)), 0, 1)
    plant_xy = rng.random((n_pl, 2))
    location_ids = np.concatenate([make_ids("PLANT-", n_pl, 2), make_ids("DC-", n_wh, 2)]).astype(
        object
    )
    region_ids = make_ids("R-", n_reg, 2)
    region_weight = rng.dirichlet(np.full(n_reg, 2.0))

    # Every warehouse to every region.
    wh_from = np.repeat(np.arange(n_wh), n_reg)
    wh_to = np.tile(np.arange(n_reg), n_wh)
    wh_dist = np.linalg.norm(wh_xy[wh_from] - region_xy[wh_to], axis=1)
    # Each plant to its nearest region (factory-direct customers).
    plant_dist_all = np.linalg.norm(plant_xy[:, None, :] - region_xy[None, :, :], axis=2)
    pl_to = plant_dist_all.argmin(axis=1)
    pl_dist = plant_dist_all[np.arange(n_pl), pl_to]

    lane_from = np.concatenate([np.arange(n_pl), n_pl + wh_from])
    lane_to = np.concatenate([pl_to, wh_to])
    dist = np.concatenate([pl_dist, wh_dist])
    transit = (1 + np.floor(dist * 4)).astype(np.int64)
    cost = np.round(0.5 + 3 * dist + rng.uniform(0, 0.3, len(dist)), 2)
    return Geography(
        location_ids=location_ids,
        plants=n_pl,
        region_ids=region_ids,
        region_weight=region_weight,
        lane_from=lane_from,
        lane_to=lane_to,
        lane_transit=transit,
        lane_cost=cost,
        location_xy=np.concatenate([plant_xy, wh_xy]),
    )
