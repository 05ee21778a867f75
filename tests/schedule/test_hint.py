"""The ``hint`` keyword of ``schedule_orders``: a previous schedule, as every engine's hint."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import oms_plan.schedule.solve as solve_module
from oms_plan import Dataset, PlanningError
from oms_plan.backends import schedule_backend
from oms_plan.schedule import ScheduleOptions, SchedulingProblem, schedule_orders

FAST: dict[str, Any] = {"time_limit": 2.0, "workers": 1}


class _Recording:
    """The CP-SAT back-end, remembering the start each solve was given."""

    NAME = "cpsat"

    def __init__(self) -> None:
        self.inner = schedule_backend("cpsat")
        self.CAPABILITIES = self.inner.CAPABILITIES
        self.hints: list[object] = []

    def solve(self, problem: SchedulingProblem, options: ScheduleOptions) -> Any:
        self.hints.append(options.hint)
        return self.inner.solve(problem, options)


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> _Recording:
    backend = _Recording()
    monkeypatch.setattr(solve_module, "schedule_backend", lambda name, needs=(): backend)
    return backend


def test_by_default_the_backend_starts_from_the_greedy_schedule(
    tiny: Dataset, recording: _Recording
) -> None:
    schedule_orders(tiny, **FAST)
    assert recording.hints and all(h is not None for h in recording.hints)


def test_warm_start_false_gives_the_backend_no_start(tiny: Dataset, recording: _Recording) -> None:
    result = schedule_orders(tiny, warm_start=False, **FAST)
    assert recording.hints and all(h is None for h in recording.hints)
    assert result.has_schedule


@pytest.mark.parametrize(
    ("old", "warm"),
    [
        ("greedy", True),  # was the default: the greedy schedule
        ("none", False),  # turned the warm start off
    ],
)
def test_the_old_string_hints_still_work_with_a_deprecation_warning(
    tiny: Dataset, recording: _Recording, old: str, warm: bool
) -> None:
    with pytest.warns(DeprecationWarning, match=f"hint={old!r}"):
        schedule_orders(tiny, hint=old, **FAST)  # type: ignore[arg-type]
    assert all((h is not None) is warm for h in recording.hints)


@pytest.mark.parametrize(
    "bad",
    [
        "previous",  # a string that never was a hint
        3,  # a number
        {"order": ["MO-1"]},  # a dict, not a table
    ],
)
def test_a_hint_that_is_not_a_schedule_is_a_clear_error(tiny: Dataset, bad: object) -> None:
    with pytest.raises(PlanningError, match="hint must be a previous ScheduleResult"):
        schedule_orders(tiny, hint=bad, **FAST)  # type: ignore[arg-type]


def test_a_hint_with_warm_start_false_is_a_contradiction(tiny: Dataset) -> None:
    first = schedule_orders(tiny, **FAST)
    with pytest.raises(PlanningError, match="warm_start=False"):
        schedule_orders(tiny, hint=first, warm_start=False, **FAST)
    with pytest.raises(PlanningError, match="warm_start=False"):
        schedule_orders(tiny, hint=first.to_frame(), warm_start=False, **FAST)


def test_a_previous_result_and_its_table_are_the_same_hint(tiny: Dataset) -> None:
    first = schedule_orders(tiny, **FAST)
    by_result = schedule_orders(tiny, hint=first, deterministic=True, **FAST)
    by_table = schedule_orders(tiny, hint=first.to_frame(), deterministic=True, **FAST)
    assert isinstance(first.to_frame(), pd.DataFrame)
    assert by_result.to_frame().equals(by_table.to_frame())
    assert not [d for d in by_result.diagnostics if d.kind == "hint_ignored"]
