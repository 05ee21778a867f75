"""MRP netting benchmark: vectorized engine vs a straightforward per-buffer Python loop.

Generates a dataset with ``oms_plan.generate.generate_dataset`` (default 10,000 items,
5 BOM levels, 20 locations, 365 daily buckets; only item@locations with sourcing rows or
stock, receipts and demand become buffers), then times, excluding I/O:

* build      dataset → MRP arrays (``build_problem``), reported on its own;
* netting    netting + lot sizing + lead-time offsetting (``net_requirements``), median;
* baseline   the same plan computed buffer by buffer, day by day in plain Python
             (``oms_plan.mrp.reference.net_reference``), once;
* pegging    FIFO pegging of every supplier to every requirement (``peg``), median.

Both engines must plan the same orders; the script checks it and prints the ratio.

    python benchmarks/mrp_netting.py            # full size (about a minute of baseline)
    python benchmarks/mrp_netting.py --small    # 1,000 items, for a quick look
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from oms_plan.generate import generate_dataset
from oms_plan.mrp.netting import net_requirements
from oms_plan.mrp.pegging import peg
from oms_plan.mrp.problem import build_problem
from oms_plan.mrp.reference import net_reference


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="1,000 items instead of 10,000")
    ap.add_argument("--items", type=int, default=None)
    ap.add_argument("--locations", type=int, default=20)
    ap.add_argument("--horizon-days", type=int, default=365)
    ap.add_argument("--bom-levels", type=int, default=5)
    ap.add_argument("--lines-per-item", type=int, default=5, help="order lines per item")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (median)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-baseline", action="store_true", help="skip the Python loop")
    args = ap.parse_args()
    items = args.items or (1_000 if args.small else 10_000)

    t = time.perf_counter()
    ds = generate_dataset(
        items * args.lines_per_item,
        seed=args.seed,
        items=items,
        locations=args.locations,
        horizon_days=args.horizon_days,
        bom_levels=args.bom_levels,
    )
    gen = time.perf_counter() - t
    t = time.perf_counter()
    problem = build_problem(ds)
    build = time.perf_counter() - t
    print(
        f"dataset: {items} items, {args.locations} locations, {ds.horizon_days} days, "
        f"{len(ds.orders)} order lines, {len(ds.supply)} receipts, {len(ds.bom)} BOM rows "
        f"(generated in {gen:.1f} s)"
    )
    print(
        f"buffers: {problem.num_buffers} in {problem.num_stages} netting stages; "
        f"build (dataset → arrays) {build:.3f} s"
    )

    net_time, net = timed(lambda: net_requirements(problem), args.repeat)
    print(
        f"netting + lot sizing + offsetting (vectorized): {net_time:.3f} s median of "
        f"{args.repeat}; {net.num_orders} planned orders, {net.po_qty.sum():,.0f} units"
    )
    peg_time, pegs = timed(lambda: peg(problem, net), args.repeat)
    print(f"pegging: {peg_time:.3f} s median of {args.repeat}; {len(pegs)} pegs")

    if not args.no_baseline:
        t = time.perf_counter()
        ref = net_reference(problem)
        base = time.perf_counter() - t
        same = len(ref) == net.num_orders and np.allclose(
            sorted(q for *_, q, _ in ref), np.sort(net.po_qty)
        )
        print(f"baseline per-buffer Python loop: {base:.3f} s ({len(ref)} planned orders)")
        print(f"speed-up vectorized vs loop: {base / net_time:.1f}x; same plan: {same}")
        if not same:
            raise SystemExit("the vectorized engine and the loop disagree")
    goal = "met" if net_time <= 2.0 else "missed"
    print(f"goal ≤ 2 s for netting + lot sizing + offsetting: {goal}")


if __name__ == "__main__":
    main()
