"""Load test of ``oms-plan serve``: requests/s and p50/p99 latency, closed loop, localhost only.

For each ledger (SQLite, PostgreSQL) and each worker count (1, 2 uvicorn processes) it starts
a real server on a free 127.0.0.1 port with a fresh ledger, then runs ``--concurrency``
clients that each send one request, wait for the answer and send the next (closed loop),
first ``POST /v1/promise`` then ``POST /v1/reservations`` (each with its own Idempotency-Key;
201 = committed to the ledger). Every phase is bounded by ``--seconds`` and
``--max-requests``; a warm-up second before each is not counted; each figure is the median
of ``--repeat`` phases (the machine is shared: single runs vary a lot). ``server µs`` is
the CPU time the server's processes spent per request (from ``/proc``): unlike requests/s it
hardly depends on what else the machine runs, and 10⁶ / it is what one core could serve.

The clients speak HTTP/1.1 keep-alive over raw asyncio streams rather than through httpx:
the generator shares the 2 cores with the server, and a light client takes less of them
(its CPU time is printed). Requests are drawn (seeded) from the dataset's own order lines,
one unit each.

    oms-plan generate --scale 20000 --seed 5 --out g20k
    nice python benchmarks/service_load.py --dataset g20k

Goals (issue 15, on a 2-core machine): ≥ 2,000 promise requests/s with p99 ≤ 20 ms;
≥ 500 durable reservations/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

import oms_plan

ROOT = Path(__file__).resolve().parents[1]
PG_DSN = os.environ.get("OMS_PLAN_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TOKEN = "benchmark-token"


def bodies(dataset: Path, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` one-unit requests like the dataset's order lines that stock can serve (seeded).

    Lines nothing can be promised for would measure 409s, not durable reservations.
    """
    ds = oms_plan.load(dataset)
    promiser = oms_plan.Promiser(ds)
    orders = ds.orders
    rows = list(
        zip(
            orders["item"].astype(str),
            orders["ship_to"].astype(str),
            orders["requested_date"].dt.strftime("%Y-%m-%d"),
            strict=True,
        )
    )
    rows = [(i, r, d) for i, r, d in dict.fromkeys(rows) if promiser.promise(i, 1, r, d).shipments]
    rng = random.Random(seed)
    return [
        {"item": i, "quantity": 1, "ship_to": r, "requested_date": d, "ctp": False}
        for i, r, d in (rng.choice(rows) for _ in range(n))
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    import psycopg

    name = f"oms_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in PG_DSN else "?"
    try:
        yield f"{PG_DSN}{sep}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


@contextlib.contextmanager
def server(dataset: Path, ledger: str, workers: int, scratch: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    token = scratch / "token"
    token.write_text(TOKEN)
    log = scratch / f"server-{port}.log"
    args = [sys.executable, "-m", "oms_plan.cli.main", "serve", str(dataset), "--ledger", ledger]
    args += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    args += ["--token-file", str(token)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        time.sleep(1.0 * workers)  # every worker up, not only the first
        yield port, proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


def _raw(path: str, body: dict[str, Any], key: str | None) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(data)}\r\n"
    )
    if key is not None:
        head += f"Idempotency-Key: {key}\r\n"
    return head.encode() + b"\r\n" + data


async def _load(
    port: int, path: str, work: list[dict[str, Any]], concurrency: int, seconds: float
) -> tuple[list[float], dict[int, int], float]:
    """Closed loop: ``concurrency`` connections, until ``seconds`` pass or ``work`` runs out."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(work)
    keyed = path == "/v1/reservations"
    stop = time.perf_counter() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for body in queue:
                if time.perf_counter() > stop:
                    return
                raw = _raw(path, body, uuid.uuid4().hex if keyed else None)
                t0 = time.perf_counter()
                status = await _request(reader, writer, raw)
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, statuses, time.perf_counter() - t0


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its children (uvicorn's workers).

    Linux only (``/proc``); 0 elsewhere. Unlike requests/s, it hardly depends on what else
    the machine runs: the figure to judge the server by on a shared machine.
    """
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields[1] is the parent pid; 11 and 12 are utime and stime (man 5 proc).
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run_phase(
    port: int, pid: int, path: str, work: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    warm = max(1, len(work) // 20)
    asyncio.run(_load(port, path, work[:warm], args.concurrency, 1.0))
    cpu0, server0 = time.process_time(), server_cpu(pid)
    lat, statuses, wall = asyncio.run(
        _load(port, path, work[warm:], args.concurrency, args.seconds)
    )
    cpu, served = time.process_time() - cpu0, server_cpu(pid) - server0
    lat.sort()
    ok = statuses.get(201 if path == "/v1/reservations" else 200, 0)
    return {
        "requests": len(lat),
        "ok": ok,
        "statuses": statuses,
        "rps": len(lat) / wall,
        "ok_rps": ok / wall,
        "p50_ms": 1e3 * _pct(lat, 0.50),
        "p99_ms": 1e3 * _pct(lat, 0.99),
        "client_cpu": cpu / wall,
        "server_us": 1e6 * served / max(1, len(lat)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--max-requests", type=int, default=30_000, help="per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="clients (connections)")
    parser.add_argument("--ledgers", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="phases per figure; the median is printed"
    )
    args = parser.parse_args()

    dataset = args.dataset.resolve()
    work = bodies(dataset, args.max_requests, args.seed)
    print(
        f"dataset {dataset}; {args.concurrency} clients; {args.repeat} phases of "
        f"≤ {args.seconds:g} s and ≤ {args.max_requests} requests each (medians; requests "
        f"and statuses summed); {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f} at the start"
    )
    header = (
        f"{'ledger':<10} {'workers':>7} {'endpoint':<17} {'requests':>8} {'2xx/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'server µs':>9} {'client cpu':>10}  statuses"
    )
    print(header)
    print("-" * len(header))
    for ledger_kind in args.ledgers.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            with tempfile.TemporaryDirectory(prefix="oms-bench-") as tmp:
                scratch = Path(tmp)
                if ledger_kind == "sqlite":
                    ctx: contextlib.AbstractContextManager[str] = contextlib.nullcontext(
                        f"sqlite:///{scratch / 'ledger.sqlite'}"
                    )
                else:
                    ctx = pg_schema()
                with ctx as ledger, server(dataset, ledger, workers, scratch) as (port, pid):
                    for path in ("/v1/promise", "/v1/reservations"):
                        runs = [run_phase(port, pid, path, work, args) for _ in range(args.repeat)]
                        statuses: dict[int, int] = {}
                        for run in runs:
                            for code, n in run["statuses"].items():
                                statuses[code] = statuses.get(code, 0) + n
                        print(
                            f"{ledger_kind:<10} {workers:>7} {path:<17} "
                            f"{sum(r['requests'] for r in runs):>8} "
                            f"{_median(runs, 'ok_rps'):>8.0f} {_median(runs, 'p50_ms'):>7.2f} "
                            f"{_median(runs, 'p99_ms'):>7.2f} "
                            f"{_median(runs, 'server_us'):>9.0f} "
                            f"{_median(runs, 'client_cpu'):>9.0%}  {statuses}",
                            flush=True,
                        )


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


if __name__ == "__main__":
    main()
