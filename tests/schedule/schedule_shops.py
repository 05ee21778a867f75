"""Small shops built in code, and a helper that checks every schedule a test produces."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from oms_plan import Dataset, Model
from oms_plan.schedule import SchedulingProblem, Solution, check_schedule
from oms_plan.schedule.result import ScheduleResult

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

START = "2026-11-23"  # a Monday


def shop(
    *,
    workstations: list[dict[str, Any]],
    routing: list[dict[str, Any]],
    orders: list[dict[str, Any]],
    shifts: list[dict[str, Any]] | None = None,
    downtime: list[dict[str, Any]] | None = None,
    setups: list[dict[str, Any]] | None = None,
    start: str = START,
) -> Dataset:
    """A one-plant dataset: items from routing/orders, make sourcing, the given shop."""
    m = Model(start=start, horizon_days=30)
    m.add_location(location="P1", kind="plant")
    items = sorted({r["item"] for r in routing} | {o["item"] for o in orders})
    for item in items:
        m.add_item(item=item)
        m.add_sourcing(item=item, location="P1", method="make", lead_days=1)
    for ws in workstations:
        m.add_workstation(location="P1", **ws)
    for r in routing:
        m.add_routing_step(**r)
    for s in shifts or []:
        m.add_shift(**s)
    for d in downtime or []:
        m.add_downtime(**d)
    for s in setups or []:
        m.add_setup(**s)
    for o in orders:
        row = {"kind": "production", "location": "P1", "due_date": start, **o}
        m.add_supply(**row)
    return m.dataset()


def solution_of(problem: SchedulingProblem, result: ScheduleResult) -> Solution:
    """The :class:`Solution` behind a result (rebuilt from its schedule table)."""
    from oms_plan.schedule.table import solution_from_frame

    solution, why = solution_from_frame(problem, result.to_frame())
    assert solution is not None, why
    return solution


def assert_valid(dataset: Dataset | SchedulingProblem, result: ScheduleResult) -> Solution:
    """The checker finds nothing wrong with ``result`` (and the result has a schedule)."""
    problem = (
        dataset
        if isinstance(dataset, SchedulingProblem)
        else SchedulingProblem.from_dataset(dataset)
    )
    assert result.has_schedule, result.summary()
    solution = solution_of(problem, result)  # solution_from_frame runs the checker too
    assert check_schedule(problem, solution).ok
    return solution


def random_shop(seed: int, *, n_orders: int = 6) -> Dataset:
    """A random small shop with calendars, downtime, units, alternatives and setups."""
    rnd = random.Random(seed)
    wss = []
    for i in range(3):
        ws: dict[str, Any] = {
            "workstation": f"W{i}",
            "units": rnd.choice([1, 1, 2]),
            "pausable": rnd.random() < 0.6,
        }
        if rnd.random() < 0.6:
            ws["calendar"] = "DAY"
        wss.append(ws)
    shifts = [{"calendar": "DAY", "weekday": d, "start": "06:00", "end": "14:00"} for d in range(5)]
    shifts += [
        {"calendar": "DAY", "weekday": d, "start": "15:00", "end": "22:00"} for d in range(5)
    ]
    downtime = [{"workstation": "W0", "start": "2026-11-24T08:00", "end": "2026-11-24T12:00"}]
    routing = []
    for k in range(3):
        steps = rnd.randint(1, 3)
        for s in range(steps):
            choices = rnd.sample(["W0", "W1", "W2"], rnd.randint(1, 2))
            for w in choices:
                routing.append(
                    {
                        "item": f"I{k}",
                        "step": 10 * (s + 1),
                        "workstation": w,
                        "run_minutes": rnd.choice([5, 10, 15]),
                        "setup_minutes": rnd.choice([0, 20]),
                        "setup_family": rnd.choice(["A", "B", None]),
                    }
                )
    setups = [
        {"from_family": "A", "to_family": "B", "minutes": 45},
        {"from_family": "B", "to_family": "A", "minutes": 30},
    ]
    orders = [
        {
            "supply": f"MO-{j}",
            "item": f"I{rnd.randint(0, 2)}",
            "quantity": rnd.randint(1, 12),
            "due_date": f"2026-11-{23 + rnd.randint(0, 4)}",
            "release_date": f"2026-11-{23 + rnd.randint(0, 1)}",
            "priority": rnd.randint(1, 5),
        }
        for j in range(n_orders)
    ]
    return shop(
        workstations=wss,
        routing=routing,
        orders=orders,
        shifts=shifts,
        downtime=downtime,
        setups=setups,
    )
