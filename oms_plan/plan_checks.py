"""Checks that keep the planners out of trouble: lot rules and transfer cycles.

Part of validation (:func:`oms_plan.checks.check_tables` runs them), so that a dataset that
validates does not fail later in ``mrp`` or ``plan``:

* lot rules MRP cannot meet (the test :func:`oms_plan.lotrules.lot_rule_problems`
  applies when it plans) are errors;
* a ``lot_max`` (or ``fixed`` ``lot_size``) so small that the item's own open order lines
  would need more than :data:`~oms_plan.lotrules.MAX_ORDERS_PER_ITEM` planned orders is
  an error naming the item, the rule and the count;
* transfer rows that make an item flow in a circle (A from B, B from A) are a warning
  naming the cycle: MRP leaves out the lowest-priority transfer of each cycle.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd

from oms_plan.errors import Issue
from oms_plan.labels import KeyLabels
from oms_plan.lotrules import FIXED, MAX_ORDERS_PER_ITEM, RULE_CODES, lot_rule_problems
from oms_plan.schema import TABLES

Tables = dict[str, pd.DataFrame]


def check_plannability(tables: Tables, issues: list[Issue]) -> None:
    """Append the lot-rule and transfer-cycle issues of ``tables`` to ``issues``.

    Parameters
    ----------
    tables
        The usable typed tables (see :func:`oms_plan.checks.check_tables`).
    issues
        Where the issues go.

    """
    _check_lot_rules(tables, issues)
    _check_transfer_cycles(tables, issues)


def _check_lot_rules(tables: Tables, issues: list[Issue]) -> None:
    items = tables.get("items")
    if items is None or items.empty:
        return
    labels = KeyLabels(TABLES["items"], items)
    demand = _net_requirements(tables)

    def number(column: str, pos: int, default: float) -> float:
        value = items[column].iat[pos]
        return default if pd.isna(value) else float(value)

    for pos in range(len(items)):
        item, rule_name = items["item"].iat[pos], items["lot_rule"].iat[pos]
        if item is None or rule_name not in RULE_CODES:
            continue  # reported as an unreadable cell already
        rule = RULE_CODES[rule_name]
        size, lmin = number("lot_size", pos, 0.0), number("lot_min", pos, 0.0)
        lmax, mult = number("lot_max", pos, math.inf), number("lot_multiple", pos, 0.0)
        integral = bool(items["integral"].iat[pos])
        if lmax <= 0 or lmax < lmin:
            continue  # lot_max must be > 0 / ≥ lot_min: reported by the item checks
        found = lot_rule_problems(str(item), rule, size, lmin, lmax, mult, integral)
        found = [(c, m) for c, m in found if "needs lot_size > 0" not in m]  # reported too
        for column, message in found:
            issues.append(Issue("items", pos + 1, column, f"{labels(pos)}: {message}"))
        if found:
            continue
        need = demand.get(item, 0.0)
        fixed = rule == FIXED
        count = _orders_needed(need, fixed, size, lmax, mult, integral)
        if count > MAX_ORDERS_PER_ITEM:
            column = "lot_size" if fixed and size > 0 and size <= lmax else "lot_max"
            value = size if column == "lot_size" else lmax
            issues.append(
                Issue(
                    "items",
                    pos + 1,
                    column,
                    f"{labels(pos)}: {column} {value:g} (lot_rule {rule_name}) would split the "
                    f"item's requirements ({need:g}, net of stock and receipts) into "
                    f"{count:,.0f} planned orders; MRP plans at most "
                    f"{MAX_ORDERS_PER_ITEM:,} orders of an item",
                )
            )


def _net_requirements(tables: Tables) -> dict[object, float]:
    """A rough net requirement per item: open order lines, exploded through the BOM.

    Per item, over all locations: its order lines plus what its parents' net requirements
    need of it (quantity_per and scrap of the BOM), minus its stock and scheduled receipts.
    Lot rules, safety stock and dates are left out: a floor of what MRP will order, enough
    to tell a lot_max that would make thousands of orders.
    """
    need: dict[object, float] = {}
    orders = tables.get("orders")
    if orders is not None and not orders.empty:
        need = orders.groupby("item", sort=False)["quantity"].sum(min_count=1).to_dict()
    have: dict[object, float] = {}
    for name, column in (("inventory", "on_hand"), ("supply", "quantity")):
        frame = tables.get(name)
        if frame is not None and not frame.empty:
            for item, qty in frame.groupby("item", sort=False)[column].sum().items():
                have[item] = have.get(item, 0.0) + float(qty)
    bom = tables.get("bom")
    usage: dict[tuple[object, object], float] = {}
    if bom is not None and not bom.empty:
        # The dataset contract's usage: quantity_per × (1 + scrap_rate), as MRP explodes it.
        scrap = bom["scrap_rate"].fillna(0.0)
        per = (bom["quantity_per"] * (1.0 + scrap)).to_numpy(dtype=float, na_value=np.nan)
        for parent, component, q in zip(bom["parent"], bom["component"], per, strict=True):
            if parent is not None and component is not None and np.isfinite(q):
                # Rows of several plants: one of them makes each unit, so the largest.
                usage[(parent, component)] = max(usage.get((parent, component), 0.0), q)
    graph = nx.DiGraph(list(usage))
    try:
        order = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:  # a BOM cycle, reported as such: order lines only
        order = []
    # Parents before components: a component's gross requirement is complete when reached.
    gross = {item: float(q) for item, q in need.items() if pd.notna(q)}
    net: dict[object, float] = {}
    for item in order:
        net[item] = max(gross.get(item, 0.0) - have.get(item, 0.0), 0.0)
        for component in graph.successors(item):
            gross[component] = gross.get(component, 0.0) + net[item] * usage[(item, component)]
    for item, q in gross.items():
        if item not in net:
            net[item] = max(q - have.get(item, 0.0), 0.0)
    return net


def _orders_needed(
    need: float, fixed: bool, size: float, lmax: float, mult: float, integral: bool
) -> float:
    """At least how many orders cover ``need`` under the item's rules (a lower bound)."""
    if not need > 0:
        return 0.0
    cap = math.floor(lmax / mult + 1e-9) * mult if mult > 0 and math.isfinite(lmax) else lmax
    if integral and math.isfinite(cap):
        cap = math.floor(cap + 1e-9)
    if fixed and size > 0:
        pieces = math.ceil(need / size - 1e-9)
        return pieces * (math.ceil(size / cap - 1e-9) if size > cap else 1)
    if not math.isfinite(cap) or cap <= 0:
        return 1.0
    return float(math.ceil(need / cap - 1e-9))


def _check_transfer_cycles(tables: Tables, issues: list[Issue]) -> None:
    src = tables.get("sourcing")
    if src is None or src.empty:
        return
    known = src[["item", "location", "from_location"]].notna().all(axis=1)
    transfer = ((src["method"] == "transfer") & known).to_numpy(dtype=bool, na_value=False)
    rows = np.flatnonzero(transfer)
    if not len(rows):
        return
    labels = KeyLabels(TABLES["sourcing"], src)
    graphs: dict[str, nx.DiGraph] = {}
    for pos in rows:
        item = str(src["item"].iat[pos])
        graph = graphs.setdefault(item, nx.DiGraph())
        # Material flows from from_location to location.
        graph.add_edge(str(src["from_location"].iat[pos]), str(src["location"].iat[pos]), row=pos)
    for item, graph in graphs.items():
        for part in nx.strongly_connected_components(graph):
            if len(part) < 2:
                continue
            cycle = nx.find_cycle(graph.subgraph(part))
            path = " → ".join([str(u) for u, _ in cycle] + [str(cycle[0][0])])
            first = min(int(graph.edges[u, v]["row"]) for u, v in cycle)
            issues.append(
                Issue(
                    "sourcing",
                    first + 1,
                    "from_location",
                    f"{labels(first)}: transfers of {item!r} flow in a circle ({path}); MRP "
                    "leaves out the lowest-priority transfer of the circle",
                    "warning",
                )
            )
