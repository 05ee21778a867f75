"""The nightly replan at scale: seconds per stage, peak memory, orders scheduled / set aside.

Usage::

    python benchmarks/replan_scale.py --work /tmp/replan --scales 1000 20000 100000

Each scale runs in its own process (so its peak memory is its own): the dataset is generated
into ``WORK/g<scale>`` once (``oms-plan generate --scale N --seed 5``), then loaded and
planned in one process (``oms_plan.plan``, no executor), and the plan written to
``WORK/p<scale>``. Stage seconds add up over the plan's parts. The table prints load,
allocate, MRP, schedule and write seconds, the total, peak resident memory, orders scheduled
and set aside, the schedule's status and gap (worst part and whole problem).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def one(scale: int, work: Path, time_limit: float | None) -> dict[str, object]:
    import oms_plan
    from oms_plan.generate import generate_dataset
    from oms_plan.replan import plan

    folder = work / f"g{scale}"
    if not folder.exists():
        generate_dataset(scale, seed=5).write(folder)
    t0 = time.perf_counter()
    ds = oms_plan.load(folder)
    seconds: dict[str, float] = {"load": time.perf_counter() - t0}
    mark = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - mark[0]
        mark[0] = now

    mark[0] = time.perf_counter()
    options = {} if time_limit is None else {"schedule_time_limit": time_limit}
    result = plan(ds, progress=progress, **options)  # type: ignore[arg-type]
    t1 = time.perf_counter()
    result.write(work / f"p{scale}")
    seconds["write"] = time.perf_counter() - t1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "scale": scale,
        **{k: round(v, 1) for k, v in seconds.items()},
        "total": round(sum(seconds.values()), 1),
        "peak_mb": round(peak_mb),
        "scheduled": int(result.kpi("scheduled_orders")),  # type: ignore[call-overload]
        "set_aside": int(result.kpi("schedule_orders_set_aside")),  # type: ignore[call-overload]
        "status": result.kpi("schedule_status"),
        "gap_worst": result.kpi("schedule_gap"),
        "gap_whole": result.kpi("schedule_gap_whole"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="scratch folder")
    parser.add_argument("--scales", type=int, nargs="+", default=[1000, 20000, 100000])
    parser.add_argument(
        "--time-limit", type=float, default=None, help="plan's schedule budget (its default)"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.one is not None:
        print(json.dumps(one(args.one, args.work, args.time_limit)))
        return
    rows = []
    for scale in args.scales:
        limit = [] if args.time_limit is None else ["--time-limit", str(args.time_limit)]
        out = subprocess.run(
            [sys.executable, __file__, "--work", str(args.work), "--one", str(scale), *limit],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    cols = [
        "scale",
        "load",
        "allocate",
        "mrp",
        "schedule",
        "write",
        "total",
        "peak_mb",
        "scheduled",
        "set_aside",
        "status",
        "gap_worst",
        "gap_whole",
    ]
    print(" | ".join(f"{c:>9}" for c in cols))
    for row in rows:
        print(" | ".join(f"{row.get(c, '')!s:>9}" for c in cols))


if __name__ == "__main__":
    main()
