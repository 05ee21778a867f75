"""Validation catches what would fail or explode later in MRP (issue 9): lot rules, cycles."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from oms_plan import DatasetError, Model, PlanningError, plan_materials
from oms_plan.cli.main import app
from oms_plan.mrp.lotsizing import MAX_ORDERS_PER_ITEM
from tests.foundation.broken import Folder

START = dt.date(2026, 3, 2)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_tiny_lot_max_is_a_validation_error_naming_item_and_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The repro: a tiny lot_max made hundreds of thousands of planned orders.
    folder = Folder(tmp_path / "T").edit("items", 2, "integral", "false")
    folder.edit("items", 2, "lot_max", "0.1").edit("orders", 6, "quantity", "500")
    result = CliRunner().invoke(app, ["validate", str(folder.path)])
    assert result.exit_code == 2
    err = _flat(result.stderr)
    assert "items row 2 [lot_max]: item 'FRAME': lot_max 0.1 (lot_rule lot_for_lot)" in err
    assert "(475, net of stock and receipts) into 4,750 planned orders" in err
    assert f"at most {MAX_ORDERS_PER_ITEM:,} orders of an item" in err
    whole = Folder(tmp_path / "W").edit("items", 1, "lot_max", "0.5")  # BIKE is integral
    result = CliRunner().invoke(app, ["validate", str(whole.path)])
    assert result.exit_code == 2
    assert "no order of one whole unit fits under lot_max 0.5" in _flat(result.stderr)


def _chain(lot_max: float, demand: float) -> Model:
    """FG (no lot rule) made from C (lot_max given); only FG has order lines."""
    m = Model(start=START, horizon_days=20)
    m.add_location(location="P", kind="plant")
    m.add_region(region="R")
    m.add_lane(from_location="P", to="R", transit_days=0)
    m.add_item(item="FG")
    m.add_item(item="C", integral=False, lot_max=lot_max)
    m.add_sourcing(item="FG", location="P", method="make", lead_days=1)
    m.add_sourcing(item="C", location="P", method="buy", lead_days=1)
    m.add_bom_line(parent="FG", component="C", quantity_per=1000)
    m.add_order_line(
        order="O", line="1", item="FG", quantity=demand, requested_date="2026-03-12",
        ship_to="R", location="P",
    )  # fmt: skip
    return m


def test_mrp_stops_at_the_cap_with_a_clear_error() -> None:
    # Safety stock is a requirement validation does not estimate: MRP itself stops at the
    # cap instead of making 1,200 orders (or, with smaller lots, running out of memory).
    m = _chain(lot_max=100, demand=1)
    m.add_item(item="S", integral=False, lot_max=0.5, safety_stock=600)
    m.add_sourcing(item="S", location="P", method="buy", lead_days=1)
    m.add_inventory(item="S", location="P", on_hand=0)
    ds = m.dataset()  # valid
    with pytest.raises(PlanningError, match=r"item 'S' \(lot_rule lot_for_lot, lot_max 0.5\)"):
        plan_materials(ds)
    result = plan_materials(_chain(lot_max=100, demand=5).dataset())
    assert (result.planned_orders["item"] == "C").sum() == 50


def test_a_transfer_cycle_is_a_warning_naming_the_circle(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = Folder(tmp_path / "T").append(
        "sourcing", item="BIKE", location="P1", method="transfer", lead_days="1",
        from_location="DC-N", priority="2",
    )  # fmt: skip
    result = CliRunner().invoke(app, ["validate", str(folder.path)])
    assert result.exit_code == 0, result.output
    err = _flat(result.stderr)
    assert "warning: sourcing row 2 [from_location]" in err
    assert "transfers of 'BIKE' flow in a circle" in err
    assert "P1 → DC-N → P1" in err or "DC-N → P1 → DC-N" in err


def test_a_stray_quote_is_reported_with_table_row_column(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = Folder(tmp_path / "T")
    path = folder.path / "orders.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("SOUTH,,GAMMA,", 'SOUTH,,"GAMMA,').replace("DC-S,ACME,1", 'DC-S,ACME",1')
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(folder.path)])
    assert result.exit_code == 2
    err = _flat(result.stderr)
    assert "orders row 3 [customer]: order 'SO-3' line '1': customer" in err
    assert "spans 3 lines of orders.csv" in err


def test_lot_rule_errors_are_raised_by_load_not_mrp() -> None:
    m = _chain(lot_max=1e-5, demand=5)
    m.add_order_line(
        order="O", line="2", item="C", quantity=5, requested_date="2026-03-12", ship_to="R",
        location="P",
    )  # fmt: skip
    with pytest.raises(DatasetError, match="lot_max 1e-05"):
        m.dataset()
