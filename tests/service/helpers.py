"""Real service processes for the tests: a small dataset, free ports, PostgreSQL schemas."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

import oms_plan

PG_DSN = os.environ.get("OMS_PLAN_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TOKEN = "s3cret-token-for-tests"
#: Units of WIDGET a new line can have: 40 on hand minus the open line SO-1/1 (10).
WIDGET_ATP = 30
ROOT = Path(__file__).resolve().parents[2]


def write_dataset(folder: Path, *, widget_stock: float = 40, gadget_stock: float = 100_000) -> Path:
    """A two-item dataset: WIDGET is scarce (30 free units), GADGET plentiful."""
    m = oms_plan.Model(start="2026-11-23", horizon_days=60)
    m.add_region(region="NORTH")
    m.add_location(location="DC1", kind="warehouse")
    m.add_lane(from_location="DC1", to="NORTH", transit_days=1)
    for item, stock in (("WIDGET", widget_stock), ("GADGET", gadget_stock)):
        m.add_item(item=item, price=10)
        m.add_sourcing(item=item, location="DC1", method="buy", lead_days=30)
        m.add_inventory(item=item, location="DC1", on_hand=stock)
    m.add_order_line(
        order="SO-1",
        line="1",
        item="WIDGET",
        quantity=10,
        requested_date="2026-11-25",
        ship_to="NORTH",
    )
    m.dataset().write(folder)
    return folder


def widget(quantity: float = 1, **extra: Any) -> dict[str, Any]:
    """A reservation body for WIDGET that only stock on hand can serve (ATP, no CTP)."""
    return {
        "item": "WIDGET",
        "quantity": quantity,
        "ship_to": "NORTH",
        "requested_date": "2026-12-01",
        "ctp": False,
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """One ``oms-plan serve`` process on a free localhost port."""

    def __init__(
        self, dataset: Path, ledger: str, log: Path, *, token: str | None = TOKEN, workers: int = 1
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        args = [sys.executable, "-m", "oms_plan.cli.main", "serve", str(dataset)]
        args += ["--ledger", ledger, "--port", str(self.port), "--log-level", "warning"]
        if workers != 1:
            args += ["--workers", str(workers)]
        if token is not None:
            token_file = log.with_suffix(".token")
            token_file.write_text(f"  {token}\n")
            args += ["--token-file", str(token_file)]
        self.headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        self._wait()

    def _wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.url, headers=self.headers, **kwargs)

    def kill(self) -> None:
        """kill -9: no shutdown, no flush."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def running(dataset: Path, ledger: str, log: Path, **kwargs: Any) -> Iterator[Server]:
    server = Server(dataset, ledger, log, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def pg_reachable() -> str | None:
    """``None`` when PostgreSQL answers at :data:`PG_DSN`, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[service]')"
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL is unreachable at {PG_DSN} (set OMS_PLAN_PG_DSN): {exc}"
    return None


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh schema of the test database; yields a DSN that uses it; dropped afterwards."""
    import psycopg

    name = f"oms_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in PG_DSN else "?"
    try:
        yield f"{PG_DSN}{sep}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")
