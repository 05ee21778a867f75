"""What capable-to-promise needs to know about the supply network, indexed once.

Per buffer (item@location): its sourcing alternatives in priority order; per make buffer: its
BOM lines (quantity per unit, scrap included) and its routing steps with their alternative
workstations; per item: its lot rules. Built from a validated :class:`~oms_plan.Dataset`;
nothing here changes after construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.mrp.lotsizing import FIXED, TOL, lot_rules


@dataclass(frozen=True, slots=True)
class Alternative:
    """One sourcing row of a buffer: how new supply of the item reaches the location.

    Attributes
    ----------
    method
        ``"make"``, ``"buy"`` or ``"transfer"``.
    lead
        lead_days of the row.
    origin
        The transfer's from_location (``""`` for make and buy).
    cost
        cost_per_unit of the row.

    """

    method: str
    lead: int
    origin: str
    cost: float


@dataclass(frozen=True, slots=True)
class Step:
    """One routing step: alternative workstations ``(workstation index, setup, run)``."""

    alternatives: tuple[tuple[int, float, float], ...]


@dataclass(frozen=True, slots=True)
class Lot:
    """Lot rules of one item as CTP applies them to a make order (SCHEMA.md items).

    ``fixed`` orders are ``piece`` each; other rules size an order to the need, then raise it
    to ``lot_min`` and round it up to ``multiple``; no order exceeds ``cap`` (lot_max rounded
    down to the multiple, ``inf`` without one). ``poq`` and ``eoq`` size orders for MRP's
    aggregate needs: a single promise is sized lot-for-lot, with the same min/multiple/cap.
    """

    fixed: bool
    piece: float
    lot_min: float
    multiple: float
    cap: float
    integral: bool

    def smallest(self) -> float:
        """The smallest order the rules allow (0 when any positive quantity is allowed)."""
        if self.fixed:
            return self.piece
        q = self.lot_min
        if self.multiple > 0:
            q = max(math.ceil(q / self.multiple - TOL), 1) * self.multiple
        if self.integral:
            q = max(math.ceil(q - TOL), 1)
        return float(q)

    def least(self) -> float:
        """A lower bound of every positive :meth:`size` (0 when it can be any small quantity).

        Fixed orders are ``piece``; others are at least ``lot_min`` and one ``multiple``
        (less the rounding tolerance), and at least one unit when whole without a multiple.
        Lower bounds of what an order needs (components, minutes) rest on it.
        """
        if self.fixed:
            return self.piece
        least = max(self.lot_min - TOL * (self.multiple + 1.0), 0.0)
        if self.multiple > 0:
            least = max(least, self.multiple - TOL)
        elif self.integral:
            least = max(least, 1.0)
        return least

    def possible(self) -> bool:
        """Whether any order at all fits under ``cap`` (a fixed piece may not)."""
        if self.fixed:
            return self.size(self.piece, math.inf) > 0.0
        # The rounded-up smallest order fits, or the cap rounded down is still one.
        return self.size(self.smallest() or 1.0, math.inf) > 0.0

    def size(self, want: float, most: float) -> float:
        """Quantity of one make order for a need of ``want`` when at most ``most`` fits.

        Parameters
        ----------
        want
            Quantity still needed (> 0).
        most
            The most one order can be (capacity in its window); ``inf`` when unlimited.

        Returns
        -------
        float
            The order quantity (possibly above ``want`` when the rules round it up; below
            it when capacity or ``cap`` limit it), or 0 when no allowed order fits.

        """
        hi = min(most, self.cap)
        if self.integral:
            hi = math.floor(hi + TOL) if math.isfinite(hi) else hi
        if self.fixed:
            return self.piece if self.piece <= hi + TOL else 0.0
        q = max(want, self.lot_min)
        if self.multiple > 0:
            q = math.ceil(q / self.multiple - TOL) * self.multiple
        if self.integral:
            q = math.ceil(q - TOL)
        if q <= hi + TOL:
            return float(q)
        # Too much for one order: the largest allowed order below the limit.
        q = hi
        if self.multiple > 0:
            q = math.floor(q / self.multiple + TOL) * self.multiple
        if q < self.lot_min - TOL or q <= TOL:
            return 0.0
        return float(q)


class CtpNetwork:
    """Sourcing alternatives, BOMs, routings and lot rules, indexed for CTP.

    Parameters
    ----------
    dataset
        A validated dataset.

    Raises
    ------
    PlanningError
        When lot rules contradict each other (as MRP reports them).

    Attributes
    ----------
    workstations
        Workstation ids; routing steps refer to them by position.
    horizon
        Plannable days.

    """

    def __init__(self, dataset: Dataset) -> None:
        self.horizon = dataset.horizon_days
        self.start = dataset.start
        self.workstations: tuple[str, ...] = tuple(dataset.workstations["workstation"].astype(str))
        ws_index = {w: i for i, w in enumerate(self.workstations)}
        ws_loc = dict(
            zip(
                dataset.workstations["workstation"].astype(str),
                dataset.workstations["location"].astype(str),
                strict=True,
            )
        )
        self._alternatives = _alternatives(dataset.sourcing)
        makes = sorted(
            {
                key
                for key, alts in self._alternatives.items()
                if any(a.method == "make" for a in alts)
            }
        )
        self._bom = _boms(dataset.bom, makes)
        self._steps = _routings(dataset.routing, makes, ws_index, ws_loc)
        items = dataset.items
        lots = lot_rules(items)
        self.lots: dict[str, Lot] = {}
        for pos, item in enumerate(items["item"].astype(str)):
            self.lots[item] = Lot(
                fixed=int(lots.rule[pos]) == FIXED,
                piece=float(lots.piece[pos]),
                lot_min=float(lots.lot_min[pos]),
                multiple=float(lots.lot_multiple[pos]),
                cap=float(lots.cap[pos]),
                integral=bool(lots.integral[pos]),
            )

    def alternatives(self, item: str, location: str) -> tuple[Alternative, ...]:
        """Sourcing rows of ``item`` at ``location``, lower priority first (then table order)."""
        return self._alternatives.get((item, location), ())

    def bom(self, item: str, plant: str) -> tuple[tuple[str, float], ...]:
        """``(component, quantity per unit with scrap)`` of making ``item`` at ``plant``."""
        return self._bom.get((item, plant), ())

    def steps(self, item: str, plant: str) -> tuple[Step, ...]:
        """Routing steps of ``item`` at ``plant`` in step order (workstations at the plant)."""
        return self._steps.get((item, plant), ())

    def integral(self, item: str) -> bool:
        """Whether ``item`` comes in whole units."""
        return self.lots[item].integral


def _alternatives(sourcing: pd.DataFrame) -> dict[tuple[str, str], tuple[Alternative, ...]]:
    src = sourcing.reset_index(drop=True)
    src = src.assign(_row=range(len(src))).sort_values(["priority", "_row"], kind="mergesort")
    out: dict[tuple[str, str], list[Alternative]] = {}
    for row in src.itertuples(index=False):
        item, loc, method = str(row.item), str(row.location), str(row.method)
        origin = (
            "" if method != "transfer" or pd.isna(row.from_location) else str(row.from_location)
        )
        if method == "transfer" and (not origin or origin == loc):
            continue  # the loader rejects these; a transfer to itself supplies nothing
        out.setdefault((item, loc), []).append(
            Alternative(method, int(row.lead_days), origin, float(row.cost_per_unit))
        )
    return {key: tuple(alts) for key, alts in out.items()}


def _boms(
    bom: pd.DataFrame, makes: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[tuple[str, float], ...]]:
    """BOM lines per make buffer.

    Rows without a location apply at every plant making the parent; a row for the same
    (parent, component) at the plant replaces the generic one.
    """
    by_parent: dict[str, list[tuple[str, float, object]]] = {}
    for row in bom.itertuples(index=False):
        per = float(row.quantity_per) * (1.0 + float(row.scrap_rate))
        by_parent.setdefault(str(row.parent), []).append((str(row.component), per, row.location))
    out: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {}
    for item, plant in makes:
        lines: dict[str, float] = {}
        specific: set[str] = set()
        for comp, per, loc in by_parent.get(item, []):
            if isinstance(loc, str) and loc != plant:
                continue
            if isinstance(loc, str):
                lines[comp] = per
                specific.add(comp)
            elif comp not in specific:
                lines[comp] = per
        if lines:
            out[(item, plant)] = tuple(sorted(lines.items()))
    return out


def _routings(
    routing: pd.DataFrame,
    makes: list[tuple[str, str]],
    ws_index: dict[str, int],
    ws_loc: dict[str, str],
) -> dict[tuple[str, str], tuple[Step, ...]]:
    """Routing steps per make buffer.

    Rows for the plant (or for every plant) whose workstation is at the plant, grouped by
    step; alternatives in workstation order.
    """
    by_item: dict[str, list[tuple[int, str, float, float, object]]] = {}
    for row in routing.itertuples(index=False):
        by_item.setdefault(str(row.item), []).append(
            (
                int(row.step),
                str(row.workstation),
                float(row.setup_minutes),
                float(row.run_minutes),
                row.location,
            )
        )
    out: dict[tuple[str, str], tuple[Step, ...]] = {}
    for item, plant in makes:
        steps: dict[int, list[tuple[int, float, float]]] = {}
        for step, ws, setup, run, loc in by_item.get(item, []):
            if isinstance(loc, str) and loc != plant:
                continue
            if ws_loc.get(ws) != plant:
                continue
            steps.setdefault(step, []).append((ws_index[ws], setup, run))
        if steps:
            out[(item, plant)] = tuple(
                Step(tuple(sorted(alts))) for _, alts in sorted(steps.items())
            )
    return out
