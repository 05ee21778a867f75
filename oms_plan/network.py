"""The supply network as a graph: buffers, replenishment edges, BOM edges, workstations.

Nodes
    ``("buffer", item, location)`` — stock of an item at a location;
    ``("workstation", workstation)`` — a resource that make orders occupy.
Edges (direction = direction of material flow)
    component buffer → parent buffer (``kind="bom"``, ``quantity_per``, scrap-adjusted);
    from buffer → to buffer (``kind="transfer"``, ``lead_days``);
    workstation → buffer it produces (``kind="capacity"``).
Buffers with a ``buy`` row carry ``buy=True``; ``make`` buffers carry ``make=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import pandas as pd

from oms_plan.dataset import Dataset

Buffer = tuple[str, str, str]
Node = tuple[str, ...]


def buffer(item: str, location: str) -> Buffer:
    """The graph node of ``item`` at ``location``."""
    return ("buffer", item, location)


@dataclass(frozen=True, eq=False)
class SupplyNetwork:
    """The supply-network graph of a dataset and what is derived from it.

    Build with :func:`build_network`. ``graph`` is a :class:`networkx.DiGraph`; do not
    mutate it.
    """

    dataset: Dataset
    graph: nx.DiGraph

    @cached_property
    def low_level_codes(self) -> Mapping[str, int]:
        """Item → low-level code: 0 for end items, 1 + the deepest parent's code otherwise.

        MRP nets items in ascending code, so a component is planned only after every parent
        that can generate demand for it.
        """
        return low_level_codes(self.dataset.bom)

    @cached_property
    def components(self) -> list[frozenset[Node]]:
        """Independent parts of the network, largest first (ties by smallest node).

        Two buffers belong together when material flows between them (BOM, transfer) or
        they share a workstation: each part can be planned on its own.
        """
        parts = [frozenset(c) for c in nx.weakly_connected_components(self.graph)]
        return sorted(parts, key=lambda c: (-len(c), min(c)))

    def component_items(self) -> list[list[str]]:
        """Items of each independent component (an item can appear in one only)."""
        item_sets: list[set[str]] = []
        owner: dict[str, int] = {}
        for comp in self.components:
            items = {n[1] for n in comp if n[0] == "buffer"}
            hit = sorted({owner[i] for i in items if i in owner})
            if hit:
                # An item stocked at two unconnected locations still couples both parts
                # through its item-level low-level code; merge them.
                target = hit[0]
                for other in hit[1:]:
                    item_sets[target] |= item_sets[other]
                    for i in item_sets[other]:
                        owner[i] = target
                    item_sets[other] = set()
                item_sets[target] |= items
                for i in items:
                    owner[i] = target
            else:
                owner.update({i: len(item_sets) for i in items})
                item_sets.append(set(items))
        return sorted((sorted(s) for s in item_sets if s), key=lambda s: (-len(s), s[0]))

    def summary(self) -> dict[str, object]:
        """Counts for ``oms-plan info``.

        Returns
        -------
        dict[str, object]
            ``buffers``, ``buy_buffers``, ``make_buffers``, ``workstations``, ``bom_edges``,
            ``transfer_edges``, ``capacity_edges``, ``bom_levels`` (deepest low-level code
            + 1; 0 without a BOM) and ``components``.

        """
        kinds: dict[str, int] = {}
        for _, _, data in self.graph.edges(data=True):
            kinds[data["kind"]] = kinds.get(data["kind"], 0) + 1
        buffers = [n for n in self.graph if n[0] == "buffer"]
        codes = self.low_level_codes
        return {
            "buffers": len(buffers),
            "buy_buffers": sum(1 for b in buffers if self.graph.nodes[b].get("buy")),
            "make_buffers": sum(1 for b in buffers if self.graph.nodes[b].get("make")),
            "workstations": sum(1 for n in self.graph if n[0] == "workstation"),
            "bom_edges": kinds.get("bom", 0),
            "transfer_edges": kinds.get("transfer", 0),
            "capacity_edges": kinds.get("capacity", 0),
            "bom_levels": (max(codes.values()) + 1) if codes else 0,
            "components": len(self.components),
        }


def low_level_codes(bom: pd.DataFrame) -> dict[str, int]:
    """Low-level code of every item that appears in ``bom``.

    Parameters
    ----------
    bom
        A bom table (``parent``, ``component``); item-level, locations ignored. It must be
        acyclic, as every validated dataset's is.

    Returns
    -------
    dict[str, int]
        0 for items that are no item's component; otherwise 1 + the largest code of their
        parents, so an item used at two levels gets the deeper one.

    Raises
    ------
    networkx.NetworkXUnfeasible
        When the BOM has a cycle (only for unvalidated frames).

    """
    graph = nx.DiGraph()
    graph.add_edges_from(zip(bom["parent"], bom["component"], strict=True))
    codes: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        parents = list(graph.predecessors(node))
        codes[node] = max((codes[p] + 1 for p in parents), default=0)
    return codes


def build_network(dataset: Dataset) -> SupplyNetwork:
    """Build the supply-network graph of ``dataset``.

    Parameters
    ----------
    dataset
        A validated dataset.

    Returns
    -------
    SupplyNetwork
        The graph (nodes and edges as in the module docstring) with its derived views.

    """
    graph = nx.DiGraph()
    plants = set(dataset.locations.loc[lambda f: f["kind"] == "plant", "location"])
    src = dataset.sourcing
    for row in src.itertuples(index=False):
        node = buffer(row.item, row.location)
        graph.add_node(node)
        graph.nodes[node][str(row.method)] = True
        if row.method == "transfer":
            graph.add_edge(
                buffer(row.item, row.from_location),
                node,
                kind="transfer",
                lead_days=int(row.lead_days),
            )
    for table in ("inventory", "supply"):
        for item, loc in dataset.table(table)[["item", "location"]].itertuples(index=False):
            graph.add_node(buffer(item, loc))
    ship = dataset.shipping
    for item, loc in zip(dataset.orders["item"], ship["ship_location"], strict=True):
        graph.add_node(buffer(item, loc))

    # Where a parent is made: its make rows, and where open manufacturing orders make it.
    supply = dataset.supply
    makers = pd.concat(
        [
            src.loc[src["method"] == "make", ["item", "location"]],
            supply.loc[supply["kind"] == "production", ["item", "location"]],
        ],
        ignore_index=True,
    )
    make_at: dict[str, set[str]] = makers.groupby("item")["location"].agg(set).to_dict()
    for row in dataset.bom.itertuples(index=False):
        locs = (
            [row.location]
            if isinstance(row.location, str)
            else sorted(make_at.get(row.parent, set()) & plants)
        )
        for loc in locs:
            graph.add_edge(
                buffer(row.component, loc),
                buffer(row.parent, loc),
                kind="bom",
                quantity_per=float(row.quantity_per) * (1 + float(row.scrap_rate)),
            )
    ws_loc = dict(
        zip(dataset.workstations["workstation"], dataset.workstations["location"], strict=True)
    )
    for ws in dataset.workstation_ids:
        graph.add_node(("workstation", ws), location=ws_loc[ws])
    for row in dataset.routing.itertuples(index=False):
        loc = row.location if isinstance(row.location, str) else ws_loc.get(row.workstation)
        if loc is not None:
            graph.add_edge(("workstation", row.workstation), buffer(row.item, loc), kind="capacity")
    return SupplyNetwork(dataset, graph)
