"""The MRP problem as arrays: buffers (item@location) in netting order, and what feeds them.

A *buffer* is one item at one location. Buffers are numbered in the order MRP nets them:
by *stage*, where the stage refines the item low-level code (:func:`oms_plan.network.
low_level_codes`) with the depth of the buffer in the item's transfer network, so that every
buffer is netted after all buffers that can place demand on it — parents before components
(BOM), receiving locations before the locations they transfer from. Buffers of one stage are
independent of each other and are netted together, vectorized.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.mrp.lotsizing import LotRules, lot_rules
from oms_plan.network import low_level_codes
from oms_plan.timeline import demand_events, supply_events

BUY, MAKE, TRANSFER = 0, 1, 2
METHOD_CODES = {"buy": BUY, "make": MAKE, "transfer": TRANSFER}
METHOD_NAMES = ("buy", "make", "transfer")

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
ObjArray = NDArray[np.object_]


@dataclass(frozen=True, eq=False)
class MrpProblem:
    """Everything MRP needs, as integer-indexed arrays (build with :func:`build_problem`).

    Buffers ``b`` are ``0 … num_buffers-1`` in netting order; buffers of stage ``s`` are
    ``stage_ptr[s] … stage_ptr[s+1]-1``. ``src_*`` arrays hold each buffer's sourcing
    alternatives (rows ``src_ptr[b] … src_ptr[b+1]-1``, best priority first); ``bom_*`` hold
    the components a make order at the buffer consumes per unit (scrap included), as
    component buffers. Demand (``dem_*``) and receipts (``rec_*``) are the ones inside the
    horizon, with past-due ones on day 0; the ``late_*`` arrays hold table rows of those due
    after the last plannable day.
    """

    start: dt.date
    horizon_days: int
    item_ids: tuple[str, ...]
    location_ids: tuple[str, ...]
    lots: LotRules
    buf_item: IntArray
    buf_loc: IntArray
    stage_ptr: IntArray
    on_hand: FloatArray
    safety_stock: FloatArray
    src_ptr: IntArray
    src_method: IntArray
    src_lead: IntArray
    src_from: IntArray
    src_row: IntArray
    bom_ptr: IntArray
    bom_comp: IntArray
    bom_qty: FloatArray
    dem_buf: IntArray
    dem_day: IntArray
    dem_qty: FloatArray
    dem_priority: IntArray
    dem_row: IntArray
    rec_buf: IntArray
    rec_day: IntArray
    rec_qty: FloatArray
    rec_row: IntArray
    late_dem_row: IntArray
    late_rec_row: IntArray
    dropped_src_rows: IntArray
    order_ids: ObjArray
    line_ids: ObjArray
    supply_ids: ObjArray

    @property
    def num_buffers(self) -> int:
        """Number of buffers."""
        return len(self.buf_item)

    @property
    def num_stages(self) -> int:
        """Number of netting stages."""
        return len(self.stage_ptr) - 1

    @property
    def plannable(self) -> NDArray[np.bool_]:
        """Per buffer: whether it has a sourcing row (only those get planned orders)."""
        return np.diff(self.src_ptr) > 0

    def item_of(self, b: int) -> str:
        """Item id of buffer ``b``."""
        return self.item_ids[int(self.buf_item[b])]

    def location_of(self, b: int) -> str:
        """Location id of buffer ``b``."""
        return self.location_ids[int(self.buf_loc[b])]


def build_problem(dataset: Dataset) -> MrpProblem:
    """Turn ``dataset`` into an :class:`MrpProblem`.

    Raises
    ------
    PlanningError
        When lot rules contradict each other (see :func:`oms_plan.mrp.lotsizing.lot_rules`)
        or an order line has no ship-from location.

    """
    items, locs = dataset.items, dataset.locations
    item_index = {k: i for i, k in enumerate(items["item"])}
    loc_index = {k: i for i, k in enumerate(locs["location"])}
    nloc = max(len(loc_index), 1)
    lots = lot_rules(items)

    src = dataset.sourcing.reset_index(drop=True)
    src_item = _codes(src["item"], item_index)
    src_loc = _codes(src["location"], loc_index)
    src_method = src["method"].map(METHOD_CODES).to_numpy(dtype=np.int64)
    is_tr = src_method == TRANSFER
    src_from_loc = np.full(len(src), -1, dtype=np.int64)
    if is_tr.any():
        src_from_loc[is_tr] = _codes(src["from_location"][is_tr], loc_index)

    bom_rows = _make_boms(dataset, src, item_index, loc_index)

    orders = dataset.orders
    dem = demand_events(dataset)
    if dem["location"].isna().any():
        pos = int(np.flatnonzero(dem["location"].isna().to_numpy())[0])
        raise PlanningError(
            f"order {dem['order'].iat[pos]!r} line {dem['line'].iat[pos]!r} has no ship-from "
            "location"
        )
    dem_key = _codes(dem["item"], item_index) * nloc + _codes(dem["location"], loc_index)
    sup = supply_events(dataset)
    sup_key = _codes(sup["item"], item_index) * nloc + _codes(sup["location"], loc_index)

    keys = np.unique(
        np.concatenate(
            [
                src_item * nloc + src_loc,
                src_item[is_tr] * nloc + src_from_loc[is_tr],
                bom_rows.comp_key,
                dem_key,
                sup_key,
            ]
        ).astype(np.int64)
    )
    # Transfer edges between buffers: demand flows from the receiving to the sending buffer.
    tr_rows = np.flatnonzero(is_tr)
    tr_rows = tr_rows[np.lexsort((tr_rows, src["priority"].to_numpy()[tr_rows]))]
    to_b = np.searchsorted(keys, src_item[tr_rows] * nloc + src_loc[tr_rows])
    from_b = np.searchsorted(keys, src_item[tr_rows] * nloc + src_from_loc[tr_rows])
    keep = _acyclic_edges(to_b, from_b)
    dropped = np.sort(tr_rows[~keep])

    # Stage = (low-level code, transfer depth) in lexicographic order.
    codes = low_level_codes(dataset.bom)
    llc = np.array([codes.get(i, 0) for i in items["item"]], dtype=np.int64)
    buf_item0, buf_loc0 = keys // nloc, keys % nloc
    depth = _transfer_depth(len(keys), to_b[keep], from_b[keep])
    stage_key = llc[buf_item0] * (int(depth.max(initial=0)) + 1) + depth
    order = np.lexsort((buf_loc0, buf_item0, stage_key))
    new_of_old = np.empty(len(keys), dtype=np.int64)
    new_of_old[order] = np.arange(len(keys))
    stage_sorted = stage_key[order]
    starts = np.flatnonzero(np.r_[True, stage_sorted[1:] != stage_sorted[:-1]])
    stage_ptr = np.r_[starts, len(keys)].astype(np.int64)
    buf_item, buf_loc = buf_item0[order], buf_loc0[order]

    def buf_of(key: IntArray) -> IntArray:
        return new_of_old[np.searchsorted(keys, key)]

    # Sourcing alternatives, per buffer, by priority then table order.
    kept = np.setdiff1d(np.arange(len(src)), dropped)
    s_buf = buf_of(src_item[kept] * nloc + src_loc[kept])
    s_order = np.lexsort((kept, src["priority"].to_numpy()[kept], s_buf))
    rows = kept[s_order]
    s_buf = s_buf[s_order]
    src_from = np.full(len(rows), -1, dtype=np.int64)
    tr = src_method[rows] == TRANSFER
    src_from[tr] = buf_of(src_item[rows[tr]] * nloc + src_from_loc[rows[tr]])

    # BOM of the make buffers.
    b_par = buf_of(bom_rows.parent_key)
    b_comp = buf_of(bom_rows.comp_key)
    b_order = np.lexsort((bom_rows.bom_row, b_par))

    dem_buf = buf_of(dem_key)
    dem_day = dem["day"].to_numpy(dtype=np.int64)
    inside = dem_day < dataset.horizon_days
    stock = (sup["source"] == "stock").to_numpy()
    sup_buf = buf_of(sup_key)
    on_hand = np.bincount(
        sup_buf[stock], weights=sup["quantity"].to_numpy()[stock], minlength=len(keys)
    )
    supply_tab = dataset.supply
    supply_row = {k: i for i, k in enumerate(supply_tab["supply"])}
    rec = ~stock
    rec_row = np.array(
        [supply_row[s.removeprefix("supply:")] for s in sup["source"][rec]], dtype=np.int64
    )
    rec_day = sup["day"].to_numpy(dtype=np.int64)[rec]
    rec_in = rec_day < dataset.horizon_days
    return MrpProblem(
        start=dataset.start,
        horizon_days=dataset.horizon_days,
        item_ids=tuple(items["item"]),
        location_ids=tuple(locs["location"]),
        lots=lots,
        buf_item=buf_item,
        buf_loc=buf_loc,
        stage_ptr=stage_ptr,
        on_hand=on_hand.astype(float),
        safety_stock=lots.safety_stock[buf_item],
        src_ptr=np.r_[0, np.cumsum(np.bincount(s_buf, minlength=len(keys)))].astype(np.int64),
        src_method=src_method[rows],
        src_lead=src["lead_days"].to_numpy(dtype=np.int64)[rows],
        src_from=src_from,
        src_row=rows.astype(np.int64),
        bom_ptr=np.r_[0, np.cumsum(np.bincount(b_par, minlength=len(keys)))].astype(np.int64),
        bom_comp=b_comp[b_order],
        bom_qty=bom_rows.qty[b_order],
        dem_buf=dem_buf[inside],
        dem_day=dem_day[inside],
        dem_qty=dem["quantity"].to_numpy(dtype=float)[inside],
        dem_priority=dem["priority"].to_numpy(dtype=np.int64)[inside],
        dem_row=dem["row"].to_numpy(dtype=np.int64)[inside],
        rec_buf=sup_buf[rec][rec_in],
        rec_day=rec_day[rec_in],
        rec_qty=sup["quantity"].to_numpy(dtype=float)[rec][rec_in],
        rec_row=rec_row[rec_in],
        late_dem_row=dem["row"].to_numpy(dtype=np.int64)[~inside],
        late_rec_row=np.sort(
            supply_tab.index.to_numpy()[
                (
                    (supply_tab["due_date"] - pd.Timestamp(dataset.start)).dt.days
                    >= dataset.horizon_days
                ).to_numpy()
            ].astype(np.int64)
        ),
        dropped_src_rows=dropped.astype(np.int64),
        order_ids=orders["order"].to_numpy(dtype=object),
        line_ids=orders["line"].to_numpy(dtype=object),
        supply_ids=supply_tab["supply"].to_numpy(dtype=object),
    )


@dataclass(frozen=True)
class _BomLines:
    parent_key: IntArray
    comp_key: IntArray
    qty: FloatArray
    bom_row: IntArray


def _codes(values: pd.Series, index: dict[str, int]) -> IntArray:
    """Index of each value (values are validated references, so every one is known)."""
    codes: IntArray = values.map(index).to_numpy(dtype=np.int64)
    return codes


def _make_boms(
    dataset: Dataset, src: pd.DataFrame, item_index: dict[str, int], loc_index: dict[str, int]
) -> _BomLines:
    """Component lines of every make buffer, as buffer keys.

    BOM rows without a location apply at every plant that makes the parent; a row for the
    same (parent, component) with the make location replaces the generic one there.
    """
    nloc = max(len(loc_index), 1)
    make = src.loc[src["method"] == "make", ["item", "location"]].rename(
        columns={"item": "parent", "location": "make_at"}
    )
    bom = dataset.bom.reset_index(drop=True)
    bom["bom_row"] = np.arange(len(bom))
    lines = make.merge(bom, on="parent")
    lines = lines.loc[lines["location"].isna() | (lines["location"] == lines["make_at"])]
    lines = lines.assign(_generic=lines["location"].isna())
    lines = lines.sort_values(["parent", "make_at", "component", "_generic"], kind="mergesort")
    lines = lines.drop_duplicates(["parent", "make_at", "component"], keep="first")
    par = _codes(lines["parent"], item_index) * nloc + _codes(lines["make_at"], loc_index)
    comp = _codes(lines["component"], item_index) * nloc + _codes(lines["make_at"], loc_index)
    qty = lines["quantity_per"].to_numpy(dtype=float) * (
        1.0 + lines["scrap_rate"].to_numpy(dtype=float)
    )
    return _BomLines(par, comp, qty, lines["bom_row"].to_numpy(dtype=np.int64))


def _acyclic_edges(u: IntArray, v: IntArray) -> NDArray[np.bool_]:
    """Which edges ``u[i] → v[i]`` (given best first) to keep so that the graph has no cycle.

    Edges on no cycle are all kept; inside a strongly connected part, edges are added best
    first and one that would close a cycle is left out.
    """
    keep = np.ones(len(u), dtype=bool)
    if len(u) == 0:
        return keep
    graph = nx.DiGraph()
    graph.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    if nx.is_directed_acyclic_graph(graph):
        return keep
    part = {}
    for k, comp in enumerate(nx.strongly_connected_components(graph)):
        for node in comp:
            part[node] = k
    inside = np.array([part[a] == part[b] for a, b in zip(u.tolist(), v.tolist(), strict=True)])
    kept = nx.DiGraph()
    for i in np.flatnonzero(inside):
        a, b = int(u[i]), int(v[i])
        if a == b or (kept.has_node(b) and kept.has_node(a) and nx.has_path(kept, b, a)):
            keep[i] = False
        else:
            kept.add_edge(a, b)
    return keep


def _transfer_depth(n: int, to_b: IntArray, from_b: IntArray) -> IntArray:
    """Longest chain of transfers that can place demand on each buffer (edges are acyclic)."""
    depth = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        new = depth.copy()
        np.maximum.at(new, from_b, depth[to_b] + 1)
        if np.array_equal(new, depth):
            return depth
        depth = new
    raise AssertionError("transfer depth did not converge: the edges contain a cycle")
