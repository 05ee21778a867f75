"""``oms-plan``: validate, inspect, generate and plan datasets from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from oms_plan.cli import (
    allocate_cmd,
    compare_cmd,
    generate_cmd,
    mrp_cmd,
    plan_cmd,
    promise_cmd,
    schedule_cmd,
    serve_cmd,
)
from oms_plan.cli.common import (
    EXIT_INVALID,
    DatasetArg,
    console,
    out_console,
    print_issues,
    run_guarded,
    say,
)
from oms_plan.loading import validate as validate_dataset

app = typer.Typer(
    name="oms-plan",
    help="Promise delivery dates, allocate scarce stock, plan material and schedule production.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def validate(
    dataset: DatasetArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print issues as JSON.")] = False,
) -> None:
    """List every problem and warning of DATASET; exit 0 when there are no problems, 2 otherwise."""
    report = validate_dataset(dataset)
    if as_json:
        out_console.print_json(
            json.dumps({"ok": report.ok, "issues": [i.to_dict() for i in report.issues]})
        )
    else:
        print_issues(report.issues, limit=10_000)
        if report.ok:
            counts = report.dataset.num_rows() if report.dataset else {}
            rows = ", ".join(f"{n} {t}" for t, n in counts.items() if n)
            say("valid", "green", f"{rows}; {len(report.warnings)} warning(s)")
        else:
            console.print(
                Text.assemble(
                    (f"{len(report.errors)} problem(s)", "red"),
                    f", {len(report.warnings)} warning(s)",
                )
            )
    if not report.ok:
        raise typer.Exit(EXIT_INVALID)


@app.command()
def info(
    dataset: DatasetArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print table counts, the horizon and a summary of the supply network."""
    from oms_plan.cli.common import load_or_exit
    from oms_plan.network import build_network

    ds = load_or_exit(dataset)
    net = build_network(ds)
    summary = {
        "horizon": {
            "start": ds.start.isoformat(),
            "end": ds.end.isoformat(),
            "days": ds.horizon_days,
        },
        "tables": ds.num_rows(),
        "network": net.summary(),
        "warnings": len(ds.warnings),
    }
    if as_json:
        out_console.print_json(json.dumps(summary))
        return
    out_console.print(f"horizon: {ds.start} … {ds.end} ({ds.horizon_days} days)")
    out_console.print("tables: " + ", ".join(f"{t}={n}" for t, n in ds.num_rows().items()))
    out_console.print("network: " + ", ".join(f"{k}={v}" for k, v in net.summary().items()))
    if ds.warnings:
        out_console.print(f"{len(ds.warnings)} warning(s): run `oms-plan validate` to list them")


# Engine commands, in the order `--help` lists them.
for _module in (
    generate_cmd,
    promise_cmd,
    allocate_cmd,
    mrp_cmd,
    schedule_cmd,
    plan_cmd,
    compare_cmd,
    serve_cmd,
):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    run_guarded(app)


if __name__ == "__main__":
    main()
