"""Threads racing promise/reserve/release on one Promiser never promise a unit twice.

The interpreter is forced to switch threads every microsecond, so that any call that is not
atomic (a reserve that reads ATP while a release on another day rewrites the prefix of the
same row) is interleaved with the others many times per round.
"""

from __future__ import annotations

import contextlib
import random
import sys
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from oms_plan import Dataset
from oms_plan.atp import Promiser, QuoteExpiredError
from oms_plan.atp.ledger import AtpLedger

from .helpers import day, single_buffer

HORIZON = 20
THREADS = 4


@pytest.fixture
def fast_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _scarce() -> Dataset:
    """3 on hand, receipts on days 4, 9 and 14, commitments in between: little to spare."""
    receipts = [0.0] * HORIZON
    receipts[4], receipts[9], receipts[14] = 4, 3, 5
    orders = [0.0] * HORIZON
    orders[2], orders[6], orders[11] = 1, 2, 3
    return single_buffer(3, receipts, orders, horizon=HORIZON)


def _rebuilt_cum(promiser: Promiser, base: AtpLedger) -> np.ndarray:
    cum = base.cum.copy()
    for res in promiser.reservations.values():
        for b, d, q in res.legs:
            cum[b, d:] -= q
    return cum


@pytest.mark.parametrize(("rounds", "trials"), [(100, 1), (1000, 4)])
def test_racing_reserve_and_release_conserve_stock(
    fast_switching: None, rounds: int, trials: int
) -> None:
    # Several trials: one interleaving may miss a race that another hits.
    for trial in range(trials):
        _race(rounds, seed=trial * THREADS)


def _race(rounds: int, seed: int) -> None:
    ds = _scarce()
    promiser = Promiser(ds, ctp=False)
    base = AtpLedger.from_dataset(ds)
    floor = np.minimum(base.cum, 0.0)  # the data's own over-commitment (none here)
    errors: list[BaseException] = []
    held_by: list[list[str]] = [[] for _ in range(THREADS)]
    stop = threading.Event()

    def worker(n: int) -> None:
        rng = random.Random(seed + n)
        held = held_by[n]
        try:
            for _ in range(rounds):
                quote = promiser.promise("X", rng.randint(1, 3), "R", day(rng.randrange(HORIZON)))
                if quote.shipments:
                    # Another thread may take it between quote and reserve: that is fine.
                    with contextlib.suppress(QuoteExpiredError):
                        held.append(promiser.reserve(quote))
                if held and rng.random() < 0.6:
                    promiser.release(held.pop(rng.randrange(len(held))))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def reader() -> None:
        # What anyone sees between calls never shows a unit promised twice.
        try:
            while not stop.is_set():
                on_hand = promiser.atp("X", "W")["on_hand"].to_numpy()
                if (on_hand < floor[0] - 1e-9).any():
                    errors.append(AssertionError(f"over-promised: on_hand {on_hand}"))
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    watch = threading.Thread(target=reader)
    watch.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watch.join()
    assert not errors, errors[0]

    # Everything still held is exactly what the ledger took, and never more than there was.
    held = [rid for ids in held_by for rid in ids]
    assert sorted(held) == sorted(promiser.reservations)
    cum = promiser.ledger.cum
    np.testing.assert_allclose(cum, _rebuilt_cum(promiser, base), atol=1e-9)
    assert (cum >= floor - 1e-9).all()
    smin = np.minimum.accumulate(cum[:, ::-1], axis=1)[:, ::-1]
    np.testing.assert_allclose(promiser.ledger.smin, smin, atol=1e-9)
    # Releasing the rest gives every unit back.
    for rid in held:
        promiser.release(rid)
    np.testing.assert_allclose(promiser.ledger.cum, base.cum, atol=1e-9)
    np.testing.assert_allclose(promiser.ledger.smin, base.smin, atol=1e-9)


def test_one_quote_raced_by_many_threads_is_reserved_once(fast_switching: None) -> None:
    promiser = Promiser(_scarce(), ctp=False)
    quote = promiser.promise("X", 3, "R", day(0))
    results: list[str] = []
    failures: list[BaseException] = []

    def grab() -> None:
        try:
            results.append(promiser.reserve(quote, idempotency_key="order-1"))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert len(set(results)) == 1 and len(promiser.reservations) == 1
    assert promiser.atp("X", "W")["atp"].iloc[0] == 0
