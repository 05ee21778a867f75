"""Items over BOM levels and the bill of materials, acyclic by construction.

Level 0 holds the end items (finished goods made at a plant, plus some traded goods bought
ready-made), the last level the purchased raw materials, the levels between them made
sub-assemblies. A BOM line always points from a level to a deeper one, so the BOM cannot
have a cycle; every item below level 0 is used by at least one parent on the level just
above it, so each item's low-level code equals its level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.generate.config import GeneratorConfig
from oms_plan.generate.ids import make_ids


@dataclass(frozen=True, slots=True)
class Products:
    """Items and BOM as index arrays.

    Attributes
    ----------
    item_ids
        ``I-00001``…, level 0 first.
    level
        BOM level of each item (0 = end item).
    make
        Whether the item is made (else bought).
    home
        Plant index where a made item is made; -1 for bought items.
    integral
        Whether quantities of the item are whole numbers.
    bom_parent, bom_component, bom_quantity, bom_scrap
        One entry per BOM line.

    """

    item_ids: np.ndarray
    level: np.ndarray
    make: np.ndarray
    home: np.ndarray
    integral: np.ndarray
    bom_parent: np.ndarray
    bom_component: np.ndarray
    bom_quantity: np.ndarray
    bom_scrap: np.ndarray

    @property
    def end_items(self) -> np.ndarray:
        """Indices of the level-0 items (the ones customers order)."""
        return np.flatnonzero(self.level == 0)

    def explode(self, end_demand: np.ndarray, plants: int) -> tuple[np.ndarray, np.ndarray]:
        """Gross requirement of every item for a given end-item demand.

        Parameters
        ----------
        end_demand
            Demand per item (only level-0 entries are used).
        plants
            Number of plants.

        Returns
        -------
        tuple of numpy.ndarray
            ``total`` per item (end demand plus dependent demand) and ``at_plant``, an
            ``(items, plants)`` array of dependent demand where parents are made.

        """
        n = len(self.item_ids)
        total = np.where(self.level == 0, end_demand, 0.0).astype(float)
        at_plant = np.zeros((n, plants))
        need = self.bom_quantity * (1 + self.bom_scrap)
        parent_level = self.level[self.bom_parent]
        for k in range(int(self.level.max(initial=0)) + 1):
            rows = np.flatnonzero(parent_level == k)
            if not len(rows):
                continue
            parents, comps = self.bom_parent[rows], self.bom_component[rows]
            amount = total[parents] * need[rows]
            np.add.at(total, comps, amount)
            np.add.at(at_plant, (comps, self.home[parents]), amount)
        return total, at_plant

    def bom_frame(self) -> pd.DataFrame:
        """The ``bom`` table."""
        return pd.DataFrame(
            {
                "parent": self.item_ids[self.bom_parent],
                "component": self.item_ids[self.bom_component],
                "quantity_per": self.bom_quantity,
                "scrap_rate": self.bom_scrap,
            }
        )


def level_sizes(items: int, levels: int) -> np.ndarray:
    """Items per level: about 25 % end items, 40 % raw materials, the rest in between."""
    if levels == 1:
        return np.array([items])
    if levels == 2:
        shares = np.array([0.4, 0.6])
    else:
        shares = np.array([0.25, *([0.35 / (levels - 2)] * (levels - 2)), 0.40])
    sizes = np.maximum(1, np.floor(shares * items).astype(np.int64))
    # Give or take the rounding difference on the widest level that can spare it.
    diff = items - int(sizes.sum())
    while diff != 0:
        k = int(np.argmax(sizes))
        step = 1 if diff > 0 else -1
        if sizes[k] + step < 1:
            break
        sizes[k] += step
        diff -= step
    return np.asarray(sizes, dtype=np.int64)


def build_products(
    cfg: GeneratorConfig, rng: np.random.Generator, plant_has_workstations: np.ndarray
) -> Products:
    """Create the items and a BOM of exactly ``cfg.bom_levels`` levels.

    Parameters
    ----------
    cfg
        Resolved knobs (items, bom_levels, plants).
    rng
        The random stream of this part.
    plant_has_workstations
        Per plant, whether it has workstations; made items go to such plants when any has.

    Returns
    -------
    Products
        Items and BOM lines.

    """
    sizes = level_sizes(cfg.items, cfg.bom_levels)
    level = np.repeat(np.arange(len(sizes)), sizes)
    n = int(sizes.sum())
    item_ids = make_ids("I-", n, 5)
    bottom = len(sizes) - 1
    make = level < bottom
    if bottom > 0:
        # A fifth of the end items are traded goods: bought ready-made, no BOM.
        end = np.flatnonzero(level == 0)
        traded = rng.choice(end, size=len(end) // 5, replace=False)
        make[traded] = False
    integral = np.ones(n, dtype=bool)
    raw = np.flatnonzero(level == bottom) if bottom > 0 else np.array([], dtype=np.int64)
    integral[raw] = rng.random(len(raw)) >= 0.15  # some materials are kg or metres

    eligible = np.flatnonzero(plant_has_workstations)
    if not len(eligible):
        eligible = np.arange(cfg.plants)
    home = np.full(n, -1, dtype=np.int64)
    end_made = np.flatnonzero(make & (level == 0))
    home[end_made] = rng.choice(eligible, size=len(end_made))

    parents_all: list[np.ndarray] = []
    comps_all: list[np.ndarray] = []
    for k in range(bottom):
        parents = np.flatnonzero(make & (level == k))
        children = np.flatnonzero(level == k + 1)
        deeper = np.flatnonzero(level > k + 1)
        # Each child gets one parent on the level above (so its low-level code is k + 1).
        order = rng.permutation(parents)
        child_perm = rng.permutation(children)
        guaranteed_parent = order[np.arange(len(children)) % len(parents)]
        # Extra components: one to three per parent, mostly from the next level.
        extra_count = rng.integers(1, 4, size=len(parents))
        extra_parent = np.repeat(parents, extra_count)
        from_next = rng.random(len(extra_parent)) < 0.8
        pick_next = children[rng.integers(0, len(children), len(extra_parent))]
        if len(deeper):
            pick_deep = deeper[rng.integers(0, len(deeper), len(extra_parent))]
            extra_comp = np.where(from_next, pick_next, pick_deep)
        else:
            extra_comp = pick_next
        parents_all += [guaranteed_parent, extra_parent]
        comps_all += [child_perm, extra_comp]
        # A made child is mostly made where its first parent is made.
        made_children = make[child_perm]
        same = rng.random(len(child_perm)) < 0.8
        homes = np.where(same, home[guaranteed_parent], rng.choice(eligible, size=len(child_perm)))
        home[child_perm[made_children]] = homes[made_children]

    if parents_all:
        bom = pd.DataFrame(
            {"p": np.concatenate(parents_all), "c": np.concatenate(comps_all)}
        ).drop_duplicates(keep="first")
        parent = bom["p"].to_numpy(dtype=np.int64)
        comp = bom["c"].to_numpy(dtype=np.int64)
    else:
        parent = comp = np.array([], dtype=np.int64)
    m = len(parent)
    whole_qty = rng.choice(np.array([1, 1, 1, 1, 2, 2, 3, 4]), size=m).astype(float)
    frac_qty = np.round(rng.uniform(0.05, 2.5, m), 2)
    quantity = np.where(integral[comp], whole_qty, frac_qty)
    scrap = np.where(rng.random(m) < 0.1, np.round(rng.uniform(0.01, 0.05, m), 3), 0.0)
    return Products(
        item_ids=item_ids,
        level=level,
        make=make,
        home=home,
        integral=integral,
        bom_parent=parent,
        bom_component=comp,
        bom_quantity=quantity,
        bom_scrap=scrap,
    )
