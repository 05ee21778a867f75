"""What the explanations table costs next to the replan it explains.

Usage::

    python benchmarks/explanations.py DATASET [--repeat 3] [--resolves 60] [--total 6000]

Plans the dataset once without explanations (``oms_plan.plan(ds, explain=False)``: the
baseline, in wall seconds), then makes the ``explanations`` table of that plan ``--repeat``
times with the given caps and prints the median seconds, the ratio to the replan, the lines
late or short, how many of them are on time when re-solved by the promiser, how many got at
least one row, and the share of rows whose amount search finished within the caps. The
same run on the same machine gives both figures: quote the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    """Run the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--resolves", type=int, default=None)
    parser.add_argument("--total", type=int, default=None)
    args = parser.parse_args()

    import oms_plan
    from oms_plan.explain import DEFAULT_RESOLVES, DEFAULT_TOTAL, explain_plan, late_lines

    ds = oms_plan.load(args.dataset)
    began = time.perf_counter()
    result = oms_plan.plan(ds, explain=False)
    replan = time.perf_counter() - began
    resolves = args.resolves or DEFAULT_RESOLVES
    total = args.total or DEFAULT_TOTAL
    seconds = []
    table = None
    for _ in range(args.repeat):
        began = time.perf_counter()
        table = explain_plan(ds, result.promises, resolves=resolves, total=total)
        seconds.append(time.perf_counter() - began)
    assert table is not None
    late = late_lines(result.promises)
    explained = len(table[["order", "line"]].drop_duplicates())
    median = statistics.median(seconds)
    print(f"dataset {args.dataset}: {len(ds.orders)} lines, {len(late)} late or short")
    print(f"replan without explanations: {replan:.1f} s")
    print(
        f"explanations (resolves {resolves}, total {total}): median {median:.1f} s of "
        f"{args.repeat} ({', '.join(f'{s:.1f}' for s in seconds)}); "
        f"{100 * median / replan:.0f} % of the replan"
    )
    exact = float(table["exact"].mean()) if len(table) else 1.0
    print(
        f"rows {len(table)}, lines with a row {explained}, searches that finished "
        f"{100 * exact:.0f} %, levers {table['lever'].value_counts().to_dict()}"
    )


if __name__ == "__main__":
    main()
