"""Nervousness: how many promises move when 1 % of the order lines change.

Generates a dataset (``--scale`` lines, default 2,000; seed 5), plans it (the base), then
perturbs ``--share`` (default 1 %) of its order lines, chosen at random (fixed seed): half
get 50 % more quantity, half a requested date one week earlier. The perturbed dataset is
planned twice, from scratch and against the base (``previous=base``), and each plan is
compared with the base:

* changed lines — lines promised differently (quantity, date, ship-from or status);
* of them untouched — lines whose own order line was not perturbed (the nervousness);
* seconds — the time of that replan.

    python benchmarks/nervousness.py
    python benchmarks/nervousness.py --scale 20000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import oms_plan
from oms_plan.generate import generate_dataset


def perturbed(ds, share, seed):
    orders = ds.orders.copy()
    rng = np.random.default_rng(seed)
    count = max(1, round(share * len(orders)))
    chosen = np.sort(rng.choice(len(orders), size=count, replace=False))
    more, sooner = chosen[::2], chosen[1::2]
    orders.loc[orders.index[more], "quantity"] = (
        orders.loc[orders.index[more], "quantity"] * 1.5
    ).round()
    earlier = orders.loc[orders.index[sooner], "requested_date"] - pd.Timedelta(days=7)
    orders.loc[orders.index[sooner], "requested_date"] = earlier.clip(lower=pd.Timestamp(ds.start))
    keys = set(zip(orders["order"].iloc[chosen], orders["line"].iloc[chosen], strict=True))
    return ds.replace(orders=orders), keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--schedule-solver", default="greedy")
    args = parser.parse_args()
    ds = generate_dataset(args.scale, seed=args.seed)
    options = {"schedule_solver": args.schedule_solver}
    began = time.perf_counter()
    base = oms_plan.plan(ds, **options)
    print(f"base plan of {len(ds.orders)} lines: {time.perf_counter() - began:.1f} s")
    edited, keys = perturbed(ds, args.share, args.seed)
    print(f"perturbed {len(keys)} lines ({args.share:.1%})")
    print(f"{'replan':<22} {'changed lines':>14} {'of them untouched':>18} {'seconds':>9}")
    for name, previous in (("from scratch", None), ("previous=base", base)):
        began = time.perf_counter()
        after = oms_plan.plan(edited, previous=previous, **options)
        seconds = time.perf_counter() - began
        diff = oms_plan.compare(base, after)
        moved = set(zip(diff.promises["order"], diff.promises["line"], strict=True))
        print(f"{name:<22} {len(moved):>14} {len(moved - keys):>18} {seconds:>9.1f}")


if __name__ == "__main__":
    main()
