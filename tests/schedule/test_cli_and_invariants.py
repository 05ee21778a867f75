"""The ``schedule`` command, and invariants of the greedy back-end on random shops."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from schedule_shops import random_shop, shop
from typer.testing import CliRunner

from oms_plan.cli.main import app
from oms_plan.schedule import SchedulingProblem, check_schedule
from oms_plan.schedule.compact import left_shift

runner = CliRunner()


def test_cli_schedules_tiny(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    res = runner.invoke(
        app,
        [
            "schedule",
            str(tiny_path),
            "--out",
            str(out),
            "--time-limit",
            "2",
            "--workers",
            "1",
            "--verify",
        ],
    )
    assert res.exit_code == 0, res.output
    schedule = pd.read_csv(out / "schedule.csv")
    assert list(schedule.columns) == [
        "order",
        "item",
        "step",
        "workstation",
        "unit",
        "start",
        "end",
    ]
    assert len(schedule) == 3
    kpis = pd.read_csv(out / "kpis.csv")
    assert "solver_status" in set(kpis["kpi"])
    assert "optimal" in res.output


def test_cli_greedy_parquet(tiny_path: Path, tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "schedule",
            str(tiny_path),
            "--out",
            str(tmp_path),
            "--solver",
            "greedy",
            "--format",
            "parquet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "schedule.parquet").exists()


def test_cli_sets_an_unschedulable_order_aside_with_its_reason(tmp_path: Path) -> None:
    ds = shop(
        workstations=[{"workstation": "OVEN", "calendar": "DAY", "pausable": False}],
        shifts=[{"calendar": "DAY", "weekday": 0, "start": "06:00", "end": "08:00"}],
        routing=[{"item": "X", "step": 10, "workstation": "OVEN", "run_minutes": 500}],
        orders=[{"supply": "BIG", "item": "X", "quantity": 1}],
    )
    folder = ds.write(tmp_path / "ds")
    res = runner.invoke(app, ["schedule", str(folder), "--out", str(tmp_path / "out")])
    # Valid input: the order is set aside and reported, the run succeeds.
    assert res.exit_code == 0, res.output
    assert "1 order(s) set aside" in res.output
    exceptions = pd.read_csv(tmp_path / "out" / "exceptions.csv")
    row = exceptions.iloc[0]
    assert row["kind"] == "infeasible" and row["order"] == "BIG"
    assert "'BIG' step 10" in row["message"] and "OVEN" in row["message"]
    assert (tmp_path / "out" / "parts.csv").exists()


def test_cli_bad_objective_is_invalid_input(tiny_path: Path, tmp_path: Path) -> None:
    import sys

    from oms_plan.cli.common import run_guarded

    argv = sys.argv
    sys.argv = [
        "oms-plan",
        "schedule",
        str(tiny_path),
        "--out",
        str(tmp_path),
        "--objective",
        "profit",
    ]
    try:
        run_guarded(app)
    except SystemExit as exc:
        assert exc.code == 2
    finally:
        sys.argv = argv


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["edd", "atc"]))
def test_greedy_and_left_shift_always_valid(seed: int, rule: str) -> None:
    from oms_solvers.greedy.schedule import dispatch

    problem = SchedulingProblem.from_dataset(random_shop(seed, n_orders=5))
    solution = dispatch(problem, rule)
    assert solution is not None
    assert check_schedule(problem, solution).ok
    shifted = left_shift(problem, solution)
    assert check_schedule(problem, shifted).ok
    assert all(a <= b for a, b in zip(shifted.end, solution.end, strict=True))
