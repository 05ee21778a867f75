"""``oms-plan generate``: write a synthetic dataset of any size."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from oms_plan.cli.common import (
    ForceOption,
    TableFormatOption,
    check_out_or_exit,
    console,
    fail_invalid,
    output_or_exit,
)


def register(app: typer.Typer) -> None:
    """Add the ``generate`` command to ``app``."""

    @app.command()
    def generate(
        out: Annotated[Path, typer.Option("--out", help="Folder to write the dataset into.")],
        scale: Annotated[int, typer.Option("--scale", help="Number of open order lines.")],
        seed: Annotated[
            int, typer.Option("--seed", help="Random seed (same seed, same data).")
        ] = 0,
        items: Annotated[
            int | None, typer.Option("--items", help="Items over all BOM levels.")
        ] = None,
        locations: Annotated[
            int | None, typer.Option("--locations", help="Plants plus warehouses (≥ 2).")
        ] = None,
        horizon_days: Annotated[
            int | None, typer.Option("--horizon-days", help="Horizon length in days.")
        ] = None,
        bom_levels: Annotated[
            int | None, typer.Option("--bom-levels", help="BOM depth (1 = traded goods only).")
        ] = None,
        supply_ratio: Annotated[
            float | None,
            typer.Option("--supply-ratio", help="End-item stock + receipts ÷ demand (1.1)."),
        ] = None,
        committed_share: Annotated[
            float | None,
            typer.Option("--committed-share", help="Share of lines with a promised date (0.3)."),
        ] = None,
        workstations: Annotated[
            int | None, typer.Option("--workstations", help="Workstations over all plants.")
        ] = None,
        unschedulable: Annotated[
            int | None,
            typer.Option(
                "--unschedulable",
                help="Plant this many open production orders that cannot be scheduled (0).",
            ),
        ] = None,
        table_format: Annotated[
            TableFormatOption, typer.Option("--format", help="Table file format.")
        ] = TableFormatOption.csv,
        force: ForceOption = False,
    ) -> None:
        """Write a synthetic, valid dataset with SCALE open order lines to OUT.

        Knobs left out get defaults that grow with the scale (see docs/generate.md).
        """
        from oms_plan.generate import generate_frames
        from oms_plan.loading import load

        check_out_or_exit(out, force=force)
        began = time.perf_counter()
        try:
            frames, settings = generate_frames(
                scale,
                seed=seed,
                items=items,
                locations=locations,
                horizon_days=horizon_days,
                bom_levels=bom_levels,
                supply_ratio=supply_ratio,
                committed_share=committed_share,
                workstations=workstations,
                unschedulable=unschedulable,
            )
        except ValueError as exc:
            raise fail_invalid(str(exc)) from exc
        knobs = settings.extra["generator"]
        console.print(
            f"generating {scale} order lines (seed {seed}): {knobs['items']} items, "
            f"{knobs['locations']} locations, {knobs['bom_levels']} BOM levels, "
            f"{knobs['workstations']} workstations ... {time.perf_counter() - began:.1f} s"
        )
        checked = time.perf_counter()
        dataset = load(frames, settings=settings)
        console.print(f"validated ... {time.perf_counter() - checked:.1f} s")
        # Written whole into a new folder, then renamed into place: never over a dataset
        # oms-plan did not write (without --force), never leaving stale tables beside new ones.
        with output_or_exit(out, "generate", force=force) as staging:
            dataset.write(staging, format=table_format.value)
        rows = ", ".join(f"{n} {t}" for t, n in dataset.num_rows().items() if n)
        console.print(f"wrote {out}: {rows} ({time.perf_counter() - began:.1f} s)")
