"""The supply chain of one line: where levers can act, and by when they must act.

From the line's ship-from locations backwards through transfers, production (its BOM
components and routing workstations) and purchases, each step with the day its material
(or its minutes) is needed for the line to be delivered on its requested date. The
explanation engine takes its candidate levers from here; the quantities and minutes bound
how much of a lever can matter.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from oms_plan.dataset import Dataset

#: BOM levels below the line's item that are searched for components and workstations.
MAX_DEPTH = 3


@dataclass(frozen=True, slots=True)
class Node:
    """An item at a location the line draws on.

    Attributes
    ----------
    item, location
        The buffer.
    day
        Last day (from plan start) the line's quantity must be there for on-time delivery
        (may be negative: the request is already too close).
    quantity
        Quantity the line needs there.
    depth
        BOM level: 0 for the line's item (at a ship-from location or a transfer origin).
    ships
        Whether the line ships from here (else it is a transfer origin or a component).

    """

    item: str
    location: str
    day: int
    quantity: float
    depth: int
    ships: bool = False


@dataclass(frozen=True, slots=True)
class Station:
    """A workstation that making the line (or a component of it) needs.

    Attributes
    ----------
    workstation
        Its id.
    first, last
        Days (from plan start) of the on-time make order's release and completion.
    minutes
        Minutes making the line's quantity takes there (setup + quantity x run, summed over
        the steps and items that use it).

    """

    workstation: str
    first: int
    last: int
    minutes: float


@dataclass(frozen=True, slots=True)
class Chain:
    """Buffers and workstations of one line, in the order they were reached."""

    nodes: tuple[Node, ...]
    stations: tuple[Station, ...]


class ChainIndex:
    """Sourcing, BOM, routing and lanes of a dataset, indexed to walk lines' chains fast.

    Parameters
    ----------
    dataset
        The dataset.

    """

    def __init__(self, dataset: Dataset) -> None:
        self.start = dataset.start
        s = dataset.sourcing.sort_values(["priority", "method", "lead_days"], kind="mergesort")
        self._sourcing: dict[tuple[str, str], list[tuple[str, int, str | None]]] = {}
        for item, loc, method, lead, origin in zip(
            s["item"], s["location"], s["method"], s["lead_days"], s["from_location"], strict=True
        ):
            self._sourcing.setdefault((str(item), str(loc)), []).append(
                (str(method), int(lead), None if _missing(origin) else str(origin))
            )
        self._bom = bom_by_parent(dataset)
        self._routing: dict[str, list[tuple[str, float, float, str | None]]] = {}
        r = dataset.routing
        for item, ws, run, setup, loc in zip(
            r["item"],
            r["workstation"],
            r["run_minutes"],
            r["setup_minutes"],
            r["location"],
            strict=True,
        ):
            self._routing.setdefault(str(item), []).append(
                (str(ws), float(run), float(setup), None if _missing(loc) else str(loc))
            )
        self._ws_location = dict(
            zip(
                dataset.workstations["workstation"].astype(str),
                dataset.workstations["location"].astype(str),
                strict=True,
            )
        )
        lanes = dataset.lanes.sort_values(
            ["transit_days", "cost_per_unit", "from_location"], kind="mergesort"
        )
        self._lanes: dict[str, list[tuple[str, int]]] = {}
        for loc, region, transit in zip(
            lanes["from_location"], lanes["to"], lanes["transit_days"], strict=True
        ):
            self._lanes.setdefault(str(region), []).append((str(loc), int(transit)))

    def chain(
        self,
        item: str,
        quantity: float,
        ship_to: str,
        requested_day: int,
        location: str | None = None,
    ) -> Chain:
        """Walk the supply chain of a line (breadth first, first visit of a buffer wins).

        Parameters
        ----------
        item, quantity, ship_to
            The line.
        requested_day
            Its requested delivery day, from plan start.
        location
            Its ship-from location when fixed.

        Returns
        -------
        Chain
            The buffers and workstations reached, in walk order.

        """
        queue: deque[Node] = deque()
        for loc, transit in self._lanes.get(ship_to, []):
            if location is None or loc == location:
                queue.append(Node(item, loc, requested_day - transit, quantity, 0, ships=True))
        seen: set[tuple[str, str]] = set()
        nodes: list[Node] = []
        stations: dict[str, Station] = {}
        while queue:
            node = queue.popleft()
            if (node.item, node.location) in seen:
                continue
            seen.add((node.item, node.location))
            nodes.append(node)
            for method, lead, origin in self._sourcing.get((node.item, node.location), []):
                if method == "transfer" and origin is not None:
                    queue.append(
                        Node(node.item, origin, node.day - lead, node.quantity, node.depth)
                    )
                elif method == "make":
                    self._make(node, lead, queue, stations)
        return Chain(tuple(nodes), tuple(stations.values()))

    def _make(
        self, node: Node, lead: int, queue: deque[Node], stations: dict[str, Station]
    ) -> None:
        """The workstations and components of making ``node`` on time at its location."""
        release = node.day - lead
        for ws, run, setup, loc in self._routing.get(node.item, []):
            if (loc is not None and loc != node.location) or self._ws_location.get(
                ws
            ) != node.location:
                continue
            minutes = setup + node.quantity * run
            known = stations.get(ws)
            if known is None:
                stations[ws] = Station(ws, release, node.day, minutes)
            else:  # the same workstation again: the first window, the minutes add up
                stations[ws] = Station(ws, known.first, known.last, known.minutes + minutes)
        if node.depth >= MAX_DEPTH:
            return
        for comp, per, loc in self._bom.get(node.item, []):
            if loc is None or loc == node.location:
                queue.append(
                    Node(comp, node.location, release, node.quantity * per, node.depth + 1)
                )


def bom_by_parent(dataset: Dataset) -> dict[str, list[tuple[str, float, str | None]]]:
    """Per parent, ``(component, quantity per parent unit with scrap, location or None)``.

    ``None`` as location means the row applies at every plant.
    """
    bom: dict[str, list[tuple[str, float, str | None]]] = {}
    for parent, comp, per, scrap, loc in zip(
        dataset.bom["parent"],
        dataset.bom["component"],
        dataset.bom["quantity_per"],
        dataset.bom["scrap_rate"],
        dataset.bom["location"],
        strict=True,
    ):
        bom.setdefault(str(parent), []).append(
            (str(comp), float(per) * (1.0 + float(scrap)), None if _missing(loc) else str(loc))
        )
    return bom


def _missing(value: object) -> bool:
    """Whether a table cell is empty (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
