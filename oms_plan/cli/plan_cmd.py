"""``oms-plan plan``: the whole nightly replan, with progress, locally or on a Dask cluster."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from oms_plan.cli.common import (
    EXIT_INVALID,
    DatasetArg,
    ForceOption,
    FormatOption,
    PlanOutOption,
    TableFormatOption,
    check_out_or_exit,
    console,
    fail_invalid,
    load_or_exit,
    out_console,
    print_issues,
    write_tables_or_exit,
)
from oms_plan.errors import DatasetError, PlanningError


@contextlib.contextmanager
def _executor(workers: int, dask: str | None) -> Iterator[Executor | None]:
    """The executor parts run on: none, a local process pool, or a Dask cluster."""
    if dask is not None:
        try:
            from distributed import Client, LocalCluster
        except ModuleNotFoundError as exc:
            raise fail_invalid("--dask needs the dask extra: pip install 'oms-plan[dask]'") from exc
        if dask == "local":
            cluster = LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            cluster = None
            client = Client(dask)
        try:
            yield client.get_executor()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
        return
    yield None


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command to ``app``."""

    @app.command("plan")
    def plan_command(
        dataset: DatasetArg,
        out: PlanOutOption,
        policy: Annotated[
            str, typer.Option(help="Allocation policy: strict_priority, weighted, fair_share.")
        ] = "strict_priority",
        protect_commitments: Annotated[
            bool,
            typer.Option(
                "--protect-commitments/--no-protect-commitments",
                help="Keep promised dates whenever any allocation can.",
            ),
        ] = True,
        time_limit: Annotated[
            float,
            typer.Option(
                "--time-limit", help="Scheduling limit per part (CP-SAT deterministic time)."
            ),
        ] = 1.0,
        allocation_time_limit: Annotated[
            float,
            typer.Option(
                help="Allocation MIP budget per part (CP-SAT deterministic seconds: reproducible)."
            ),
        ] = 5.0,
        workers: Annotated[
            int, typer.Option(help="Parallel processes (parts run side by side).")
        ] = 1,
        parts: Annotated[
            int | None,
            typer.Option(
                help="Split into at most this many parts (default: one per independent item "
                "group, at most 16; the same for any --workers)."
            ),
        ] = None,
        dask: Annotated[
            str | None,
            typer.Option(
                help="Run parts on a Dask cluster: scheduler address (tcp://host:8786) or 'local'."
            ),
        ] = None,
        seed: Annotated[int, typer.Option(help="Random seed of the scheduler.")] = 0,
        verify: Annotated[bool, typer.Option(help="Re-check every schedule.")] = False,
        previous: Annotated[
            Path | None,
            typer.Option(
                help="A previous plan folder: keep what it decided where the inputs allow."
            ),
        ] = None,
        freeze_days: Annotated[
            int,
            typer.Option(
                help="With --previous: its planned orders released within N days are firm.",
                min=0,
            ),
        ] = 0,
        explain: Annotated[
            bool,
            typer.Option(
                "--explain/--no-explain",
                help="Write explanations: counterfactuals of every late or short line.",
            ),
        ] = True,
        explain_resolves: Annotated[
            int | None,
            typer.Option(
                help="Re-solves each late or short line may spend on its explanation.", min=1
            ),
        ] = None,
        explain_total: Annotated[
            int | None,
            typer.Option(
                help="Re-solves all the explanations may spend, shared among the lines.", min=1
            ),
        ] = None,
        fmt: FormatOption = TableFormatOption.csv,
        force: ForceOption = False,
    ) -> None:
        """Replan the whole order book: promises, planned orders, pegging, schedule, KPIs."""
        from oms_plan.replan import plan

        if workers < 1:
            raise fail_invalid(f"--workers must be ≥ 1, got {workers}")
        if parts is not None and parts < 1:
            raise fail_invalid(f"--parts must be ≥ 1, got {parts}")
        if freeze_days and previous is None:
            raise fail_invalid("--freeze-days keeps a previous plan's orders: give --previous")
        inputs = [dataset] if previous is None else [dataset, previous]
        check_out_or_exit(out, force=force, inputs=inputs)
        ds = load_or_exit(dataset)
        before = None
        if previous is not None:
            from oms_plan.replan.plan_folder import read_plan

            try:
                before = read_plan(previous)  # a bad folder exits 2 before any planning
            except DatasetError as exc:
                print_issues(exc.issues)
                raise typer.Exit(EXIT_INVALID) from None
        # The parts never depend on --workers or --dask: the plan is the same wherever it runs.
        split_into = parts
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("planning", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=f"planning ({stage})", completed=done, total=total)

            with _executor(workers, dask) as executor:
                try:
                    result = plan(
                        ds,
                        policy=policy,
                        protect_commitments=protect_commitments,
                        schedule_time_limit=time_limit,
                        allocation_time_limit=allocation_time_limit,
                        seed=seed,
                        verify=verify,
                        executor=executor,
                        parts=split_into,
                        progress=progress,
                        previous=before,
                        freeze_days=freeze_days,
                        explain=explain,
                        explain_resolves=explain_resolves,
                        explain_total=explain_total,
                    )
                except PlanningError as exc:
                    raise fail_invalid(str(exc)) from exc
        write_tables_or_exit(
            result.to_frames(), out, fmt, command="plan", force=force, inputs=inputs
        )
        out_console.print(result.summary())
