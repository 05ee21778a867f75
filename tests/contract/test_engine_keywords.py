"""The common engine keywords: solver, time_limit, workers, seed, hint and verify."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

import oms_plan
from oms_plan.errors import PlanningError

DATA = Path(__file__).resolve().parents[2] / "data"
COMMON = ("solver", "time_limit", "workers", "seed", "hint", "verify")


@pytest.fixture(scope="module")
def tiny() -> oms_plan.Dataset:
    return oms_plan.load(DATA / "tiny")


@pytest.mark.parametrize("engine", [oms_plan.allocate_stock, oms_plan.schedule_orders])
def test_solver_engines_take_the_common_keywords(engine: object) -> None:
    params = inspect.signature(engine).parameters  # type: ignore[arg-type]
    for name in COMMON:
        assert name in params, name
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    assert params["seed"].default == 0
    assert params["verify"].default is False
    assert params["hint"].default is None


def test_allocation_verify_seed_and_hint(tiny: oms_plan.Dataset) -> None:
    first = oms_plan.allocate_stock(tiny, policy="fair_share", verify=True, seed=3)
    again = oms_plan.allocate_stock(tiny, policy="fair_share", hint=first, verify=True, seed=3)
    assert again.kpis["on_time_pct"] == first.kpis["on_time_pct"]
    assert oms_plan.check(again, tiny).ok


def test_a_hint_that_no_longer_fits_is_not_trusted(tiny: oms_plan.Dataset) -> None:
    first = oms_plan.allocate_stock(tiny, policy="fair_share")
    # Same shape, impossible quantities: CP-SAT must not keep it as its fallback.
    wild = type(first)(**{**first.__dict__, "flows": np.full_like(first.flows, 10**9)})
    again = oms_plan.allocate_stock(tiny, policy="fair_share", hint=wild, verify=True)
    assert oms_plan.check(again, tiny).ok
    # Another problem's flows (another length) are ignored.
    short = type(first)(**{**first.__dict__, "flows": first.flows[:1]})
    assert oms_plan.allocate_stock(tiny, policy="fair_share", hint=short, verify=True).kpis


def test_mrp_verify(tiny: oms_plan.Dataset) -> None:
    assert oms_plan.plan_materials(tiny, verify=True).status.value == "optimal"


def test_bad_common_keywords_are_planning_errors(tiny: oms_plan.Dataset) -> None:
    with pytest.raises(PlanningError):
        oms_plan.allocate_stock(tiny, time_limit=0)
    with pytest.raises(PlanningError):
        oms_plan.allocate_stock(tiny, workers=0)
    with pytest.raises(PlanningError, match="unknown allocation solver"):
        oms_plan.allocate_stock(tiny, solver="nope")


@pytest.mark.parametrize("name", ["solver", "time_limit", "workers"])
def test_solver_engines_share_defaults(name: str) -> None:
    allocate = inspect.signature(oms_plan.allocate_stock).parameters[name].default
    schedule = inspect.signature(oms_plan.schedule_orders).parameters[name].default
    assert allocate == schedule, (name, allocate, schedule)
