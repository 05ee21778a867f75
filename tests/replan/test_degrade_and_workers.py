"""The replan degrades (set-aside orders make their lines short) and is the same everywhere."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from test_replan import FAST, two_product_lines
from typer.testing import CliRunner

from oms_plan import Dataset
from oms_plan.cli.main import app
from oms_plan.generate import generate_dataset
from oms_plan.replan import PLAN_TABLES, plan
from oms_plan.replan.setaside import blocked_suppliers, short_lines

TABLES = [t for t in PLAN_TABLES if t != "kpis"]
# One allocation worker runs on CP-SAT deterministic time: reproducible even when cut short.
QUICK = {"schedule_time_limit": 0.5, "allocation_time_limit": 1.0}


def oven_bound() -> Dataset:
    """two_product_lines with WS-A a non-pausable oven of one 8-hour shift: A cannot be made."""
    ds = two_product_lines()
    stations = ds.workstations
    stations.loc[stations["workstation"] == "WS-A", ["calendar", "pausable"]] = ["DAY", False]
    calendars = pd.DataFrame(
        [{"calendar": "DAY", "weekday": d, "start": "06:00", "end": "14:00"} for d in range(5)]
    )
    routing = ds.routing
    routing.loc[routing["item"] == "A-FG", "run_minutes"] = 200.0  # 4 units: 800 minutes
    return ds.replace(workstations=stations, calendars=calendars, routing=routing)


def test_lines_pegged_to_a_set_aside_order_are_short_on_capacity() -> None:
    result = plan(oven_bound(), **FAST)
    exceptions = result.exceptions
    infeasible = exceptions.loc[exceptions["kind"] == "infeasible"]
    assert "MO-A" in set(infeasible["order"])
    assert infeasible["message"].str.contains("WS-A").all()
    promises = result.promises
    so1 = promises.loc[promises["order"] == "SO-1"]
    short = so1.loc[so1["status"] == "short"]
    assert list(short["binding"]) == ["capacity:WS-A"]
    # Nothing is lost: the line's rows still add up to what was ordered.
    assert so1["quantity"].sum() == 8
    # Product B shares nothing with A: it is scheduled as before.
    assert "MO-B" in set(result.schedule["order"])
    assert "MO-A" not in set(result.schedule["order"])
    assert int(result.kpi("schedule_orders_set_aside")) >= 1


def test_set_aside_takes_promised_quantity_back() -> None:
    promises = pd.DataFrame(
        [
            {
                "order": "S",
                "line": "1",
                "item": "X",
                "quantity": 6.0,
                "location": "DC",
                "ship_date": "2026-11-25",
                "delivery_date": "2026-11-26",
                "requested_date": "2026-11-26",
                "days_late": 0,
                "status": "on_time",
                "binding": "stock",
            },
            {
                "order": "S",
                "line": "1",
                "item": "X",
                "quantity": 4.0,
                "location": "DC",
                "ship_date": "2026-11-28",
                "delivery_date": "2026-11-29",
                "requested_date": "2026-11-26",
                "days_late": 3,
                "status": "late",
                "binding": "supply:MO-9",
            },
        ]
    )
    pegging = pd.DataFrame(
        [
            {
                "supplier": "MO-9",
                "item": "X",
                "location": "P",
                "quantity": 5.0,
                "order": "TR-1",
                "line": None,
            },
            {
                "supplier": "TR-1",
                "item": "X",
                "location": "DC",
                "quantity": 5.0,
                "order": "S",
                "line": "1",
            },
        ]
    )
    assert blocked_suppliers(pegging, {"MO-9": "OVEN"}) == {"MO-9": "OVEN", "TR-1": "OVEN"}
    out = short_lines(promises, pegging, {"MO-9": "OVEN"})
    assert out["quantity"].sum() == 10
    assert list(out["status"]) == ["on_time", "short"]
    assert list(out["quantity"]) == [5.0, 5.0]  # the late shipment went first, then 1 more
    assert out["binding"].iloc[-1] == "capacity:OVEN"
    assert short_lines(promises, pegging, {}) is promises


def _equal(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    ka = a["kpis"].set_index("kpi")["value"].drop("runtime_seconds")
    kb = b["kpis"].set_index("kpi")["value"].drop("runtime_seconds")
    pd.testing.assert_series_equal(ka.astype(str), kb.astype(str))


@pytest.fixture(scope="module")
def generated() -> Dataset:
    return generate_dataset(300, seed=4)


def test_the_plan_does_not_depend_on_the_executor(generated: Dataset) -> None:
    alone = plan(generated, **QUICK).to_frames()
    assert len(alone["schedule"]) > 0
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = plan(generated, executor=pool, **QUICK).to_frames()
    _equal(alone, pooled)


def test_cli_workers_and_dask_give_identical_tables(tiny_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    runner = CliRunner()
    outs = {}
    for label, extra in (
        ("one", []),
        ("two", ["--workers", "2"]),
        ("dask", ["--dask", "local", "--workers", "2"]),
    ):
        out = tmp_path / label
        res = runner.invoke(
            app, ["plan", str(tiny_path), "--out", str(out), "--time-limit", "0.5", *extra]
        )
        assert res.exit_code == 0, res.output
        outs[label] = {t: pd.read_csv(out / f"{t}.csv") for t in PLAN_TABLES}
    _equal(outs["one"], outs["two"])
    _equal(outs["one"], outs["dask"])
