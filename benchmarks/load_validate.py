"""Load + validate time of generated datasets (1k, 10k, 100k order lines).

For each scale the generator writes one dataset as CSV and as Parquet; then, in the same
run, this script times

* the naive baseline: ``pandas.read_csv`` / ``read_parquet`` of every table, no checks;
* ``oms_plan.load(folder)``: reading, typing, defaults, every check, the ship-from rule;
* ``oms_plan.load(frames)``: the same from in-memory typed DataFrames (validation only).

It prints the median seconds over a few runs, rows per second (all tables) and the ratio to
the baseline. Goal (issue 2): 100k order lines / 10k items validated in under 5 s.

    nice python benchmarks/load_validate.py [--scales 1000 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

import oms_plan
from oms_plan.generate import generate_dataset
from oms_plan.schema import TABLE_ORDER


def _median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _naive(folder: Path, suffix: str) -> None:
    for name in TABLE_ORDER:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    header = (
        f"{'lines':>7} {'items':>6} {'rows':>8}  {'source':<8} {'naive s':>8} "
        f"{'load s':>8} {'ratio':>6} {'rows/s':>10} {'lines/s':>9}"
    )
    print(header)
    print("-" * len(header))
    for scale in args.scales:
        ds = generate_dataset(scale, seed=args.seed)
        rows = sum(ds.num_rows().values())
        lines, items = ds.num_rows()["orders"], ds.num_rows()["items"]
        frames = ds.to_frames()
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in ("csv", "parquet"):
                folder = ds.write(Path(tmp) / fmt, format=fmt)  # type: ignore[arg-type,unused-ignore]
                suffix = f".{fmt}"
                naive = _median_seconds(partial(_naive, folder, suffix), args.repeat)
                loaded = _median_seconds(partial(oms_plan.load, folder), args.repeat)
                print(
                    f"{lines:>7} {items:>6} {rows:>8}  {fmt:<8} {naive:>8.3f} {loaded:>8.3f} "
                    f"{loaded / naive:>6.1f} {rows / loaded:>10,.0f} {lines / loaded:>9,.0f}"
                )
        memory = _median_seconds(partial(oms_plan.load, frames, settings=ds.settings), args.repeat)
        print(
            f"{lines:>7} {items:>6} {rows:>8}  {'frames':<8} {'':>8} {memory:>8.3f} {'':>6} "
            f"{rows / memory:>10,.0f} {lines / memory:>9,.0f}"
        )
    print(
        "\nnaive: pandas read of every table without checks; ratio = load / naive; "
        f"median of {args.repeat} runs"
    )


if __name__ == "__main__":
    main()
