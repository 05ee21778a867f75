"""Cross-table checks: keys, references and the business rules of SCHEMA.md.

Each check appends to one list of issues so that a user sees every problem at once. Checks
read the typed tables of :func:`oms_plan.fields.coerce_table`; a cell that could not be read
is missing there and was reported already, so checks skip missing cells. A table that is
unusable as a whole (a required column missing, unreadable file) is absent from ``tables``:
checks that need it are skipped rather than guessing. Every check is vectorized or runs on
hashed sets, so a dataset of 100,000 order lines is checked in well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd

from oms_plan.errors import Issue, Severity
from oms_plan.labels import KeyLabels
from oms_plan.plan_checks import check_plannability
from oms_plan.schema import TABLES
from oms_plan.settings import PlanSettings

Tables = dict[str, pd.DataFrame]


def check_tables(tables: Tables, settings: PlanSettings | None) -> list[Issue]:
    """Run every cross-table check.

    Parameters
    ----------
    tables
        The usable typed tables; a table missing here (unusable as a whole, its problem
        reported already) is neither checked nor used to check references to it.
    settings
        The plan settings (``None`` when unusable: horizon warnings are skipped).

    Returns
    -------
    list[Issue]
        Errors and warnings, table by table.

    """
    issues: list[Issue] = []
    _check_keys(tables, issues)
    _check_references(tables, issues)
    _check_items(tables, issues)
    _check_sourcing(tables, issues)
    _check_bom(tables, issues)
    _check_routing(tables, issues)
    _check_calendars_and_downtime(tables, issues)
    _check_quantities(tables, issues)
    check_plannability(tables, issues)
    if settings is not None:
        _check_supply(tables, settings, issues)
        _check_horizon(tables, settings, issues)
    return issues


def _add(
    issues: list[Issue],
    table: str,
    frame: pd.DataFrame,
    rows: Iterable[int | np.integer] | np.ndarray,
    column: str | None,
    message: str | list[str],
    severity: Severity = "error",
) -> None:
    """Report ``rows`` (0-based) of ``table``; ``message`` may give one text per row."""
    rows = list(rows)
    if not rows:
        return
    labels = KeyLabels(TABLES[table], frame)
    texts = message if isinstance(message, list) else [message] * len(rows)
    for pos, text in zip(rows, texts, strict=True):
        issues.append(Issue(table, int(pos) + 1, column, f"{labels(int(pos))}: {text}", severity))


def _mask(values: pd.Series | np.ndarray) -> np.ndarray:
    """A boolean condition as a numpy array, missing values counting as False."""
    if isinstance(values, pd.Series):
        return np.asarray(values.to_numpy(dtype=bool, na_value=False), dtype=bool)
    return np.asarray(values, dtype=bool)


# -- keys and references -------------------------------------------------------------------
def _check_keys(tables: Tables, issues: list[Issue]) -> None:
    for name, frame in tables.items():
        spec = TABLES[name]
        key = list(spec.key)
        if not key or frame.empty:
            continue
        # A row whose required key part could not be read was reported already; it is not
        # a duplicate of another such row. Optional key parts (a missing location meaning
        # "every plant") are values of their own.
        columns = [frame[c].to_numpy(dtype=object) for c in key]
        if len(set(zip(*columns, strict=True))) == len(frame):
            continue  # the common case, found with one hash pass
        required = [c for c in key if spec.column(c).required]
        readable = ~frame[required].isna().any(axis=1).to_numpy(dtype=bool)
        keyed = frame.loc[readable, key]
        dup = keyed.duplicated(keep="first").to_numpy(dtype=bool)
        if not dup.any():
            continue
        group = keyed.groupby(key, dropna=False, sort=False).ngroup().to_numpy()
        first = pd.Series(keyed.index.to_numpy()).groupby(group).transform("min").to_numpy()
        rows = keyed.index.to_numpy()[dup]
        _add(
            issues,
            name,
            frame,
            rows,
            None,
            [
                f"duplicate key ({', '.join(key)}); first seen at row {int(f) + 1}"
                for f in first[dup]
            ],
        )


def ids(tables: Tables, table: str, column: str) -> set[str] | None:
    """The non-missing values of ``table.column``.

    Parameters
    ----------
    tables
        The usable typed tables.
    table, column
        Where to look.

    Returns
    -------
    set[str] or None
        The values; ``None`` when the table is unusable (then references are not checked).

    """
    frame = tables.get(table)
    if frame is None:
        return None
    return set(frame[column].dropna())


def _ref(
    issues: list[Issue], tables: Tables, table: str, column: str, known: set[str] | None, what: str
) -> None:
    frame = tables.get(table)
    if frame is None or frame.empty or known is None:
        return
    values = frame[column]
    unknown = values.notna().to_numpy(dtype=bool) & ~values.isin(known).to_numpy(dtype=bool)
    rows = np.flatnonzero(unknown)
    _add(
        issues,
        table,
        frame,
        rows,
        column,
        [f"unknown {what} {values.iat[pos]!r}" for pos in rows],
    )


def _check_references(tables: Tables, issues: list[Issue]) -> None:
    items = ids(tables, "items", "item")
    locations = ids(tables, "locations", "location")
    named, laned = ids(tables, "regions", "region"), ids(tables, "lanes", "to")
    # A region exists when the regions table or a lane names it.
    regions = None if named is None or laned is None else named | laned
    workstations = ids(tables, "workstations", "workstation")
    calendars = ids(tables, "calendars", "calendar")
    for table, column in [
        ("sourcing", "item"),
        ("bom", "parent"),
        ("bom", "component"),
        ("routing", "item"),
        ("inventory", "item"),
        ("supply", "item"),
        ("orders", "item"),
    ]:
        _ref(issues, tables, table, column, items, "item")
    for table, column in [
        ("sourcing", "location"),
        ("sourcing", "from_location"),
        ("bom", "location"),
        ("routing", "location"),
        ("workstations", "location"),
        ("lanes", "from_location"),
        ("inventory", "location"),
        ("supply", "location"),
        ("supply", "from_location"),
        ("orders", "location"),
    ]:
        _ref(issues, tables, table, column, locations, "location")
    _ref(issues, tables, "orders", "ship_to", regions, "region (ship_to)")
    for table, column in [
        ("routing", "workstation"),
        ("downtime", "workstation"),
        ("setups", "workstation"),
    ]:
        _ref(issues, tables, table, column, workstations, "workstation")
    for table in ("locations", "workstations"):
        _ref(issues, tables, table, "calendar", calendars, "calendar")


def _location_kinds(tables: Tables) -> dict[str, str]:
    loc = tables.get("locations")
    if loc is None:
        return {}
    return dict(zip(loc["location"], loc["kind"], strict=True))


def _at_warehouse(tables: Tables, locations: pd.Series) -> np.ndarray:
    kinds = _location_kinds(tables)
    return _mask(locations.map(kinds) == "warehouse")


# -- master data ---------------------------------------------------------------------------
def _check_items(tables: Tables, issues: list[Issue]) -> None:
    items = tables.get("items")
    if items is None or items.empty:
        return
    rule = items["lot_rule"]
    fixed = _mask((rule == "fixed") & ~(items["lot_size"] > 0))
    _add(
        issues,
        "items",
        items,
        np.flatnonzero(fixed),
        "lot_size",
        "lot_rule fixed needs lot_size > 0",
    )
    eoq = _mask((rule == "eoq") & ~((items["unit_cost"] > 0) & (items["holding_rate"] > 0)))
    _add(
        issues,
        "items",
        items,
        np.flatnonzero(eoq),
        "lot_rule",
        "lot_rule eoq needs unit_cost > 0 and holding_rate > 0",
    )
    lot_max = items["lot_max"]
    zero_max = _mask(lot_max <= 0)
    _add(issues, "items", items, np.flatnonzero(zero_max), "lot_max", "lot_max must be > 0")
    below = _mask((lot_max < items["lot_min"]) & (lot_max > 0))
    _add(issues, "items", items, np.flatnonzero(below), "lot_max", "lot_max must be ≥ lot_min")


def _check_sourcing(tables: Tables, issues: list[Issue]) -> None:
    src = tables.get("sourcing")
    if src is None or src.empty:
        return
    method = src["method"]
    transfer = _mask(method == "transfer")
    no_from = src["from_location"].isna().to_numpy(dtype=bool)
    _add(
        issues,
        "sourcing",
        src,
        np.flatnonzero(transfer & no_from),
        "from_location",
        "transfer needs from_location",
    )
    same = transfer & _mask(src["from_location"] == src["location"])
    _add(
        issues,
        "sourcing",
        src,
        np.flatnonzero(same),
        "from_location",
        "transfer from a location to itself",
    )
    stray = _mask(method.notna()) & ~transfer & ~no_from
    _add(
        issues,
        "sourcing",
        src,
        np.flatnonzero(stray),
        "from_location",
        "from_location is only used by transfer rows and is ignored here",
        "warning",
    )
    make = _mask(method == "make")
    at_warehouse = make & _at_warehouse(tables, src["location"])
    _add(
        issues,
        "sourcing",
        src,
        np.flatnonzero(at_warehouse),
        "location",
        "make at a warehouse: only plants can make",
    )
    bom, routing = tables.get("bom"), tables.get("routing")
    if bom is None or routing is None:
        return  # cannot tell whether the item has a recipe
    # A bom/routing row without location applies at every plant that makes the item.
    anywhere = set(bom.loc[bom["location"].isna(), "parent"]) | set(
        routing.loc[routing["location"].isna(), "item"]
    )
    located = set(zip(bom["parent"], bom["location"], strict=True)) | set(
        zip(routing["item"], routing["location"], strict=True)
    )
    item = src["item"].to_numpy(dtype=object)
    location = src["location"].to_numpy(dtype=object)
    rows = [
        int(pos)
        for pos in np.flatnonzero(make & ~at_warehouse)
        if item[pos] is not None
        and item[pos] not in anywhere
        and (item[pos], location[pos]) not in located
    ]
    _add(
        issues,
        "sourcing",
        src,
        rows,
        "method",
        [
            f"make at {location[pos]!r} but item {item[pos]!r} has neither bom nor routing "
            "rows there"
            for pos in rows
        ],
    )


def _check_bom(tables: Tables, issues: list[Issue]) -> None:
    bom = tables.get("bom")
    if bom is None or bom.empty:
        return
    zero = _mask(bom["quantity_per"] <= 0)
    _add(issues, "bom", bom, np.flatnonzero(zero), "quantity_per", "quantity_per must be > 0")
    scrap = _mask(bom["scrap_rate"] >= 1)
    _add(issues, "bom", bom, np.flatnonzero(scrap), "scrap_rate", "scrap_rate must be < 1")
    warehouse = _at_warehouse(tables, bom["location"])
    _add(
        issues,
        "bom",
        bom,
        np.flatnonzero(warehouse),
        "location",
        "bom at a warehouse: only plants can make",
    )
    parent, component = bom["parent"], bom["component"]
    selfref = _mask(parent == component)
    rows = np.flatnonzero(selfref)
    _add(
        issues,
        "bom",
        bom,
        rows,
        "component",
        [
            f"BOM cycle: {parent.iat[p]} → {parent.iat[p]} (an item cannot contain itself)"
            for p in rows
        ],
    )
    readable = ~selfref & _mask(parent.notna()) & _mask(component.notna())
    edges = bom.loc[readable, ["parent", "component"]]
    graph = nx.DiGraph()
    graph.add_edges_from(zip(edges["parent"], edges["component"], strict=True))
    first_row: dict[tuple[str, str], int] = {}
    for pos, edge in zip(
        edges.index, zip(edges["parent"], edges["component"], strict=True), strict=True
    ):
        first_row.setdefault(edge, int(pos))
    for cycle in bom_cycles(graph):
        path = " → ".join([*cycle, cycle[0]])
        pos = first_row[(cycle[0], cycle[1])]
        issues.append(
            Issue(
                "bom",
                pos + 1,
                "component",
                f"{KeyLabels(TABLES['bom'], bom)(pos)}: BOM cycle: {path}",
            )
        )


def bom_cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One cycle per strongly connected part of a parent → component graph.

    Parameters
    ----------
    graph
        Edges parent → component.

    Returns
    -------
    list[list[str]]
        Each cycle as the items along it, starting at its smallest item (so the report is
        the same every run), sorted.

    """
    out = []
    for comp in nx.strongly_connected_components(graph):
        if len(comp) < 2:
            continue
        start = min(comp)
        sub = graph.subgraph(comp)
        # The shortest way back to the start names the smallest cycle through it.
        back = min(
            (nx.shortest_path(sub, nxt, start) for nxt in sorted(sub.successors(start))),
            key=len,
        )
        out.append([start, *back[:-1]])
    return sorted(out)


def _check_routing(tables: Tables, issues: list[Issue]) -> None:
    routing = tables.get("routing")
    if routing is None or routing.empty:
        return
    warehouse = _at_warehouse(tables, routing["location"])
    _add(
        issues,
        "routing",
        routing,
        np.flatnonzero(warehouse),
        "location",
        "routing at a warehouse: only plants can make",
    )
    ws = tables.get("workstations")
    if ws is None:
        return
    ws_loc = dict(zip(ws["workstation"], ws["location"], strict=True))
    at = routing["workstation"].map(ws_loc)
    wrong = _mask(routing["location"].notna() & at.notna() & (routing["location"] != at))
    rows = np.flatnonzero(wrong)
    ws_id, loc = routing["workstation"].to_numpy(dtype=object), routing["location"].to_numpy()
    _add(
        issues,
        "routing",
        routing,
        rows,
        "workstation",
        [f"workstation {ws_id[p]!r} is at {at.iat[p]!r}, not at {loc[p]!r}" for p in rows],
    )
    src = tables.get("sourcing")
    if src is None or src.empty:
        return
    make = src.loc[_mask(src["method"] == "make")].dropna(subset=["item", "location"])
    make_locs: dict[str, set[str]] = {}
    for made, at_loc in zip(make["item"], make["location"], strict=True):
        make_locs.setdefault(made, set()).add(at_loc)
    item, ws_at = routing["item"].to_numpy(dtype=object), at.to_numpy(dtype=object)
    candidates = np.flatnonzero(routing["location"].isna().to_numpy() & at.notna().to_numpy())
    unplaced = [
        int(p) for p in candidates if item[p] in make_locs and ws_at[p] not in make_locs[item[p]]
    ]
    workstation = routing["workstation"].to_numpy(dtype=object)
    _add(
        issues,
        "routing",
        routing,
        unplaced,
        "workstation",
        [
            f"workstation {workstation[p]!r} is at {ws_at[p]!r}, where item {item[p]!r} is "
            f"not made (made at {', '.join(sorted(make_locs[item[p]]))})"
            for p in unplaced
        ],
    )


def _check_calendars_and_downtime(tables: Tables, issues: list[Issue]) -> None:
    cal = tables.get("calendars")
    if cal is not None and not cal.empty:
        same = _mask(cal["start"].notna() & (cal["start"] == cal["end"]))
        _add(
            issues,
            "calendars",
            cal,
            np.flatnonzero(same),
            "end",
            "shift end equals start: read as a 24-hour shift",
            "warning",
        )
    down = tables.get("downtime")
    if down is not None and not down.empty:
        bad = _mask(down["start"].notna() & down["end"].notna() & (down["end"] <= down["start"]))
        _add(
            issues, "downtime", down, np.flatnonzero(bad), "end", "downtime end must be after start"
        )


# -- transactional data --------------------------------------------------------------------
def _check_quantities(tables: Tables, issues: list[Issue]) -> None:
    orders = tables.get("orders")
    if orders is not None and not orders.empty:
        zero = _mask(orders["quantity"] <= 0)
        _add(issues, "orders", orders, np.flatnonzero(zero), "quantity", "quantity must be > 0")
    items = tables.get("items")
    if items is None:
        return
    integral = dict(zip(items["item"], items["integral"], strict=True))
    whole_items: dict[str, np.ndarray] = {}  # per table: the line's item is integral
    for table, column in [
        ("orders", "quantity"),
        ("orders", "min_shipment"),
        ("inventory", "on_hand"),
        ("supply", "quantity"),
    ]:
        frame = tables.get(table)
        if frame is None or frame.empty:
            continue
        if table not in whole_items:
            whole_items[table] = _mask(frame["item"].map(integral) == True)  # noqa: E712
        whole_item = whole_items[table]
        values = np.asarray(frame[column].to_numpy(dtype=float, na_value=np.nan), dtype=float)
        with np.errstate(invalid="ignore"):
            fractional = np.isfinite(values) & (np.floor(values) != values)
        rows = np.flatnonzero(whole_item & fractional)
        item = frame["item"].to_numpy(dtype=object)
        _add(
            issues,
            table,
            frame,
            rows,
            column,
            [
                f"{column} {values[p]:g} is not a whole number, but item {item[p]!r} is integral"
                for p in rows
            ],
        )


def _check_supply(tables: Tables, settings: PlanSettings, issues: list[Issue]) -> None:
    supply = tables.get("supply")
    if supply is None or supply.empty:
        return
    # A past-due receipt released at plan start (the default) is normal: it counts as due
    # on the first day. Only a receipt due inside the horizon is worth a look.
    due = supply["due_date"]
    late = _mask((supply["release_date"] > due) & (due >= pd.Timestamp(settings.start)))
    _add(
        issues,
        "supply",
        supply,
        np.flatnonzero(late),
        "release_date",
        "release_date is after due_date",
        "warning",
    )


def _check_horizon(tables: Tables, settings: PlanSettings, issues: list[Issue]) -> None:
    start = pd.Timestamp(settings.start)
    end = pd.Timestamp(settings.end)
    for table, column in [
        ("orders", "requested_date"),
        ("orders", "promised_date"),
        ("supply", "due_date"),
        ("supply", "release_date"),
    ]:
        frame = tables.get(table)
        if frame is None or frame.empty:
            continue
        values = frame[column]
        before = np.flatnonzero(_mask(values < start))
        after = np.flatnonzero(_mask(values > end))
        _add(
            issues,
            table,
            frame,
            before,
            column,
            [
                f"{column} {values.iat[p].date()} is before plan start {settings.start}: "
                "counted as due on the first day"
                for p in before
            ],
            "warning",
        )
        _add(
            issues,
            table,
            frame,
            after,
            column,
            [
                f"{column} {values.iat[p].date()} is after the last plannable day "
                f"{settings.end}: beyond the horizon"
                for p in after
            ],
            "warning",
        )
