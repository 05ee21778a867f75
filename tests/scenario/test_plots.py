"""The planner's charts: each returns a Figure and draws what it says."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from oms_plan import Dataset, Plan, PlanningError, Scenario, schedule_orders
from oms_plan.replan.load import capacity_by_period, load_by_period, working_times
from oms_plan.replan.plots import buffer_projection
from oms_plan.scenario import compare
from tests.scenario.conftest import FAST

matplotlib.use("Agg")


def test_plot_inventory_draws_on_hand_and_atp(tiny_plan: Plan) -> None:
    fig = tiny_plan.plot_inventory("BIKE", "DC-N", safety_stock=2)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "projected on hand" in labels and "available to promise" in labels
    daily = buffer_projection(tiny_plan, "BIKE", "DC-N")
    assert daily.index.is_monotonic_increasing and not daily.isna().any().any()
    with pytest.raises(PlanningError, match="projected at"):
        tiny_plan.plot_inventory("BIKE", "NOWHERE")
    with pytest.raises(PlanningError, match="no location projects"):
        tiny_plan.plot_inventory("CAR", "DC-N")


def test_plot_load_against_capacity(tiny: Dataset, tiny_plan: Plan) -> None:
    fig = tiny_plan.plot_load(tiny, by="day")
    assert len(fig.axes) >= 1
    fig = tiny_plan.plot_load(workstations=["ASSY-1"])
    assert len(fig.axes) == 1
    with pytest.raises(PlanningError, match="no operation is scheduled on NOPE"):
        tiny_plan.plot_load(workstations=["NOPE"])
    with pytest.raises(PlanningError, match="by must be"):
        tiny_plan.plot_load(by="month")  # type: ignore[arg-type]


def test_working_minutes_never_exceed_clock_minutes_or_capacity(
    tiny: Dataset, tiny_plan: Plan
) -> None:
    schedule = tiny_plan.schedule
    working, _ = working_times(tiny)
    clock = load_by_period(schedule, "day")
    work = load_by_period(schedule, "day", working, pd.Timestamp(tiny.start))
    assert (work <= clock.reindex(work.index)).all()
    capacity = capacity_by_period(tiny, "day")
    assert (work <= capacity.reindex(work.index).fillna(0) + 1e-9).all()
    # WELD works its plant's two shifts (06:00-22:00) and is down 06:00-14:00 on 25 Nov.
    assert capacity[("WELD", pd.Timestamp("2026-11-24"))] == 960
    assert capacity[("WELD", pd.Timestamp("2026-11-25"))] == 480
    week = capacity_by_period(tiny, "week")
    assert week.groupby(level=0).sum().equals(capacity.groupby(level=0).sum())


def test_machine_down_shows_in_capacity(tiny: Dataset) -> None:
    down = Scenario(tiny).machine_down("ASSY-2", "2026-11-24", "2026-11-24").dataset
    before, after = capacity_by_period(tiny, "day"), capacity_by_period(down, "day")
    day = ("ASSY-2", pd.Timestamp("2026-11-24"))
    assert before[day] == 960 and after[day] == 0


def test_gantt_has_a_date_axis_and_shades_downtime(tiny: Dataset) -> None:
    r = schedule_orders(tiny, solver="greedy")
    ax = r.plot(downtime=tiny)
    assert len(ax.patches) == len(r.operations)
    # One shaded span per drawn row of WELD (its downtime), as a collection.
    assert len(ax.collections) >= 1
    lo, _ = ax.get_xlim()
    assert lo > 10_000  # matplotlib date numbers (days since 1970), not hours
    assert "hours from" not in ax.get_xlabel()


def test_diff_plot_has_both_panels(tiny: Dataset, tiny_plan: Plan) -> None:
    s = (
        Scenario(tiny, base=tiny_plan)
        .cancel_supply("MO-2")
        .machine_down("ASSY-1", "2026-11-23", "2026-11-24")
    )
    diff = compare(tiny_plan, s.plan(**FAST), dataset=s.dataset)
    fig = diff.plot()
    assert len(fig.axes) == 2
    same = compare(tiny_plan, tiny_plan).plot()
    assert not same.axes[0].axison  # "no promise changed"
