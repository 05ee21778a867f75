"""Invariants of the neighbourhood search on random small shops (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schedule_shops import shop

from oms_plan.schedule import SchedulingProblem, schedule_orders
from oms_plan.schedule import decomposed as decomposed_module

DAY = [{"calendar": "DAY", "weekday": d, "start": "06:00", "end": "14:00"} for d in range(5)]


@st.composite
def shops(draw: st.DrawFn) -> SchedulingProblem:
    units = draw(st.lists(st.integers(1, 2), min_size=2, max_size=3))
    pausable = draw(st.lists(st.booleans(), min_size=len(units), max_size=len(units)))
    stations = [
        {"workstation": f"M{k}", "calendar": "DAY", "units": u, "pausable": p or k == 0}
        for k, (u, p) in enumerate(zip(units, pausable, strict=True))
    ]
    routing = []
    for item in ("X", "Y"):
        steps = draw(st.integers(1, 3))
        for s in range(steps):
            k = draw(st.integers(0, len(stations) - 1))
            routing.append(
                {
                    "item": item,
                    "step": 10 * (s + 1),
                    "workstation": f"M{k}",
                    "run_minutes": draw(st.integers(5, 60)),
                    "setup_family": draw(st.sampled_from([None, "red", "blue"])),
                }
            )
    n = draw(st.integers(4, 12))
    orders = [
        {
            "supply": f"MO-{i:02d}",
            "item": draw(st.sampled_from(["X", "Y"])),
            "quantity": draw(st.integers(1, 4)),
            "priority": draw(st.integers(1, 5)),
            "release_date": f"2026-11-{23 + draw(st.integers(0, 4))}",
            "due_date": f"2026-11-{24 + draw(st.integers(0, 5))}",
        }
        for i in range(n)
    ]
    setups = [
        {"from_family": "red", "to_family": "blue", "minutes": draw(st.integers(0, 40))},
        {"from_family": "blue", "to_family": "red", "minutes": draw(st.integers(0, 40))},
    ]
    ds = shop(workstations=stations, routing=routing, orders=orders, shifts=DAY, setups=setups)
    return SchedulingProblem.from_dataset(ds)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=shops())
def test_search_keeps_schedules_valid_and_never_worse_than_greedy(
    problem: SchedulingProblem,
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(decomposed_module, "WHOLE_LIMIT", 3)
        mp.setattr(decomposed_module, "WINDOW_SIZE", 4)
        mp.setattr(decomposed_module, "MAX_WINDOWS", 2)
        searched = schedule_orders(problem, time_limit=0.2, deterministic=True, verify=True)
    greedy = schedule_orders(problem, solver="greedy")
    assert searched.has_schedule
    first = "weighted_tardiness"
    assert searched.values[first] <= greedy.values[first]
    for part in searched.parts:
        assert part.bound <= part.objective + 1e-9
    assert searched.stats.bound <= searched.stats.objective + 1e-9
