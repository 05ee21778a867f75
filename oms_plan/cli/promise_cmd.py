"""``oms-plan atp`` and ``oms-plan promise``: time-phased ATP and order promising."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from oms_plan.cli.common import (
    EXIT_INVALID,
    DatasetArg,
    ForceOption,
    TableFormatOption,
    check_out_or_exit,
    console,
    fail_invalid,
    load_or_exit,
    out_console,
    print_issues,
    write_tables_or_exit,
)
from oms_plan.dataset import Dataset
from oms_plan.errors import DatasetError, Issue, PlanningError


def register(app: typer.Typer) -> None:
    """Add the ``atp`` and ``promise`` commands to ``app``."""

    @app.command()
    def atp(
        dataset: DatasetArg,
        item: Annotated[str, typer.Option("--item", help="Item id.")],
        location: Annotated[str, typer.Option("--location", help="Location id.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    ) -> None:
        """Print projected stock (on_hand) and cumulative ATP of ITEM at LOCATION per day."""
        from oms_plan.atp import Promiser

        ds = load_or_exit(dataset)
        with _invalid_input_exits():
            # Stock and scheduled receipts only (SCHEMA.md projection): no planned new supply.
            frame = Promiser(ds, ctp=False).atp(item, location)
        rows = [
            {"date": d.date().isoformat(), "on_hand": _num(oh), "atp": _num(a)}
            for d, oh, a in zip(frame["date"], frame["on_hand"], frame["atp"], strict=True)
        ]
        if as_json:
            out_console.print_json(json.dumps(rows))
            return
        out_console.print(f"{'date':<10}  {'on_hand':>10}  {'atp':>10}")
        for row in rows:
            out_console.print(f"{row['date']:<10}  {row['on_hand']:>10}  {row['atp']:>10}")

    @app.command()
    def promise(
        dataset: DatasetArg,
        item: Annotated[str | None, typer.Option("--item", help="Item id.")] = None,
        quantity: Annotated[float | None, typer.Option("--quantity", help="Quantity.")] = None,
        ship_to: Annotated[str | None, typer.Option("--ship-to", help="Region id.")] = None,
        requested_date: Annotated[
            str | None, typer.Option("--requested-date", help="Requested delivery YYYY-MM-DD.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the promise as JSON.")] = False,
        lines: Annotated[
            Path | None,
            typer.Option("--lines", help="CSV/Parquet file of lines (orders columns)."),
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Folder for the promises table.")
        ] = None,
        fmt: Annotated[
            TableFormatOption, typer.Option("--format", help="Table format of --out.")
        ] = TableFormatOption.csv,
        no_partial: Annotated[
            bool,
            typer.Option("--no-partial", help="Ship the whole quantity at once or not at all."),
        ] = False,
        max_shipments: Annotated[
            int | None, typer.Option("--max-shipments", min=1, help="At most N shipments.")
        ] = None,
        min_shipment: Annotated[
            float, typer.Option("--min-shipment", min=0, help="Smallest shipment quantity.")
        ] = 0.0,
        max_days_late: Annotated[
            int | None,
            typer.Option("--max-days-late", min=0, help="Later than this is short, not late."),
        ] = None,
        location: Annotated[
            str | None, typer.Option("--location", help="Ship from this location only.")
        ] = None,
        replenish: Annotated[
            bool,
            typer.Option(
                "--replenish",
                help="With --no-ctp: also promise unlimited purchases after lead time.",
            ),
        ] = False,
        no_ctp: Annotated[
            bool,
            typer.Option(
                "--no-ctp",
                help="Stock and receipts only: no capable-to-promise (new production, purchases).",
            ),
        ] = False,
        force: ForceOption = False,
    ) -> None:
        """Promise one line (--item ... --requested-date) or a file of lines (--lines, --out).

        Capable-to-promise by default: what stock and receipts cannot deliver in time may come
        from new production (components, lead times, workstation capacity) or purchases.
        Batch lines are promised and reserved in file order, each seeing the ones before.
        """
        from oms_plan.atp import Promiser, promises_frame

        if replenish and not no_ctp:
            raise fail_invalid(
                "--replenish applies only with --no-ctp (capable-to-promise plans purchases itself)"
            )

        single = [item, quantity, ship_to, requested_date]
        if lines is not None or out is not None:
            if lines is None or out is None:
                raise fail_invalid("the batch form needs both --lines FILE and --out DIR")
            if any(v is not None for v in single):
                raise fail_invalid("give either --lines/--out or --item/--quantity/... not both")
            check_out_or_exit(out, force=force, inputs=[dataset, lines])
            ds = load_or_exit(dataset)
            with _invalid_input_exits():
                table = _read_lines(lines, ds)
                promiser = Promiser(ds, replenish=replenish, ctp=not no_ctp)
                promises = promiser.promise_lines(table)
            write_tables_or_exit(
                {"promises": promises_frame(promises)},
                out,
                fmt,
                command="promise",
                force=force,
                inputs=[dataset, lines],
            )
            short = sum(1 for p in promises if p.short > 0)
            late = sum(1 for p in promises if p.short <= 0 and p.days_late > 0)
            console.print(f"{len(promises)} line(s): {late} late, {short} with a short quantity")
            return
        if any(v is None for v in single):
            raise fail_invalid(
                "give --item, --quantity, --ship-to and --requested-date (or --lines and --out)"
            )
        ds = load_or_exit(dataset)
        with _invalid_input_exits():
            quote = Promiser(ds, replenish=replenish, ctp=not no_ctp).promise(
                str(item),
                float(quantity or 0),
                str(ship_to),
                str(requested_date),
                partial_ok=not no_partial,
                max_shipments=max_shipments,
                min_shipment=min_shipment,
                max_days_late=max_days_late,
                location=location,
            )
        if as_json:
            out_console.print_json(json.dumps(quote.to_dict()))
        else:
            out_console.print(quote.summary(), markup=False)


@contextmanager
def _invalid_input_exits() -> Iterator[None]:
    """Bad requests and bad line files exit 2 with the problems listed (never a traceback)."""
    try:
        yield
    except DatasetError as exc:
        print_issues(exc.issues)
        raise typer.Exit(EXIT_INVALID) from exc
    except PlanningError as exc:
        raise fail_invalid(str(exc)) from exc


def _read_lines(path: Path, ds: Dataset) -> pd.DataFrame:
    """Read, type and check a file of order lines; every problem at once, as a DatasetError.

    Each problem names the file, the row (1 = first line after the header) and the column:
    cells that cannot be read, and what the promiser would reject (unknown references,
    quantities and dates out of the loader's ranges, fractional quantities of integral
    items, an (order, line) given twice or already an open line of the dataset).
    """
    from oms_plan.atp.request import LinesError, RequestRules, records, requests_from_rows
    from oms_plan.fields import coerce_table
    from oms_plan.reading import line_break_issues, read_csv_table
    from oms_plan.schema import TABLES

    if not path.is_file():
        raise DatasetError([Issue(path.name, None, None, f"no such file: {path}")])
    try:
        raw = pd.read_parquet(path) if path.suffix == ".parquet" else read_csv_table(path)
    except DatasetError as exc:
        raise DatasetError([dataclasses.replace(i, table=path.name) for i in exc.issues]) from exc
    except Exception as exc:  # any reader failure is a problem of this file
        raise DatasetError([Issue(path.name, None, None, f"cannot read it: {exc}")]) from exc
    typed, issues = coerce_table(TABLES["orders"], raw, ds.start)
    errors = [i for i in issues if i.severity == "error"]
    if path.suffix != ".parquet":
        errors += line_break_issues("orders", raw, path.name)
    try:
        # Routes do not matter for checking: only the lines' own values and keys.
        requests_from_rows(RequestRules(ds), lambda *_: (), records(typed), replenish=False)
    except LinesError as exc:
        # A cell the reader could not read is missing in ``typed``: reported once, above.
        unread = {(i.row, i.column) for i in errors}
        errors += [i for i in exc.issues if (i.row, i.column) not in unread]
    if errors:
        errors.sort(key=lambda i: (i.row or 0, i.column or ""))
        raise DatasetError([dataclasses.replace(i, table=path.name) for i in errors])
    return typed


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)
