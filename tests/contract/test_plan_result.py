"""The replan's ``Plan`` on the shared result contract: what is particular to it."""

from __future__ import annotations

import dataclasses
import math
import pickle
from pathlib import Path

import pytest

import oms_plan
from oms_plan.replan.plan_folder import read_plan
from oms_plan.results import SolverStats, SolveStatus, worst_status

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def tiny_plan() -> oms_plan.Plan:
    return oms_plan.plan(oms_plan.load(DATA / "tiny"), schedule_time_limit=2)


def test_the_solves_are_kept_by_stage_and_part(tiny_plan: oms_plan.Plan) -> None:
    assert set(tiny_plan.part_stats) == {"allocate[0]", "schedule[0]"}
    assert all(isinstance(s, SolverStats) for s in tiny_plan.part_stats.values())


def test_stats_sum_up_the_solves(tiny_plan: oms_plan.Plan) -> None:
    stats = tiny_plan.stats
    assert stats.status is tiny_plan.status
    assert stats.runtime == tiny_plan.runtime
    # Each back-end once, in the order it first ran.
    names = [n for s in tiny_plan.part_stats.values() for n in s.solver.split("+")]
    assert stats.solver.split("+") == list(dict.fromkeys(names))
    assert math.isnan(stats.objective) and math.isnan(stats.bound)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((SolveStatus.OPTIMAL, SolveStatus.FEASIBLE), SolveStatus.FEASIBLE),
        ((SolveStatus.OPTIMAL, SolveStatus.EMPTY), SolveStatus.OPTIMAL),  # an empty part
        ((SolveStatus.FEASIBLE, SolveStatus.NO_SOLUTION), SolveStatus.NO_SOLUTION),
        ((SolveStatus.NO_SOLUTION, SolveStatus.INFEASIBLE), SolveStatus.INFEASIBLE),
        ((SolveStatus.EMPTY, SolveStatus.EMPTY), SolveStatus.EMPTY),  # nothing to solve
    ],
)
def test_the_status_is_the_worst_of_the_solves(
    tiny_plan: oms_plan.Plan, statuses: tuple[SolveStatus, ...], expected: SolveStatus
) -> None:
    solves = {f"stage[{k}]": SolverStats("x", s) for k, s in enumerate(statuses)}
    assert dataclasses.replace(tiny_plan, part_stats=solves).status is expected


def test_nothing_solved_is_empty() -> None:
    assert worst_status(()) is SolveStatus.EMPTY


def test_a_plan_read_from_its_folder_keeps_its_status_and_kpis(
    tiny_plan: oms_plan.Plan, tmp_path: Path
) -> None:
    tiny_plan.write(tmp_path / "plan")
    back = read_plan(tmp_path / "plan")
    assert back.part_stats == {}
    assert back.status is tiny_plan.status
    assert list(back.kpis) == list(tiny_plan.kpis)
    assert back.kpi("lines") == tiny_plan.kpi("lines")


def test_a_plan_round_trips_through_json_and_pickle(tiny_plan: oms_plan.Plan) -> None:
    back = oms_plan.Plan.from_json(tiny_plan.to_json())
    assert back.part_stats == tiny_plan.part_stats
    assert (back.parts, back.runtime) == (tiny_plan.parts, tiny_plan.runtime)
    assert back.to_json() == tiny_plan.to_json()
    again = pickle.loads(pickle.dumps(tiny_plan))
    assert again.kpis == tiny_plan.kpis


def test_the_summary_says_the_status(tiny_plan: oms_plan.Plan) -> None:
    assert f"({tiny_plan.status.value})" in tiny_plan.summary().splitlines()[0]
