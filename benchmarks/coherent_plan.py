"""The coherent replan against promises from stock and receipts alone, in the same run.

Usage::

    python benchmarks/coherent_plan.py DATASET [DATASET ...]

For each dataset, the baseline is the replan as it was before it promised from planned
supply, rebuilt in one part from the same engines: the allocation of stock and scheduled
receipts promises, MRP plans for the whole order book, the scheduler sequences the open and
the planned make orders, and the lines of set-aside orders are made short. The coherent plan
is ``oms_plan.plan(dataset)``. Printed per dataset: lines short, fill rate, on-time share, lines
late, coherence problems and wall seconds for both, and the rounds the plan took.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import oms_plan
from oms_plan.replan.coherence import coherence_problems
from oms_plan.replan.kpis import service_kpis
from oms_plan.replan.pipeline import _planned_priorities
from oms_plan.replan.setaside import short_lines


def one_pass(ds: oms_plan.Dataset) -> dict[str, pd.DataFrame]:
    """The tables of the replan before it was coherent (allocate, MRP, schedule, once)."""
    allocation = oms_plan.allocate_stock(ds, time_limit=5.0)
    materials = oms_plan.plan_materials(ds)
    planned = materials.planned_orders
    make = planned.loc[planned["method"] == "make"].copy()
    make["priority"] = _planned_priorities(ds, materials.pegging, make)
    schedule = oms_plan.schedule_orders(
        ds, orders=make if len(make) else None, time_limit=1.0, deterministic=True
    )
    aside = {a.order: a.workstation for a in schedule.set_aside}
    return {
        "promises": short_lines(allocation.promises, materials.pegging, aside),
        "planned_orders": planned,
        "pegging": materials.pegging,
        "schedule": schedule.to_frames()["schedule"],
    }


def measure(path: str) -> list[str]:
    """Rows of the table for one dataset."""
    ds = oms_plan.load(path)
    t0 = time.perf_counter()
    base_tables = one_pass(ds)
    base_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = oms_plan.plan(ds)
    seconds = time.perf_counter() - t0
    rows = []
    for name, tables, took in (
        ("stock and receipts only", base_tables, base_seconds),
        ("coherent plan", result.tables, seconds),
    ):
        k = service_kpis(tables["promises"], ds.orders)
        problems = len(coherence_problems(tables, ds))
        rows.append(
            f"| {path} | {name} | {k['lines_short']} | {k['fill_rate_pct']} | "
            f"{k['on_time_pct']} | {k['lines_late']} | {problems} | {took:.1f} |"
        )
    return rows


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+")
    args = parser.parse_args()
    print(
        "| dataset | promises | lines short | fill rate % | on time % | lines late "
        "| coherence problems | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for path in args.datasets:
        for row in measure(path):
            print(row, flush=True)


if __name__ == "__main__":
    main()
