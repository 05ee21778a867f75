"""The nightly replan: tables, determinism, decomposition and executors."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import oms_plan
from oms_plan import Dataset, Model
from oms_plan.cli.main import app
from oms_plan.outputs import OUTPUT_COLUMNS
from oms_plan.replan import FOLDER_TABLES, item_groups, partition, plan, split

FAST = {"schedule_time_limit": 0.5, "allocation_time_limit": 1.0}


def two_product_lines() -> Dataset:
    """Two products that share nothing (their own plant, parts and machines)."""
    m = Model(start="2026-11-23", horizon_days=40)
    m.add_location(location="P1", kind="plant")
    m.add_location(location="P2", kind="plant")
    m.add_location(location="DC", kind="warehouse")
    for k, plant in (("A", "P1"), ("B", "P2")):
        m.add_item(item=f"{k}-FG", price=100)
        m.add_item(item=f"{k}-PART")
        m.add_sourcing(item=f"{k}-FG", location=plant, method="make", lead_days=2)
        m.add_sourcing(
            item=f"{k}-FG", location="DC", method="transfer", lead_days=1, from_location=plant
        )
        m.add_sourcing(item=f"{k}-PART", location=plant, method="buy", lead_days=5)
        m.add_bom_line(parent=f"{k}-FG", component=f"{k}-PART", quantity_per=2)
        m.add_workstation(workstation=f"WS-{k}", location=plant)
        m.add_routing_step(item=f"{k}-FG", step=10, workstation=f"WS-{k}", run_minutes=30)
        m.add_inventory(item=f"{k}-FG", location="DC", on_hand=5)
        m.add_supply(
            supply=f"MO-{k}",
            kind="production",
            item=f"{k}-FG",
            location=plant,
            quantity=4,
            due_date="2026-11-27",
        )
    m.add_lane(from_location="DC", to="NORTH", transit_days=1)
    m.add_order_line(
        order="SO-1",
        line="1",
        item="A-FG",
        quantity=8,
        requested_date="2026-11-26",
        ship_to="NORTH",
        priority=1,
    )
    m.add_order_line(
        order="SO-2",
        line="1",
        item="B-FG",
        quantity=3,
        requested_date="2026-11-25",
        ship_to="NORTH",
    )
    m.add_order_line(
        order="SO-2",
        line="2",
        item="B-FG",
        quantity=12,
        requested_date="2026-12-10",
        ship_to="NORTH",
    )
    return m.dataset()


def test_plan_writes_every_table_with_schema_columns(tiny: Dataset) -> None:
    result = plan(tiny, **FAST)
    frames = result.to_frames()
    assert tuple(frames) == FOLDER_TABLES
    for name, frame in frames.items():
        assert list(frame.columns[: len(OUTPUT_COLUMNS[name])]) == list(OUTPUT_COLUMNS[name])
    # Every unit ordered is either promised or reported short: nothing is lost.
    promises = frames["promises"]
    promised = promises.groupby([promises["order"].astype(str), promises["line"].astype(str)])[
        "quantity"
    ].sum()
    orders = tiny.orders
    ordered = orders.groupby([orders["order"].astype(str), orders["line"].astype(str)])[
        "quantity"
    ].sum()
    assert promised.to_dict() == ordered.to_dict()
    assert result.kpi("lines") == len(tiny.orders)
    assert result.kpi("allocation_status") in ("optimal", "feasible")
    assert "exceptions" in result.summary()


def test_planned_make_orders_are_scheduled(tiny: Dataset) -> None:
    result = plan(tiny, **FAST)
    make = set(result.planned_orders.query("method == 'make'")["planned_order"])
    open_mos = set(tiny.supply.query("kind == 'production'")["supply"])
    scheduled = set(result.schedule["order"])
    assert open_mos <= scheduled
    assert make <= scheduled


def test_same_dataset_same_plan(tiny: Dataset) -> None:
    first = plan(tiny, **FAST).to_frames()
    second = plan(tiny, **FAST).to_frames()
    for name in FOLDER_TABLES:
        if name == "kpis":
            continue  # runtime differs
        pd.testing.assert_frame_equal(first[name], second[name])


def test_item_groups_follow_the_network() -> None:
    ds = two_product_lines()
    assert item_groups(ds) == [["A-FG", "A-PART"], ["B-FG", "B-PART"]]
    assert partition(ds, 2) == [["A-FG", "A-PART"], ["B-FG", "B-PART"]]
    assert partition(ds, 1) == [["A-FG", "A-PART", "B-FG", "B-PART"]]
    with pytest.raises(ValueError, match="parts"):
        partition(ds, 0)


def test_ship_complete_orders_keep_their_items_together() -> None:
    ds = two_product_lines()
    orders = ds.orders
    orders.loc[orders["order"] == "SO-2", "item"] = ["A-FG", "B-FG"]
    orders["ship_complete"] = orders["order"] == "SO-2"
    joined = ds.replace(orders=orders)
    assert item_groups(joined) == [["A-FG", "A-PART", "B-FG", "B-PART"]]


def test_split_keeps_every_row_once() -> None:
    ds = two_product_lines()
    pieces = split(ds, 2)
    assert len(pieces) == 2
    for table in ("items", "orders", "supply", "routing", "workstations", "bom", "sourcing"):
        total = sum(len(p.table(table)) for p in pieces)
        assert total == len(ds.table(table)), table


def test_parts_plan_the_same_material_as_the_whole() -> None:
    ds = two_product_lines()
    whole = plan(ds, **FAST)
    halves = plan(ds, parts=2, **FAST)
    assert halves.parts == 2
    key = ["item", "location", "quantity", "release_date", "due_date"]
    pd.testing.assert_frame_equal(
        whole.planned_orders[key].sort_values(key).reset_index(drop=True),
        halves.planned_orders[key].sort_values(key).reset_index(drop=True),
    )
    assert whole.kpi("fill_rate_pct") == halves.kpi("fill_rate_pct")


@pytest.mark.parametrize("pool", [ThreadPoolExecutor, ProcessPoolExecutor])
def test_executors_give_the_same_plan(pool: type) -> None:
    ds = two_product_lines()
    local = plan(ds, parts=2, **FAST).to_frames()
    with pool(max_workers=2) as executor:
        remote = plan(ds, parts=2, executor=executor, **FAST).to_frames()
    for name in ("promises", "planned_orders", "pegging", "schedule", "projection"):
        pd.testing.assert_frame_equal(local[name], remote[name])


def test_dask_executor_is_the_same_code_path() -> None:
    distributed = pytest.importorskip("distributed")
    ds = two_product_lines()
    local = plan(ds, parts=2, **FAST).to_frames()
    with distributed.Client(processes=False, dashboard_address=None) as client:
        remote = plan(ds, parts=2, executor=client.get_executor(), **FAST).to_frames()
    pd.testing.assert_frame_equal(local["planned_orders"], remote["planned_orders"])
    pd.testing.assert_frame_equal(local["promises"], remote["promises"])


def test_progress_reports_every_stage_of_every_part() -> None:
    seen: list[tuple[str, int, int]] = []
    plan(two_product_lines(), parts=2, progress=lambda *a: seen.append(a), **FAST)
    assert [s for s, _, _ in seen] == ["allocate", "mrp", "schedule"] * 2
    assert seen[-1][1:] == (6, 6)


def test_bad_options_are_clear_errors(tiny: Dataset) -> None:
    with pytest.raises(oms_plan.PlanningError, match="parts"):
        plan(tiny, parts=0)
    with pytest.raises(oms_plan.PlanningError, match="time limits"):
        plan(tiny, schedule_time_limit=0)


def test_cli_plan_writes_the_plan_folder(tiny_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "plan"
    result = runner.invoke(app, ["plan", str(tiny_path), "--out", str(out), "--time-limit", "0.5"])
    assert result.exit_code == 0, result.output
    # (the folder also holds the hidden marker of a folder oms-plan wrote)
    tables = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert tables == sorted(f"{t}.csv" for t in FOLDER_TABLES)
    kpis = pd.read_csv(out / "kpis.csv")
    assert "on_time_pct" in set(kpis["kpi"])


def test_cli_plan_rejects_bad_input(tmp_path: Path, tiny_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["plan", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2
    workers = runner.invoke(
        app, ["plan", str(tiny_path), "--out", str(tmp_path / "o"), "--workers", "0"]
    )
    assert workers.exit_code == 2
    assert "workers" in workers.output


def test_executor_defaults_to_one_part_per_item_group() -> None:
    with ThreadPoolExecutor(max_workers=2) as executor:
        result = plan(two_product_lines(), executor=executor, **FAST)
    assert result.parts == 2
