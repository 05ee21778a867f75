# ruff: noqa: E501
"""The corpus of broken datasets (SCHEMA.md "Bad input"): one defect per case, each reported
with its table, row (1 = first data row), column and a message naming the business key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import oms_plan
from oms_plan import DatasetError, Issue
from oms_plan.schema import TABLES
from tests.foundation.broken import Folder

Break = Callable[[Folder], object]

# (id, how to break data/tiny, table, row, column, text the message must contain)
# fmt: off
CASES: list[tuple[str, Break, str, int | None, str | None, str]] = [
    # -- missing tables and columns ------------------------------------------------------
    ("no items table", lambda f: f.remove("items.csv"), "items", None, None, "required table 'items' is missing"),
    ("no locations table", lambda f: f.remove("locations.csv"), "locations", None, None, "required table"),
    ("no sourcing table", lambda f: f.remove("sourcing.csv"), "sourcing", None, None, "required table"),
    ("no item column", lambda f: f.drop_column("items", "item"), "items", None, "item", "required column 'item' is missing"),
    ("no quantity column", lambda f: f.drop_column("orders", "quantity"), "orders", None, "quantity", "required column"),
    ("no method column", lambda f: f.drop_column("sourcing", "method"), "sourcing", None, "method", "required column"),
    ("no transit column", lambda f: f.drop_column("lanes", "transit_days"), "lanes", None, "transit_days", "required column"),
    ("no due_date column", lambda f: f.drop_column("supply", "due_date"), "supply", None, "due_date", "required column"),
    # -- empty required cells ------------------------------------------------------------
    ("empty item cell", lambda f: f.edit("orders", 3, "item", ""), "orders", 3, "item", "order 'SO-3' line '1': item is empty"),
    ("blank (spaces) ship_to", lambda f: f.edit("orders", 2, "ship_to", "   "), "orders", 2, "ship_to", "ship_to is empty"),
    # -- wrong types -----------------------------------------------------------------------
    ("text in a number", lambda f: f.edit("orders", 5, "quantity", "abc"), "orders", 5, "quantity", "order 'SO-5' line '1': quantity 'abc' is not a number"),
    ("text in a cost", lambda f: f.edit("items", 2, "unit_cost", "cheap"), "items", 2, "unit_cost", "item 'FRAME': unit_cost 'cheap' is not a number"),
    ("infinite number", lambda f: f.edit("items", 1, "price", "inf"), "items", 1, "price", "is not a number"),
    ("fraction in an int", lambda f: f.edit("sourcing", 5, "lead_days", "2.5"), "sourcing", 5, "lead_days", "item 'WHEEL' location 'P1' method 'buy': lead_days '2.5' is not a whole number"),
    ("bad bool", lambda f: f.edit("orders", 1, "partial_ok", "maybe"), "orders", 1, "partial_ok", "partial_ok 'maybe' is not true or false"),
    ("bad bool (integral)", lambda f: f.edit("items", 5, "integral", "2"), "items", 5, "integral", "item 'PAINT': integral '2' is not true or false"),
    ("bad location kind", lambda f: f.edit("locations", 2, "kind", "depot"), "locations", 2, "kind", "location 'DC-N': kind 'depot' is not one of plant, warehouse"),
    ("bad sourcing method", lambda f: f.edit("sourcing", 6, "method", "steal"), "sourcing", 6, "method", "is not one of buy, make, transfer"),
    ("bad lot rule", lambda f: f.edit("items", 4, "lot_rule", "weird"), "items", 4, "lot_rule", "item 'TUBE': lot_rule 'weird' is not one of"),
    ("bad supply kind", lambda f: f.edit("supply", 1, "kind", "gift"), "supply", 1, "kind", "supply 'PO-1': kind 'gift' is not one of purchase, production, transfer"),
    # -- dates, times, clocks ----------------------------------------------------------------
    ("month 13", lambda f: f.edit("orders", 2, "requested_date", "2026-13-01"), "orders", 2, "requested_date", "order 'SO-2' line '1': requested_date '2026-13-01' is not a date YYYY-MM-DD"),
    ("word for a date", lambda f: f.edit("supply", 3, "due_date", "tomorrow"), "supply", 3, "due_date", "supply 'MO-2': due_date 'tomorrow' is not a date"),
    ("day-first date", lambda f: f.edit("orders", 1, "promised_date", "26/11/2026"), "orders", 1, "promised_date", "is not a date YYYY-MM-DD"),
    ("time in a date", lambda f: f.edit("supply", 2, "release_date", "2026-11-24T10:00"), "supply", 2, "release_date", "supply 'MO-1': release_date '2026-11-24T10:00' is not a date"),
    ("year 2999", lambda f: f.edit("orders", 4, "requested_date", "2999-01-01"), "orders", 4, "requested_date", "outside the supported range"),
    ("hour 25", lambda f: f.edit("downtime", 1, "start", "2026-11-25T25:00"), "downtime", 1, "start", "workstation 'WELD': start '2026-11-25T25:00' is not a time YYYY-MM-DDTHH:MM"),
    ("bad clock", lambda f: f.edit("calendars", 3, "start", "6h30"), "calendars", 3, "start", "calendar 'DAY' weekday '1' start '6h30': start '6h30' is not a clock time HH:MM"),
    ("clock past 24:00", lambda f: f.edit("calendars", 2, "end", "24:30"), "calendars", 2, "end", "is not a clock time"),
    # -- ranges --------------------------------------------------------------------------------
    ("negative order quantity", lambda f: f.edit("orders", 3, "quantity", "-3"), "orders", 3, "quantity", "order 'SO-3' line '1': quantity '-3' must be ≥ 0"),
    ("zero order quantity", lambda f: f.edit("orders", 4, "quantity", "0"), "orders", 4, "quantity", "order 'SO-4' line '1': quantity must be > 0"),
    ("negative on hand", lambda f: f.edit("inventory", 2, "on_hand", "-5"), "inventory", 2, "on_hand", "item 'BIKE' location 'DC-S': on_hand '-5' must be ≥ 0"),
    ("negative supply", lambda f: f.edit("supply", 1, "quantity", "-1"), "supply", 1, "quantity", "must be ≥ 0"),
    ("negative lead time", lambda f: f.edit("sourcing", 7, "lead_days", "-2"), "sourcing", 7, "lead_days", "must be ≥ 0"),
    ("negative transit", lambda f: f.edit("lanes", 3, "transit_days", "-1"), "lanes", 3, "transit_days", "from_location 'DC-S' to 'SOUTH': transit_days '-1' must be ≥ 0"),
    ("negative run minutes", lambda f: f.edit("routing", 2, "run_minutes", "-5"), "routing", 2, "run_minutes", "item 'FRAME' step '20' workstation 'PAINTSHOP'"),
    ("negative setup minutes", lambda f: f.edit("setups", 1, "minutes", "-1"), "setups", 1, "minutes", "from_family 'steel' to_family 'alu'"),
    ("negative cost", lambda f: f.edit("items", 1, "unit_cost", "-1"), "items", 1, "unit_cost", "must be ≥ 0"),
    ("huge quantity", lambda f: f.edit("orders", 1, "quantity", "1e300"), "orders", 1, "quantity", "must be ≤ 1e+15"),
    ("zero units", lambda f: f.edit("workstations", 3, "units", "0"), "workstations", 3, "units", "workstation 'ASSY-1': units '0' must be ≥ 1"),
    ("weekday 7", lambda f: f.edit("calendars", 9, "weekday", "7"), "calendars", 9, "weekday", "weekday '7' must be ≤ 6"),
    ("weekday -1", lambda f: f.edit("calendars", 1, "weekday", "-1"), "calendars", 1, "weekday", "must be ≥ 0"),
    ("zero quantity_per", lambda f: f.edit("bom", 2, "quantity_per", "0"), "bom", 2, "quantity_per", "parent 'BIKE' component 'WHEEL': quantity_per must be > 0"),
    ("scrap rate 100%", lambda f: f.edit("bom", 3, "scrap_rate", "1"), "bom", 3, "scrap_rate", "scrap_rate must be < 1"),
    ("downtime ends before start", lambda f: f.edit("downtime", 1, "end", "2026-11-25T05:00"), "downtime", 1, "end", "workstation 'WELD': downtime end must be after start"),
    ("fixed lot of 0", lambda f: f.edit("items", 3, "lot_size", "0"), "items", 3, "lot_size", "item 'WHEEL': lot_rule fixed needs lot_size > 0"),
    ("eoq without cost", lambda f: f.edit("items", 1, "lot_rule", "eoq").edit("items", 1, "unit_cost", "0"), "items", 1, "lot_rule", "eoq needs unit_cost > 0"),
    ("lot_max below lot_min", lambda f: f.edit("items", 4, "lot_max", "50"), "items", 4, "lot_max", "item 'TUBE': lot_max must be ≥ lot_min"),
    # -- whole quantities for integral items -----------------------------------------------------
    ("half a bike ordered", lambda f: f.edit("orders", 2, "quantity", "2.5"), "orders", 2, "quantity", "order 'SO-2' line '1': quantity 2.5 is not a whole number, but item 'BIKE' is integral"),
    ("half a frame on hand", lambda f: f.edit("inventory", 3, "on_hand", "10.5"), "inventory", 3, "on_hand", "item 'FRAME' is integral"),
    ("half a wheel due", lambda f: f.edit("supply", 1, "quantity", "40.5"), "supply", 1, "quantity", "item 'WHEEL' is integral"),
    # -- unknown references (every reference column) ----------------------------------------------
    ("sourcing.item", lambda f: f.edit("sourcing", 5, "item", "GHOST"), "sourcing", 5, "item", "unknown item 'GHOST'"),
    ("sourcing.location", lambda f: f.edit("sourcing", 6, "location", "NOWHERE"), "sourcing", 6, "location", "item 'TUBE' location 'NOWHERE' method 'buy': unknown location 'NOWHERE'"),
    ("sourcing.from_location", lambda f: f.edit("sourcing", 2, "from_location", "P9"), "sourcing", 2, "from_location", "unknown location 'P9'"),
    ("bom.parent", lambda f: f.edit("bom", 1, "parent", "TRIKE"), "bom", 1, "parent", "parent 'TRIKE' component 'FRAME': unknown item 'TRIKE'"),
    ("bom.component", lambda f: f.edit("bom", 4, "component", "GLITTER"), "bom", 4, "component", "unknown item 'GLITTER'"),
    ("bom.location", lambda f: f.edit("bom", 1, "location", "P9"), "bom", 1, "location", "unknown location 'P9'"),
    ("routing.item", lambda f: f.edit("routing", 1, "item", "GHOST"), "routing", 1, "item", "unknown item 'GHOST'"),
    ("routing.workstation", lambda f: f.edit("routing", 3, "workstation", "LATHE"), "routing", 3, "workstation", "item 'BIKE' step '10' workstation 'LATHE': unknown workstation 'LATHE'"),
    ("routing.location", lambda f: f.edit("routing", 1, "location", "P9"), "routing", 1, "location", "unknown location 'P9'"),
    ("workstations.location", lambda f: f.edit("workstations", 1, "location", "P9"), "workstations", 1, "location", "workstation 'WELD': unknown location 'P9'"),
    ("workstations.calendar", lambda f: f.edit("workstations", 1, "calendar", "NIGHT"), "workstations", 1, "calendar", "unknown calendar 'NIGHT'"),
    ("locations.calendar", lambda f: f.edit("locations", 2, "calendar", "NIGHT"), "locations", 2, "calendar", "location 'DC-N': unknown calendar 'NIGHT'"),
    ("lanes.from_location", lambda f: f.edit("lanes", 1, "from_location", "P9"), "lanes", 1, "from_location", "unknown location 'P9'"),
    ("inventory.item", lambda f: f.edit("inventory", 1, "item", "GHOST"), "inventory", 1, "item", "unknown item 'GHOST'"),
    ("inventory.location", lambda f: f.edit("inventory", 1, "location", "P9"), "inventory", 1, "location", "unknown location 'P9'"),
    ("supply.item", lambda f: f.edit("supply", 1, "item", "GHOST"), "supply", 1, "item", "supply 'PO-1': unknown item 'GHOST'"),
    ("supply.location", lambda f: f.edit("supply", 1, "location", "P9"), "supply", 1, "location", "unknown location 'P9'"),
    ("supply.from_location", lambda f: f.edit("supply", 4, "from_location", "P9"), "supply", 4, "from_location", "supply 'TR-1': unknown location 'P9'"),
    ("orders.item", lambda f: f.edit("orders", 6, "item", "GHOST"), "orders", 6, "item", "order 'SO-5' line '2': unknown item 'GHOST'"),
    ("orders.ship_to", lambda f: f.edit("orders", 1, "ship_to", "WEST"), "orders", 1, "ship_to", "unknown region (ship_to) 'WEST'"),
    ("orders.location", lambda f: f.edit("orders", 5, "location", "P9"), "orders", 5, "location", "unknown location 'P9'"),
    ("downtime.workstation", lambda f: f.edit("downtime", 1, "workstation", "LATHE"), "downtime", 1, "workstation", "unknown workstation 'LATHE'"),
    ("setups.workstation", lambda f: f.edit("setups", 2, "workstation", "LATHE"), "setups", 2, "workstation", "unknown workstation 'LATHE'"),
    # -- duplicate keys (every key of SCHEMA.md) ----------------------------------------------------
    ("dup items.item", lambda f: f.append("items", item="WHEEL"), "items", 6, None, "item 'WHEEL': duplicate key (item); first seen at row 3"),
    ("dup locations.location", lambda f: f.append("locations", location="DC-S", kind="plant"), "locations", 4, None, "duplicate key (location); first seen at row 3"),
    ("dup regions.region", lambda f: f.append("regions", region="EAST"), "regions", 4, None, "region 'EAST': duplicate key"),
    ("dup workstations", lambda f: f.append("workstations", workstation="WELD", location="P1"), "workstations", 5, None, "duplicate key (workstation)"),
    ("dup supply id", lambda f: f.duplicate("supply", 2), "supply", 5, None, "supply 'MO-1': duplicate key (supply); first seen at row 2"),
    ("dup order line", lambda f: f.duplicate("orders", 6), "orders", 7, None, "order 'SO-5' line '2': duplicate key (order, line); first seen at row 6"),
    ("dup sourcing row", lambda f: f.duplicate("sourcing", 3), "sourcing", 8, None, "duplicate key (item, location, method, from_location); first seen at row 3"),
    ("dup sourcing, no from", lambda f: f.duplicate("sourcing", 5), "sourcing", 8, None, "item 'WHEEL' location 'P1' method 'buy': duplicate key"),
    ("dup bom line", lambda f: f.append("bom", parent="FRAME", component="TUBE", quantity_per="2"), "bom", 5, None, "parent 'FRAME' component 'TUBE': duplicate key (parent, component, location); first seen at row 3"),
    ("dup routing step", lambda f: f.duplicate("routing", 4), "routing", 5, None, "duplicate key (item, step, workstation, location); first seen at row 4"),
    ("dup lane", lambda f: f.append("lanes", from_location="P1", to="EAST", transit_days="9"), "lanes", 6, None, "from_location 'P1' to 'EAST': duplicate key (from_location, to); first seen at row 5"),
    ("dup shift", lambda f: f.append("calendars", calendar="DAY", weekday="0", start="06:00", end="12:00"), "calendars", 11, None, "duplicate key (calendar, weekday, start); first seen at row 1"),
    ("dup shift, other spelling", lambda f: f.append("calendars", calendar="DAY", weekday="0", start="6:00", end="12:00"), "calendars", 11, None, "first seen at row 1"),
    ("dup inventory", lambda f: f.duplicate("inventory", 4), "inventory", 7, None, "item 'WHEEL' location 'P1': duplicate key"),
    ("dup setup", lambda f: f.duplicate("setups", 2), "setups", 3, None, "duplicate key (from_family, to_family, workstation)"),
    # -- business rules --------------------------------------------------------------------------------
    ("BOM cycle", lambda f: f.append("bom", parent="TUBE", component="BIKE", quantity_per="1"), "bom", 1, "component", "BOM cycle: BIKE → FRAME → TUBE → BIKE"),
    ("BOM self-loop", lambda f: f.append("bom", parent="WHEEL", component="WHEEL", quantity_per="1"), "bom", 5, "component", "BOM cycle: WHEEL → WHEEL"),
    ("make without bom/routing", lambda f: f.append("sourcing", item="WHEEL", location="P1", method="make", lead_days="1"), "sourcing", 8, "method", "make at 'P1' but item 'WHEEL' has neither bom nor routing rows there"),
    ("make at a warehouse", lambda f: f.append("sourcing", item="FRAME", location="DC-N", method="make", lead_days="1"), "sourcing", 8, "location", "make at a warehouse"),
    ("transfer without from", lambda f: f.edit("sourcing", 2, "from_location", ""), "sourcing", 2, "from_location", "item 'BIKE' location 'DC-N' method 'transfer': transfer needs from_location"),
    ("transfer to itself", lambda f: f.edit("sourcing", 3, "from_location", "DC-S"), "sourcing", 3, "from_location", "transfer from a location to itself"),
    ("bom at a warehouse", lambda f: f.edit("bom", 2, "location", "DC-S"), "bom", 2, "location", "bom at a warehouse"),
    ("routing at another plant", lambda f: f.append("locations", location="P2", kind="plant").edit("routing", 1, "location", "P2"), "routing", 1, "workstation", "item 'FRAME' step '10' workstation 'WELD' location 'P2': workstation 'WELD' is at 'P1', not at 'P2'"),
    ("routing where not made", lambda f: (f.append("locations", location="P2", kind="plant").append("workstations", workstation="LATHE", location="P2").append("routing", item="FRAME", step="30", workstation="LATHE", run_minutes="5")), "routing", 5, "workstation", "workstation 'LATHE' is at 'P2', where item 'FRAME' is not made (made at P1)"),
    ("item nobody has", lambda f: f.append("items", item="GADGET").edit("orders", 3, "item", "GADGET"), "orders", 3, "item", "order 'SO-3' line '1': no location has item 'GADGET' (inventory, supply or sourcing) and a lane to region 'SOUTH'"),
    ("region without lane", lambda f: f.append("regions", region="WEST").edit("orders", 2, "ship_to", "WEST"), "orders", 2, "item", "no location has item 'BIKE' (inventory, supply or sourcing) and a lane to region 'WEST'"),
    ("given location, no lane", lambda f: f.edit("orders", 5, "location", "DC-N"), "orders", 5, "location", "order 'SO-5' line '1': no lane from location 'DC-N' to region 'SOUTH'"),
    # -- dataset.toml and files -----------------------------------------------------------------------
    ("no dataset.toml", lambda f: f.remove("dataset.toml"), "dataset.toml", None, None, "missing dataset.toml"),
    ("unparseable toml", lambda f: f.write("dataset.toml", "[plan\nstart = "), "dataset.toml", None, None, "cannot read dataset.toml"),
    ("no [plan] section", lambda f: f.write("dataset.toml", "[other]\nx = 1\n"), "dataset.toml", None, "plan", "missing [plan] section"),
    ("no start", lambda f: f.write("dataset.toml", "[plan]\nhorizon_days = 30\n"), "dataset.toml", None, "plan.start", "plan.start is missing"),
    ("start not a date", lambda f: f.write("dataset.toml", '[plan]\nstart = "soon"\n'), "dataset.toml", None, "plan.start", "start 'soon' is not a date YYYY-MM-DD"),
    ("start in year 1", lambda f: f.write("dataset.toml", "[plan]\nstart = 0001-01-01\n"), "dataset.toml", None, "plan.start", "outside the supported range"),
    ("horizon 0", lambda f: f.write("dataset.toml", "[plan]\nstart = 2026-11-23\nhorizon_days = 0\n"), "dataset.toml", None, "plan.horizon_days", "horizon_days 0 is not a whole number from 1 to 3660"),
    ("horizon 1.5", lambda f: f.write("dataset.toml", "[plan]\nstart = 2026-11-23\nhorizon_days = 1.5\n"), "dataset.toml", None, "plan.horizon_days", "is not a whole number"),
    ("horizon text", lambda f: f.write("dataset.toml", '[plan]\nstart = 2026-11-23\nhorizon_days = "ten"\n'), "dataset.toml", None, "plan.horizon_days", "is not a whole number"),
    ("horizon of a million days", lambda f: f.write("dataset.toml", "[plan]\nstart = 2026-11-23\nhorizon_days = 1000000\n"), "dataset.toml", None, "plan.horizon_days", "from 1 to 3660"),
    ("csv and parquet", lambda f: f.to_parquet("items", keep_csv=True), "items", None, None, "both items.csv and items.parquet exist"),
    ("not UTF-8", lambda f: f.write("items.csv", b"item,name\nBIKE,V\xe9lo\n"), "items", None, None, "cannot read items.csv"),
    ("ragged csv", lambda f: f.write("regions.csv", "region,name\nNORTH,North\nSOUTH,South,x\n"), "regions", None, None, "cannot read regions.csv: row 2 has 3 cells but the header has 2 columns"),
    ("csv rows all too long", lambda f: f.write("regions.csv", "region,name\nNORTH,North,extra,cells\n"), "regions", None, None, "more cells than the header"),
    ("empty csv file", lambda f: f.write("lanes.csv", ""), "lanes", None, None, "cannot read lanes.csv"),
    ("corrupt parquet", lambda f: f.remove("orders.csv").write("orders.parquet", b"PAR1 not really"), "orders", None, None, "cannot read orders.parquet"),
]
# fmt: on


def _find(
    issues: tuple[Issue, ...], table: str, row: int | None, column: str | None
) -> list[Issue]:
    return [
        i
        for i in issues
        if i.severity == "error" and i.table == table and i.row == row and i.column == column
    ]


@pytest.mark.parametrize(
    ("breaker", "table", "row", "column", "text"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_defect_is_reported(
    tmp_path: Path,
    breaker: Break,
    table: str,
    row: int | None,
    column: str | None,
    text: str,
) -> None:
    folder = Folder(tmp_path / "ds")
    breaker(folder)
    with pytest.raises(DatasetError) as caught:
        oms_plan.load(folder.path)
    issues = caught.value.issues
    found = _find(issues, table, row, column)
    assert found, "\n".join(str(i) for i in issues)
    assert any(text in i.message for i in found), "\n".join(str(i) for i in found)
    for issue in caught.value.errors:
        _assert_well_formed(issue)


def _assert_well_formed(issue: Issue) -> None:
    """Every issue names a known table; a row issue names its row by the business key."""
    assert issue.table in (*TABLES, "dataset", "dataset.toml")
    if issue.row is None or issue.table not in TABLES:
        return
    spec = TABLES[issue.table]
    key = spec.key or spec.column_names[:1]
    assert any(f"{k} '" in issue.message for k in key) or issue.message.startswith(
        f"row {issue.row}"
    ), issue


def test_validate_reports_what_load_raises(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds").edit("orders", 5, "quantity", "abc").duplicate("supply", 1)
    report = oms_plan.validate(folder.path)
    assert not report.ok and report.dataset is None
    with pytest.raises(DatasetError) as caught:
        oms_plan.load(folder.path)
    assert caught.value.issues == report.issues
    assert [(i.table, i.row) for i in report.errors] == [("supply", 5), ("orders", 5)]


def test_tiny_itself_is_clean(tiny_path: Path) -> None:
    report = oms_plan.validate(tiny_path)
    assert report.ok and report.issues == ()


def test_several_defects_are_reported_at_once(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds")
    folder.edit("orders", 5, "quantity", "abc")
    folder.edit("inventory", 2, "on_hand", "-5")
    folder.append("bom", parent="TUBE", component="BIKE", quantity_per="1")
    folder.edit("lanes", 1, "from_location", "P9")
    folder.drop_column("regions", "region")
    folder.write("dataset.toml", "[plan]\nstart = 2026-11-23\nhorizon_days = 0\n")
    with pytest.raises(DatasetError) as caught:
        oms_plan.load(folder.path)
    where = {(i.table, i.row, i.column) for i in caught.value.errors}
    assert {
        ("orders", 5, "quantity"),
        ("inventory", 2, "on_hand"),
        ("bom", 1, "component"),
        ("lanes", 1, "from_location"),
        ("regions", None, "region"),
        ("dataset.toml", None, "plan.horizon_days"),
    } <= where
    text = str(caught.value)
    assert "6 problem(s)" in text or f"{len(caught.value.errors)} problem(s)" in text
    assert "quantity 'abc' is not a number" in text


def test_a_broken_table_causes_no_false_alarms(tmp_path: Path) -> None:
    # Without a readable bom, "make without bom" and unknown-reference checks stay quiet.
    folder = Folder(tmp_path / "ds").drop_column("bom", "parent")
    with pytest.raises(DatasetError) as caught:
        oms_plan.load(folder.path)
    assert [(i.table, i.column) for i in caught.value.errors] == [("bom", "parent")]


def test_unreadable_cells_do_not_count_as_duplicates(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds").edit("orders", 1, "line", "").edit("orders", 2, "line", "")
    with pytest.raises(DatasetError) as caught:
        oms_plan.load(folder.path)
    assert {(i.row, i.column) for i in caught.value.errors} == {(1, "line"), (2, "line")}


def test_dates_outside_the_horizon_are_warnings(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds")
    folder.edit("orders", 2, "requested_date", "2026-10-01")  # before plan start
    folder.edit("orders", 3, "requested_date", "2027-06-01")  # after the 60-day horizon
    folder.edit("supply", 1, "due_date", "2026-11-01")
    report = oms_plan.validate(folder.path)
    assert report.ok
    assert {(w.table, w.row, w.column) for w in report.warnings} == {
        ("orders", 2, "requested_date"),
        ("orders", 3, "requested_date"),
        ("supply", 1, "due_date"),
    }
    ds = oms_plan.load(folder.path)
    assert ds.warnings == tuple(report.warnings)
    assert "before plan start" in ds.warnings[1].message
    assert "beyond the horizon" in ds.warnings[2].message
    ship = ds.shipping
    assert ship["due_day"].iloc[1] < 0 and ship["ship_day"].iloc[1] == 0  # never before start
    assert ship["ship_day"].iloc[2] >= ds.horizon_days


def test_other_warnings_do_not_block(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds")
    folder.edit("sourcing", 5, "from_location", "DC-N")  # ignored on a buy row
    folder.edit("calendars", 1, "end", "06:00")  # 24-hour shift
    folder.write("ordres.csv", "order\n")  # misspelt table name
    ds = oms_plan.load(folder.path)
    assert {(w.table, w.row, w.column) for w in ds.warnings} == {
        ("sourcing", 5, "from_location"),
        ("calendars", 1, "end"),
        ("dataset", None, None),
    }


def test_given_settings_replace_dataset_toml(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds").remove("dataset.toml")
    ds = oms_plan.load(folder.path, settings={"start": "2026-11-23", "horizon_days": 10})
    assert ds.horizon_days == 10


def test_in_memory_problems(tiny: oms_plan.Dataset) -> None:
    frames: dict[str, object] = dict(tiny.to_frames())
    frames["orders"] = [1, 2, 3]
    frames["order_lines"] = tiny.orders
    with pytest.raises(DatasetError) as caught:
        oms_plan.load(frames, settings=tiny.settings)  # type: ignore[arg-type]
    assert [(i.table, i.severity) for i in caught.value.issues] == [
        ("order_lines", "warning"),
        ("orders", "error"),
    ] or {(i.table, i.severity) for i in caught.value.issues} == {
        ("order_lines", "warning"),
        ("orders", "error"),
    }
    with pytest.raises(DatasetError, match="no settings given"):
        oms_plan.load(tiny.to_frames())
    dup = tiny.to_frames()
    dup["items"] = pd.concat([dup["items"], dup["items"][["price"]]], axis=1)
    with pytest.raises(DatasetError, match="column 'price' appears twice"):
        oms_plan.load(dup, settings=tiny.settings)
    with pytest.raises(TypeError):
        oms_plan.load(42)  # type: ignore[arg-type]
