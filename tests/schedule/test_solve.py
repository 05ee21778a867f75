"""Scheduling end to end: known optima, calendars, setups, units, objectives, warm starts."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest
from schedule_shops import ROOT, assert_valid, random_shop, shop, solution_of

import oms_plan
from oms_plan import Dataset, PlanningError
from oms_plan.results import SolveStatus
from oms_plan.schedule import ScheduleResult, SchedulingProblem, check_schedule, schedule_orders
from oms_plan.schedule.solution import Solution, objective_values

FAST = {"time_limit": 2.0, "workers": 2}


def test_ft06_optimal_makespan_is_55() -> None:
    # Fisher & Thompson (1963) 6×6: optimum 55 (benchmarks/instances/jobshop/bks.csv); the
    # public instance is copied into tests/data so the test needs nothing outside the repo.
    from benchmarks.jobshop_io import read_instance, to_dataset

    ds = to_dataset(read_instance(Path(__file__).resolve().parent.parent / "data" / "ft06.txt"))
    r = oms_plan.schedule_orders(ds, objective="makespan", time_limit=3, workers=2)
    assert r.status == SolveStatus.OPTIMAL
    assert r.values["makespan"] == 55
    assert r.stats.gap == 0.0
    assert_valid(ds, r)


def test_tiny_schedules_within_shifts(tiny: Dataset) -> None:
    r = schedule_orders(tiny, **FAST)
    assert_valid(tiny, r)
    frame = r.to_frame()
    assert list(frame.columns) == ["order", "item", "step", "workstation", "unit", "start", "end"]
    weld = frame.loc[frame["workstation"] == "WELD"].iloc[0]
    assert weld["start"] == "2026-11-23T06:00"  # shift starts 06:00 on plan start
    assert weld["end"] == "2026-11-23T11:30"  # 330 minutes later


def test_pausable_stretches_over_a_break_non_pausable_waits() -> None:
    shifts = [
        {"calendar": "C", "weekday": 0, "start": "08:00", "end": "12:00"},
        {"calendar": "C", "weekday": 0, "start": "13:00", "end": "17:00"},
    ]
    for pausable, start, end in [(True, "08:00", "11:20"), (False, "13:00", "16:20")]:
        ds = shop(
            workstations=[{"workstation": "M", "calendar": "C", "pausable": pausable}],
            shifts=shifts,
            routing=[
                {"item": "A", "step": 10, "workstation": "M", "run_minutes": 60},
                {"item": "B", "step": 10, "workstation": "M", "run_minutes": 200},
            ],
            orders=[
                {"supply": "FIRST", "item": "A", "quantity": 1, "priority": 1},
                {"supply": "SECOND", "item": "B", "quantity": 1, "priority": 5},
            ],
        )
        for solver in ("cpsat", "greedy"):
            r = schedule_orders(ds, solver=solver, objective="makespan", **FAST)
            assert_valid(ds, r)
            b = r.to_frame().set_index("order").loc["SECOND"]
            if pausable:  # FIRST 08:00-09:00, then SECOND 09:00-12:00 + 13:00-13:20
                assert (b["start"][-5:], b["end"][-5:]) == ("09:00", "13:20")
                a = r.to_frame().set_index("order").loc["FIRST"]
                assert a["start"][-5:] == "08:00"
            else:  # 200 minutes in one piece: only 13:00-16:20 after FIRST, or 08:00 before it
                assert b["end"][-5:] in (end, "11:20")
                assert (b["start"][-5:], b["end"][-5:]) in ((start, end), ("08:00", "11:20"))


def test_downtime_pushes_work_out() -> None:
    ds = shop(
        workstations=[{"workstation": "M"}],
        downtime=[{"workstation": "M", "start": "2026-11-23T00:00", "end": "2026-11-23T02:00"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 30}],
        orders=[{"supply": "A", "item": "X", "quantity": 1}],
    )
    r = schedule_orders(ds, objective="makespan", **FAST)
    assert r.to_frame()["start"].iloc[0] == "2026-11-23T02:00"
    assert_valid(ds, r)


def _families(units: int) -> Dataset:
    return shop(
        workstations=[{"workstation": "M", "units": units}],
        routing=[
            {"item": "A", "step": 10, "workstation": "M", "run_minutes": 10, "setup_family": "red"},
            {
                "item": "B",
                "step": 10,
                "workstation": "M",
                "run_minutes": 10,
                "setup_family": "blue",
            },
        ],
        setups=[
            {"from_family": "red", "to_family": "blue", "minutes": 60},
            {"from_family": "blue", "to_family": "red", "minutes": 60},
        ],
        orders=[
            {"supply": "R1", "item": "A", "quantity": 1},
            {"supply": "B1", "item": "B", "quantity": 1},
            {"supply": "R2", "item": "A", "quantity": 1},
            {"supply": "B2", "item": "B", "quantity": 1},
        ],
    )


def test_setup_families_are_grouped_to_save_changeovers() -> None:
    ds = _families(units=1)
    r = schedule_orders(ds, objective="makespan", **FAST)
    assert r.status == SolveStatus.OPTIMAL
    assert r.values["makespan"] == 4 * 10 + 60  # one changeover: red red blue blue
    assert_valid(ds, r)
    g = schedule_orders(ds, solver="greedy", objective="makespan")
    assert_valid(ds, g)
    assert g.values["makespan"] >= r.values["makespan"]


def test_setups_on_two_units_need_none() -> None:
    ds = _families(units=2)
    r = schedule_orders(ds, objective="makespan", **FAST)
    assert r.values["makespan"] == 20  # one family per unit
    assert sorted(set(r.to_frame()["unit"])) == [1, 2]
    assert_valid(ds, r)


def test_checker_flags_a_missing_changeover() -> None:
    ds = _families(units=1)
    p = SchedulingProblem.from_dataset(ds)
    # R1 0-10, B1 10-20 back to back on one unit: the 60-minute changeover is missing.
    bad = Solution((0, 0, 0, 0), (1, 1, 1, 1), (0, 10, 100, 200), (10, 20, 110, 210))
    assert any("changeover" in m for m in check_schedule(p, bad).violations)


def test_multi_unit_workstation_runs_in_parallel() -> None:
    ds = shop(
        workstations=[{"workstation": "M", "units": 2}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 60}],
        orders=[{"supply": f"O{i}", "item": "X", "quantity": 1} for i in range(3)],
    )
    r = schedule_orders(ds, objective="makespan", **FAST)
    assert r.values["makespan"] == 120
    assert sorted(set(r.to_frame()["unit"])) == [1, 2]
    assert_valid(ds, r)


def test_alternatives_use_the_slow_machine_when_it_helps() -> None:
    ds = shop(
        workstations=[{"workstation": "FAST"}, {"workstation": "SLOW"}],
        routing=[
            {"item": "X", "step": 10, "workstation": "FAST", "run_minutes": 30},
            {"item": "X", "step": 10, "workstation": "SLOW", "run_minutes": 60},
        ],
        orders=[{"supply": f"O{i}", "item": "X", "quantity": 1} for i in range(3)],
    )
    r = schedule_orders(ds, objective="makespan", **FAST)
    assert r.values["makespan"] == 60
    assert r.to_frame()["workstation"].value_counts().to_dict() == {"FAST": 2, "SLOW": 1}
    assert_valid(ds, r)


def test_priority_weights_decide_who_is_late(one_machine: Dataset) -> None:
    # Both 600 minutes, due at the end of day 0 (1440): one of them is late either way.
    one_machine = shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 100}],
        orders=[
            {"supply": "LOW", "item": "X", "quantity": 10, "priority": 5},
            {"supply": "HIGH", "item": "X", "quantity": 10, "priority": 1},
        ],
    )
    r = schedule_orders(one_machine, **FAST)
    assert r.status == SolveStatus.OPTIMAL
    assert r.late_orders == ["LOW"]
    assert r.values["weighted_tardiness"] == 1 * (2000 - 1440)
    flipped = schedule_orders(one_machine, weights={1: 1, 5: 10}, **FAST)
    assert flipped.late_orders == ["HIGH"]


def test_release_dates_are_respected() -> None:
    ds = shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 10}],
        orders=[{"supply": "A", "item": "X", "quantity": 1, "release_date": "2026-11-25"}],
    )
    r = schedule_orders(ds, objective="flow_time", **FAST)
    assert r.to_frame()["start"].iloc[0] == "2026-11-25T00:00"
    assert r.values["flow_time"] == 10


def test_lexicographic_objectives_solve_in_stages() -> None:
    ds = random_shop(3)
    r = schedule_orders(ds, objective="weighted_tardiness,makespan", **FAST)
    assert len(r.stages) == 2
    assert r.objective == ("weighted_tardiness", "makespan")
    single = schedule_orders(ds, objective="weighted_tardiness", **FAST)
    assert r.values["weighted_tardiness"] <= single.values["weighted_tardiness"] or (
        single.status != SolveStatus.OPTIMAL
    )
    assert_valid(ds, r)


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_cpsat_never_worse_than_greedy_and_both_valid(seed: int) -> None:
    ds = random_shop(seed)
    for objective in ("weighted_tardiness", "makespan"):
        g = schedule_orders(ds, solver="greedy", objective=objective)
        c = schedule_orders(ds, objective=objective, time_limit=1.5, workers=2)
        assert_valid(ds, g)
        assert_valid(ds, c)
        assert c.values[objective] <= g.values[objective]
        assert c.stats.objective == c.values[objective]


def test_deterministic_mode_reproduces_the_schedule() -> None:
    ds = random_shop(7, n_orders=8)
    runs = [schedule_orders(ds, deterministic=True, time_limit=0.5, seed=3) for _ in range(2)]
    assert runs[0].to_frame().equals(runs[1].to_frame())
    assert runs[0].stats.deterministic


def test_hints_are_cleared_between_solves() -> None:
    from oms_solvers.cpsat.schedule import ScheduleModel
    from oms_solvers.greedy.schedule import dispatch

    problem = SchedulingProblem.from_dataset(random_shop(4))
    edd, atc = dispatch(problem, "edd"), dispatch(problem, "atc")
    assert edd is not None and atc is not None
    built = ScheduleModel(problem, problem.serial_bound)
    built.hint(edd)
    once = len(built.model.proto.solution_hint.vars)
    built.hint(atc)
    assert len(built.model.proto.solution_hint.vars) == once
    assert once > 0


def test_warm_start_from_a_previous_schedule() -> None:
    ds = random_shop(2)
    first = schedule_orders(ds, **FAST)
    again = schedule_orders(ds, hint=first, **FAST)
    assert not [d for d in again.diagnostics if d.kind == "hint_ignored"]
    assert again.values["weighted_tardiness"] <= first.values["weighted_tardiness"]
    other = schedule_orders(random_shop(5), **FAST)
    mismatched = schedule_orders(ds, hint=other.to_frame(), **FAST)
    assert [d.kind for d in mismatched.diagnostics if d.kind == "hint_ignored"] == ["hint_ignored"]
    assert_valid(ds, mismatched)


def test_result_round_trips_and_tables(tiny: Dataset) -> None:
    r = schedule_orders(tiny, **FAST)
    back = ScheduleResult.from_json(r.to_json())
    assert back.to_json() == r.to_json()
    assert back.to_frame().equals(r.to_frame())
    assert pickle.loads(pickle.dumps(r)).to_frame().equals(r.to_frame())
    frames = r.to_frames()
    assert set(frames) == {
        "schedule",
        "kpis",
        "exceptions",
        "orders",
        "utilisation",
        "parts",
        "set_aside",
    }
    kpis = dict(zip(frames["kpis"]["kpi"], frames["kpis"]["value"], strict=True))
    assert kpis["solver_status"] == "optimal"
    assert kpis["bottleneck"] == r.bottleneck == "WELD"
    assert list(frames["exceptions"].columns)[:2] == ["kind", "severity"]
    assert "objective weighted_tardiness" in r.summary()


def test_plot_draws_one_bar_per_operation(tiny: Dataset) -> None:
    import matplotlib

    matplotlib.use("Agg")
    r = schedule_orders(tiny, solver="greedy")
    ax = r.plot()
    assert len(ax.patches) == len(r.operations)


def test_plot_filters_workstations_and_window(tiny: Dataset) -> None:
    import matplotlib

    matplotlib.use("Agg")
    r = schedule_orders(tiny, solver="greedy")
    ws = r.operations[0].workstation
    ax = r.plot(workstations=[ws])
    assert len(ax.patches) == sum(op.workstation == ws for op in r.operations)
    first_day = r.start + dt.timedelta(days=r.operations[0].start // 1440)
    ax = r.plot(window=(first_day, first_day))
    in_day = [
        op
        for op in r.operations
        if op.end > (first_day - r.start).days * 1440
        and op.start < ((first_day - r.start).days + 1) * 1440
    ]
    assert len(ax.patches) == len(in_day)
    ax = r.plot(window=(first_day, first_day), dates=False)
    assert ax.get_xlim() == ((first_day - r.start).days * 24, ((first_day - r.start).days + 1) * 24)
    with pytest.raises(ValueError, match="workstation"):
        r.plot(workstations=["NOPE"])
    with pytest.raises(ValueError, match="before it starts"):
        r.plot(window=("2026-12-02", "2026-12-01"))


def test_empty_dataset_is_empty_status() -> None:
    ds = shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 1}],
        orders=[],
    )
    for solver in ("cpsat", "greedy"):
        r = schedule_orders(ds, solver=solver)
        assert r.status == SolveStatus.EMPTY
        assert r.to_frame().empty


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"objective": "profit"}, "unknown objective"),
        ({"objective": "makespan,makespan"}, "twice"),
        ({"solver": "gurobi"}, "unknown schedule back-end"),
        ({"time_limit": 0}, "time_limit"),
        ({"workers": 0}, "workers"),
        ({"rule": "fifo"}, "rule"),
    ],
)
def test_bad_requests_raise_planning_error(
    tiny: Dataset, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(PlanningError, match=match):
        schedule_orders(tiny, **kwargs)  # type: ignore[arg-type]


def test_objective_values_recomputed_by_hand(one_machine: Dataset) -> None:
    p = SchedulingProblem.from_dataset(one_machine)
    sol = Solution((0, 0), (1, 1), (600, 0), (1200, 600))
    assert check_schedule(p, sol).ok
    assert objective_values(p, sol) == {
        "weighted_tardiness": 0,
        "makespan": 1200,
        "flow_time": 1800,
    }
    late = Solution((0, 0), (1, 1), (0, 1000), (600, 1600))
    assert objective_values(p, late)["weighted_tardiness"] == 5 * (1600 - 1440)


def test_checker_flags_overlap_precedence_release_and_calendar(tiny: Dataset) -> None:
    p = SchedulingProblem.from_dataset(tiny)
    good = solution_of(p, schedule_orders(tiny, solver="greedy"))
    s, e = list(good.start), list(good.end)
    # MO-2 step 20 before step 10 ends; MO-1 before its release; and outside the shift.
    s[2], e[2] = s[1], s[1] + 165
    s[0], e[0] = 0, 300
    problems = check_schedule(p, Solution(good.alternative, good.unit, tuple(s), tuple(e)))
    text = str(problems)
    assert "before step ends" in text
    assert "before release" in text
    assert "working minutes" in text or "leaves working time" in text
    assert ROOT.exists()
