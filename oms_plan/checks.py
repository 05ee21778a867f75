"""Cross-table checks: keys, references and the business rules of SCHEMA.md.

Each check appends to one list of issues so that a user sees every problem at once.
Checks skip columns that could not be read (they were reported already).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd

from oms_plan.errors import Issue, Severity
from oms_plan.fields import key_label
from oms_plan.schema import TABLES
from oms_plan.settings import PlanSettings

Tables = dict[str, pd.DataFrame]


def check_tables(tables: Tables, settings: PlanSettings | None) -> list[Issue]:
    """Run every cross-table check; return errors and warnings.

    ``tables`` holds the usable tables only: a table missing a required column is left out
    (its problem is reported already) and references to it are not checked.
    """
    issues: list[Issue] = []
    _check_keys(tables, issues)
    _check_references(tables, issues)
    _check_sourcing(tables, issues)
    _check_bom(tables, issues)
    _check_routing(tables, issues)
    _check_calendars_and_downtime(tables, issues)
    _check_integral(tables, issues)
    if settings is not None:
        _check_horizon(tables, settings, issues)
    return issues


def _add(
    issues: list[Issue],
    table: str,
    frame: pd.DataFrame,
    rows: Iterable[int | np.integer],
    column: str | None,
    message: str,
    severity: Severity = "error",
) -> None:
    spec = TABLES[table]
    for pos in rows:
        issues.append(
            Issue(
                table,
                int(pos) + 1,
                column,
                f"{key_label(spec, frame, int(pos))}: {message}",
                severity,
            )
        )


def _check_keys(tables: Tables, issues: list[Issue]) -> None:
    for name, frame in tables.items():
        key = list(TABLES[name].key)
        if not key or frame.empty:
            continue
        dup = frame.duplicated(subset=key, keep="first").to_numpy()
        if not dup.any():
            continue
        group = frame.groupby(key, dropna=False, sort=False).ngroup().to_numpy()
        first = pd.Series(np.arange(len(frame))).groupby(group).transform("min").to_numpy()
        for pos in np.flatnonzero(dup):
            _add(
                issues,
                name,
                frame,
                [pos],
                None,
                f"duplicate key ({', '.join(key)}); first seen at row {int(first[pos]) + 1}",
            )


def _ref(
    issues: list[Issue], tables: Tables, table: str, column: str, known: set[str] | None, what: str
) -> None:
    frame = tables.get(table)
    if frame is None or frame.empty or known is None:
        return
    values = frame[column]
    present = values.notna().to_numpy()
    unknown = present & ~values.isin(known).to_numpy()
    for pos in np.flatnonzero(unknown):
        _add(issues, table, frame, [pos], column, f"unknown {what} {values.iloc[pos]!r}")


def ids(tables: Tables, table: str, column: str) -> set[str] | None:
    """The non-missing values of ``table.column``; ``None`` when the table is unusable."""
    frame = tables.get(table)
    if frame is None:
        return None
    return set(frame[column].dropna())


def _check_references(tables: Tables, issues: list[Issue]) -> None:
    items = ids(tables, "items", "item")
    locations = ids(tables, "locations", "location")
    named, laned = ids(tables, "regions", "region"), ids(tables, "lanes", "to")
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


def _check_sourcing(tables: Tables, issues: list[Issue]) -> None:
    src = tables.get("sourcing")
    if src is None or src.empty:
        return
    kinds = _location_kinds(tables)
    method = src["method"]
    transfer = (method == "transfer").to_numpy()
    no_from = src["from_location"].isna().to_numpy()
    _add(
        issues,
        "sourcing",
        src,
        np.flatnonzero(transfer & no_from),
        "from_location",
        "transfer needs from_location",
    )
    same = transfer & (src["from_location"] == src["location"]).to_numpy(dtype=bool)
    _add(
        issues,
        "sourcing",
        src,
        np.flatnonzero(same),
        "from_location",
        "transfer from a location to itself",
    )
    stray = ~transfer & ~no_from
    _add(
        issues,
        "sourcing",
        src,
        np.flatnonzero(stray),
        "from_location",
        "from_location is only used by transfer rows and is ignored here",
        "warning",
    )
    make = (method == "make").to_numpy()
    at_warehouse = make & (src["location"].map(kinds) == "warehouse").to_numpy(dtype=bool)
    _add(
        issues,
        "sourcing",
        src,
        np.flatnonzero(at_warehouse),
        "location",
        "make at a warehouse: only plants can make",
    )
    bom = tables.get("bom", pd.DataFrame(columns=["parent", "location"]))
    routing = tables.get("routing", pd.DataFrame(columns=["item", "location"]))
    for pos in np.flatnonzero(make & ~at_warehouse):
        item, loc = src["item"].iat[pos], src["location"].iat[pos]
        has_bom = (
            (bom["parent"] == item) & (bom["location"].isna() | (bom["location"] == loc))
        ).any()
        has_routing = (
            (routing["item"] == item) & (routing["location"].isna() | (routing["location"] == loc))
        ).any()
        if not has_bom and not has_routing:
            _add(
                issues,
                "sourcing",
                src,
                [pos],
                "method",
                f"make at {loc!r} but item {item!r} has neither bom nor routing rows there",
            )


def _location_kinds(tables: Tables) -> dict[str, str]:
    loc = tables.get("locations")
    if loc is None:
        return {}
    return dict(zip(loc["location"], loc["kind"], strict=True))


def _check_bom(tables: Tables, issues: list[Issue]) -> None:
    bom = tables.get("bom")
    if bom is None or bom.empty:
        return
    zero = (bom["quantity_per"] <= 0).to_numpy(dtype=bool)
    _add(issues, "bom", bom, np.flatnonzero(zero), "quantity_per", "quantity_per must be > 0")
    scrap = (bom["scrap_rate"] >= 1).to_numpy(dtype=bool)
    _add(issues, "bom", bom, np.flatnonzero(scrap), "scrap_rate", "scrap_rate must be < 1")
    kinds = _location_kinds(tables)
    warehouse = (bom["location"].map(kinds) == "warehouse").to_numpy(dtype=bool)
    _add(
        issues,
        "bom",
        bom,
        np.flatnonzero(warehouse),
        "location",
        "bom at a warehouse: only plants can make",
    )
    selfref = (bom["parent"] == bom["component"]).to_numpy(dtype=bool)
    _add(issues, "bom", bom, np.flatnonzero(selfref), "component", "an item cannot contain itself")
    graph = nx.DiGraph()
    valid = bom.loc[
        ~selfref & bom["parent"].notna().to_numpy() & bom["component"].notna().to_numpy()
    ]
    graph.add_edges_from(zip(valid["parent"], valid["component"], strict=True))
    reported: set[frozenset[str]] = set()
    for cycle in _cycles(graph):
        members = frozenset(cycle)
        if members in reported:
            continue
        reported.add(members)
        path = " → ".join([*cycle, cycle[0]])
        first = valid.index[
            (valid["parent"] == cycle[0]) & (valid["component"] == cycle[1 % len(cycle)])
        ]
        row = int(first[0]) + 1 if len(first) else None
        issues.append(Issue("bom", row, "component", f"BOM cycle: {path}"))


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    # One cycle per strongly connected component is enough to name the defect.
    out = []
    for comp in nx.strongly_connected_components(graph):
        if len(comp) < 2:
            continue
        sub = graph.subgraph(comp)
        start = min(comp)
        cycle_edges = nx.find_cycle(sub, source=start)
        out.append([u for u, _ in cycle_edges])
    return sorted(out)


def _check_routing(tables: Tables, issues: list[Issue]) -> None:
    routing = tables.get("routing")
    ws = tables.get("workstations")
    if routing is None or routing.empty or ws is None:
        return
    ws_loc = dict(zip(ws["workstation"], ws["location"], strict=True))
    at = routing["workstation"].map(ws_loc)
    wrong = (routing["location"].notna() & at.notna() & (routing["location"] != at)).to_numpy(
        dtype=bool
    )
    for pos in np.flatnonzero(wrong):
        _add(
            issues,
            "routing",
            routing,
            [pos],
            "workstation",
            f"workstation {routing['workstation'].iat[pos]!r} is at {at.iat[pos]!r}, "
            f"not at {routing['location'].iat[pos]!r}",
        )
    src = tables.get("sourcing")
    if src is not None and not src.empty:
        make = src.loc[src["method"] == "make"]
        make_locs = make.groupby("item")["location"].agg(set).to_dict()
        for pos in np.flatnonzero(routing["location"].isna().to_numpy() & at.notna().to_numpy()):
            locs = make_locs.get(routing["item"].iat[pos])
            if locs and at.iat[pos] not in locs:
                _add(
                    issues,
                    "routing",
                    routing,
                    [pos],
                    "workstation",
                    f"workstation {routing['workstation'].iat[pos]!r} is at {at.iat[pos]!r}, "
                    f"where item {routing['item'].iat[pos]!r} is not made "
                    f"(made at {', '.join(sorted(locs))})",
                )
    zero = (routing["run_minutes"] < 0).to_numpy(dtype=bool)
    _add(issues, "routing", routing, np.flatnonzero(zero), "run_minutes", "run_minutes must be ≥ 0")


def _check_calendars_and_downtime(tables: Tables, issues: list[Issue]) -> None:
    cal = tables.get("calendars")
    if cal is not None and not cal.empty:
        wd = pd.to_numeric(cal["weekday"], errors="coerce")
        bad = (wd.notna() & ((wd < 0) | (wd > 6))).to_numpy(dtype=bool)
        _add(
            issues,
            "calendars",
            cal,
            np.flatnonzero(bad),
            "weekday",
            "weekday must be 0 (Monday) … 6 (Sunday)",
        )
        same = (cal["start"].notna() & (cal["start"] == cal["end"])).to_numpy(dtype=bool)
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
        bad = (
            down["start"].notna() & down["end"].notna() & (down["end"] <= down["start"])
        ).to_numpy(dtype=bool)
        _add(
            issues, "downtime", down, np.flatnonzero(bad), "end", "downtime end must be after start"
        )


def _check_integral(tables: Tables, issues: list[Issue]) -> None:
    items = tables.get("items")
    if items is None:
        return
    integral = dict(zip(items["item"], items["integral"], strict=True))
    for table, column in [
        ("orders", "quantity"),
        ("inventory", "on_hand"),
        ("supply", "quantity"),
        ("orders", "min_shipment"),
    ]:
        frame = tables.get(table)
        if frame is None or frame.empty:
            continue
        whole_item = frame["item"].map(integral).fillna(False).astype(bool).to_numpy()
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            fractional = np.isfinite(values) & (np.floor(values) != values)
        _add(
            issues,
            table,
            frame,
            np.flatnonzero(whole_item & fractional),
            column,
            f"{column} must be a whole number: the item is integral",
        )
    orders = tables.get("orders")
    if orders is not None and not orders.empty:
        qty = (orders["quantity"] <= 0).to_numpy(dtype=bool)
        _add(issues, "orders", orders, np.flatnonzero(qty), "quantity", "quantity must be > 0")


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
        before = (values < start).to_numpy(dtype=bool)
        after = (values > end).to_numpy(dtype=bool)
        for pos in np.flatnonzero(before):
            _add(
                issues,
                table,
                frame,
                [pos],
                column,
                f"{column} {values.iat[pos].date()} is before plan start {settings.start}: "
                "counted as due on the first day",
                "warning",
            )
        for pos in np.flatnonzero(after):
            _add(
                issues,
                table,
                frame,
                [pos],
                column,
                f"{column} {values.iat[pos].date()} is after the last plannable day "
                f"{settings.end}: beyond the horizon",
                "warning",
            )


def horizon_day(value: pd.Timestamp, start: dt.date) -> int:
    """Day index of ``value`` relative to ``start`` (negative before the horizon)."""
    return int((value.normalize() - pd.Timestamp(start)).days)
