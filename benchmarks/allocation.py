"""Allocation benchmark: optimal policies vs first-come-first-served on scarce generated data.

For each size, a generated dataset with supply at 80% of demand; the same problem is solved
by ``allocate_stock`` (default back-ends: exact min-cost flow, CP-SAT or flow repair with a
reported gap) under ``weighted`` and ``strict_priority``, and by the greedy FCFS baseline.
Prints one row per (size, method): seconds, status, gap, on-time %, fill rate, shipping cost,
broken commitments and the weighted objective (default weights) with its ratio to greedy.

Usage::

    python benchmarks/allocation.py            # 1k, 10k, 100k lines
    python benchmarks/allocation.py --small    # 1k and 10k lines
    python benchmarks/allocation.py --sizes 5000 --policies weighted
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "solvers")]

from oms_plan.allocate import allocate_stock, check_allocation  # noqa: E402
from oms_plan.generate import generate_dataset  # noqa: E402


def run(sizes: list[int], policies: list[str], seed: int, time_limit: float, check: bool) -> None:
    header = (
        f"{'lines':>7} {'method':<18} {'secs':>7} {'status':<9} {'gap':>7} {'on-time%':>8} "
        f"{'fill%':>6} {'ship cost':>11} {'broken':>6} {'weighted obj':>13} {'vs greedy':>9}"
    )
    print(f"allocation benchmark: supply 80% of demand, seed {seed}, cores {os.cpu_count()}")
    print(header)
    print("-" * len(header))
    for n in sizes:
        t0 = time.perf_counter()
        ds = generate_dataset(n, supply_ratio=0.8, seed=seed)
        gen = time.perf_counter() - t0
        runs = [("greedy (FCFS)", "weighted", "greedy")] + [(p, p, None) for p in policies]
        base = math.nan
        for label, policy, solver in runs:
            t = time.perf_counter()
            r = allocate_stock(ds, policy=policy, solver=solver, time_limit=time_limit)
            secs = time.perf_counter() - t
            k = r.kpis
            w = float(k["weighted_objective"])
            if solver == "greedy":
                base = w
            ok = ""
            if check:
                report = check_allocation(ds, r.promises)
                ok = " checked" if report.ok else f" CHECK FAILED: {report.violations[:3]}"
            print(
                f"{n:>7} {label:<18} {secs:>7.2f} {r.stats.status.value:<9} "
                f"{r.stats.gap:>7.4f} {float(k['on_time_pct']):>8.2f} "
                f"{float(k['fill_rate_pct']):>6.2f} {float(k['shipping_cost']):>11,.0f} "
                f"{int(k['broken_commitments']):>6} {w:>13,.0f} {w / base:>9.3f}{ok}",
                flush=True,
            )
        print(f"{n:>7} (generated in {gen:.1f}s; {r.backends})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1k and 10k lines only")
    parser.add_argument("--sizes", type=int, nargs="*", help="Order lines per dataset")
    parser.add_argument(
        "--policies", nargs="*", default=["weighted", "strict_priority"], help="Policies to run"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=float, default=30.0, help="MIP seconds per run")
    parser.add_argument("--check", action="store_true", help="Run the independent checker")
    args = parser.parse_args()
    sizes = args.sizes or ([1_000, 10_000] if args.small else [1_000, 10_000, 100_000])
    run(sizes, args.policies, args.seed, args.time_limit, args.check)


if __name__ == "__main__":
    main()
