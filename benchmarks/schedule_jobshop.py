"""Job-shop and flexible job-shop benchmark of oms_plan's scheduler against published results.

For each instance (OR-Library ``.txt`` job shop or Brandimarte ``.fjs``), in the same run and
with the same time limit and workers, it minimizes the makespan with

* **oms_plan**: the instance converted into an oms_plan dataset (benchmarks/jobshop_io.py)
  and solved through the public API ``oms_plan.schedule_orders(..., objective="makespan")``;
* **plain**: a plain CP-SAT job-shop model written directly against OR-Tools (one interval
  per operation and machine, exactly-one over alternatives, no-overlap per machine);
* **pyjobshop**: the PyJobShop package (``pip install pyjobshop``), when installed;

and prints makespan and gap to the best known upper bound (``bks.csv``) side by side, next to
CP-SAT's published figures (``engine_results_*.csv``: 600 s on 4 cores for job shops,
900 s / 8 workers from PyJobShop's experiments for both).

Usage::

    nice python benchmarks/schedule_jobshop.py                   # default subset, < 15 min
    python benchmarks/schedule_jobshop.py --full                 # la01-la40 60 s, mk01-mk10
    python benchmarks/schedule_jobshop.py ft10 mk03 --time-limit 20 --workers 2
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "solvers"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import itertools  # noqa: E402

from ortools.sat.python import cp_model  # noqa: E402

import oms_plan  # noqa: E402
from benchmarks.jobshop_io import (  # noqa: E402
    INSTANCES,
    Instance,
    best_known,
    instance_path,
    read_instance,
    to_dataset,
)

DEFAULT = [
    "ft06",
    "ft10",
    "la01",
    "la02",
    "la03",
    "la04",
    "la05",
    "la16",
    "la21",
    "mk01",
    "mk02",
    "mk04",
]
FULL = [f"la{i:02d}" for i in range(1, 41)] + [f"mk{i:02d}" for i in range(1, 11)]


def solve_oms(inst: Instance, time_limit: float, workers: int) -> tuple[float, float, float]:
    """(makespan, bound, seconds) through oms_plan's public API (conversion not timed)."""
    ds = to_dataset(inst)
    began = time.perf_counter()
    r = oms_plan.schedule_orders(ds, objective="makespan", time_limit=time_limit, workers=workers)
    seconds = time.perf_counter() - began
    return float(r.values.get("makespan", math.nan)), r.stats.bound, seconds


def solve_plain(inst: Instance, time_limit: float, workers: int) -> tuple[float, float, float]:
    """(makespan, bound, seconds) of a plain CP-SAT (flexible) job-shop model."""
    m = cp_model.CpModel()
    horizon = sum(max(d for _, d in op) for job in inst.jobs for op in job)
    per_machine: dict[int, list[cp_model.IntervalVar]] = {}
    ends = []
    for j, job in enumerate(inst.jobs):
        prev_end = None
        for k, op in enumerate(job):
            start = m.new_int_var(0, horizon, f"s{j}_{k}")
            end = m.new_int_var(0, horizon, f"e{j}_{k}")
            if len(op) == 1:
                machine, d = op[0]
                per_machine.setdefault(machine, []).append(
                    m.new_interval_var(start, d, end, f"i{j}_{k}")
                )
            else:
                lits = []
                for machine, d in op:
                    lit = m.new_bool_var(f"x{j}_{k}_{machine}")
                    per_machine.setdefault(machine, []).append(
                        m.new_optional_interval_var(start, d, end, lit, f"i{j}_{k}_{machine}")
                    )
                    lits.append(lit)
                m.add_exactly_one(lits)
            if prev_end is not None:
                m.add(start >= prev_end)
            prev_end = end
        ends.append(prev_end)
    for intervals in per_machine.values():
        m.add_no_overlap(intervals)
    makespan = m.new_int_var(0, horizon, "makespan")
    m.add_max_equality(makespan, ends)
    m.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    began = time.perf_counter()
    status = solver.solve(m)
    seconds = time.perf_counter() - began
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return math.nan, math.nan, seconds
    return float(solver.objective_value), float(solver.best_objective_bound), seconds


def solve_pyjobshop(
    inst: Instance, time_limit: float, workers: int
) -> tuple[float, float, float] | None:
    """(makespan, bound, seconds) with PyJobShop's OR-Tools back-end; ``None`` if not installed."""
    try:
        from pyjobshop import Model
    except ImportError:
        return None
    model = Model()
    machines = [model.add_machine() for _ in range(inst.num_machines)]
    for job in inst.jobs:
        pj = model.add_job()
        tasks = []
        for op in job:
            task = model.add_task(job=pj)
            for machine, d in op:
                model.add_mode(task, machines[machine], d)
            tasks.append(task)
        for a, b in itertools.pairwise(tasks):
            model.add_end_before_start(a, b)
    began = time.perf_counter()
    result = model.solve("ortools", time_limit=time_limit, display=False, num_workers=workers)
    seconds = time.perf_counter() - began
    if not math.isfinite(result.objective):
        return math.nan, math.nan, seconds
    return float(result.objective), float(result.lower_bound), seconds


def published(name: str) -> dict[str, str]:
    """CP-SAT's published upper bounds for ``name`` (empty strings when not listed)."""
    out = {"cpsat600s": "", "cpsat900s8w": ""}
    files = [
        (INSTANCES / "jobshop" / "engine_results_600s.csv", "cpsat600s", "cpsat_9.15_ub"),
        (
            INSTANCES / "jobshop" / "engine_results_pyjobshop_900s.csv",
            "cpsat900s8w",
            "cpsat_9.11_ub",
        ),
        (INSTANCES / "fjsp" / "engine_results_pyjobshop_900s.csv", "cpsat900s8w", "cpsat_9.11_ub"),
    ]
    for path, key, column in files:
        with path.open() as fh:
            for row in csv.DictReader(fh):
                if row["name"] == name and row.get(column):
                    out[key] = row[column]
    return out


def gap(value: float, best: int | None) -> float:
    """Relative gap (%) of ``value`` to the best known upper bound."""
    if best is None or math.isnan(value):
        return math.nan
    return 100.0 * (value - best) / best


def fmt(x: float, digits: int = 2) -> str:
    """A number for the table (``n/a`` when missing)."""
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("instances", nargs="*", help="instance names (default: a subset)")
    parser.add_argument("--full", action="store_true", help="la01-la40 and mk01-mk10 at 60 s")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    names = args.instances or (FULL if args.full else DEFAULT)
    limit = args.time_limit if args.time_limit is not None else (60.0 if args.full else 10.0)
    try:
        import pyjobshop  # noqa: F401

        have_pjs = True
    except ImportError:
        have_pjs = False
        print("pyjobshop is not installed (pip install pyjobshop): its column shows n/a")
    print(
        f"time limit {limit:g} s, {args.workers} workers per solve; "
        "gaps in % to the best known upper bound"
    )
    header = (
        f"{'instance':<9}{'size':>7}{'bks':>7} | {'oms_plan':>9}{'gap':>7}{'s':>6} | "
        f"{'plain':>7}{'gap':>7}{'s':>6} | {'pyjobshop':>9}{'gap':>7}{'s':>6} | "
        f"{'cpsat600s':>9}{'gap':>7} {'cpsat900s8w':>11}{'gap':>7}"
    )
    print(header)
    print("-" * len(header))
    gaps: dict[str, list[float]] = {"oms": [], "plain": [], "pjs": []}
    for name in names:
        inst = read_instance(instance_path(name))
        _, ub = best_known(name)
        oms = solve_oms(inst, limit, args.workers)
        plain = solve_plain(inst, limit, args.workers)
        pjs = solve_pyjobshop(inst, limit, args.workers) if have_pjs else None
        pub = published(name)
        row_gaps = {"oms": gap(oms[0], ub), "plain": gap(plain[0], ub)}
        row_gaps["pjs"] = gap(pjs[0], ub) if pjs else math.nan
        for key, value in row_gaps.items():
            if not math.isnan(value):
                gaps[key].append(value)
        p600 = float(pub["cpsat600s"]) if pub["cpsat600s"] else math.nan
        p900 = float(pub["cpsat900s8w"]) if pub["cpsat900s8w"] else math.nan
        size = f"{len(inst.jobs)}x{inst.num_machines}"
        print(
            f"{name:<9}{size:>7}{ub or 0:>7} | "
            f"{fmt(oms[0], 0):>9}{fmt(row_gaps['oms']):>7}{oms[2]:>6.1f} | "
            f"{fmt(plain[0], 0):>7}{fmt(row_gaps['plain']):>7}{plain[2]:>6.1f} | "
            f"{fmt(pjs[0] if pjs else math.nan, 0):>9}{fmt(row_gaps['pjs']):>7}"
            f"{(pjs[2] if pjs else math.nan):>6.1f} | "
            f"{fmt(p600, 0):>9}{fmt(gap(p600, ub)):>7} {fmt(p900, 0):>11}{fmt(gap(p900, ub)):>7}",
            flush=True,
        )
    print("-" * len(header))
    for key, label in (("oms", "oms_plan"), ("plain", "plain CP-SAT"), ("pjs", "pyjobshop")):
        values = gaps[key]
        if values:
            mean = statistics.fmean(values)
            print(f"mean gap {label:<13} {mean:6.2f}%  (max {max(values):.2f}%, n={len(values)})")
        else:
            print(f"mean gap {label:<13}    n/a")


if __name__ == "__main__":
    main()
