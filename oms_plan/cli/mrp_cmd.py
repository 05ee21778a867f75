"""``oms-plan mrp``: material requirements planning of a dataset."""

from __future__ import annotations

from typing import Annotated

import typer

from oms_plan.cli.common import (
    DatasetArg,
    ForceOption,
    FormatOption,
    PlanOutOption,
    TableFormatOption,
    check_out_or_exit,
    console,
    load_or_exit,
    out_console,
    write_tables_or_exit,
)


def register(app: typer.Typer) -> None:
    """Add the ``mrp`` command to ``app``."""

    @app.command()
    def mrp(
        dataset: DatasetArg,
        out: PlanOutOption,
        fmt: FormatOption = TableFormatOption.csv,
        reschedule_days: Annotated[
            int,
            typer.Option(
                "--reschedule-days",
                help="No reschedule message for receipts within this many days of need.",
                min=0,
            ),
        ] = 0,
        force: ForceOption = False,
    ) -> None:
        """Plan materials: write planned_orders, pegging, projection, exceptions, kpis."""
        from oms_plan.mrp import plan_materials

        check_out_or_exit(out, force=force, inputs=[dataset])
        ds = load_or_exit(dataset)
        result = plan_materials(ds, reschedule_days=reschedule_days)
        write_tables_or_exit(
            result.to_frames(), out, fmt, command="mrp", force=force, inputs=[dataset]
        )
        console.print(result.summary())
        errors = int((result.exceptions["severity"] == "error").sum())
        if errors:
            out_console.print(f"{errors} error exception(s): see {out / 'exceptions'}.*")
