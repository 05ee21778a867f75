"""The bundled sample through CP-SAT: shared alternative variables once broke its warm start."""

from __future__ import annotations

from pathlib import Path

import pytest
from schedule_shops import assert_valid

import oms_plan
from oms_plan.schedule import SchedulingProblem, schedule_orders

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def sample() -> oms_plan.Dataset:
    return oms_plan.load(SAMPLE)


def test_cpsat_schedules_the_sample_open_orders(sample: oms_plan.Dataset) -> None:
    result = schedule_orders(sample, time_limit=2, workers=1)
    assert result.status.value in ("optimal", "feasible")
    assert_valid(sample, result)


def test_cpsat_schedules_the_sample_with_planned_make_orders(sample: oms_plan.Dataset) -> None:
    planned = oms_plan.plan_materials(sample).planned_orders
    make = planned.loc[planned["method"] == "make"]
    problem = SchedulingProblem.from_dataset(sample, orders=make)
    result = schedule_orders(problem, time_limit=0.2, deterministic=True)
    assert result.has_schedule
    assert_valid(problem, result)
    assert set(make["planned_order"]) <= set(result.to_frame()["order"])
