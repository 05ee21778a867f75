"""Promise latency and reservation throughput of ``Promiser``, against a pandas baseline.

Dataset: ``generate_dataset(50_000, items=10_000, locations=20, horizon_days=365)`` (about
50,000 committed order lines); ``--small`` runs 5,000 lines over 1,000 items instead.

Measured in one run:

* ``promise()`` of single lines: p50 / p99 latency (default options: partial shipments,
  several locations, transfers; one shipment, ``partial_ok=False``; ``max_shipments=1``);
* ``promise_order()`` of 10-line orders: p50 / p99;
* ``reserve()`` throughput (quotes re-checked and held), and ``release()``;
* the same questions answered by a straightforward pandas implementation a planner would
  write (filter the events of the item, cumulative sum per location, suffix minimum, search
  the first day with enough): single-line earliest delivery, 10-line orders and reservations
  (append a row, re-check by recomputing). The fast promiser answers the single-shipment
  question too (``partial_ok=False``) and both answers are compared line by line.

Capable-to-promise (``--case ctp``, or ``--case all``): on ``generate_dataset(20_000,
seed=5)`` — what ``oms-plan generate --scale 20000 --seed 5`` writes — new lines of make items
that stock and receipts cannot cover in time (the same request with ``ctp=False`` is late or
short): p50 / p99 of ``promise()`` with CTP, and CTP reservations per second (each quote
reserved in turn: components and workstation minutes taken). The ATP case runs its promiser
with ``ctp=False``: the ATP engine alone, as before CTP.

Run: ``nice python benchmarks/promise_latency.py [--small] [--seed S] [--lines N]
[--case atp|ctp|all]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import time

import numpy as np
import pandas as pd

from oms_plan import Dataset, Promiser
from oms_plan.timeline import demand_events, supply_events

GOAL_P99_US = 100.0
GOAL_SPEEDUP = 100.0
GOAL_RESERVE_PER_S = 50_000.0
GOAL_CTP_P99_US = 2_000.0
GOAL_CTP_RESERVE_PER_S = 5_000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="5,000 lines, 1,000 items")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lines", type=int, default=20_000, help="single-line samples")
    parser.add_argument("--baseline-lines", type=int, default=300, help="pandas samples")
    parser.add_argument("--case", choices=["atp", "ctp", "all"], default="all")
    parser.add_argument("--ctp-lines", type=int, default=2_000, help="CTP samples")
    args = parser.parse_args()
    if args.case in ("atp", "all"):
        atp_case(args)
    if args.case in ("ctp", "all"):
        ctp_case(args)


def atp_case(args: argparse.Namespace) -> None:
    """The ATP engine alone (``ctp=False``) on the large generated dataset."""

    from oms_plan.generate import generate_dataset

    scale, items = (5_000, 1_000) if args.small else (50_000, 10_000)
    t0 = time.perf_counter()
    ds = generate_dataset(scale, items=items, locations=20, horizon_days=365, seed=args.seed)
    print(f"dataset: {ds!r}")
    print(f"  generated in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    promiser = Promiser(ds, ctp=False)
    build = time.perf_counter() - t0
    ledger = promiser.ledger
    mb = (ledger.cum.nbytes + ledger.smin.nbytes) / 1e6
    print(f"Promiser built in {build:.2f} s: {ledger.num_buffers} buffers x {ledger.horizon} days")
    print(f"  ({mb:.0f} MB of ATP rows)")

    rng = np.random.default_rng(args.seed)
    requests = _requests(ds, rng, args.lines)
    # Route tables are built on the first promise of an (item, region), as a running service
    # has them: warm them up. Freeze the setup objects so the cyclic GC does not walk the
    # dataset during timing (what a long-running service does after loading, gc.freeze()).
    t0 = time.perf_counter()
    for r in requests:
        promiser.promise(*r)
    print(f"  warm-up (route tables of {len(requests)} lines): {time.perf_counter() - t0:.1f} s")
    gc.collect()
    gc.freeze()

    # -- single lines ---------------------------------------------------------------------
    single = _latencies(lambda r: promiser.promise(*r), requests)
    single_cpu = _latencies.cpu  # type: ignore[attr-defined]
    whole = _latencies(lambda r: promiser.promise(*r, partial_ok=False), requests)
    whole_cpu = _latencies.cpu  # type: ignore[attr-defined]
    # max_shipments=1 differs from partial_ok=False: without a whole shipment, it ships the
    # most one route has instead of nothing.
    one = _latencies(lambda r: promiser.promise(*r, max_shipments=1), requests)
    one_cpu = _latencies.cpu  # type: ignore[attr-defined]
    # -- 10-line orders ---------------------------------------------------------------------
    orders = [_order_rows(requests[i : i + 10]) for i in range(0, min(len(requests), 20_000), 10)]
    order_lat = _latencies(promiser.promise_order, orders)
    order_cpu = _latencies.cpu  # type: ignore[attr-defined]
    # -- reservations -----------------------------------------------------------------------
    quotes = [promiser.promise(*r) for r in requests]
    quotes = [q for q in quotes if q.shipments]
    t0, c0 = time.perf_counter(), time.thread_time()
    held, expired = [], 0
    for q in quotes:
        try:
            held.append(promiser.reserve(q))
        except Exception:  # QuoteExpiredError: an earlier reservation took the quantity
            expired += 1
    reserve_s, reserve_cpu = time.perf_counter() - t0, time.thread_time() - c0
    t0, c0 = time.perf_counter(), time.thread_time()
    for rid in held:
        promiser.release(rid)
    release_s, release_cpu = time.perf_counter() - t0, time.thread_time() - c0
    reserve_rate = len(quotes) / reserve_s
    release_rate = len(held) / release_s

    # -- pandas baseline ----------------------------------------------------------------------
    baseline = PandasPromiser(ds)
    sample = requests[: args.baseline_lines]
    base_single = _latencies(lambda r: baseline.promise(*r), sample)
    mismatches = via_transfer = 0
    for r in sample:
        fast = promiser.promise(*r, partial_ok=False)
        slow = baseline.promise(*r)
        if fast.shipments and fast.shipments[0].kind == "transfer":
            via_transfer += 1  # the baseline has no transfers: not the same question
            continue
        fast_day = fast.shipments[0].delivery_date if fast.shipments else None
        mismatches += fast_day != slow
    chunks = [sample[i : i + 10] for i in range(0, len(sample), 10)]
    base_orders = _latencies(lambda rows: [baseline.promise(*r) for r in rows], chunks)
    t0 = time.perf_counter()
    n_res = 0
    for r in sample:
        if baseline.reserve(*r):
            n_res += 1
    base_reserve_rate = len(sample) / (time.perf_counter() - t0)

    p50, p99 = _pct(single)
    w50, w99 = _pct(whole)
    m50, m99 = _pct(one)
    o50, o99 = _pct(order_lat)
    b50, b99 = _pct(base_single)
    bo50, bo99 = _pct(base_orders)
    c50, c99 = _pct(single_cpu)
    cw50, cw99 = _pct(whole_cpu)
    cm50, cm99 = _pct(one_cpu)
    co50, co99 = _pct(order_cpu)
    print()
    print("latency in µs, p50 / p99 (wall clock; CPU time of the thread in brackets, which")
    print("leaves out time the OS gave other processes: this machine may be shared)")
    print(f"{'question':<32}{'Promiser':>36}{'pandas baseline':>20}{'ratio':>8}")
    for name, (a, b, ca, cb, base_a, base_b) in {
        "single line (default options)": (p50, p99, c50, c99, b50, b99),
        "single line, one shipment": (w50, w99, cw50, cw99, b50, b99),
        "single line, max_shipments=1": (m50, m99, cm50, cm99, b50, b99),
        "10-line order": (o50, o99, co50, co99, bo50, bo99),
    }.items():
        print(
            f"{name:<32}{a:>9.1f} / {b:>8.1f} [{ca:>6.1f} / {cb:>6.1f}]"
            f"{base_a:>10.0f} / {base_b:>8.0f}{base_a / a:>7.0f}x"
        )
    print(
        f"{'reserve() per second':<32}{reserve_rate:>36,.0f}{base_reserve_rate:>20,.0f}"
        f"{reserve_rate / base_reserve_rate:>7.0f}x"
    )
    print(f"{'  (CPU time only)':<32}{len(quotes) / reserve_cpu:>36,.0f}")
    print(f"{'release() per second':<32}{release_rate:>36,.0f}")
    print(f"{'  (CPU time only)':<32}{len(held) / release_cpu:>36,.0f}")
    print()
    print(f"single-line samples: {len(requests)}; orders: {len(orders)}; reservations tried: "
          f"{len(quotes)} ({expired} quotes expired by earlier reservations)")  # fmt: skip
    print(
        f"pandas samples: {len(sample)}; single-shipment delivery dates that differ: "
        f"{mismatches} ({via_transfer} answered by a transfer, which the baseline lacks)"
    )
    print()
    print("goals:")
    _goal(
        "p99 single line <= 100 µs (one shipment; max_shipments=1; default options)",
        max(w99, m99, p99) <= GOAL_P99_US,
        f"{w99:.1f} / {m99:.1f} / {p99:.1f} µs wall, {cw99:.1f} / {cm99:.1f} / {c99:.1f} µs CPU",
    )
    _goal(">= 100x faster than pandas (p50)", b50 / p50 >= GOAL_SPEEDUP, f"{b50 / p50:.0f}x")
    _goal(
        ">= 50,000 reservations/s",
        reserve_rate >= GOAL_RESERVE_PER_S,
        f"{reserve_rate:,.0f}/s wall, {len(quotes) / reserve_cpu:,.0f}/s CPU",
    )


def ctp_case(args: argparse.Namespace) -> None:
    """Capable-to-promise: make items stock cannot cover, on the 20,000-line dataset."""
    from oms_plan.generate import generate_dataset

    print()
    print("== capable-to-promise ==")
    t0 = time.perf_counter()
    ds = generate_dataset(20_000, seed=5)
    print(f"dataset: {ds!r} (generated in {time.perf_counter() - t0:.1f} s)")
    t0 = time.perf_counter()
    promiser = Promiser(ds)
    build = time.perf_counter() - t0
    engine = promiser._engine
    assert engine is not None
    print(
        f"CTP promiser built in {build:.1f} s (plan state: {len(engine.committed)} new orders "
        "cover over-committed open lines)"
    )
    atp_only = Promiser(ds, ctp=False)
    src = ds.sourcing
    made = set(src.loc[src["method"] == "make", "item"].astype(str))
    rng = np.random.default_rng(args.seed)
    pool = [r for r in _requests(ds, rng, 20 * args.ctp_lines) if r[0] in made]
    requests = []
    for r in pool:
        quote = atp_only.promise(*r)
        if not quote.on_time:  # stock and receipts cannot cover it in time
            requests.append(r)
        if len(requests) == args.ctp_lines:
            break
    print(f"requests: {len(requests)} lines of make items that ATP leaves late or short")
    # Warm the route tables, as a running service has them; then measure.
    for r in requests[:200]:
        promiser.promise(*r)
    gc.collect()
    gc.freeze()
    lat = _latencies(lambda r: promiser.promise(*r), requests)
    cpu = _latencies.cpu  # type: ignore[attr-defined]
    quotes = [promiser.promise(*r) for r in requests]
    on_time = sum(q.on_time for q in quotes)
    short = sum(q.short > 0 for q in quotes)
    by_source: dict[str, int] = {}
    for q in quotes:
        for sh in q.shipments:
            by_source[sh.origin] = by_source.get(sh.origin, 0) + 1
    limited = sum(q.binding == "search_limit" for q in quotes)
    held, expired = [], 0
    t0, c0 = time.perf_counter(), time.thread_time()
    for q in quotes:
        if not q.shipments:
            continue
        try:
            held.append(promiser.reserve(q))
        except Exception:  # QuoteExpiredError: an earlier reservation took its components
            expired += 1
    reserve_s, reserve_cpu = time.perf_counter() - t0, time.thread_time() - c0
    tried = len(held) + expired
    t0 = time.perf_counter()
    for rid in held:
        promiser.release(rid)
    release_s = time.perf_counter() - t0
    p50, p99 = _pct(lat)
    c50, c99 = _pct(cpu)
    print()
    print(f"promise() with CTP, µs p50 / p99: {p50:,.0f} / {p99:,.0f} wall "
          f"[{c50:,.0f} / {c99:,.0f} CPU]; max {lat.max():,.0f}")  # fmt: skip
    late = len(quotes) - on_time - short
    print(f"answers: {on_time} on time, {late} late, {short} with a short quantity "
          f"({limited} at the search limit); shipments by source {by_source}")  # fmt: skip
    print(f"reserve() of CTP quotes per second: {tried / reserve_s:,.0f} wall "
          f"[{tried / reserve_cpu:,.0f} CPU] ({expired} of {tried} expired by earlier ones); "
          f"release() per second: {len(held) / release_s:,.0f}")  # fmt: skip
    print("goals:")
    _goal("CTP p99 promise() <= 2 ms", p99 <= GOAL_CTP_P99_US, f"{p99:,.0f} µs wall")
    _goal(
        ">= 5,000 CTP reservations/s",
        tried / reserve_s >= GOAL_CTP_RESERVE_PER_S,
        f"{tried / reserve_s:,.0f}/s wall",
    )
    gc.unfreeze()


def _goal(text: str, ok: bool, value: str) -> None:
    print(f"  [{'met' if ok else 'MISSED'}] {text}: {value}")


def _requests(ds: Dataset, rng: np.random.Generator, n: int) -> list[tuple[str, float, str, str]]:
    """Random lines like the open ones: an item and region of an order line, a new quantity
    and a requested date anywhere in the first 80% of the horizon."""
    orders = ds.orders
    rows = rng.integers(0, len(orders), n)
    qty = np.maximum(1, np.round(orders["quantity"].to_numpy()[rows] * rng.uniform(0.2, 1.5, n)))
    days = rng.integers(0, int(ds.horizon_days * 0.8), n)
    items = orders["item"].to_numpy()[rows]
    regions = orders["ship_to"].to_numpy()[rows]
    return [
        (str(i), float(q), str(r), (ds.start + dt.timedelta(days=int(d))).isoformat())
        for i, q, r, d in zip(items, qty, regions, days, strict=True)
    ]


def _order_rows(requests: list[tuple[str, float, str, str]]) -> list[dict[str, object]]:
    return [
        {"order": "B", "line": str(n), "item": i, "quantity": q, "ship_to": r, "requested_date": d}
        for n, (i, q, r, d) in enumerate(requests)
    ]


def _latencies(fn, args) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Wall-clock µs per call; CPU µs per call are kept in ``_latencies.cpu``."""
    out = np.empty(len(args))
    cpu = np.empty(len(args))
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for k, a in enumerate(args):
        c = cpu_clock()
        t = clock()
        fn(a)
        out[k] = clock() - t
        cpu[k] = cpu_clock() - c
    _latencies.cpu = cpu / 1e3  # type: ignore[attr-defined]
    return out / 1e3


def _pct(values: np.ndarray) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


class PandasPromiser:
    """The baseline: answer each question from DataFrames of events, as a planner would.

    Earliest delivery of the whole quantity in one shipment over every location with the
    item and a lane to the region (ties: cost, then location id); reservations are rows
    appended to the event table.
    """

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        sup = supply_events(ds)
        sup = sup.loc[~sup["beyond_horizon"]]
        dem = demand_events(ds)
        dem = dem.loc[~dem["beyond_horizon"] & dem["location"].notna()]
        self.events = pd.concat(
            [
                sup[["item", "location", "day", "quantity"]],
                dem[["item", "location", "day"]].assign(quantity=-dem["quantity"]),
            ],
            ignore_index=True,
        )
        self.lanes = ds.lanes.rename(columns={"from_location": "location", "to": "region"})
        from oms_plan.shipping import item_locations

        self.has = item_locations(
            {"inventory": ds.inventory, "supply": ds.supply, "sourcing": ds.sourcing}
        )
        self.horizon = ds.horizon_days

    def _atp(self, item: str, location: str) -> pd.Series:
        ev = self.events[(self.events["item"] == item) & (self.events["location"] == location)]
        net = ev.groupby("day")["quantity"].sum().reindex(range(self.horizon), fill_value=0.0)
        cum = net.cumsum()
        return cum[::-1].cummin()[::-1].clip(lower=0)

    def _best(self, item: str, qty: float, region: str, requested: str):  # type: ignore[no-untyped-def]
        r = (dt.date.fromisoformat(requested) - self.ds.start).days
        cands = self.has[self.has["item"] == item].merge(
            self.lanes[self.lanes["region"] == region], on="location"
        )
        best = None
        for row in cands.sort_values(["cost_per_unit", "location"]).itertuples(index=False):
            atp = self._atp(item, row.location)
            ok = atp[atp >= qty - 1e-7]
            if ok.empty:
                continue
            t = max(int(ok.index[0]), r - int(row.transit_days), 0)
            delivery = t + int(row.transit_days)
            if best is None or delivery < best[0]:
                best = (delivery, row.location, t)
        return best

    def promise(self, item: str, qty: float, region: str, requested: str) -> dt.date | None:
        best = self._best(item, qty, region, requested)
        return None if best is None else self.ds.start + dt.timedelta(days=best[0])

    def reserve(self, item: str, qty: float, region: str, requested: str) -> bool:
        best = self._best(item, qty, region, requested)  # the re-check
        if best is None:
            return False
        row = pd.DataFrame(
            {"item": [item], "location": [best[1]], "day": [best[2]], "quantity": [-qty]}
        )
        self.events = pd.concat([self.events, row], ignore_index=True)
        return True


if __name__ == "__main__":
    main()
