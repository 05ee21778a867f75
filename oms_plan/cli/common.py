"""Helpers every ``oms-plan`` command shares: loading, reporting problems, writing tables."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from oms_plan.dataset import Dataset
from oms_plan.errors import DatasetError, Issue, PlanningError
from oms_plan.loading import validate
from oms_plan.outputs import write_outputs

#: Exit codes of SCHEMA.md.
EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = 0, 1, 2

console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False, soft_wrap=True)


class TableFormatOption(StrEnum):
    """Format of the tables a command writes."""

    csv = "csv"
    parquet = "parquet"


#: Parameter types every command that reads a dataset and writes plan tables shares.
DatasetArg = Annotated[Path, typer.Argument(help="Dataset folder (dataset.toml + tables).")]
PlanOutOption = Annotated[Path, typer.Option("--out", help="Folder for the plan tables.")]
FormatOption = Annotated[TableFormatOption, typer.Option("--format", help="Table format.")]


def print_issues(issues: tuple[Issue, ...] | list[Issue], *, limit: int = 200) -> None:
    """Print problems first, then warnings, on stderr."""
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    for issue in [*errors, *warnings][:limit]:
        style = "red" if issue.severity == "error" else "yellow"
        console.print(
            f"[{style}]{issue.severity}[/]: {_where(issue)}: {issue.message}",
            markup=True,
            highlight=False,
        )
    if len(errors) + len(warnings) > limit:
        console.print(f"... and {len(errors) + len(warnings) - limit} more")


def _where(issue: Issue) -> str:
    text = issue.table
    if issue.row is not None:
        text += f" row {issue.row}"
    if issue.column:
        text += f" [{issue.column}]"
    return text.replace("[", "\\[")


def load_or_exit(path: Path) -> Dataset:
    """Load the dataset at ``path``; on problems print them all and exit with code 2."""
    report = validate(path)
    if report.dataset is None:
        print_issues(report.issues)
        console.print(f"[red]{len(report.errors)} problem(s)[/]: {path} is not a valid dataset")
        raise typer.Exit(EXIT_INVALID)
    return report.dataset


def write_tables_or_exit(
    frames: Mapping[str, pd.DataFrame], out: Path, fmt: TableFormatOption
) -> None:
    """Write result tables and say where they went."""
    try:
        paths = write_outputs(frames, out, format=fmt.value)
    except OSError as exc:
        console.print(f"[red]cannot write to {out}[/]: {exc}")
        raise typer.Exit(EXIT_INTERNAL) from exc
    for path in paths:
        console.print(f"wrote {path}")


def fail_invalid(message: str) -> typer.Exit:
    """Print ``message`` as invalid input and return the exit to raise (code 2)."""
    console.print(f"[red]error[/]: {message}")
    return typer.Exit(EXIT_INVALID)


def run_guarded(app: typer.Typer) -> None:
    """Run ``app``; bad input exits 2 and our own bugs exit 1, never with a bare traceback.

    Usage errors are handled by typer itself (exit 2 with a usage message).
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except DatasetError as exc:
        print_issues(exc.issues)
        sys.exit(EXIT_INVALID)
    except PlanningError as exc:
        console.print(f"[red]error[/]: {exc}")
        sys.exit(EXIT_INVALID)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(EXIT_INTERNAL)
    except Exception as exc:
        console.print(f"[red]internal error[/]: {type(exc).__name__}: {exc}")
        console.print("this is a bug in oms_plan; please report it with the command you ran")
        if "--debug" in sys.argv:
            console.print_exception()
        sys.exit(EXIT_INTERNAL)
