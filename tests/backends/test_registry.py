"""The back-end registry: typed look-ups, capabilities checked, entry points, one outcome."""

from __future__ import annotations

import types
from importlib.metadata import EntryPoint

import numpy as np
import pytest

import oms_plan
from oms_plan import backends
from oms_plan.allocate import allocate_stock, build_problem, build_stages
from oms_plan.backends import (
    AllocationBackend,
    ScheduleBackend,
    allocation_backend,
    available,
    get_backend,
    schedule_backend,
)
from oms_plan.errors import PlanningError
from oms_plan.results import BackendOutcome, SolverStats, SolveStatus
from oms_plan.schedule import ScheduleOptions, SchedulingProblem, schedule_orders

ALLOCATE = ["cpsat", "flow", "greedy", "pulp"]
SCHEDULE = ["cpsat", "greedy"]


def test_builtin_backends_are_listed() -> None:
    assert available("allocate") == ALLOCATE
    assert available("schedule") == SCHEDULE
    assert available("no-such-kind") == []


@pytest.mark.parametrize("name", ALLOCATE)
def test_allocation_backends_implement_their_protocol(name: str) -> None:
    backend = allocation_backend(name)
    assert isinstance(backend, AllocationBackend)
    assert name == backend.NAME
    assert isinstance(backend.CAPABILITIES, frozenset)
    assert {"strict_priority", "weighted", "protect_commitments"} <= backend.CAPABILITIES


@pytest.mark.parametrize("name", SCHEDULE)
def test_schedule_backends_implement_their_protocol(name: str) -> None:
    backend = schedule_backend(name)
    assert isinstance(backend, ScheduleBackend)
    assert name == backend.NAME


def test_every_backend_returns_the_one_outcome_type(tiny: oms_plan.Dataset) -> None:
    problem = build_problem(tiny)
    stages = build_stages(problem, "strict_priority")
    for name in ALLOCATE:
        # tiny has side constraints: the flow back-end solves them by relaxation and repair.
        outcome = allocation_backend(name).solve(problem, stages, time_limit=2, repair=True)
        assert isinstance(outcome, BackendOutcome)
        assert isinstance(outcome.stats, SolverStats)
        assert outcome.stats.solver.startswith(name)  # "flow-repair" says how it solved
        assert isinstance(outcome.solution, np.ndarray)
        assert len(outcome.stages) == len(stages)
    sched = SchedulingProblem.from_dataset(tiny)
    for name in SCHEDULE:
        outcome = schedule_backend(name).solve(sched, ScheduleOptions(time_limit=2))
        assert isinstance(outcome, BackendOutcome)
        assert outcome.stats.solver == name
        assert isinstance(outcome.stats.status, SolveStatus)


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(PlanningError, match="available: cpsat, flow, greedy, pulp"):
        allocation_backend("gurobi")
    with pytest.raises(PlanningError, match="unknown problem kind"):
        get_backend("route", "cpsat")


def test_a_missing_capability_is_a_clear_error_naming_who_has_it() -> None:
    with pytest.raises(PlanningError, match=r"'flow' cannot do fair_share; use one of: cpsat"):
        allocation_backend("flow", needs={"fair_share"})
    with pytest.raises(PlanningError, match=r"'greedy' cannot do hint; use one of: cpsat"):
        schedule_backend("greedy", needs={"hint"})


def test_engines_check_capabilities_before_solving(tiny: oms_plan.Dataset) -> None:
    with pytest.raises(PlanningError, match="cannot do fair_share"):
        allocate_stock(tiny, policy="fair_share", solver="flow")
    first = schedule_orders(tiny, time_limit=2)
    with pytest.raises(PlanningError, match="cannot do hint"):
        schedule_orders(tiny, solver="greedy", hint=first)
    # Without a previous schedule the greedy back-end needs no hint: it runs.
    assert schedule_orders(tiny, solver="greedy").status is not SolveStatus.NO_SOLUTION


def _fake_schedule_backend() -> types.ModuleType:
    """A third-party back-end: a module with NAME, CAPABILITIES and solve."""
    module = types.ModuleType("fake_backend")

    def solve(problem: SchedulingProblem, options: ScheduleOptions) -> BackendOutcome:  # type: ignore[type-arg]
        stats = SolverStats("fake", SolveStatus.EMPTY)
        return BackendOutcome(stats, None, (stats,))

    module.NAME = "fake"  # type: ignore[attr-defined]
    module.CAPABILITIES = frozenset({"bound"})  # type: ignore[attr-defined]
    module.solve = solve  # type: ignore[attr-defined]
    return module


def _with_entry_points(monkeypatch: pytest.MonkeyPatch, **targets: object) -> None:
    """Register ``targets`` (name → object) under the back-end entry-point group."""
    eps = [
        EntryPoint(
            name=name.replace("__", "."), value=f"fake:{name}", group=backends.ENTRY_POINT_GROUP
        )
        for name in targets
    ]
    loaded = {ep.name: targets[ep.value.split(":")[1]] for ep in eps}

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        return eps if group == backends.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(backends, "entry_points", fake_entry_points)
    monkeypatch.setattr(EntryPoint, "load", lambda self: loaded[self.name])


def test_entry_point_backends_are_found_and_typed(
    monkeypatch: pytest.MonkeyPatch, tiny: oms_plan.Dataset
) -> None:
    _with_entry_points(monkeypatch, schedule__fake=_fake_schedule_backend())
    assert available("schedule") == ["cpsat", "fake", "greedy"]
    backend = schedule_backend("fake", needs={"bound"})
    assert backend.NAME == "fake"
    result = schedule_orders(tiny, solver="fake")
    assert result.stats.solver == "fake"


def test_an_entry_point_that_is_no_backend_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_entry_points(monkeypatch, allocate__broken=types.ModuleType("broken"))
    with pytest.raises(PlanningError, match="does not implement AllocationBackend"):
        allocation_backend("broken")


def test_cpsat_only_trusts_a_hint_that_keeps_every_row(tiny: oms_plan.Dataset) -> None:
    import oms_solvers.cpsat.allocate as cpsat

    from oms_plan.allocate.formulation import build_model
    from oms_plan.backends import greedy_allocation

    problem = build_problem(tiny)
    stages = build_stages(problem, "strict_priority")
    options = np.arange(problem.num_options)
    model = build_model(problem, stages, options)
    fcfs = greedy_allocation(problem, np.ones(problem.num_components, dtype=bool))
    assert cpsat._satisfies(model, fcfs)
    assert not cpsat._satisfies(model, np.full_like(fcfs, 10**9))
