"""Explanations in the replan: the table, Plan.explain, plan folders and the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import oms_plan
from oms_plan.cli.main import app
from oms_plan.explain import LEVERS, explain_plan
from oms_plan.outputs import OUTPUT_COLUMNS
from oms_plan.replan import FOLDER_TABLES
from oms_plan.replan.plan_folder import read_plan
from tests.conftest import DATA

from . import shops

UNITS = {
    "expedite": "days",
    "capacity": "minutes",
    "component": "units",
    "stock": "units",
    "priority": "units",
}


def test_plan_explains_the_line_that_lost_its_stock() -> None:
    ds = shops.two_lines()
    result = oms_plan.plan(ds, schedule_time_limit=0.5, allocation_time_limit=1.0)
    status = dict(zip(result.promises["order"], result.promises["status"], strict=True))
    assert status == {"H": "on_time", "L": "short"}
    table = result.explanations
    assert list(table.columns[: len(OUTPUT_COLUMNS["explanations"])]) == list(
        OUTPUT_COLUMNS["explanations"]
    )
    assert set(table["order"]) == {"L"}
    assert ("priority", "H/1") in set(zip(table["lever"], table["target"], strict=True))
    pd.testing.assert_frame_equal(result.explain("L", "1"), table)
    assert result.explain("H", "1").empty  # on time
    assert result.kpi("lines_explained") == 1
    with pytest.raises(oms_plan.PlanningError, match="not in this plan"):
        result.explain("NOPE", "1")


def test_without_explain_the_plan_computes_on_demand(tmp_path: Path) -> None:
    ds = shops.two_lines()
    result = oms_plan.plan(ds, explain=False, schedule_time_limit=0.5, allocation_time_limit=1.0)
    assert "explanations" not in result.tables and result.explanations.empty
    assert result.explain("L", "1")["target"].tolist() == ["A@W", "H/1"]
    # A folder written without the table: the dataset is needed to compute it.
    result.write(tmp_path / "plan")
    assert (tmp_path / "plan" / "explanations.csv").is_file()
    explained = oms_plan.plan(ds, schedule_time_limit=0.5, allocation_time_limit=1.0)
    explained.write(tmp_path / "explained")
    back = read_plan(tmp_path / "explained")
    pd.testing.assert_frame_equal(back.explanations, explained.explanations, check_dtype=False)
    pd.testing.assert_frame_equal(
        back.explain("L", "1"), explained.explain("L", "1"), check_dtype=False
    )


def test_a_folder_without_the_table_needs_the_dataset(tmp_path: Path) -> None:
    ds = shops.two_lines()
    result = oms_plan.plan(ds, schedule_time_limit=0.5, allocation_time_limit=1.0)
    result.write(tmp_path / "plan")
    (tmp_path / "plan" / "explanations.csv").unlink()
    back = read_plan(tmp_path / "plan")
    with pytest.raises(oms_plan.PlanningError, match="dataset="):
        back.explain("L", "1")
    assert back.explain("L", "1", dataset=ds)["lever"].tolist() == ["stock", "priority"]


def test_explain_plan_refuses_unknown_lines_and_bad_caps() -> None:
    ds = shops.two_lines()
    with pytest.raises(KeyError, match="NOPE"):
        explain_plan(ds, lines=[("NOPE", "1")])
    with pytest.raises(oms_plan.PlanningError, match="explain_resolves"):
        oms_plan.plan(ds, explain_resolves=0)


def test_the_sample_plan_writes_valid_explanations(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    run = CliRunner().invoke(app, ["plan", str(DATA / "sample"), "--out", str(out)])
    assert run.exit_code == 0, run.output
    written = sorted(p.name for p in out.glob("*.csv"))
    assert written == sorted(f"{t}.csv" for t in FOLDER_TABLES)
    table = pd.read_csv(out / "explanations.csv", dtype={"line": str})
    assert list(table.columns[:8]) == list(OUTPUT_COLUMNS["explanations"])
    assert not table.empty
    promises = pd.read_csv(out / "promises.csv", dtype={"line": str})
    bad = promises.loc[promises["status"].isin(["late", "short"])]
    late = set(zip(bad["order"], bad["line"], strict=True))
    assert set(zip(table["order"], table["line"], strict=True)) <= late
    assert set(table["lever"]) <= set(LEVERS)
    for lever, unit in zip(table["lever"], table["unit"], strict=True):
        assert UNITS[lever] == unit
    assert (table["amount"] > 0).all() and (table["days_gained"] > 0).all()
    pd.to_datetime(table["date"], format="%Y-%m-%d")  # every date parses
    # The same dataset gives the same explanations.
    ds = oms_plan.load(DATA / "sample")
    back = read_plan(out)
    twice = explain_plan(
        ds, back.promises, planned_orders=back.planned_orders, schedule=back.schedule
    )
    pd.testing.assert_frame_equal(twice, back.explanations, check_dtype=False)


def test_no_explain_writes_an_empty_table(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    run = CliRunner().invoke(
        app, ["plan", str(DATA / "tiny"), "--out", str(out), "--no-explain", "--time-limit", "0.5"]
    )
    assert run.exit_code == 0, run.output
    table = pd.read_csv(out / "explanations.csv")
    assert table.empty and list(table.columns[:8]) == list(OUTPUT_COLUMNS["explanations"])
    bad = CliRunner().invoke(
        app, ["plan", str(DATA / "tiny"), "--out", str(tmp_path / "x"), "--explain-resolves", "0"]
    )
    assert bad.exit_code == 2


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = oms_plan.Promiser.promise

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(oms_plan.Promiser, "promise", counted)
    return calls


@pytest.mark.parametrize("total", [1, 5, 40])
def test_the_total_cap_bounds_the_whole_table(monkeypatch: pytest.MonkeyPatch, total: int) -> None:
    ds = shops.crowd()
    free = explain_plan(ds, total=None)
    wanted = len(free[["order", "line"]].drop_duplicates())
    assert wanted >= 5  # 200 wanted, 80 there by day 12
    calls = _counting(monkeypatch)
    capped = explain_plan(ds, total=total)
    # One replay quote and one baseline per line, then at most total + one per line.
    assert calls[0] <= 2 * len(ds.orders) + total + len(ds.orders)
    # Whatever the cap cut short, a row still tells the truth about its lever.
    assert set(capped["lever"]) <= set(LEVERS)
    assert (capped["days_gained"] > 0).all()
    if total >= 40:
        assert len(capped) >= 1


def test_the_same_plan_gives_the_same_explanations() -> None:
    ds = shops.crowd()
    first, second = explain_plan(ds, total=50), explain_plan(ds, total=50)
    pd.testing.assert_frame_equal(first, second)
