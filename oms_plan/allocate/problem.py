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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.shipping import item_locations
from oms_plan.timeline import supply_events

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
def build_problem(
    dataset: Dataset, *, quotas: Sequence[Quota] | Mapping[str, float] | None = None
) -> AllocationProblem:
    """Build the allocation problem of ``dataset`` (all open order lines).

    Parameters
    ----------
    dataset
        A validated dataset.
    quotas
        Customer-group quotas: :class:`Quota` rows, or a mapping group → share (weekly,
        every item).

    Returns
    -------
    AllocationProblem

    Raises
    ------
    PlanningError
        When a quota names an unknown customer group or item.

    """
    orders = dataset.orders
    items = dataset.items
    h = dataset.horizon_days
    item_index = dataset.item_index
    loc_index = dataset.location_index
    item_scale = np.where(items["integral"].to_numpy(dtype=bool), 1, FRACTION_SCALE).astype(
        np.int64
    )

    # Buffers and intervals from supply events within the horizon.
    events = supply_events(dataset)
    events = events.loc[~events["beyond_horizon"].to_numpy(dtype=bool)]
    ev_item = events["item"].map(item_index).to_numpy(dtype=np.int64)
    ev_loc = events["location"].map(loc_index).to_numpy(dtype=np.int64)
    ev_qty = np.rint(events["quantity"].to_numpy(dtype=float) * item_scale[ev_item]).astype(
        np.int64
    )
    ev_day = events["day"].to_numpy(dtype=np.int64)
    ev = pd.DataFrame(
        {
            "item": ev_item,
            "loc": ev_loc,
            "day": ev_day,
            "qty": ev_qty,
            "source": events["source"].to_numpy(dtype=object),
        }
    )
    ev = ev.loc[ev["qty"] > 0]
    # Events are sorted by item, location, day, stock first: keep the first source per day.
    ivs = (
        ev.groupby(["item", "loc", "day"], sort=True)
        .agg(qty=("qty", "sum"), source=("source", "first"))
        .reset_index()
    )
    bufs = ivs[["item", "loc"]].drop_duplicates().reset_index(drop=True)
    bufs["buffer"] = np.arange(len(bufs), dtype=np.int64)
    ivs = ivs.merge(bufs, on=["item", "loc"], how="left")
    iv_buffer = ivs["buffer"].to_numpy(dtype=np.int64)
    iv_day = ivs["day"].to_numpy(dtype=np.int64)
    buf_first = np.searchsorted(iv_buffer, np.arange(len(bufs)), side="left")
    buf_last = np.searchsorted(iv_buffer, np.arange(len(bufs)), side="right") - 1

    # Lines.
    n_all = len(orders)
    requested_all = _days(orders["requested_date"], dataset.start)
    beyond = requested_all >= h
    excluded: list[tuple[int, str]] = [(int(r), "beyond_horizon") for r in np.flatnonzero(beyond)]
    rows = np.flatnonzero(~beyond & (orders["quantity"].to_numpy(dtype=float) > 0))
    zero_rows = np.flatnonzero(~beyond & (orders["quantity"].to_numpy(dtype=float) <= 0))
    excluded += [(int(r), "zero_quantity") for r in zero_rows]
    excluded.sort()
    sub = orders.iloc[rows].reset_index(drop=True)
    line_item = sub["item"].map(item_index).to_numpy(dtype=np.int64)
    scale = item_scale[line_item]
    order_codes, order_uniques = pd.factorize(orders["order"], sort=True)
    line_order = order_codes[rows].astype(np.int64)
    groups = orders["customer_group"].fillna("").astype(str)
    group_codes, group_uniques = pd.factorize(groups, sort=True)
    line_group = group_codes[rows].astype(np.int64)
    line_qty = np.rint(sub["quantity"].to_numpy(dtype=float) * scale).astype(np.int64)
    line_requested = requested_all[rows]
    promised_all = _days(orders["promised_date"], dataset.start, missing=-(10**6))
    has_promise = orders["promised_date"].notna().to_numpy()[rows]
    line_promised = promised_all[rows]
    line_priority = sub["priority"].to_numpy(dtype=np.int64)
    ship_complete = sub["ship_complete"].to_numpy(dtype=bool)
    line_whole = ~sub["partial_ok"].to_numpy(dtype=bool) | ship_complete
    min_ship = np.rint(sub["min_shipment"].to_numpy(dtype=float) * scale).astype(np.int64)
    line_min_ship = np.minimum(min_ship, line_qty)
    line_max_ship = sub["max_shipments"].fillna(0).to_numpy(dtype=np.int64)
    line_max_late = sub["max_days_late"].fillna(-1).to_numpy(dtype=np.int64)
    n = len(rows)

    # Ship-complete groups: orders with ship_complete on any line and at least two lines.
    together_orders = np.unique(line_order[ship_complete])
    counts = np.bincount(line_order, minlength=len(order_uniques))
    together_orders = together_orders[counts[together_orders] >= 2]
    line_together = np.full(n, -1, dtype=np.int64)
    for k, o in enumerate(together_orders):
        line_together[line_order == o] = k
    line_whole = line_whole | (line_together >= 0)

    # Candidate (line, location) pairs with their lane.
    lanes = dataset.lanes
    lane_df = pd.DataFrame(
        {
            "loc": lanes["from_location"].map(loc_index).to_numpy(dtype=np.int64),
            "ship_to": lanes["to"].to_numpy(dtype=object),
            "transit": lanes["transit_days"].to_numpy(dtype=np.int64),
            "cost": lanes["cost_per_unit"].to_numpy(dtype=float),
        }
    )
    holds = item_locations(
        {"inventory": dataset.inventory, "supply": dataset.supply, "sourcing": dataset.sourcing}
    )
    holds = pd.DataFrame(
        {
            "item": holds["item"].map(item_index).to_numpy(dtype=np.int64),
            "loc": holds["location"].map(loc_index).to_numpy(dtype=np.int64),
        }
    )
    fixed_loc = sub["location"].map(loc_index)
    base = pd.DataFrame(
        {
            "line": np.arange(n, dtype=np.int64),
            "item": line_item,
            "ship_to": sub["ship_to"].to_numpy(dtype=object),
            "fixed": fixed_loc.fillna(-1).to_numpy(dtype=np.int64),
        }
    )
    cand = base.merge(lane_df, on="ship_to").merge(holds, on=["item", "loc"])
    cand = cand.loc[(cand["fixed"] < 0) | (cand["fixed"] == cand["loc"])]
    cand = cand.merge(bufs, on=["item", "loc"])  # only buffers that receive something
    cand = cand.sort_values(["line", "loc"], kind="mergesort").reset_index(drop=True)
    c_line = cand["line"].to_numpy(dtype=np.int64)
    c_buf = cand["buffer"].to_numpy(dtype=np.int64)
    c_transit = cand["transit"].to_numpy(dtype=np.int64)
    c_cost = cand["cost"].to_numpy(dtype=float)
    delta = np.maximum(line_requested[c_line] - c_transit, 0)

    # The option at δ: the interval of the buffer that contains day δ (if any yet).
    key_iv = iv_buffer * (h + 1) + iv_day
    pos = np.searchsorted(key_iv, c_buf * (h + 1) + delta, side="right") - 1
    has_first = (pos >= 0) & (pos >= buf_first[c_buf])
    pos = np.where(has_first, pos, buf_first[c_buf] - 1)
    # Later options: every interval after pos in the same buffer.
    later_start = pos + 1
    later_count = np.maximum(buf_last[c_buf] - later_start + 1, 0)
    rep = np.repeat(np.arange(len(cand)), later_count)
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(later_count) - later_count, later_count)
    first_idx = np.flatnonzero(has_first)
    o_cand = np.concatenate([first_idx, rep])
    o_iv = np.concatenate([pos[first_idx], later_start[rep] + offs]).astype(np.int64)
    o_day = np.concatenate([delta[first_idx], iv_day[later_start[rep] + offs]]).astype(np.int64)
    opts = _finish_options(
        o_cand, o_iv, o_day, c_line, c_transit, c_cost, line_requested, line_max_late
    )

    # Ship-complete groups get common (location, day) options instead.
    opt_together = np.full(len(opts["line"]), -1, dtype=np.int64)
    if len(together_orders):
        opts, opt_together = _together_options(
            opts,
            line_together,
            c_line,
            c_buf,
            c_transit,
            c_cost,
            iv_buffer,
            iv_day,
            key_iv,
            buf_first,
            bufs["loc"].to_numpy(dtype=np.int64),
            line_requested,
            line_max_late,
            h,
        )

    opt_line = opts["line"]
    opt_day = opts["day"]
    opt_transit = opts["transit"]
    opt_keep = has_promise[opt_line] & (opt_day + opt_transit <= line_promised[opt_line])

    line_component = _components(
        n, line_item, line_together, len(items), opt_line, iv_buffer[opts["iv"]]
    )
    quota_rows = _quota_rows(
        quotas, dataset, group_uniques, item_index, item_scale, ivs, bufs, line_group, line_item
    )
    return AllocationProblem(
        start=dataset.start,
        horizon_days=h,
        item_ids=tuple(dataset.item_ids),
        location_ids=tuple(dataset.location_ids),
        group_ids=tuple(str(g) for g in group_uniques),
        order_ids=tuple(str(o) for o in order_uniques),
        item_scale=item_scale,
        line_row=rows.astype(np.int64),
        line_order=line_order,
        line_id=sub["line"].astype(str).to_numpy(dtype=object),
        line_item=line_item,
        line_group=line_group,
        line_qty=line_qty,
        line_requested=line_requested,
        line_promised=line_promised,
        line_has_promise=has_promise,
        line_priority=line_priority,
        line_whole=line_whole,
        line_together=line_together,
        line_min_ship=line_min_ship,
        line_max_ship=line_max_ship,
        line_max_late=line_max_late,
        line_component=line_component,
        buf_item=bufs["item"].to_numpy(dtype=np.int64),
        buf_location=bufs["loc"].to_numpy(dtype=np.int64),
        iv_buffer=iv_buffer,
        iv_day=iv_day,
        iv_supply=ivs["qty"].to_numpy(dtype=np.int64),
        iv_source=ivs["source"].to_numpy(dtype=object),
        opt_line=opt_line,
        opt_interval=opts["iv"],
        opt_day=opt_day,
        opt_transit=opt_transit,
        opt_late=opts["late"],
        opt_cost=opts["cost"],
        opt_keep=opt_keep,
        opt_together=opt_together,
        quota_group=quota_rows[0],
        quota_item=quota_rows[1],
        quota_day=quota_rows[2],
        quota_cap=quota_rows[3],
        excluded=tuple(excluded) if n_all else (),
    )


def _days(column: pd.Series, start: dt.date, missing: int = 0) -> np.ndarray:
    """Day indices of a date column (``missing`` where empty)."""
    days = (column - pd.Timestamp(start)).dt.days
    return np.asarray(days.fillna(missing).to_numpy(dtype=np.int64))


def _finish_options(
    o_cand: np.ndarray,
    o_iv: np.ndarray,
    o_day: np.ndarray,
    c_line: np.ndarray,
    c_transit: np.ndarray,
    c_cost: np.ndarray,
    requested: np.ndarray,
    max_late: np.ndarray,
) -> dict[str, np.ndarray]:
    """Attach line, transit, lateness and cost; drop options beyond max_days_late; sort."""
    line = c_line[o_cand]
    transit = c_transit[o_cand]
    late = np.maximum(o_day + transit - requested[line], 0)
    keep = (max_late[line] < 0) | (late <= max_late[line])
    order = np.lexsort((o_day[keep], o_iv[keep], line[keep]))
    return {
        "line": line[keep][order],
        "iv": o_iv[keep][order],
        "day": o_day[keep][order],
        "transit": transit[keep][order],
        "late": late[keep][order],
        "cost": c_cost[o_cand][keep][order],
    }


def _together_options(
    opts: dict[str, np.ndarray],
    line_together: np.ndarray,
    c_line: np.ndarray,
    c_buf: np.ndarray,
    c_transit: np.ndarray,
    c_cost: np.ndarray,
    iv_buffer: np.ndarray,
    iv_day: np.ndarray,
    key_iv: np.ndarray,
    buf_first: np.ndarray,
    buf_loc: np.ndarray,
    requested: np.ndarray,
    max_late: np.ndarray,
    h: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Replace the options of ship-complete lines by options on common (location, day) keys.

    All lines of a ship-complete order ship from one location on one day. Candidate days
    are every line's δ and every receipt day of the order's buffers; a key is kept when every
    line of the order has stock there by then (an interval) and stays within max_days_late.
    """
    keep = line_together[opts["line"]] < 0
    n_buf = len(buf_first)
    buf_end = np.searchsorted(iv_buffer, np.arange(n_buf), side="right")
    # Candidate rows of ship-complete lines (one per line and location: the last one).
    rows = np.flatnonzero(line_together[c_line] >= 0)
    r_loc = buf_loc[c_buf[rows]]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = (c_line[rows[:-1]] != c_line[rows[1:]]) | (r_loc[:-1] != r_loc[1:])
    rows, r_loc = rows[last], r_loc[last]
    r_group = line_together[c_line[rows]]
    # (group, location) pairs every line of the group can ship from.
    members = np.bincount(line_together[line_together >= 0])
    order = np.lexsort((c_line[rows], r_loc, r_group))
    rows, r_loc, r_group = rows[order], r_loc[order], r_group[order]
    pair_key = r_group * (int(buf_loc.max(initial=-1)) + 1) + r_loc
    pair_keys, pair_first, pair_count = np.unique(pair_key, return_index=True, return_counts=True)
    common = pair_count == members[r_group[pair_first]]
    row_pair = np.searchsorted(pair_keys, pair_key)
    in_common = common[row_pair]
    rows, row_pair = rows[in_common], row_pair[in_common]
    pair_ids = np.flatnonzero(common)
    row_pair = np.searchsorted(pair_ids, row_pair)  # dense pair index 0 … P-1
    pair_start = np.searchsorted(row_pair, np.arange(len(pair_ids)))
    pair_size = np.bincount(row_pair, minlength=len(pair_ids))
    # Candidate days per pair: every line's δ and every receipt day of its buffer.
    r_line, r_buf, r_transit = c_line[rows], c_buf[rows], c_transit[rows]
    n_iv = buf_end[r_buf] - buf_first[r_buf]
    rep = np.repeat(np.arange(len(rows)), n_iv)
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(n_iv) - n_iv, n_iv)
    cand_pair = np.concatenate([row_pair, row_pair[rep]])
    cand_day = np.concatenate(
        [np.maximum(requested[r_line] - r_transit, 0), iv_day[buf_first[r_buf[rep]] + offs]]
    )
    inside = cand_day < h
    pd_key = np.unique(cand_pair[inside] * (h + 1) + cand_day[inside])
    e_pair, e_day = pd_key // (h + 1), pd_key % (h + 1)
    # Every (pair, day) with every row of its pair: interval and lateness.
    count = pair_size[e_pair]
    e_rep = np.repeat(np.arange(len(pd_key)), count)
    e_row = pair_start[e_pair[e_rep]] + (
        np.arange(len(e_rep)) - np.repeat(np.cumsum(count) - count, count)
    )
    x_line, x_buf, x_day = r_line[e_row], r_buf[e_row], e_day[e_rep]
    pos = np.searchsorted(key_iv, x_buf * (h + 1) + x_day, side="right") - 1
    late = np.maximum(x_day + r_transit[e_row] - requested[x_line], 0)
    limit = max_late[x_line]
    ok = (pos >= buf_first[x_buf]) & ((limit < 0) | (late <= limit))
    valid = np.bincount(e_rep, weights=~ok, minlength=len(pd_key)) == 0
    key_of = np.cumsum(valid) - 1  # keys in (group, location, day) order
    take = valid[e_rep]
    merged = {
        "line": np.concatenate([opts["line"][keep], x_line[take]]).astype(np.int64),
        "iv": np.concatenate([opts["iv"][keep], pos[take]]).astype(np.int64),
        "day": np.concatenate([opts["day"][keep], x_day[take]]).astype(np.int64),
        "transit": np.concatenate([opts["transit"][keep], r_transit[e_row][take]]).astype(np.int64),
        "late": np.concatenate([opts["late"][keep], late[take]]).astype(np.int64),
        "cost": np.concatenate([opts["cost"][keep], c_cost[rows][e_row][take]]).astype(float),
    }
    together = np.concatenate(
        [np.full(int(keep.sum()), -1, dtype=np.int64), key_of[e_rep][take].astype(np.int64)]
    )
    order = np.lexsort((merged["day"], merged["iv"], merged["line"]))
    return {k: v[order] for k, v in merged.items()}, together[order]


def _components(
    n: int,
    line_item: np.ndarray,
    line_together: np.ndarray,
    n_items: int,
    opt_line: np.ndarray,
    opt_buffer: np.ndarray,
) -> np.ndarray:
    """Component per line: items are linked by ship-complete orders (union-find on items)."""
    parent = list(range(n_items))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for g in np.unique(line_together[line_together >= 0]):
        its = np.unique(line_item[line_together == g])
        for other in its[1:]:
            ra, rb = find(int(its[0])), find(int(other))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(n_items)], dtype=np.int64)
    line_root = roots[line_item] if n else np.zeros(0, dtype=np.int64)
    _, comp = np.unique(line_root, return_inverse=True)
    return comp.astype(np.int64).reshape(-1)


def _quota_rows(
    quotas: Sequence[Quota] | Mapping[str, float] | None,
    dataset: Dataset,
    group_ids: pd.Index,
    item_index: Mapping[str, int],
    item_scale: np.ndarray,
    ivs: pd.DataFrame,
    bufs: pd.DataFrame,
    line_group: np.ndarray,
    line_item: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative quota constraints (group, item, last day, cap) for items the group orders."""
    empty = np.zeros(0, dtype=np.int64)
    if not quotas:
        return empty, empty, empty, empty
    rules = (
        [Quota(group=g, share=float(s)) for g, s in quotas.items()]
        if isinstance(quotas, Mapping)
        else list(quotas)
    )
    group_pos = {str(g): k for k, g in enumerate(group_ids)}
    h = dataset.horizon_days
    supply_by_item_day = np.zeros((len(item_scale), h), dtype=np.int64)
    if len(ivs):
        np.add.at(
            supply_by_item_day,
            (ivs["item"].to_numpy(dtype=np.int64), ivs["day"].to_numpy(dtype=np.int64)),
            ivs["qty"].to_numpy(dtype=np.int64),
        )
    cum = np.cumsum(supply_by_item_day, axis=1)
    out: list[tuple[int, int, int, int]] = []
    for rule in rules:
        if rule.group not in group_pos:
            raise PlanningError(f"quota names unknown customer group {rule.group!r}")
        if rule.item is not None and rule.item not in item_index:
            raise PlanningError(f"quota of group {rule.group!r} names unknown item {rule.item!r}")
        g = group_pos[rule.group]
        items = np.unique(line_item[line_group == g])
        if rule.item is not None:
            items = items[items == item_index[rule.item]]
        ends = list(range(rule.period_days - 1, h, rule.period_days))
        if not ends or ends[-1] != h - 1:
            ends.append(h - 1)
        for i in items:
            for e in ends:
                cap = int(np.floor(rule.share * cum[i, e] + 1e-9))
                out.append((g, int(i), e, cap))
    if not out:
        return empty, empty, empty, empty
    arr = np.array(out, dtype=np.int64)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]
