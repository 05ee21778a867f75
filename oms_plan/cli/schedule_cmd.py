"""``oms-plan schedule``: finite-capacity scheduling of the open manufacturing orders."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from oms_plan.cli.common import (
    EXIT_INVALID,
    DatasetArg,
    ForceOption,
    FormatOption,
    PlanOutOption,
    TableFormatOption,
    check_out_or_exit,
    load_or_exit,
    out_console,
    say,
    write_tables_or_exit,
)


class SolverOption(StrEnum):
    """Scheduling back-ends shipped with oms_plan."""

    cpsat = "cpsat"
    greedy = "greedy"


def register(app: typer.Typer) -> None:
    """Add the ``schedule`` command to ``app``."""

    @app.command()
    def schedule(
        dataset: DatasetArg,
        out: PlanOutOption,
        time_limit: Annotated[
            float, typer.Option("--time-limit", help="Seconds for the solve.", min=0.01)
        ] = 10.0,
        workers: Annotated[
            int | None, typer.Option("--workers", help="CP-SAT workers (default: CPUs).", min=1)
        ] = None,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
        objective: Annotated[
            str,
            typer.Option(
                "--objective",
                help="weighted_tardiness, makespan, flow_time, or a comma list (lexicographic).",
            ),
        ] = "weighted_tardiness",
        solver: Annotated[SolverOption, typer.Option("--solver", help="Back-end.")] = (
            SolverOption.cpsat
        ),
        deterministic: Annotated[
            bool,
            typer.Option("--deterministic", help="1 worker, deterministic time limit."),
        ] = False,
        verify: Annotated[
            bool, typer.Option("--verify", help="Check the schedule independently.")
        ] = False,
        fmt: FormatOption = TableFormatOption.csv,
        force: ForceOption = False,
    ) -> None:
        """Schedule the open manufacturing orders of DATASET.

        Writes schedule, kpis, exceptions (set-aside orders as ``infeasible``) and parts
        (status, bound and gap per workstation group).
        """
        from oms_plan.schedule import schedule_orders

        check_out_or_exit(out, force=force, inputs=[dataset])
        ds = load_or_exit(dataset)
        result = schedule_orders(
            ds,
            solver=solver.value,
            objective=objective,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            deterministic=deterministic,
            verify=verify,
        )
        frames = result.to_frames()
        write_tables_or_exit(
            {name: frames[name] for name in ("schedule", "kpis", "exceptions", "parts")},
            out,
            fmt,
            command="schedule",
            force=force,
            inputs=[dataset],
        )
        out_console.print(result.summary())
        if result.status.value == "infeasible":
            say("no schedule exists", "red", "see exceptions")
            raise typer.Exit(EXIT_INVALID)
