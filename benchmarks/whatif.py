"""What-if timing: a scenario replanned against its base plan vs the full replan.

For data/sample (default) or a generated dataset (``--scale N``), in one run:

* full      ``oms_plan.plan(ds)`` — the nightly replan, default options (CP-SAT schedule);
* rush      ``Scenario(ds, base=full).add_order(...)`` → ``scenario.plan()``: a priority-1
            line for the item with the most open lines, due in ten days;
* down      ``Scenario(ds, base=full).machine_down(...)`` → ``scenario.plan()``: the busiest
            workstation down for a week, three weeks into the horizon;
* scratch   the rush order planned from scratch (``oms_plan.plan(rush.dataset)``), the
            cost a what-if had before stable replans.

Each what-if is timed ``--repeat`` times (median); the full replan once (it is the
baseline, and long). Ratios are what-if / full. The machine may be shared: quote ratios.

    python benchmarks/whatif.py                      # data/sample
    python benchmarks/whatif.py --scale 20000        # generate --scale 20000 --seed 5
    python benchmarks/whatif.py --dataset DIR        # any dataset folder
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd

import oms_plan
from oms_plan.generate import generate_dataset

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, repeat=1):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def scenarios(ds, base):
    orders = ds.orders
    item = orders["item"].value_counts().index[0]
    line = orders.loc[orders["item"] == item].iloc[0]
    rush = oms_plan.Scenario(ds, name="rush", base=base).add_order(
        order="RUSH-BENCH",
        line="1",
        item=item,
        quantity=float(line["quantity"]) * 2,
        requested_date=pd.Timestamp(ds.start) + pd.Timedelta(days=10),
        ship_to=line["ship_to"],
        priority=1,
    )
    busiest = base.schedule["workstation"].value_counts().index[0]
    first = pd.Timestamp(ds.start) + pd.Timedelta(days=21)
    down = oms_plan.Scenario(ds, name="down", base=base).machine_down(
        busiest,
        first.strftime("%Y-%m-%dT06:00"),
        (first + pd.Timedelta(days=7)).strftime("%Y-%m-%dT06:00"),
    )
    return {f"rush order ({item})": rush, f"machine down ({busiest}, 7 days)": down}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=None)
    parser.add_argument("--scale", type=int, default=None)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--schedule-solver", default="cpsat")
    args = parser.parse_args()
    if args.scale:
        began = time.perf_counter()
        ds = generate_dataset(args.scale, seed=args.seed)
        label = f"generate --scale {args.scale} --seed {args.seed}"
        print(f"generated in {time.perf_counter() - began:.1f} s")
    else:
        folder = args.dataset or ROOT / "data" / "sample"
        ds = oms_plan.load(folder)
        label = str(folder)
    options = {"schedule_solver": args.schedule_solver}
    print(f"dataset: {label}: {len(ds.orders)} order lines, {len(ds.item_ids)} items")
    full_s, base = timed(lambda: oms_plan.plan(ds, **options))
    print(f"{'full replan':<44} {full_s:8.2f} s   1.000")
    for name, scenario in scenarios(ds, base).items():
        seconds, after = timed(lambda s=scenario: s.plan(**options), args.repeat)
        diff = oms_plan.compare(base, after)
        print(
            f"{'what-if: ' + name:<44} {seconds:8.2f} s   {seconds / full_s:.3f}"
            f"   ({len(diff.promises)} lines changed)"
        )
        if name.startswith("rush"):
            scratch_s, fresh = timed(lambda s=scenario: oms_plan.plan(s.dataset, **options))
            moved = oms_plan.compare(base, fresh)
            print(
                f"{'  same, planned from scratch':<44} {scratch_s:8.2f} s   "
                f"{scratch_s / full_s:.3f}   ({len(moved.promises)} lines changed)"
            )


if __name__ == "__main__":
    main()
