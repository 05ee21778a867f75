"""Scheduling on shift calendars: today's CP-SAT model vs the greedy dispatcher vs the old one.

For data/sample and generated plants (the open manufacturing orders plus MRP's planned make
orders, as ``oms-plan plan`` schedules them), in one run and with the same settings, it
minimizes weighted tardiness with

* **greedy**: the better of the ``edd`` and ``atc`` dispatching rules;
* **new**: ``oms_solvers.cpsat.schedule`` (this tree's back-end);
* **old**: the back-end as of commit ``727ae98`` (stretch tables, per-unit circuits), taken
  out of git into a temporary module — kept reachable for this comparison only;

both CP-SAT back-ends through the same decomposition as :func:`oms_plan.schedule_orders`
(workstation groups, time windows for large ones), deterministic, one worker, the given
deterministic time per group. It prints objective, bound, gap and wall seconds, and, on
each instance's largest group, the wall time each model needs to its first solution
without any warm start (model size and propagation, not the greedy start).

Usage::

    nice python benchmarks/schedule_calendar.py                       # sample, 1k, 20k lines
    python benchmarks/schedule_calendar.py --scales 1000 --time-limit 2
    python benchmarks/schedule_calendar.py --no-old                   # new model only
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "solvers"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from oms_solvers.cpsat import schedule as new_backend  # noqa: E402
from oms_solvers.greedy.schedule import dispatch  # noqa: E402
from ortools.sat.python import cp_model  # noqa: E402

import oms_plan  # noqa: E402
from oms_plan.generate import generate_dataset  # noqa: E402
from oms_plan.replan.pipeline import _planned_priorities  # noqa: E402
from oms_plan.schedule import SchedulingProblem  # noqa: E402
from oms_plan.schedule.checker import check_schedule  # noqa: E402
from oms_plan.schedule.decomposed import solve_in_parts  # noqa: E402
from oms_plan.schedule.options import ScheduleOptions  # noqa: E402
from oms_plan.schedule.parts import restrict, workstation_groups  # noqa: E402
from oms_plan.schedule.solution import objective_values  # noqa: E402

#: The commit whose back-end is "old" (before the calendar work of issue 13).
OLD_COMMIT = "727ae98"
OLD_PATH = "solvers/oms_solvers/cpsat/schedule.py"


def old_backend() -> ModuleType | None:
    """Today's predecessor, loaded from git (``None`` when git or the commit is missing)."""
    try:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:{OLD_PATH}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    folder = Path(tempfile.mkdtemp(prefix="oms_old_cpsat_"))
    file = folder / "old_cpsat_schedule.py"
    file.write_text(text)
    spec = importlib.util.spec_from_file_location("old_cpsat_schedule", file)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def problem_of(dataset: oms_plan.Dataset) -> SchedulingProblem:
    """Open manufacturing orders plus MRP's planned make orders (as ``plan`` does)."""
    materials = oms_plan.plan_materials(dataset)
    planned = materials.planned_orders
    make = planned.loc[planned["method"] == "make"].copy()
    # The priorities plan() gives them (inherited from the lines they serve).
    make["priority"] = _planned_priorities(dataset, materials.pegging, make)
    return SchedulingProblem.from_dataset(dataset, orders=make if not make.empty else None)


@dataclass
class Row:
    """One solver's figures on one instance."""

    objective: float
    bound: float
    seconds: float

    @property
    def gap(self) -> float:
        """(objective − bound) / objective."""
        if not math.isfinite(self.bound) or self.objective <= 0:
            return 0.0 if self.objective == self.bound else math.nan
        return (self.objective - self.bound) / self.objective


def run_greedy(problem: SchedulingProblem) -> Row:
    """The better dispatching rule."""
    began = time.perf_counter()
    values = []
    for rule in ("edd", "atc"):
        found = dispatch(problem, rule)
        if found is not None:
            values.append(objective_values(problem, found)["weighted_tardiness"])
    return Row(float(min(values)), math.nan, time.perf_counter() - began)


def run_parts(problem: SchedulingProblem, backend: Any, limit: float) -> Row:
    """A back-end through schedule_orders' decomposition, deterministic."""
    options = ScheduleOptions(time_limit=limit, workers=1, deterministic=True)
    began = time.perf_counter()
    out = solve_in_parts(problem, backend, options)
    seconds = time.perf_counter() - began
    broken = check_schedule(problem, out.solution).violations
    if broken:
        raise SystemExit(f"{getattr(backend, '__name__', backend)}: invalid schedule: {broken[0]}")
    return Row(out.stats.objective, out.stats.bound, seconds)


def first_solution(problem: SchedulingProblem, backend: Any, new: bool, cap: float) -> float:
    """Wall seconds from building the model to CP-SAT's first solution, without a hint."""
    began = time.perf_counter()
    if new:
        built = backend.ScheduleModel(problem, problem.serial_bound, ("weighted_tardiness",))
    else:
        built = backend.ScheduleModel(problem, problem.serial_bound)
    built.model.minimize(built.objectives["weighted_tardiness"])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.stop_after_first_solution = True
    solver.parameters.max_time_in_seconds = cap
    if built.num_tables:
        solver.parameters.cp_model_presolve = False
    code = solver.solve(built.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return math.inf
    return time.perf_counter() - began


def largest_group(problem: SchedulingProblem) -> SchedulingProblem:
    """The workstation group with the most operations, as a problem of its own."""
    groups = workstation_groups(problem)
    biggest = max(
        groups,
        key=lambda g: sum(len(problem.orders[i].operations) for i in g.orders),
    )
    return restrict(problem, biggest.orders)[0]


def fmt(x: float, digits: int = 0) -> str:
    """A number for the table."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:,.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="1000,20000", help="generated plants (order lines)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=1.0, help="deterministic s/group")
    parser.add_argument("--first-cap", type=float, default=60.0, help="cap of the cold start")
    parser.add_argument("--no-old", action="store_true", help="skip the old model")
    args = parser.parse_args(argv)
    old = None if args.no_old else old_backend()
    if old is None and not args.no_old:
        print(f"old model not available (git show {OLD_COMMIT}): its columns show n/a")
    sample = oms_plan.load(ROOT / "data" / "sample")
    instances: list[tuple[str, oms_plan.Dataset]] = [("sample", sample)]
    for scale in (int(s) for s in args.scales.split(",") if s):
        instances.append((f"gen-{scale}", generate_dataset(scale, seed=args.seed)))
    print(
        f"weighted tardiness, {args.time_limit:g} deterministic s per workstation group, "
        "1 worker; gap = (objective - bound) / objective; first = wall s to the first "
        "solution without warm start on the largest group"
    )
    header = (
        f"{'instance':<11}{'orders':>7}{'ops':>7} | {'greedy':>12}{'s':>6} | "
        f"{'old':>12}{'bound':>12}{'gap':>7}{'s':>6}{'first':>7} | "
        f"{'new':>12}{'bound':>12}{'gap':>7}{'s':>6}{'first':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, dataset in instances:
        problem = problem_of(dataset)
        greedy = run_greedy(problem)
        new = run_parts(problem, new_backend, args.time_limit)
        big = largest_group(problem)
        new_first = first_solution(big, new_backend, True, args.first_cap)
        if old is not None:
            old_row = run_parts(problem, old, args.time_limit)
            old_first = first_solution(big, old, False, args.first_cap)
        else:
            old_row, old_first = Row(math.nan, math.nan, math.nan), math.nan
        print(
            f"{name:<11}{problem.num_orders:>7}{problem.num_operations:>7} | "
            f"{fmt(greedy.objective):>12}{greedy.seconds:>6.1f} | "
            f"{fmt(old_row.objective):>12}{fmt(old_row.bound):>12}"
            f"{fmt(100 * old_row.gap, 1):>6}%{fmt(old_row.seconds, 1):>6}{fmt(old_first, 1):>7} | "
            f"{fmt(new.objective):>12}{fmt(new.bound):>12}"
            f"{fmt(100 * new.gap, 1):>6}%{new.seconds:>6.1f}{fmt(new_first, 1):>7}",
            flush=True,
        )


if __name__ == "__main__":
    main()
