"""Helpers every ``oms-plan`` command shares: loading, reporting problems, writing tables."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.text import Text

from oms_plan.cli.output_folder import OutputFolderError, check_output_folder, staged_output
from oms_plan.dataset import Dataset
from oms_plan.errors import DatasetError, Issue, PlanningError
from oms_plan.loading import validate
from oms_plan.outputs import write_outputs

#: Exit codes of every command (the README lists them).
EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = 0, 1, 2

# No markup: messages carry ids, paths and values from the user's data, in which rich
# would read "[/]" as a closing tag (and crash) or "[red]" as a style (and hide it). Styled
# words are added as Text spans by the helpers below.
console = Console(stderr=True, highlight=False, markup=False)
out_console = Console(highlight=False, soft_wrap=True, markup=False)


class TableFormatOption(StrEnum):
    """Format of the tables a command writes."""

    csv = "csv"
    parquet = "parquet"


#: Parameter types every command that reads a dataset and writes plan tables shares.
DatasetArg = Annotated[Path, typer.Argument(help="Dataset folder (dataset.toml + tables).")]
PlanOutOption = Annotated[Path, typer.Option("--out", help="Folder for the plan tables.")]
FormatOption = Annotated[TableFormatOption, typer.Option("--format", help="Table format.")]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace a non-empty --out folder that oms-plan did not write."),
]


def say(label: str, style: str, message: str) -> None:
    """Print ``label: message`` on stderr, ``label`` in ``style``, ``message`` as plain text."""
    console.print(Text.assemble((label, style), ": ", message))


def print_issues(issues: tuple[Issue, ...] | list[Issue], *, limit: int = 200) -> None:
    """Print problems first, then warnings, on stderr."""
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    for issue in [*errors, *warnings][:limit]:
        style = "red" if issue.severity == "error" else "yellow"
        say(issue.severity, style, f"{_where(issue)}: {issue.message}")
    if len(errors) + len(warnings) > limit:
        console.print(f"... and {len(errors) + len(warnings) - limit} more")


def _where(issue: Issue) -> str:
    text = issue.table
    if issue.row is not None:
        text += f" row {issue.row}"
    if issue.column:
        text += f" [{issue.column}]"
    return text


def load_or_exit(path: Path) -> Dataset:
    """Load the dataset at ``path``; on problems print them all and exit with code 2."""
    report = validate(path)
    if report.dataset is None:
        print_issues(report.issues)
        say(f"{len(report.errors)} problem(s)", "red", f"{path} is not a valid dataset")
        raise typer.Exit(EXIT_INVALID)
    return report.dataset


def check_out_or_exit(out: Path, *, force: bool = False, inputs: Sequence[Path] = ()) -> None:
    """Exit 2 before any work when ``--out`` cannot be written (see ``output_folder``)."""
    try:
        check_output_folder(out, force=force, inputs=inputs)
    except OutputFolderError as exc:
        raise fail_invalid(str(exc)) from exc


@contextmanager
def output_or_exit(
    out: Path, command: str, *, force: bool = False, inputs: Sequence[Path] = ()
) -> Iterator[Path]:
    """A staging folder for ``out`` (:func:`~oms_plan.cli.output_folder.staged_output`).

    Exits 2 when ``out`` cannot be written safely and 1 when the file system refuses; in
    both cases ``out`` is left as it was.
    """
    try:
        with staged_output(out, command, force=force, inputs=inputs) as staging:
            yield staging
    except OutputFolderError as exc:
        raise fail_invalid(str(exc)) from exc
    except OSError as exc:
        say("cannot write", "red", f"{out}: {exc}")
        raise typer.Exit(EXIT_INTERNAL) from exc


def write_tables_or_exit(
    frames: Mapping[str, pd.DataFrame],
    out: Path,
    fmt: TableFormatOption,
    *,
    command: str = "",
    force: bool = False,
    inputs: Sequence[Path] = (),
) -> None:
    """Write result tables into ``out`` whole (a staged folder) and say where they went.

    Parameters
    ----------
    frames
        Tables by name.
    out
        The ``--out`` folder: replaced whole; a non-empty folder oms-plan did not write
        only with ``force``.
    fmt
        Table format.
    command
        The command writing (recorded in the folder's marker).
    force
        Replace a non-empty folder oms-plan did not write.
    inputs
        What the command read; ``out`` may not hold any of it.

    """
    with output_or_exit(out, command, force=force, inputs=inputs) as staging:
        paths = write_outputs(frames, staging, format=fmt.value)
    for path in paths:
        console.print(f"wrote {out / path.relative_to(staging)}")


def fail_invalid(message: str) -> typer.Exit:
    """Print ``message`` (plain text) as invalid input; return the exit to raise (code 2)."""
    say("error", "red", message)
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
        say("error", "red", str(exc))
        sys.exit(EXIT_INVALID)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(EXIT_INTERNAL)
    except Exception as exc:
        say("internal error", "red", f"{type(exc).__name__}: {exc}")
        console.print("this is a bug in oms_plan; please report it with the command you ran")
        if "--debug" in sys.argv:
            console.print_exception()
        sys.exit(EXIT_INTERNAL)
