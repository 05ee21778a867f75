"""Split a dataset into independent parts that can be planned separately (and in parallel).

Two items belong to the same part when material or capacity couples them — a BOM edge, a
transfer, a shared workstation (the supply network's weakly connected components) — or when
they are lines of one ship-complete order. Parts are balanced by work (order lines, receipts,
routing steps) with the longest-processing-time rule, deterministically.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from oms_plan.dataset import Dataset
from oms_plan.loading import load
from oms_plan.network import build_network

#: Tables filtered by their ``item`` column (``bom`` by ``parent``).
_ITEM_TABLES = {
    "items": "item",
    "sourcing": "item",
    "bom": "parent",
    "routing": "item",
    "inventory": "item",
    "supply": "item",
    "orders": "item",
}


def item_groups(dataset: Dataset) -> list[list[str]]:
    """Groups of items that must be planned together, largest first, each sorted.

    Every item of the dataset is in exactly one group (an item nothing refers to forms a
    group of its own).
    """
    parent: dict[str, str] = {item: item for item in dataset.item_ids}

    def find(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller id becomes the root so the grouping never depends on visit order.
            parent[max(ra, rb)] = min(ra, rb)

    for component in build_network(dataset).component_items():
        for other in component[1:]:
            union(component[0], other)
    orders = dataset.orders
    complete = orders.loc[orders["ship_complete"], ["order", "item"]]
    for _, items in complete.groupby("order", sort=True)["item"]:
        ordered = sorted(set(items))
        for other in ordered[1:]:
            union(ordered[0], other)
    groups: dict[str, list[str]] = {}
    for item in dataset.item_ids:
        groups.setdefault(find(item), []).append(item)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g[0]))


def _work(dataset: Dataset) -> dict[str, int]:
    # A rough measure of planning effort per item: every row that an engine iterates.
    work = {item: 1 for item in dataset.item_ids}
    for table in ("orders", "supply", "routing", "sourcing", "inventory"):
        counts = dataset.table(table)["item"].value_counts()
        for item, n in counts.items():
            work[str(item)] += int(n)
    return work


def partition(dataset: Dataset, parts: int) -> list[list[str]]:
    """Assign item groups to at most ``parts`` bins of similar work; return the items per bin.

    Bins are returned in a fixed order (by their first item) and empty bins are dropped.
    """
    if parts < 1:
        raise ValueError(f"parts must be ≥ 1, got {parts}")
    work = _work(dataset)
    groups = item_groups(dataset)
    weighted = sorted(
        ((sum(work[i] for i in g), g) for g in groups), key=lambda t: (-t[0], t[1][0])
    )
    heap: list[tuple[int, int]] = [(0, b) for b in range(min(parts, len(groups)))]
    bins: list[list[str]] = [[] for _ in heap]
    for load_, group in weighted:
        total, b = heapq.heappop(heap)
        bins[b].extend(group)
        heapq.heappush(heap, (total + load_, b))
    return sorted((sorted(b) for b in bins if b), key=lambda b: b[0])


def subset(dataset: Dataset, items: Sequence[str], *, keep_idle_workstations: bool) -> Dataset:
    """The part of ``dataset`` that concerns ``items`` (validated again).

    Master data every part needs (locations, regions, lanes, calendars) is kept whole;
    workstations are kept where the part's routings use them — plus, when
    ``keep_idle_workstations``, those no routing uses, so that exactly one part reports them.
    """
    chosen = set(items)
    frames = dataset.to_frames()
    for table, column in _ITEM_TABLES.items():
        frame = frames[table]
        frames[table] = frame.loc[frame[column].isin(chosen)].reset_index(drop=True)
    used = set(frames["routing"]["workstation"])
    all_used = set(dataset.routing["workstation"])
    stations = frames["workstations"]
    keep = stations["workstation"].isin(used)
    if keep_idle_workstations:
        keep = keep | ~stations["workstation"].isin(all_used)
    frames["workstations"] = stations.loc[keep].reset_index(drop=True)
    kept = set(frames["workstations"]["workstation"])
    down = frames["downtime"]
    frames["downtime"] = down.loc[down["workstation"].isin(kept)].reset_index(drop=True)
    setups = frames["setups"]
    frames["setups"] = setups.loc[
        setups["workstation"].isna() | setups["workstation"].isin(kept)
    ].reset_index(drop=True)
    return load(frames, settings=dataset.settings)


def split(dataset: Dataset, parts: int) -> list[Dataset]:
    """``dataset`` as at most ``parts`` independent datasets (one when ``parts`` is 1)."""
    if parts <= 1:
        return [dataset]
    bins = partition(dataset, parts)
    if len(bins) <= 1:
        return [dataset]
    return [subset(dataset, b, keep_idle_workstations=(k == 0)) for k, b in enumerate(bins)]
