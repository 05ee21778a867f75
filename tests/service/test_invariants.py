"""Random reserve/release sequences through two processes' services on one ledger.

Invariants: the units held never exceed what was free; every service (and one started
afterwards from the ledger alone) agrees on what is left.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from oms_plan.service import PromiseService, ServiceConfig, ServiceError
from tests.service.helpers import WIDGET_ATP, widget, write_dataset

DATA = write_dataset(Path(tempfile.mkdtemp(prefix="oms-inv-")) / "data")

ops = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from(["reserve", "release"]), st.integers(1, 12)),
    min_size=1,
    max_size=12,
)


def free(service: PromiseService) -> float:
    rows = service.atp("WIDGET", "DC1")
    return float(next(r["atp"] for r in rows if r["date"] == "2026-11-30"))


@settings(max_examples=10, deadline=None)
@given(steps=ops)
def test_two_services_never_hold_more_than_there_is(steps: list[tuple[int, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = f"sqlite:///{Path(tmp) / 'ledger.sqlite'}"
        services = [PromiseService(ServiceConfig(str(DATA), ledger)) for _ in range(2)]
        held: dict[str, float] = {}
        try:
            for who, op, n in steps:
                service = services[who]
                if op == "reserve":
                    try:
                        _, answer = service.reserve(widget(n, max_days_late=0), None)
                    except ServiceError as exc:
                        assert exc.status == 409
                        continue
                    shipped = sum(s["quantity"] for s in answer["promise"]["shipments"])
                    held[answer["reservation"]] = shipped
                elif held:
                    rid = sorted(held)[n % len(held)]
                    service.release(rid)
                    del held[rid]
                assert sum(held.values()) <= WIDGET_ATP
                assert free(services[0]) == free(services[1]) == WIDGET_ATP - sum(held.values())
            again = PromiseService(ServiceConfig(str(DATA), ledger))
            try:
                assert free(again) == WIDGET_ATP - sum(held.values())
                assert again.health()["reservations"] == len(held)
            finally:
                again.close()
        finally:
            for s in services:
                s.close()
