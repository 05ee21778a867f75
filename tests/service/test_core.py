"""The service without HTTP: durable state, idempotency, the reload rule, shared ledgers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from oms_plan.service import PromiseService, ServiceConfig, ServiceError
from tests.service.helpers import WIDGET_ATP, widget, write_dataset


def start(dataset: Path, ledger: str) -> PromiseService:
    return PromiseService(ServiceConfig(dataset=str(dataset), ledger=ledger))


def free_widgets(service: PromiseService) -> float:
    rows = service.atp("WIDGET", "DC1")
    return float(next(r["atp"] for r in rows if r["date"] == "2026-11-30"))


def add_order_line(dataset: Path, order: str, line: str, quantity: float) -> None:
    """The nightly plan committed a line: it is now an open order of the dataset."""
    orders = pd.read_csv(dataset / "orders.csv", dtype=str)
    row = orders.iloc[0].copy()
    row["order"], row["line"], row["quantity"] = order, line, str(quantity)
    row["requested_date"] = "2026-12-01"
    pd.concat([orders, row.to_frame().T]).to_csv(dataset / "orders.csv", index=False)


def test_reservations_survive_a_restart(dataset: Path, ledger_url: str) -> None:
    first = start(dataset, ledger_url)
    status, answer = first.reserve(widget(7), None)
    assert status == 201
    rid = answer["reservation"]
    assert free_widgets(first) == WIDGET_ATP - 7
    first.close()

    again = start(dataset, ledger_url)
    try:
        assert again.get(rid)["promise"] == answer["promise"]
        assert again.get(rid)["status"] == "held"
        assert free_widgets(again) == WIDGET_ATP - 7
        assert again.health() == {"status": "ok", "reservations": 1}
        # New ids never repeat an old one.
        _, second = again.reserve(widget(1), None)
        assert second["reservation"] != rid
    finally:
        again.close()


def test_idempotency_key(dataset: Path, ledger_url: str) -> None:
    service = start(dataset, ledger_url)
    try:
        status, first = service.reserve(widget(2), "key-1")
        assert status == 201
        status, retry = service.reserve(widget(2), "key-1")
        assert (status, retry) == (200, first)
        assert free_widgets(service) == WIDGET_ATP - 2
        with pytest.raises(ServiceError) as err:
            service.reserve(widget(3), "key-1")
        assert err.value.status == 422
        assert err.value.errors[0].field == "Idempotency-Key"
        # Released: the key still answers with the first reservation, nothing more is held.
        service.release(first["reservation"])
        assert service.reserve(widget(2), "key-1") == (200, first)
        assert free_widgets(service) == WIDGET_ATP
    finally:
        service.close()


def test_short_and_release(dataset: Path, ledger_url: str) -> None:
    service = start(dataset, ledger_url)
    try:
        _, held = service.reserve(widget(WIDGET_ATP), None)
        with pytest.raises(ServiceError) as err:
            service.reserve(widget(1, max_days_late=0), "k")
        assert err.value.status == 409
        assert err.value.body()["promise"]["short"] == 1
        assert service.health()["reservations"] == 1
        rid = held["reservation"]
        service.release(rid)
        assert free_widgets(service) == WIDGET_ATP
        for call in (service.get, service.release):
            with pytest.raises(ServiceError) as err:
                call(rid)
            assert err.value.status == 404
        # The 409 stored nothing: the key is free for the retry that now succeeds.
        assert service.reserve(widget(1, max_days_late=0), "k")[0] == 201
    finally:
        service.close()


def test_bad_input_changes_nothing(dataset: Path, ledger_url: str) -> None:
    service = start(dataset, ledger_url)
    try:
        cases = [
            ({**widget(1), "item": "NOPE"}, "item"),
            ({**widget(1), "ship_to": "SOUTH"}, "ship_to"),
            ({**widget(1), "location": "DC9"}, "location"),
            (widget(1, order="SO-1", line="1"), "line"),  # an open line of the dataset
        ]
        for body, field in cases:
            with pytest.raises(ServiceError) as err:
                service.reserve(body, None)
            assert err.value.status == 422
            assert err.value.errors[0].field == field
        service.reserve(widget(1, order="WEB-1", line="1"), None)
        with pytest.raises(ServiceError) as err:
            service.reserve(widget(1, order="WEB-1", line="1"), None)
        assert "already reserved" in err.value.errors[0].message
        assert service.health()["reservations"] == 1
    finally:
        service.close()


def test_reload_drops_committed_lines_and_lists_conflicts(
    dataset: Path, ledger_url: str, tmp_path: Path
) -> None:
    service = start(dataset, ledger_url)
    try:
        _, committed = service.reserve(widget(5, order="WEB-7", line="1"), None)
        _, kept = service.reserve(widget(10), None)
        _, lost = service.reserve(widget(10), None)
        assert free_widgets(service) == WIDGET_ATP - 25

        # Tonight's dataset: WEB-7/1 is an order line now, and 12 widgets fewer in stock.
        tonight = tmp_path / "tonight"
        shutil.copytree(dataset, tonight)
        add_order_line(tonight, "WEB-7", "1", 5)
        inv = pd.read_csv(tonight / "inventory.csv", dtype=str)
        inv.loc[inv["item"] == "WIDGET", "on_hand"] = "28"
        inv.to_csv(tonight / "inventory.csv", index=False)

        assert service.reload(str(tonight)) == {"reservations": 1, "conflicts": 1}
        assert service.get(committed["reservation"])["status"] == "committed"
        assert service.get(kept["reservation"])["status"] == "held"
        assert service.get(lost["reservation"])["status"] == "conflict"
        [conflict] = service.conflicts()
        assert conflict["reservation"] == lost["reservation"]
        assert "no longer holds" in conflict["reason"]
        # 28 on hand - SO-1 10 - WEB-7 5 - the kept 10: 3 left.
        assert free_widgets(service) == 3
        # Releasing the conflict resolves it.
        service.release(lost["reservation"])
        assert service.conflicts() == []
        service.close()

        # A restart on the same ledger sees the same state.
        service = start(tonight, ledger_url)
        assert service.health()["reservations"] == 1
        assert service.get(committed["reservation"])["status"] == "committed"
        assert free_widgets(service) == 3
    finally:
        service.close()


def test_bad_reload_changes_nothing(dataset: Path, ledger_url: str, tmp_path: Path) -> None:
    service = start(dataset, ledger_url)
    try:
        service.reserve(widget(4), None)
        broken = tmp_path / "broken"
        shutil.copytree(dataset, broken)
        (broken / "items.csv").write_text("item,price\nWIDGET,-1\n")
        with pytest.raises(ServiceError) as err:
            service.reload(str(broken))
        assert err.value.status == 422
        assert err.value.errors[0].field == "dataset"
        with pytest.raises(ServiceError):
            service.reload(str(tmp_path / "missing"))
        assert free_widgets(service) == WIDGET_ATP - 4
    finally:
        service.close()


def test_processes_sharing_a_ledger(dataset: Path, ledger_url: str, tmp_path: Path) -> None:
    a, b = start(dataset, ledger_url), start(dataset, ledger_url)
    try:
        _, made = a.reserve(widget(20), None)
        # b applies a's event before deciding: it cannot promise those 20 units again.
        status, answer = b.reserve(widget(20), None)
        assert status == 201 and answer["promise"]["shipments"][0]["quantity"] == 10
        assert b.get(made["reservation"])["status"] == "held"
        b.release(made["reservation"])
        assert free_widgets(a) == WIDGET_ATP - 10
        # A reload in one process moves the other one to the new dataset as well.
        tonight = tmp_path / "tonight"
        shutil.copytree(dataset, tonight)
        add_order_line(tonight, "SO-2", "1", 15)
        a.reload(str(tonight))
        assert free_widgets(b) == WIDGET_ATP - 10 - 15
        assert b.state.dataset_path == str(tonight.resolve())
    finally:
        a.close()
        b.close()


def test_restart_on_a_new_dataset_is_a_reload(
    dataset: Path, ledger_url: str, tmp_path: Path
) -> None:
    service = start(dataset, ledger_url)
    _, answer = service.reserve(widget(6, order="WEB-1", line="2"), None)
    service.close()
    tonight = write_dataset(tmp_path / "tonight")
    add_order_line(tonight, "WEB-1", "2", 6)
    service = start(tonight, ledger_url)
    try:
        assert service.get(answer["reservation"])["status"] == "committed"
        assert service.health()["reservations"] == 0
        assert free_widgets(service) == WIDGET_ATP - 6
    finally:
        service.close()


def test_a_damaged_ledger_is_named_not_a_crash(dataset: Path, tmp_path: Path) -> None:
    import sqlite3

    from oms_plan.service import LedgerError

    path = tmp_path / "ledger.sqlite"
    start(dataset, f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO oms_plan_ledger_events (kind, reservation, payload, created) "
            "VALUES ('reserve', 'R-x', '{\"promise\": {\"item\": 1}}', 'now')"
        )
    with pytest.raises(LedgerError, match="R-x"):
        start(dataset, f"sqlite:///{path}")


def test_capable_to_promise_reservations_survive_a_restart(tmp_path: Path) -> None:
    """A make-sourced reservation holds its workstation minutes after a restart too."""
    import inspect

    from oms_plan.atp import Promiser
    from tests.conftest import DATA

    if "ctp" not in inspect.signature(Promiser.promise).parameters:
        pytest.skip("the promiser has no capable-to-promise yet")
    shutil.copytree(DATA / "sample", tmp_path / "sample")
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    body = {"item": "BK-CITY", "quantity": 400, "ship_to": "FR", "requested_date": "2027-01-20"}
    first = start(tmp_path / "sample", ledger)
    status, answer = first.reserve(body, None)
    assert status == 201
    assert {s.get("source") for s in answer["promise"]["shipments"]} == {"make"}
    after = first.promise(body)
    assert after != answer["promise"]  # the capacity it took is gone for the next one
    first.close()
    again = start(tmp_path / "sample", ledger)
    try:
        assert again.promise(body) == after
    finally:
        again.close()
