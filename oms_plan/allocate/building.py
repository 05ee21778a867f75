"""Building the :class:`~oms_plan.allocate.problem.AllocationProblem` of a dataset.

:func:`build_problem` runs the steps in order, each a small function: the buffers and their
intervals (:func:`_intervals`), the plannable lines (:func:`_lines`), ship-complete groups
(:func:`_together_groups`), the candidate (line, location) pairs (:func:`_candidates`), the
options per candidate (:func:`_options`), connected components and quotas. The network they
build is described in :mod:`oms_plan.allocate.problem`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oms_plan.allocate.problem import FRACTION_SCALE, AllocationProblem, Quota
from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.shipping import item_locations
from oms_plan.timeline import supply_events


@dataclass(frozen=True)
class _Intervals:
    """Buffers (item at a location that receives something) and their receipt intervals."""

    ivs: pd.DataFrame  # item, loc, day, qty, source, buffer: one row per interval
    bufs: pd.DataFrame  # item, loc, buffer
    iv_buffer: np.ndarray
    iv_day: np.ndarray
    buf_first: np.ndarray  # first interval of each buffer
    buf_last: np.ndarray  # last interval of each buffer


@dataclass(frozen=True)
class _Lines:
    """The plannable order lines (``rows`` of the orders table) as arrays."""

    rows: np.ndarray
    sub: pd.DataFrame
    excluded: list[tuple[int, str]]
    order_uniques: np.ndarray
    group_uniques: np.ndarray
    item: np.ndarray
    order: np.ndarray
    group: np.ndarray
    qty: np.ndarray
    requested: np.ndarray
    promised: np.ndarray
    has_promise: np.ndarray
    priority: np.ndarray
    ship_complete: np.ndarray
    whole: np.ndarray
    min_ship: np.ndarray
    max_ship: np.ndarray
    max_late: np.ndarray


@dataclass(frozen=True)
class _Candidates:
    """Candidate (line, buffer) pairs with their lane, sorted by line then location."""

    line: np.ndarray
    buf: np.ndarray
    transit: np.ndarray
    cost: np.ndarray


def build_problem(
    dataset: Dataset,
    *,
    quotas: Sequence[Quota] | Mapping[str, float] | None = None,
    items: Collection[str] | None = None,
) -> AllocationProblem:
    """Build the allocation problem of ``dataset`` (all open order lines).

    Parameters
    ----------
    dataset
        A validated dataset.
    quotas
        Customer-group quotas: :class:`Quota` rows, or a mapping group → share (weekly,
        every item).
    items
        Only the lines of these items (the other lines are left out, not even as
        ``excluded``). ``None``: every line.

    Returns
    -------
    AllocationProblem

    Raises
    ------
    PlanningError
        When a quota names an unknown customer group or item.

    """
    item_table = dataset.items
    h = dataset.horizon_days
    item_scale = np.where(item_table["integral"].to_numpy(dtype=bool), 1, FRACTION_SCALE).astype(
        np.int64
    )
    iv = _intervals(dataset, item_scale)
    ln = _lines(dataset, item_scale, items)
    together_orders, line_together = _together_groups(ln)
    line_whole = ln.whole | (line_together >= 0)
    cand = _candidates(dataset, ln, iv.bufs)
    opts = _options(iv, ln, cand, h)

    # Ship-complete groups get common (location, day) options instead.
    opt_together = np.full(len(opts["line"]), -1, dtype=np.int64)
    if len(together_orders):
        key_iv = iv.iv_buffer * (h + 1) + iv.iv_day
        opts, opt_together = _together_options(
            opts,
            line_together,
            cand.line,
            cand.buf,
            cand.transit,
            cand.cost,
            iv.iv_buffer,
            iv.iv_day,
            key_iv,
            iv.buf_first,
            iv.bufs["loc"].to_numpy(dtype=np.int64),
            ln.requested,
            ln.max_late,
            h,
        )

    opt_line = opts["line"]
    opt_day = opts["day"]
    opt_transit = opts["transit"]
    opt_keep = ln.has_promise[opt_line] & (opt_day + opt_transit <= ln.promised[opt_line])
    n = len(ln.rows)
    line_component = _components(
        n, ln.item, line_together, len(item_table), opt_line, iv.iv_buffer[opts["iv"]]
    )
    quota_rows = _quota_rows(
        quotas,
        dataset,
        ln.group_uniques,
        dataset.item_index,
        item_scale,
        iv.ivs,
        iv.bufs,
        ln.group,
        ln.item,
    )
    return AllocationProblem(
        start=dataset.start,
        horizon_days=h,
        item_ids=tuple(dataset.item_ids),
        location_ids=tuple(dataset.location_ids),
        group_ids=tuple(str(g) for g in ln.group_uniques),
        order_ids=tuple(str(o) for o in ln.order_uniques),
        item_scale=item_scale,
        line_row=ln.rows.astype(np.int64),
        line_order=ln.order,
        line_id=ln.sub["line"].astype(str).to_numpy(dtype=object),
        line_item=ln.item,
        line_group=ln.group,
        line_qty=ln.qty,
        line_requested=ln.requested,
        line_promised=ln.promised,
        line_has_promise=ln.has_promise,
        line_priority=ln.priority,
        line_whole=line_whole,
        line_together=line_together,
        line_min_ship=ln.min_ship,
        line_max_ship=ln.max_ship,
        line_max_late=ln.max_late,
        line_component=line_component,
        buf_item=iv.bufs["item"].to_numpy(dtype=np.int64),
        buf_location=iv.bufs["loc"].to_numpy(dtype=np.int64),
        iv_buffer=iv.iv_buffer,
        iv_day=iv.iv_day,
        iv_supply=iv.ivs["qty"].to_numpy(dtype=np.int64),
        iv_source=iv.ivs["source"].to_numpy(dtype=object),
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
        excluded=tuple(ln.excluded) if len(dataset.orders) else (),
    )


def _intervals(dataset: Dataset, item_scale: np.ndarray) -> _Intervals:
    """Buffers and intervals from the supply events within the horizon (scaled quantities)."""
    item_index = dataset.item_index
    loc_index = dataset.location_index
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
    buf_first = np.searchsorted(iv_buffer, np.arange(len(bufs)), side="left")
    buf_last = np.searchsorted(iv_buffer, np.arange(len(bufs)), side="right") - 1
    return _Intervals(
        ivs, bufs, iv_buffer, ivs["day"].to_numpy(dtype=np.int64), buf_first, buf_last
    )


def _lines(
    dataset: Dataset, item_scale: np.ndarray, items: Collection[str] | None = None
) -> _Lines:
    """The lines inside the horizon with a positive quantity; the others are ``excluded``.

    With ``items``, lines of other items are neither planned nor excluded.
    """
    orders = dataset.orders
    chosen = np.ones(len(orders), dtype=bool)
    if items is not None:
        chosen = orders["item"].isin(set(items)).to_numpy(dtype=bool)
    requested_all = _days(orders["requested_date"], dataset.start)
    beyond = (requested_all >= dataset.horizon_days) & chosen
    excluded: list[tuple[int, str]] = [(int(r), "beyond_horizon") for r in np.flatnonzero(beyond)]
    quantity = orders["quantity"].to_numpy(dtype=float)
    inside = chosen & (requested_all < dataset.horizon_days)
    rows = np.flatnonzero(inside & (quantity > 0))
    excluded += [(int(r), "zero_quantity") for r in np.flatnonzero(inside & (quantity <= 0))]
    excluded.sort()
    sub = orders.iloc[rows].reset_index(drop=True)
    line_item = sub["item"].map(dataset.item_index).to_numpy(dtype=np.int64)
    scale = item_scale[line_item]
    order_codes, order_uniques = pd.factorize(orders["order"], sort=True)
    groups = orders["customer_group"].fillna("").astype(str)
    group_codes, group_uniques = pd.factorize(groups, sort=True)
    line_qty = np.rint(sub["quantity"].to_numpy(dtype=float) * scale).astype(np.int64)
    promised_all = _days(orders["promised_date"], dataset.start, missing=-(10**6))
    ship_complete = sub["ship_complete"].to_numpy(dtype=bool)
    min_ship = np.rint(sub["min_shipment"].to_numpy(dtype=float) * scale).astype(np.int64)
    return _Lines(
        rows=rows,
        sub=sub,
        excluded=excluded,
        order_uniques=np.asarray(order_uniques),
        group_uniques=np.asarray(group_uniques),
        item=line_item,
        order=order_codes[rows].astype(np.int64),
        group=group_codes[rows].astype(np.int64),
        qty=line_qty,
        requested=requested_all[rows],
        promised=promised_all[rows],
        has_promise=orders["promised_date"].notna().to_numpy()[rows],
        priority=sub["priority"].to_numpy(dtype=np.int64),
        ship_complete=ship_complete,
        whole=~sub["partial_ok"].to_numpy(dtype=bool) | ship_complete,
        min_ship=np.minimum(min_ship, line_qty),
        max_ship=sub["max_shipments"].fillna(0).to_numpy(dtype=np.int64),
        max_late=sub["max_days_late"].fillna(-1).to_numpy(dtype=np.int64),
    )


def _together_groups(ln: _Lines) -> tuple[np.ndarray, np.ndarray]:
    """Ship-complete orders (ship_complete on any line, two lines or more) and each line's."""
    together_orders = np.unique(ln.order[ln.ship_complete])
    counts = np.bincount(ln.order, minlength=len(ln.order_uniques))
    together_orders = together_orders[counts[together_orders] >= 2]
    line_together = np.full(len(ln.rows), -1, dtype=np.int64)
    for k, o in enumerate(together_orders):
        line_together[ln.order == o] = k
    return together_orders, line_together


def _candidates(dataset: Dataset, ln: _Lines, bufs: pd.DataFrame) -> _Candidates:
    """(line, buffer) pairs: a location holding the item with a lane to the line's region."""
    item_index = dataset.item_index
    loc_index = dataset.location_index
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
    fixed_loc = ln.sub["location"].map(loc_index)
    base = pd.DataFrame(
        {
            "line": np.arange(len(ln.rows), dtype=np.int64),
            "item": ln.item,
            "ship_to": ln.sub["ship_to"].to_numpy(dtype=object),
            "fixed": fixed_loc.fillna(-1).to_numpy(dtype=np.int64),
        }
    )
    cand = base.merge(lane_df, on="ship_to").merge(holds, on=["item", "loc"])
    cand = cand.loc[(cand["fixed"] < 0) | (cand["fixed"] == cand["loc"])]
    cand = cand.merge(bufs, on=["item", "loc"])  # only buffers that receive something
    cand = cand.sort_values(["line", "loc"], kind="mergesort").reset_index(drop=True)
    return _Candidates(
        line=cand["line"].to_numpy(dtype=np.int64),
        buf=cand["buffer"].to_numpy(dtype=np.int64),
        transit=cand["transit"].to_numpy(dtype=np.int64),
        cost=cand["cost"].to_numpy(dtype=float),
    )


def _options(iv: _Intervals, ln: _Lines, cand: _Candidates, h: int) -> dict[str, np.ndarray]:
    """Per candidate: the option at δ (latest on-time ship day) and one per later interval."""
    delta = np.maximum(ln.requested[cand.line] - cand.transit, 0)
    # The option at δ: the interval of the buffer that contains day δ (if any yet).
    key_iv = iv.iv_buffer * (h + 1) + iv.iv_day
    pos = np.searchsorted(key_iv, cand.buf * (h + 1) + delta, side="right") - 1
    has_first = (pos >= 0) & (pos >= iv.buf_first[cand.buf])
    pos = np.where(has_first, pos, iv.buf_first[cand.buf] - 1)
    # Later options: every interval after pos in the same buffer.
    later_start = pos + 1
    later_count = np.maximum(iv.buf_last[cand.buf] - later_start + 1, 0)
    rep = np.repeat(np.arange(len(cand.line)), later_count)
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(later_count) - later_count, later_count)
    first_idx = np.flatnonzero(has_first)
    o_cand = np.concatenate([first_idx, rep])
    o_iv = np.concatenate([pos[first_idx], later_start[rep] + offs]).astype(np.int64)
    o_day = np.concatenate([delta[first_idx], iv.iv_day[later_start[rep] + offs]]).astype(np.int64)
    return _finish_options(
        o_cand, o_iv, o_day, cand.line, cand.transit, cand.cost, ln.requested, ln.max_late
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
