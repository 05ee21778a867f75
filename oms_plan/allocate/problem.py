"""The allocation problem: open order lines against stock and scheduled receipts, by day.

Solver-free data built once from a :class:`~oms_plan.dataset.Dataset`; every back-end reads
the same arrays. Quantities are integers in *scaled units* (1 per unit for integral items,
:data:`FRACTION_SCALE` per unit otherwise), so the flow and CP-SAT solvers work exactly.

The time-expanded network
-------------------------
A *buffer* is an item at a location that receives something within the horizon (stock on
day 0, scheduled receipts on their due day). Its days are compressed into *intervals*, one
per receipt day: all days from one receipt day to the day before the next hold the same
cumulative supply, so a shipment drawn anywhere inside an interval faces the same stock
constraint ("cumulative receipts − earlier shipments ≥ 0" only changes on receipt days).
Intervals are chained by inventory-carry arcs.

A line ``j`` can draw from every buffer of its item at a *candidate location* (the line's
``location`` when given, else every location holding the item with a lane to the line's
region). With ``δ = requested_day − transit`` (its latest on-time ship day, at least 0) the
line gets one *option* (an arc) from the interval that contains ``δ``, shipping on ``δ``, and
one from each later interval, shipping on that interval's receipt day (late). Shipping on any
other day is dominated: it sees no more stock and arrives no earlier. Options later than
``max_days_late`` are left out (beyond that the line is short).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from oms_plan.errors import PlanningError

#: Scaled units per unit of an item with ``integral = false`` (three decimals: g per kg).
FRACTION_SCALE = 1000


@dataclass(frozen=True, slots=True)
class Quota:
    """At most ``share`` of an item's supply for one customer group, period by period.

    Cumulatively, for every period end ``e`` (days ``period_days - 1``, ``2·period_days - 1``,
    …): the group's shipments of the item up to ``e`` ≤ ``share`` × the item's supply (all
    locations) received up to ``e``.

    Attributes
    ----------
    group
        ``orders.customer_group`` value.
    share
        Fraction in ``[0, 1]``.
    item
        Only this item (``None``: every item).
    period_days
        Period length in days.

    """

    group: str
    share: float
    item: str | None = None
    period_days: int = 7

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise PlanningError(f"quota of group {self.group!r}: share {self.share} not in [0, 1]")
        if self.period_days < 1:
            raise PlanningError(f"quota of group {self.group!r}: period_days must be ≥ 1")


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """Lines, buffers, intervals and options of one allocation (see the module docstring).

    All arrays are numpy; ``line_*`` have one entry per *planned* line (open lines whose
    requested date lies within the horizon), ``iv_*`` per interval, ``opt_*`` per option.

    Attributes
    ----------
    start, horizon_days
        The plan horizon.
    item_ids, location_ids, group_ids, order_ids
        Id tables that the index arrays refer to.
    item_scale
        Scaled units per unit, per item.
    line_row
        Position of the line in ``dataset.orders``.
    line_order, line_id, line_item, line_group
        Order index, line id (str), item index, customer-group index.
    line_qty
        Ordered quantity, scaled.
    line_requested, line_promised
        Day index of the requested / promised delivery date (``promised`` = -10**6 when the
        line has none; ``line_has_promise`` says which).
    line_priority
        1 = most important.
    line_whole
        All or nothing in a single shipment (``partial_ok = false``, or ``ship_complete``).
    line_together
        Index of the ship-complete group (orders with ship_complete), -1 otherwise.
    line_min_ship, line_max_ship, line_max_late
        Smallest shipment (scaled, 0 = none), most shipments (0 = none), most days late
        (-1 = none).
    line_component
        Independent subproblem the line belongs to.
    buf_item, buf_location
        Per buffer.
    iv_buffer, iv_day, iv_supply, iv_source
        Per interval: buffer, first day, supply received that day (scaled), source
        (``stock`` or ``supply:<id>``, the first one received that day).
    opt_line, opt_interval, opt_day, opt_transit, opt_late, opt_cost
        Per option: line, interval it draws from, ship day, lane transit days, days late
        (vs the requested date), shipping cost per unit.
    opt_keep
        Whether the option delivers by the promised date (False for lines without one).
    opt_together
        For lines of ship-complete groups: index of the group's (location, day) key, else -1.
    quota_group, quota_item, quota_day, quota_cap
        One row per quota constraint: shipments of the group's lines of the item with ship
        day ≤ ``quota_day`` ≤ ``quota_cap`` (scaled).
    excluded
        Lines left out: ``(row in orders, reason)``.

    """

    start: dt.date
    horizon_days: int
    item_ids: tuple[str, ...]
    location_ids: tuple[str, ...]
    group_ids: tuple[str, ...]
    order_ids: tuple[str, ...]
    item_scale: np.ndarray
    line_row: np.ndarray
    line_order: np.ndarray
    line_id: np.ndarray
    line_item: np.ndarray
    line_group: np.ndarray
    line_qty: np.ndarray
    line_requested: np.ndarray
    line_promised: np.ndarray
    line_has_promise: np.ndarray
    line_priority: np.ndarray
    line_whole: np.ndarray
    line_together: np.ndarray
    line_min_ship: np.ndarray
    line_max_ship: np.ndarray
    line_max_late: np.ndarray
    line_component: np.ndarray
    buf_item: np.ndarray
    buf_location: np.ndarray
    iv_buffer: np.ndarray
    iv_day: np.ndarray
    iv_supply: np.ndarray
    iv_source: np.ndarray
    opt_line: np.ndarray
    opt_interval: np.ndarray
    opt_day: np.ndarray
    opt_transit: np.ndarray
    opt_late: np.ndarray
    opt_cost: np.ndarray
    opt_keep: np.ndarray
    opt_together: np.ndarray
    quota_group: np.ndarray
    quota_item: np.ndarray
    quota_day: np.ndarray
    quota_cap: np.ndarray
    excluded: tuple[tuple[int, str], ...] = field(default=())

    # -- sizes ----------------------------------------------------------------------------
    @property
    def num_lines(self) -> int:
        """Planned lines."""
        return len(self.line_qty)

    @property
    def num_options(self) -> int:
        """Options (line × interval arcs)."""
        return len(self.opt_line)

    @property
    def num_intervals(self) -> int:
        """Buffer intervals (nodes of the time-expanded network)."""
        return len(self.iv_day)

    @property
    def num_components(self) -> int:
        """Independent subproblems."""
        return int(self.line_component.max(initial=-1)) + 1

    # -- derived per option ---------------------------------------------------------------
    @cached_property
    def opt_buffer(self) -> np.ndarray:
        """Buffer of each option."""
        return np.asarray(self.iv_buffer[self.opt_interval])

    @cached_property
    def opt_location(self) -> np.ndarray:
        """Location index of each option."""
        return np.asarray(self.buf_location[self.opt_buffer])

    @cached_property
    def opt_on_time(self) -> np.ndarray:
        """Whether the option delivers by the requested date."""
        return np.asarray(self.opt_late == 0)

    @cached_property
    def opt_scale(self) -> np.ndarray:
        """Scaled units per unit of each option's item."""
        return np.asarray(self.item_scale[self.line_item[self.opt_line]])

    @cached_property
    def iv_component(self) -> np.ndarray:
        """Component of each interval (-1 when no planned line can use it)."""
        comp = np.full(self.num_intervals, -1, dtype=np.int64)
        comp[self.opt_interval] = self.line_component[self.opt_line]
        # Every interval of a buffer belongs to the component of any of its intervals.
        buf_comp = np.full(len(self.buf_item), -1, dtype=np.int64)
        np.maximum.at(buf_comp, self.iv_buffer, comp)
        return np.asarray(buf_comp[self.iv_buffer])

    @cached_property
    def _together_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Options of ship-complete groups sorted by group, and each group's start in them."""
        group = self.line_together[self.opt_line]
        sel = np.flatnonzero(group >= 0)
        order = sel[np.argsort(group[sel], kind="stable")]
        n_groups = int(self.line_together.max(initial=-1)) + 1
        starts = np.searchsorted(group[order], np.arange(n_groups + 1))
        return order, starts

    def together_options(self, group: int) -> np.ndarray:
        """Options (ascending) of the lines of ship-complete group ``group``."""
        order, starts = self._together_index
        return order[starts[group] : starts[group + 1]]

    @cached_property
    def line_needs_mip(self) -> np.ndarray:
        """Lines whose side constraints need integer variables beyond a network flow."""
        return (
            self.line_whole
            | (self.line_min_ship > 0)
            | (self.line_max_ship > 0)
            | (self.line_together >= 0)
        )

    def component_needs_mip(self) -> np.ndarray:
        """Per component: whether a side constraint or a quota makes it a MIP."""
        needs = np.zeros(self.num_components, dtype=bool)
        needs[self.line_component[self.line_needs_mip]] = True
        return np.asarray(needs | self.component_has_quota())

    def component_has_quota(self) -> np.ndarray:
        """Per component: whether a quota constrains some of its lines."""
        has = np.zeros(self.num_components, dtype=bool)
        if len(self.quota_item):
            quota_items = np.zeros(len(self.item_ids), dtype=bool)
            quota_items[self.quota_item] = True
            has[self.line_component[quota_items[self.line_item]]] = True
        return has

    def component_options(self) -> np.ndarray:
        """Number of options per component."""
        return np.bincount(
            self.line_component[self.opt_line], minlength=self.num_components
        ).astype(np.int64)

    def describe_line(self, j: int) -> str:
        """``order 'SO-1' line '2'`` for planned line ``j``."""
        return f"order {self.order_ids[self.line_order[j]]!r} line {self.line_id[j]!r}"

    def summary(self) -> str:
        """Sizes in one line."""
        return (
            f"AllocationProblem: {self.num_lines} lines, {len(self.buf_item)} buffers, "
            f"{self.num_intervals} intervals, {self.num_options} options, "
            f"{self.num_components} components, {len(self.quota_cap)} quota rows, "
            f"{len(self.excluded)} lines excluded"
        )


# -- building ----------------------------------------------------------------------------
