"""Degrade, never collapse: set-aside orders, greedy fallback, groups and time windows."""

from __future__ import annotations

import math

import pytest
from schedule_shops import shop

from oms_plan import Dataset
from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule import SchedulingProblem, check_schedule, schedule_orders
from oms_plan.schedule import decomposed as decomposed_module
from oms_plan.schedule.decomposed import solve_in_parts
from oms_plan.schedule.options import BackendOutcome, ScheduleOptions
from oms_plan.schedule.parts import earliest_completions, relaxation_bound, workstation_groups
from oms_plan.schedule.result import ScheduleResult
from oms_plan.schedule.solution import objective_values

DAY = [{"calendar": "DAY", "weekday": d, "start": "06:00", "end": "14:00"} for d in range(5)]


def oven_shop() -> Dataset:
    """Two good orders and two that cannot run: too long for the oven, released too late."""
    return shop(
        workstations=[
            {"workstation": "OVEN", "calendar": "DAY", "pausable": False},
            {"workstation": "SAW"},
        ],
        shifts=DAY,
        routing=[
            {"item": "X", "step": 10, "workstation": "SAW", "run_minutes": 10},
            {"item": "X", "step": 20, "workstation": "OVEN", "run_minutes": 100},
        ],
        orders=[
            {"supply": "OK-1", "item": "X", "quantity": 2, "due_date": "2026-11-25"},
            {"supply": "TOO-BIG", "item": "X", "quantity": 5, "due_date": "2026-11-26"},
            {"supply": "OK-2", "item": "X", "quantity": 4, "due_date": "2026-11-27"},
            {
                "supply": "TOO-LATE",
                "item": "X",
                "quantity": 1,
                "release_date": "2027-02-01",
                "due_date": "2027-02-03",
            },
        ],
    )


@pytest.mark.parametrize("solver", ["cpsat", "greedy"])
def test_unschedulable_orders_are_set_aside_and_the_rest_is_scheduled(solver: str) -> None:
    ds = oven_shop()
    r = schedule_orders(ds, solver=solver, time_limit=1, deterministic=True, verify=True)
    assert r.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert {op.order for op in r.operations} == {"OK-1", "OK-2"}
    assert r.orders_scheduled == 2 and r.orders_set_aside == 2
    aside = {a.order: a for a in r.set_aside}
    big, late = aside["TOO-BIG"], aside["TOO-LATE"]
    assert (big.step, big.workstation) == (20, "OVEN")
    assert "500 minutes in one stretch" in big.reason and "480" in big.reason
    assert late.step is None and "after the last day of the horizon" in late.reason
    infeasible = [d for d in r.diagnostics if d.kind == "infeasible"]
    assert {d.order for d in infeasible} == {"TOO-BIG", "TOO-LATE"}
    assert all(d.message.startswith(f"order '{d.order}'") for d in infeasible)
    assert r.kpis["orders_set_aside"] == 2
    frames = r.to_frames()
    assert list(frames["set_aside"]["order"]) == ["TOO-BIG", "TOO-LATE"]
    back = ScheduleResult.from_json(r.to_json())
    assert back.set_aside == r.set_aside and back.parts == r.parts


def test_a_set_aside_order_does_not_stretch_the_window() -> None:
    p = SchedulingProblem.from_dataset(oven_shop())
    # The horizon is 30 days; before, an impossible operation grew the window to years.
    assert p.window <= 60 * 1440


class _NothingFound:
    """A back-end that never finds a schedule in its limit (what a huge model can do)."""

    NAME = "stubborn"
    CAPABILITIES = frozenset({"hint"})

    @staticmethod
    def solve(problem: SchedulingProblem, options: ScheduleOptions) -> BackendOutcome:
        stats = SolverStats("stubborn", SolveStatus.NO_SOLUTION, math.nan, 12.0, 0.0)
        return BackendOutcome(stats, None, (stats,))


def test_greedy_schedule_is_the_answer_when_the_backend_finds_nothing(
    one_machine: Dataset,
) -> None:
    problem = SchedulingProblem.from_dataset(one_machine)
    out = solve_in_parts(problem, _NothingFound, ScheduleOptions(time_limit=1.0))
    assert out.fallback
    assert check_schedule(problem, out.solution).ok
    (part,) = out.parts
    assert part.solver == "greedy" and part.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL)
    # The back-end's bound is kept: it is still a valid bound.
    assert part.bound >= 12.0


def test_fallback_is_reported_by_schedule_orders(
    one_machine: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    import oms_plan.schedule.solve as solve_module

    monkeypatch.setattr(solve_module, "schedule_backend", lambda name, needs=(): _NothingFound)
    r = schedule_orders(one_machine, time_limit=1)
    assert r.fallback and r.has_schedule
    assert any(d.kind == "fallback" for d in r.diagnostics)
    assert r.kpis["fallback"] is True
    assert "greedy one is used" in r.summary()


def two_shops() -> Dataset:
    """Orders on two machines that share nothing: two groups."""
    return shop(
        workstations=[{"workstation": "A"}, {"workstation": "B", "units": 2}],
        routing=[
            {"item": "X", "step": 10, "workstation": "A", "run_minutes": 30},
            {"item": "Y", "step": 10, "workstation": "B", "run_minutes": 45},
        ],
        orders=[
            {"supply": f"{item}-{k}", "item": item, "quantity": 1 + k % 3, "priority": 1 + k % 5}
            for item in ("X", "Y")
            for k in range(6)
        ],
    )


def test_groups_follow_shared_workstations() -> None:
    problem = SchedulingProblem.from_dataset(two_shops())
    groups = workstation_groups(problem)
    assert [g.name for g in groups] == ["A", "B"]
    assert sorted(i for g in groups for i in g.orders) == list(range(problem.num_orders))
    r = schedule_orders(problem, time_limit=1, deterministic=True)
    assert [p.name for p in r.parts] == ["A", "B"]
    assert r.parts_frame()["status"].tolist() == ["optimal", "optimal"]
    assert r.stats.bound == pytest.approx(sum(p.bound for p in r.parts))


def test_relaxation_bound_is_below_every_schedule() -> None:
    problem = SchedulingProblem.from_dataset(two_shops())
    r = schedule_orders(problem, solver="greedy")
    done = {o.order: o.completion for o in r.orders}
    for order, early in zip(problem.orders, earliest_completions(problem), strict=True):
        assert early <= done[order.id]
    greedy_value = r.values["weighted_tardiness"]
    assert relaxation_bound(problem, "weighted_tardiness") <= greedy_value


def calendar_shop(orders: int, *, setups: bool = True) -> Dataset:
    """A shift calendar, setups, a non-pausable oven and units: windows must respect it all."""
    return shop(
        workstations=[
            {"workstation": "CUT", "calendar": "DAY", "units": 2},
            {"workstation": "OVEN", "calendar": "DAY", "pausable": False},
            {"workstation": "PAINT", "calendar": "DAY"},
        ],
        shifts=DAY,
        downtime=[{"workstation": "CUT", "start": "2026-11-25T06:00", "end": "2026-11-25T10:00"}],
        setups=[
            {"from_family": "red", "to_family": "blue", "minutes": 30},
            {"from_family": "blue", "to_family": "red", "minutes": 45},
        ]
        if setups
        else [],
        routing=[
            {"item": "X", "step": 10, "workstation": "CUT", "run_minutes": 25},
            {"item": "X", "step": 20, "workstation": "OVEN", "run_minutes": 40},
            {
                "item": "X",
                "step": 30,
                "workstation": "PAINT",
                "run_minutes": 15,
                "setup_family": "red",
            },
            {"item": "Y", "step": 10, "workstation": "CUT", "run_minutes": 35},
            {
                "item": "Y",
                "step": 20,
                "workstation": "PAINT",
                "run_minutes": 20,
                "setup_family": "blue",
            },
        ],
        orders=[
            {
                "supply": f"MO-{k:03d}",
                "item": "XY"[k % 2],
                "quantity": 1 + k % 4,
                "priority": 1 + k % 5,
                "release_date": f"2026-11-{23 + k % 5}",
                "due_date": f"2026-11-{24 + k % 6}",
            }
            for k in range(orders)
        ],
    )


def test_large_groups_go_window_by_window_and_stay_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decomposed_module, "WHOLE_LIMIT", 10)
    monkeypatch.setattr(decomposed_module, "WINDOW_SIZE", 8)
    ds = calendar_shop(24)
    problem = SchedulingProblem.from_dataset(ds)
    r = schedule_orders(problem, time_limit=0.5, deterministic=True, verify=True)
    (part,) = r.parts
    assert part.windows == min(decomposed_module.MAX_WINDOWS, math.ceil(problem.num_operations / 8))
    greedy = schedule_orders(problem, solver="greedy")
    # Never worse than where it started.
    assert r.values["weighted_tardiness"] <= greedy.values["weighted_tardiness"]
    assert part.bound <= part.objective
    again = schedule_orders(problem, time_limit=0.5, deterministic=True)
    assert again.to_frame().equals(r.to_frame())


def test_a_window_of_the_incumbent_is_a_valid_problem_of_its_own() -> None:
    from oms_plan.schedule.parts import Neighbourhood

    problem = SchedulingProblem.from_dataset(calendar_shop(16, setups=False))
    start = schedule_orders(problem, solver="greedy")
    from oms_solvers.greedy.schedule import dispatch

    incumbent = dispatch(problem)
    assert incumbent is not None
    hood = Neighbourhood(problem, incumbent)
    n = problem.num_operations
    for first in range(0, n, 5):
        built = hood.window(first, min(n, first + 5))
        assert built is not None
        window, bound = built
        assert len(window.ops) == min(5, n - first)
        # The incumbent's part is a valid schedule of the window (no changeovers here to
        # leave room for), so the search can start from it.
        hint = hood.hint(window)
        assert hint is not None
        assert check_schedule(window.problem, hint).ok
        # Orders whose next step stays fixed must end before it: their due says when.
        for k in bound:
            assert window.problem.orders[k].due in incumbent.start
    assert start.values["makespan"] == objective_values(problem, incumbent)["makespan"]
