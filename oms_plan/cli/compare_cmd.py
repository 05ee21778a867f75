"""``oms-plan compare``: the difference of two plan folders, as tables and a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oms_plan.cli.common import (
    EXIT_INVALID,
    ForceOption,
    FormatOption,
    TableFormatOption,
    check_out_or_exit,
    out_console,
    print_issues,
    write_tables_or_exit,
)
from oms_plan.errors import DatasetError

PlanArg = Annotated[Path, typer.Argument(help="A plan folder (written by `oms-plan plan`).")]


def register(app: typer.Typer) -> None:
    """Add the ``compare`` command to ``app``."""

    @app.command("compare")
    def compare_command(
        plan_a: PlanArg,
        plan_b: PlanArg,
        out: Annotated[Path, typer.Option("--out", help="Folder for the difference tables.")],
        fmt: FormatOption = TableFormatOption.csv,
        force: ForceOption = False,
    ) -> None:
        """Compare PLAN_A (before) with PLAN_B (after): what changed, as tables.

        Writes promises (changed lines), kpis (deltas), load (minutes per workstation and
        week) and exceptions (new and resolved), and prints a summary.
        """
        from oms_plan.scenario import compare

        check_out_or_exit(out, force=force, inputs=[plan_a, plan_b])
        try:
            diff = compare(plan_a, plan_b)
        except DatasetError as exc:
            print_issues(exc.issues)
            raise typer.Exit(EXIT_INVALID) from None
        write_tables_or_exit(
            diff.to_frames(), out, fmt, command="compare", force=force, inputs=[plan_a, plan_b]
        )
        out_console.print(diff.summary())
