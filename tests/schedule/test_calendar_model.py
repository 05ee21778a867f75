"""The calendar-aware CP-SAT model: clock staircases, windows, capacity bound, changeovers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oms_solvers.cpsat import schedule as cpsat
from oms_solvers.cpsat.schedule_bound import capacity_bound
from oms_solvers.cpsat.schedule_clock import ClockMaps, Position
from oms_solvers.cpsat.schedule_model import ScheduleModel
from oms_solvers.cpsat.schedule_setups import triangle_ok
from oms_solvers.cpsat.schedule_windows import compute_windows
from oms_solvers.greedy.schedule import dispatch
from ortools.sat.python import cp_model
from schedule_shops import random_shop, shop

import oms_plan
from oms_plan.results import SolveStatus
from oms_plan.schedule import SchedulingProblem, check_schedule
from oms_plan.schedule.calendar import working_time
from oms_plan.schedule.options import ScheduleOptions
from oms_plan.schedule.solution import objective_values

DAY = 1440
SHIFTS = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(1, 14)), min_size=1, max_size=6
)


def _calendar(shifts: list[tuple[int, int, int]]):  # type: ignore[no-untyped-def]
    rows = [(wd, h * 60, (h + length) % 24 * 60) for wd, h, length in shifts]
    return working_time(rows, [(3000, 3300)], 2, 3 * 7 * DAY)


@settings(max_examples=40, deadline=None)
@given(SHIFTS, st.integers(0, 4000), st.integers(0, 4000), st.booleans())
def test_jumps_rebuild_the_clock_map(shifts, lo, span, is_end) -> None:  # type: ignore[no-untyped-def]
    wt = _calendar(shifts)
    lo = min(lo, wt.total - 1) + (1 if is_end else 0)
    hi = min(lo + span, wt.total - (0 if is_end else 1))
    if hi < lo:
        return
    jumps = wt.jumps(lo, hi, is_end)
    exact = wt.end_at if is_end else wt.start_at
    for p in range(lo, hi + 1, max(1, (hi - lo) // 50)):
        staircase = p + wt.offset(lo, is_end) + sum(g for t, g in jumps if p >= t)
        assert staircase == exact(p)
    hull = wt.lower_hull(lo, hi, is_end)
    for p in range(lo, hi + 1, max(1, (hi - lo) // 50)):
        for (x1, y1), (x2, y2) in itertools.pairwise(hull):
            assert (x2 - x1) * exact(p) >= (x2 - x1) * y1 + (y2 - y1) * (p - x1)


@settings(max_examples=40, deadline=None)
@given(SHIFTS, st.integers(0, 3 * 7 * DAY), st.integers(0, 900), st.booleans())
def test_last_start_is_the_latest_that_ends_in_time(shifts, t, d, pausable) -> None:  # type: ignore[no-untyped-def]
    wt = _calendar(shifts)
    w = wt.last_start(t, d, pausable)

    def fits(x: int) -> bool:
        if wt.place(x, d, pausable) != x:
            return False
        return wt.clock(x, d)[1] <= t

    if w is None:
        assert not any(fits(x) for x in range(0, wt.total, 97))
    else:
        assert fits(w)
        assert not any(fits(x) for x in range(w + 1, min(wt.total, w + 400)))


def test_clock_maps_match_the_calendar_in_a_solved_model() -> None:
    wt = working_time(
        [(d, 6 * 60, 14 * 60) for d in range(5)], [(2 * DAY, 2 * DAY + 600)], 0, 21 * DAY
    )
    for is_end, positions in ((False, [0, 479, 480, 1500]), (True, [1, 480, 481, 2000])):
        for p in positions:
            m = cp_model.CpModel()
            maps = ClockMaps(m)
            var = m.new_int_var(0, wt.total, "w")
            expr = maps.clock(Position(var), 0, 3000, wt, 0, is_end=is_end)
            m.add(var == p)
            solver = cp_model.CpSolver()
            assert solver.solve(m) == cp_model.OPTIMAL
            assert solver.value(expr) == (wt.end_at(p) if is_end else wt.start_at(p))


@pytest.mark.parametrize("seed", [0, 3, 6])
def test_the_incumbent_lies_in_its_windows(seed: int) -> None:
    problem = SchedulingProblem.from_dataset(random_shop(seed))
    start = dispatch(problem, "atc")
    assert start is not None
    for objective in ("weighted_tardiness", "makespan", "flow_time"):
        win = compute_windows(problem, problem.serial_bound, objective, start)
        for o, op in enumerate(problem.operations):
            j = start.alternative[o]
            wt = problem.working[op.alternatives[j].workstation]
            assert win.lo[o][j] <= wt.worked(start.start[o]) <= win.hi[o][j]


def _optimum(problem: SchedulingProblem, objective: str, **kw: object) -> tuple[int, bool]:
    """(value, proved optimal) of ``objective`` from a model without windows."""
    built = ScheduleModel(problem, problem.serial_bound, (objective,), None, **kw)  # type: ignore[arg-type]
    built.model.minimize(built.objectives[objective])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 2.0
    solver.parameters.num_workers = 2
    code = solver.solve(built.model)
    assert code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    solution = built.read(solver)
    assert check_schedule(problem, solution).ok
    return objective_values(problem, solution)[objective], code == cp_model.OPTIMAL


@pytest.mark.parametrize("seed", [0, 1, 2, 4, 5, 8])
def test_capacity_bound_is_below_the_optimum(seed: int) -> None:
    problem = SchedulingProblem.from_dataset(random_shop(seed, n_orders=7))
    win = compute_windows(problem, problem.serial_bound)
    bound = capacity_bound(problem, win)
    trivial = sum(o.weight * t for o, t in zip(problem.orders, win.tardiness_bound, strict=True))
    assert bound >= trivial
    best, proved = _optimum(problem, "weighted_tardiness")
    assert bound <= best
    if not proved:
        pytest.skip("optimum not proved in the limit")


def test_capacity_bound_sees_orders_waiting_for_each_other() -> None:
    # Three 8-hour orders released together on one machine, all due at once: the
    # per-order bound thinks each finishes after 8 h; one machine makes them wait.
    ds = shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 480}],
        orders=[{"supply": f"MO-{k}", "item": "X", "quantity": 1, "priority": 3} for k in range(3)],
    )
    problem = SchedulingProblem.from_dataset(ds)
    win = compute_windows(problem, problem.serial_bound)
    trivial = sum(o.weight * t for o, t in zip(problem.orders, win.tardiness_bound, strict=True))
    # Due at 24:00 of day 0; completions 8 h, 16 h, 24 h are never late: no tardiness at all.
    assert trivial == 0
    assert capacity_bound(problem, win) == 0
    late = shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 960}],
        orders=[{"supply": f"MO-{k}", "item": "X", "quantity": 1, "priority": 3} for k in range(3)],
    )
    problem = SchedulingProblem.from_dataset(late)
    win = compute_windows(problem, problem.serial_bound)
    bound = capacity_bound(problem, win)
    best, proved = _optimum(problem, "weighted_tardiness")
    assert proved
    # Optimum: completions at 16, 32, 48 h, due 24 h: 0 + 8 h + 24 h late, weight 3.
    assert best == 3 * (8 + 24) * 60
    assert 0 < bound <= best


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_changeover_encodings_agree(seed: int) -> None:
    problem = SchedulingProblem.from_dataset(random_shop(seed, n_orders=5))
    values = {}
    for setups in ("pairs", "routes", "unit_circuits"):
        values[setups] = _optimum(problem, "makespan", setups=setups)
    proved = {v for v, ok in values.values() if ok}
    assert len(proved) <= 1, values


def test_triangle_rule_refuses_a_matrix_that_a_detour_beats() -> None:
    routing = [
        {"item": "A", "step": 10, "workstation": "M", "run_minutes": 10, "setup_family": "a"},
        {"item": "B", "step": 10, "workstation": "M", "run_minutes": 10, "setup_family": "b"},
        {"item": "C", "step": 10, "workstation": "M", "run_minutes": 10, "setup_family": "c"},
    ]
    orders = [{"supply": f"MO-{x}", "item": x, "quantity": 1} for x in "ABC"]
    cheap = [{"from_family": "a", "to_family": "c", "minutes": 5}]
    dear = [  # a → c directly costs more than a → b (10 min of work) → c
        {"from_family": "a", "to_family": "c", "minutes": 60},
        {"from_family": "a", "to_family": "b", "minutes": 1},
        {"from_family": "b", "to_family": "c", "minutes": 1},
    ]
    for setups, ok in ((cheap, True), (dear, False)):
        ds = shop(
            workstations=[{"workstation": "M"}], routing=routing, orders=orders, setups=setups
        )
        problem = SchedulingProblem.from_dataset(ds)
        built = ScheduleModel(problem, problem.serial_bound)
        alts = [a for alts in built.alts for a in alts]
        assert triangle_ok(problem, 0, alts) is ok
        r = oms_plan.schedule_orders(problem, objective="makespan", time_limit=2, workers=2)
        assert r.has_schedule


def test_two_units_with_changeovers_take_any_unit_numbering_as_hint() -> None:
    ds = shop(
        workstations=[{"workstation": "M", "units": 2}],
        routing=[
            {"item": "A", "step": 10, "workstation": "M", "run_minutes": 60, "setup_family": "a"},
            {"item": "B", "step": 10, "workstation": "M", "run_minutes": 60, "setup_family": "b"},
        ],
        setups=[
            {"from_family": "a", "to_family": "b", "minutes": 30},
            {"from_family": "b", "to_family": "a", "minutes": 30},
        ],
        orders=[
            {"supply": f"MO-{k}", "item": "AB"[k % 2], "quantity": 1, "priority": 1 + k % 5}
            for k in range(6)
        ],
    )
    problem = SchedulingProblem.from_dataset(ds)
    start = dispatch(problem, "edd")
    assert start is not None
    # Swap the unit numbers: the model renumbers them by first use before hinting.
    swapped = type(start)(
        start.alternative, tuple(3 - u for u in start.unit), start.start, start.end
    )
    assert check_schedule(problem, swapped).ok
    options = ScheduleOptions(time_limit=2.0, workers=2, hint=swapped)
    outcome = cpsat.solve(problem, options)
    assert outcome.solution is not None
    assert check_schedule(problem, outcome.solution).ok
    value = objective_values(problem, outcome.solution)["weighted_tardiness"]
    assert value <= objective_values(problem, start)["weighted_tardiness"]


def test_sample_with_planned_orders_meets_the_five_percent_gap() -> None:
    sample = oms_plan.load(Path(__file__).resolve().parents[2] / "data" / "sample")
    planned = oms_plan.plan_materials(sample).planned_orders
    make = planned.loc[planned["method"] == "make"]
    problem = SchedulingProblem.from_dataset(sample, orders=make)
    r = oms_plan.schedule_orders(problem, time_limit=1.0, deterministic=True)
    assert r.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert r.stats.gap <= 0.05, r.summary()
