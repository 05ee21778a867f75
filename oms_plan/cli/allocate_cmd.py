"""``oms-plan allocate``: share scarce stock among the open order lines by a policy."""

from __future__ import annotations

from enum import StrEnum
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
    fail_invalid,
    load_or_exit,
    write_tables_or_exit,
)


class PolicyOption(StrEnum):
    """Allocation policies."""

    strict_priority = "strict_priority"
    weighted = "weighted"
    fair_share = "fair_share"


class SolverOption(StrEnum):
    """Allocation back-ends (auto: min-cost flow, CP-SAT where side constraints need it)."""

    auto = "auto"
    flow = "flow"
    cpsat = "cpsat"
    pulp = "pulp"
    greedy = "greedy"


def register(app: typer.Typer) -> None:
    """Add the ``allocate`` command to ``app``."""

    @app.command()
    def allocate(
        dataset: DatasetArg,
        out: PlanOutOption,
        policy: Annotated[
            PolicyOption, typer.Option("--policy", help="How scarce stock is shared.")
        ] = PolicyOption.strict_priority,
        no_protect: Annotated[
            bool,
            typer.Option(
                "--no-protect-commitments",
                help="Let the policy move lines past their promised date.",
            ),
        ] = False,
        solver: Annotated[
            SolverOption, typer.Option("--solver", help="Back-end.")
        ] = SolverOption.auto,
        time_limit: Annotated[
            float, typer.Option("--time-limit", help="Seconds for the MIP back-ends.", min=0.01)
        ] = 30.0,
        quota: Annotated[
            list[str] | None,
            typer.Option(
                "--quota",
                help="GROUP=SHARE: a customer group gets at most SHARE of each item, weekly "
                "(repeatable).",
            ),
        ] = None,
        fmt: FormatOption = TableFormatOption.csv,
        force: ForceOption = False,
    ) -> None:
        """Allocate stock and scheduled receipts: write promises, exceptions, kpis."""
        from oms_plan.allocate import allocate_stock

        quotas: dict[str, float] = {}
        for text in quota or []:
            group, sep, share = text.partition("=")
            try:
                quotas[group] = float(share)
            except ValueError:
                sep = ""
            if not sep or not group:
                raise fail_invalid(f"--quota {text!r}: expected GROUP=SHARE, e.g. GOLD=0.5")
        check_out_or_exit(out, force=force, inputs=[dataset])
        ds = load_or_exit(dataset)
        result = allocate_stock(
            ds,
            policy=policy.value,
            protect_commitments=not no_protect,
            solver=None if solver is SolverOption.auto else solver.value,
            time_limit=time_limit,
            quotas=quotas or None,
        )
        write_tables_or_exit(
            result.to_frames(), out, fmt, command="allocate", force=force, inputs=[dataset]
        )
        console.print(result.summary(), markup=False)
