"""Loading: defaults of SCHEMA.md, native dtypes, mixed file formats, extra columns."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oms_plan
from oms_plan import Dataset, Model
from tests.foundation.broken import Folder


def test_defaults_of_the_contract(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds")
    folder.edit("orders", 2, "customer_group", "KEY-ACCOUNTS")
    folder.edit("orders", 3, "price", "99.5")
    folder.append("lanes", from_location="P1", to="ISLANDS", transit_days="6")
    ds = oms_plan.load(folder.path)
    orders = ds.orders
    # customer_group defaults to the customer, per cell
    assert orders["customer_group"].tolist()[:3] == ["ACME", "KEY-ACCOUNTS", "GAMMA"]
    # price defaults to the item's price (BIKE 420, FRAME 0)
    assert orders["price"].tolist() == [420.0, 420.0, 99.5, 420.0, 420.0, 0.0]
    assert orders["priority"].tolist() == [1, 3, 2, 3, 1, 1]
    assert orders["min_shipment"].eq(0).all() and not orders["ship_complete"].any()
    assert orders["max_shipments"].isna().all() and orders["max_shipments"].dtype == "Int64"
    assert orders["location"].tolist()[:4] == [None, None, None, None]
    # release_date defaults to plan start
    assert ds.supply["release_date"].iloc[0] == pd.Timestamp(ds.start)
    # a region named only by lanes.to exists
    assert "ISLANDS" in ds.region_ids and ds.region_index["ISLANDS"] == 3
    items = ds.items.set_index("item")
    assert items.loc["BIKE", "lot_days"] == 1 and items.loc["BIKE", "holding_rate"] == 0.25
    assert pd.isna(items.loc["BIKE", "lot_max"])
    # a workstation without a calendar follows its location's
    assert ds.workstations.set_index("workstation")["calendar"].to_dict() == {
        "WELD": "DAY",
        "PAINTSHOP": "DAY",
        "ASSY-1": "DAY",
        "ASSY-2": "DAY",
    }
    assert ds.workstations["units"].tolist() == [1, 1, 2, 1]
    # required and defaulted whole numbers are int64 for the engines
    for table, column in [
        ("sourcing", "lead_days"),
        ("sourcing", "priority"),
        ("routing", "step"),
        ("calendars", "weekday"),
        ("lanes", "transit_days"),
        ("orders", "priority"),
        ("workstations", "units"),
    ]:
        assert ds.table(table)[column].dtype == np.int64, (table, column)
    assert ds.calendars["start"].iloc[0] == "06:00"
    assert ds.downtime["start"].iloc[0] == pd.Timestamp("2026-11-25T06:00")
    assert ds.orders["requested_date"].dtype == "datetime64[ns]"


def test_workstation_without_any_calendar_stays_open(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds").edit("locations", 1, "calendar", "")
    ds = oms_plan.load(folder.path)
    assert ds.workstations["calendar"].tolist() == [None, "DAY", None, None]


def test_keys_with_optional_parts(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds")
    # Same (item, location, method), another from_location: a second alternative.
    folder.append(
        "sourcing", item="BIKE", location="DC-N", method="transfer", lead_days="4",
        from_location="DC-S", priority="2",
    )  # fmt: skip
    # The same bom line at a named plant and for every plant: two keys.
    folder.append("bom", parent="BIKE", component="WHEEL", quantity_per="2", location="P1")
    # Alternatives of one routing step on two workstations.
    folder.append("routing", item="FRAME", step="20", workstation="ASSY-2", run_minutes="12")
    ds = oms_plan.load(folder.path)
    assert ds.num_rows()["sourcing"] == 8 and ds.num_rows()["bom"] == 5


def test_extra_columns_are_kept(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "ds").edit("orders", 1, "note", "rush, call first")
    ds = oms_plan.load(folder.path)
    assert list(ds.orders.columns)[-1] == "note"
    assert ds.orders["note"].iloc[0] == "rush, call first"
    again = oms_plan.load(ds.write(tmp_path / "again"))
    assert again.orders["note"].iloc[0] == "rush, call first"


def test_csv_and_parquet_mixed_load_the_same(tmp_path: Path, tiny: Dataset) -> None:
    folder = Folder(tmp_path / "ds")
    for table in ("items", "orders", "calendars", "downtime", "supply", "workstations"):
        folder.to_parquet(table)
    ds = oms_plan.load(folder.path)
    assert ds.to_json() == tiny.to_json()
    assert (folder.path / "orders.parquet").is_file()
    assert not (folder.path / "orders.csv").exists()


def test_native_dtypes_load_like_csv_strings(tiny: Dataset) -> None:
    frames = tiny.to_frames()
    # Plain Python / numpy values as a notebook user would build them.
    orders = frames["orders"]
    orders["quantity"] = orders["quantity"].astype(int)  # ints, not floats
    orders["requested_date"] = orders["requested_date"].dt.date  # datetime.date objects
    orders["promised_date"] = orders["promised_date"].astype(object)  # Timestamps and NaT
    orders["partial_ok"] = orders["partial_ok"].astype(object)  # Python bools
    orders["priority"] = orders["priority"].astype(float)  # 1.0 means 1
    orders["line"] = pd.array([1, 1, 1, 1, 1, 2], dtype="Int64")  # numeric ids
    supply = frames["supply"]
    supply["due_date"] = supply["due_date"].astype("datetime64[s]")
    supply["quantity"] = supply["quantity"].map(decimal.Decimal)
    items = frames["items"]
    items["integral"] = items["integral"].astype("boolean")
    items["unit_cost"] = items["unit_cost"].astype(str)
    cal = frames["calendars"]
    cal["start"] = [dt.time.fromisoformat(v) for v in cal["start"]]
    cal["weekday"] = cal["weekday"].astype(np.int8)
    down = frames["downtime"]
    down["start"] = down["start"].dt.tz_localize("Europe/Paris")  # wall-clock time kept
    frames["lanes"]["transit_days"] = frames["lanes"]["transit_days"].astype(np.uint16)
    ds = oms_plan.load(frames, settings=tiny.settings)
    assert ds.to_json() == tiny.to_json()
    assert ds.orders["line"].tolist() == ["1", "1", "1", "1", "1", "2"]


def test_strings_with_spaces_and_case(tmp_path: Path, tiny: Dataset) -> None:
    folder = Folder(tmp_path / "ds")
    folder.edit("orders", 1, "partial_ok", " TRUE ")
    folder.edit("locations", 1, "kind", "Plant")
    folder.edit("calendars", 1, "start", "6:00")
    frame = folder.read("items")
    frame.columns = [f" {c} " for c in frame.columns]
    folder.save("items", frame)
    assert oms_plan.load(folder.path).to_json() == tiny.to_json()


def test_csv_with_byte_order_mark(tmp_path: Path, tiny: Dataset) -> None:
    folder = Folder(tmp_path / "ds")
    text = (folder.path / "items.csv").read_text(encoding="utf-8")
    (folder.path / "items.csv").write_text("\ufeff" + text, encoding="utf-8")
    assert oms_plan.load(folder.path).to_json() == tiny.to_json()


def test_ship_from_rule_and_ship_dates(tiny: Dataset) -> None:
    ship = tiny.shipping
    assert ship.columns.tolist() == [
        "ship_location",
        "transit_days",
        "lane_cost",
        "due_day",
        "ship_day",
    ]
    # SO-3 to SOUTH: only DC-S (1 day) has a lane there.
    assert ship["ship_location"].iloc[2] == "DC-S" and ship["ship_day"].iloc[2] == 3
    # SO-5/2 ships from its given location P1 to EAST (4 days), due day 11.
    assert ship["ship_location"].iloc[5] == "P1"
    assert (ship["due_day"].iloc[5], ship["ship_day"].iloc[5]) == (11, 7)


def test_ship_rule_ties_break_on_cost_then_id() -> None:
    m = Model(start="2026-01-05", horizon_days=30)
    m.add_item(item="X")
    m.add_region(region="R")
    for loc, transit, cost in [("W3", 2, 1.0), ("W2", 2, 1.0), ("W1", 2, 5.0), ("W0", 3, 0.0)]:
        m.add_location(location=loc, kind="warehouse")
        m.add_inventory(item="X", location=loc, on_hand=1)
        m.add_lane(from_location=loc, to="R", transit_days=transit, cost_per_unit=cost)
    m.add_sourcing(item="X", location="W0", method="buy", lead_days=1)
    m.add_order_line(
        order="A", line="1", item="X", quantity=1, requested_date="2026-01-06", ship_to="R"
    )
    ds = m.dataset()
    ship = ds.shipping.iloc[0]
    assert ship["ship_location"] == "W2"  # least transit, then lowest cost, then lowest id
    assert ship["ship_day"] == 0  # due day 1 - 2 days transit: never before plan start


def test_empty_optional_tables() -> None:
    m = Model(start="2026-01-05", horizon_days=7)
    m.add_item(item="X")
    m.add_location(location="L", kind="plant")
    m.add_sourcing(item="X", location="L", method="buy", lead_days=1)
    ds = m.dataset()
    assert ds.num_rows()["orders"] == 0 and ds.shipping.empty
    assert ds.shipping["ship_day"].dtype == np.int64
    assert ds.orders["quantity"].dtype == np.float64
    assert ds.supply["due_date"].dtype == "datetime64[ns]"


def test_replace_rejects_bad_tables(tiny: Dataset) -> None:
    orders = tiny.orders
    orders.loc[1, "item"] = "GHOST"
    with pytest.raises(oms_plan.DatasetError, match="unknown item 'GHOST'"):
        tiny.replace(orders=orders)
    with pytest.raises(KeyError):
        tiny.replace(order_lines=orders)


def test_model_checks_its_settings() -> None:
    m = Model(start="2026-01-05", horizon_days=0)
    m.add_item(item="X")
    m.add_location(location="L", kind="plant")
    m.add_sourcing(item="X", location="L", method="buy", lead_days=1)
    with pytest.raises(oms_plan.DatasetError, match="horizon_days 0"):
        m.dataset()
    with pytest.raises(TypeError, match="unknown column"):
        m.add_item(item="Y", colour="red")


def test_empty_required_table_from_the_builder() -> None:
    m = Model(start="2026-01-05", horizon_days=7)
    m.add_item(item="X")
    m.add_location(location="L", kind="plant")
    assert m.dataset().num_rows()["sourcing"] == 0  # present (with its columns) but empty


def test_categorical_columns_read_their_values(tiny: Dataset) -> None:
    frames = tiny.to_frames()
    frames["orders"]["item"] = frames["orders"]["item"].astype("category")
    assert oms_plan.load(frames, settings=tiny.settings).to_json() == tiny.to_json()
    frames["orders"]["ship_to"] = pd.Categorical(["NORTH", " ", "SOUTH", "EAST", "SOUTH", "EAST"])
    with pytest.raises(oms_plan.DatasetError, match="ship_to is empty"):
        oms_plan.load(frames, settings=tiny.settings)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    lanes=st.lists(
        st.tuples(
            st.sampled_from(["L0", "L1", "L2", "L3"]),
            st.sampled_from(["R0", "R1"]),
            st.integers(0, 3),
            st.sampled_from([0.0, 1.0, 2.5]),
        ),
        max_size=8,
        unique_by=lambda t: (t[0], t[1]),
    ),
    stock=st.lists(
        st.tuples(st.sampled_from(["A", "B"]), st.sampled_from(["L0", "L1", "L2", "L3"])),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    lines=st.lists(
        st.tuples(
            st.sampled_from(["A", "B"]),
            st.sampled_from(["R0", "R1"]),
            st.sampled_from([None, "L0", "L2"]),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_ship_from_rule_matches_a_plain_reference(
    lanes: list[tuple[str, str, int, float]],
    stock: list[tuple[str, str]],
    lines: list[tuple[str, str, str | None]],
) -> None:
    m = Model(start="2026-01-05", horizon_days=10)
    for item in ("A", "B"):
        m.add_item(item=item)
    for loc in ("L0", "L1", "L2", "L3"):
        m.add_location(location=loc, kind="warehouse")
    for region in ("R0", "R1"):
        m.add_region(region=region)
    for item, loc in stock:
        m.add_inventory(item=item, location=loc, on_hand=1)
    for loc, region, transit, cost in lanes:
        m.add_lane(from_location=loc, to=region, transit_days=transit, cost_per_unit=cost)
    for k, (item, region, loc) in enumerate(lines):
        m.add_order_line(
            order=f"O{k}", line="1", item=item, quantity=1, requested_date="2026-01-07",
            ship_to=region, location=loc,
        )  # fmt: skip
    lane = {(loc, region): (transit, cost) for loc, region, transit, cost in lanes}
    expected: list[tuple[str, int] | None] = []
    for item, region, loc in lines:
        if loc is not None:
            options = [(loc, lane[(loc, region)])] if (loc, region) in lane else []
        else:
            options = [
                (held, lane[(held, region)])
                for i, held in stock
                if i == item and (held, region) in lane
            ]
        best = min(options, key=lambda o: (o[1][0], o[1][1], o[0]), default=None)
        expected.append(None if best is None else (best[0], max(2 - best[1][0], 0)))
    if None in expected:
        with pytest.raises(oms_plan.DatasetError):
            m.dataset()
        return
    ship = m.dataset().shipping
    assert list(zip(ship["ship_location"], ship["ship_day"], strict=True)) == expected
