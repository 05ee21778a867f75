"""Generated datasets are schedulable by default; the knob plants orders that are not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oms_plan.cli.main import app
from oms_plan.generate import generate_dataset
from oms_plan.mrp import plan_materials
from oms_plan.schedule import SchedulingProblem


@pytest.mark.parametrize("seed", [1, 5])
def test_default_datasets_have_no_unschedulable_order(seed: int) -> None:
    ds = generate_dataset(1500, seed=seed)
    planned = plan_materials(ds).planned_orders
    make = planned.loc[planned["method"] == "make"]
    problem = SchedulingProblem.from_dataset(ds, orders=make)
    assert problem.num_orders > 0
    assert not problem.set_aside and not problem.infeasible


def test_the_knob_plants_unschedulable_orders() -> None:
    ds = generate_dataset(1500, seed=5, unschedulable=3)
    planted = ds.supply.loc[ds.supply["supply"].str.startswith("MO-X")]
    assert len(planted) == 3
    problem = SchedulingProblem.from_dataset(ds)
    assert sorted(a.order for a in problem.set_aside) == sorted(planted["supply"])
    assert all("one stretch" in a.reason or "horizon" in a.reason for a in problem.set_aside)
    assert ds.settings.extra["generator"]["unschedulable"] == 3
    # The knob adds rows; everything else is the same dataset.
    base = generate_dataset(1500, seed=5)
    pd.testing.assert_frame_equal(base.orders, ds.orders)


def test_the_knob_is_checked_and_on_the_cli(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unschedulable"):
        generate_dataset(100, unschedulable=-1)
    runner = CliRunner()
    out = tmp_path / "g"
    res = runner.invoke(
        app,
        ["generate", "--scale", "300", "--seed", "1", "--unschedulable", "2", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    supply = pd.read_csv(out / "supply.csv")
    assert supply["supply"].str.startswith("MO-X").sum() == 2
    bad = runner.invoke(
        app, ["generate", "--scale", "300", "--unschedulable", "-3", "--out", str(tmp_path / "b")]
    )
    assert bad.exit_code == 2
