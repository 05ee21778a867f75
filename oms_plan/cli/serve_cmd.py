"""``oms-plan serve``: the HTTP promise service with a durable reservation ledger."""

from __future__ import annotations

import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from oms_plan.cli.common import DatasetArg, console, fail_invalid, print_issues
from oms_plan.errors import DatasetError, PlanningError


class LogLevel(StrEnum):
    """uvicorn's log levels."""

    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"
    trace = "trace"


_INSTALL = 'the service needs its extra: pip install "oms-plan[service]"'


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command()
    def serve(
        dataset: DatasetArg,
        ledger: Annotated[
            str | None,
            typer.Option(
                "--ledger",
                help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
                "(default: oms_plan_ledger.sqlite beside the dataset folder).",
            ),
        ] = None,
        host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port.", min=0, max=65535)] = 8000,
        token_file: Annotated[
            Path | None,
            typer.Option("--token-file", help="File holding the bearer token mutating calls need."),
        ] = None,
        workers: Annotated[
            int,
            typer.Option("--workers", help="uvicorn worker processes (share the ledger).", min=1),
        ] = 1,
        log_level: Annotated[
            LogLevel, typer.Option("--log-level", help="uvicorn log level.")
        ] = LogLevel.info,
    ) -> None:
        """Answer promises over HTTP/JSON (OpenAPI at /docs); reservations are durable."""
        try:
            import uvicorn

            from oms_plan.service.app import create_app
        except ImportError as exc:
            raise fail_invalid(f"{_INSTALL} ({exc})") from None
        from oms_plan.service import PromiseService, ServiceConfig, default_ledger, read_token
        from oms_plan.service.config import CONFIG_ENV

        try:
            token = None if token_file is None else read_token(token_file)
        except PlanningError as exc:
            raise fail_invalid(str(exc)) from None
        config = ServiceConfig(
            dataset=str(dataset.resolve()),
            ledger=ledger or default_ledger(dataset),
            token=token,
        )
        logging.getLogger("oms_plan").setLevel(logging.INFO)
        try:
            # Started here even with several workers: bad data or an unreachable ledger
            # exits 2 before anything binds, and the ledger's table exists for the workers.
            service = PromiseService(config)
        except DatasetError as exc:
            print_issues(exc.issues)
            raise fail_invalid(f"{dataset} is not a valid dataset") from None
        except PlanningError as exc:  # LedgerError among them
            raise fail_invalid(str(exc)) from None
        if token is None and host not in ("127.0.0.1", "localhost", "::1"):
            console.print(
                f"[yellow]warning[/]: serving on {escape(host)} without --token-file: anyone who "
                "reaches it can reserve and release",
                markup=True,
            )
        if workers == 1:
            uvicorn.run(create_app(service), host=host, port=port, log_level=log_level.value)
            return
        service.close()
        os.environ[CONFIG_ENV] = config.to_env()
        uvicorn.run(
            "oms_plan.service.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level.value,
        )
