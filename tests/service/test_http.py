"""The HTTP contract against a real ``oms-plan serve`` process (SQLite ledger)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.service.helpers import WIDGET_ATP, Server, running, widget, write_dataset


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("http")
    data = write_dataset(root / "data")
    with running(data, f"sqlite:///{root / 'ledger.sqlite'}", root / "server.log") as srv:
        yield srv


def test_promise_reserves_nothing(server: Server) -> None:
    with server.client() as c:
        before = c.get("/health").json()["reservations"]
        # curl -d sends a form content type: the body is JSON all the same.
        r = httpx.post(
            server.url + "/v1/promise",
            content=json.dumps(widget(3)),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 200
        assert r.json() == {
            "item": "WIDGET",
            "quantity": 3,
            "shipments": [
                {
                    "location": "DC1",
                    "quantity": 3,
                    "ship_date": "2026-11-30",
                    "delivery_date": "2026-12-01",
                    "source": "stock",
                }
            ],
            "short": 0,
            "binding": "stock",
        }
        assert c.get("/health").json()["reservations"] == before


def test_reservation_life_cycle(server: Server) -> None:
    with server.client() as c:
        r = c.post("/v1/reservations", json=widget(2, order="WEB-1", line=1))
        assert r.status_code == 201
        rid = r.json()["reservation"]
        got = c.get(f"/v1/reservations/{rid}").json()
        assert got["promise"] == r.json()["promise"]
        assert got["status"] == "held" and got["created"].endswith("+00:00")
        atp = c.get("/v1/atp", params={"item": "WIDGET", "location": "DC1"}).json()
        assert {"date", "on_hand", "atp"} == set(atp[0])
        assert c.delete(f"/v1/reservations/{rid}").status_code == 200
        assert c.get(f"/v1/reservations/{rid}").status_code == 404
        assert c.delete(f"/v1/reservations/{rid}").status_code == 404


def test_mutating_calls_need_the_token(server: Server) -> None:
    anonymous = httpx.Client(base_url=server.url)
    wrong = httpx.Client(base_url=server.url, headers={"Authorization": "Bearer nope"})
    for c in (anonymous, wrong):
        for method, path, body in (
            ("POST", "/v1/reservations", widget(1)),
            ("DELETE", "/v1/reservations/R-1", None),
            ("POST", "/v1/reload", {}),
        ):
            r = c.request(method, path, json=body)
            assert r.status_code == 401, (method, path)
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json()["errors"][0]["field"] == "Authorization"
        # Reads need none.
        assert c.post("/v1/promise", json=widget(1)).status_code == 200
        assert c.get("/v1/conflicts").status_code == 200


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**widget(1), "quantity": -1}, {"quantity"}),
        ({**widget(1), "quantity": "3"}, {"quantity"}),
        ({**widget(1), "requested_date": "2026-11-31"}, {"requested_date"}),
        ({**widget(1), "requested_date": "2026-12-01xyz"}, {"requested_date"}),
        ({**widget(1), "partial_ok": "yes"}, {"partial_ok"}),
        ({**widget(1), "quantiy": 1}, {"quantiy"}),
        ({**widget(1), "item": "NOPE", "ship_to": "MARS"}, {"item", "ship_to"}),
        ({"item": "WIDGET"}, {"quantity", "ship_to", "requested_date"}),
    ],
)
def test_bad_bodies_get_422_and_change_nothing(
    server: Server, body: dict[str, object], fields: set[str]
) -> None:
    with server.client() as c:
        before = c.get("/health").json()["reservations"]
        for path in ("/v1/promise", "/v1/reservations"):
            r = c.post(path, json=body)
            assert r.status_code == 422, r.text
            assert {e["field"] for e in r.json()["errors"]} == fields
            assert all(e["message"] for e in r.json()["errors"])
        assert c.get("/health").json()["reservations"] == before


def test_order_needs_a_line(server: Server) -> None:
    with server.client() as c:
        r = c.post("/v1/reservations", json=widget(1, order="A"))
        assert r.status_code == 422
        assert r.json()["errors"] == [
            {"field": "body", "message": "give both order and line, or neither"}
        ]
        # A quote is not for an order line.
        assert c.post("/v1/promise", json=widget(1, order="A", line="1")).status_code == 422


def test_not_json_and_too_large(server: Server) -> None:
    with server.client() as c:
        r = c.post("/v1/reservations", content=b"{not json")
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
        big = json.dumps({**widget(1), "pad": "x" * (1 << 20)})
        assert c.post("/v1/reservations", content=big).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b" " * 100_000

        r = c.post("/v1/promise", content=chunks())
        assert r.status_code == 413
        assert r.json()["errors"][0]["field"] == "body"
        assert c.get("/v1/atp", params={"item": "NOPE", "location": "DC1"}).status_code == 422


def test_same_key_from_50_clients_reserves_once(server: Server) -> None:
    def call(_: int) -> httpx.Response:
        with server.client() as c:
            return c.post(
                "/v1/reservations", json=widget(1), headers={"Idempotency-Key": "storm-1"}
            )

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(call, range(50)))
    assert sorted(r.status_code for r in answers) == [200] * 49 + [201]
    assert len({r.json()["reservation"] for r in answers}) == 1
    with server.client() as c:
        c.delete(f"/v1/reservations/{answers[0].json()['reservation']}")


def test_retry_after_a_client_timeout(server: Server) -> None:
    with server.client() as c:
        before = c.get("/health").json()["reservations"]
        # The client gives up at once; the server may well commit it.
        with contextlib.suppress(httpx.TimeoutException):
            c.post(
                "/v1/reservations",
                json=widget(1),
                headers={"Idempotency-Key": "slow-1"},
                timeout=httpx.Timeout(1e-4),
            )
        r = c.post("/v1/reservations", json=widget(1), headers={"Idempotency-Key": "slow-1"})
        assert r.status_code in (200, 201)
        again = c.post("/v1/reservations", json=widget(1), headers={"Idempotency-Key": "slow-1"})
        assert again.status_code == 200 and again.json() == r.json()
        assert c.get("/health").json()["reservations"] == before + 1
        c.delete(f"/v1/reservations/{r.json()['reservation']}")


def test_wholly_short_is_409(server: Server) -> None:
    with server.client() as c:
        body = widget(WIDGET_ATP + 1, partial_ok=False, max_days_late=0)
        r = c.post("/v1/reservations", json=body)
        assert r.status_code == 409
        assert r.json()["promise"]["short"] == WIDGET_ATP + 1
        assert r.json()["errors"][0]["field"] == "quantity"


def test_reload_over_http(server: Server, tmp_path: Path) -> None:
    with server.client() as c:
        assert c.post("/v1/reload", json={"dataset": str(tmp_path / "nope")}).status_code == 422
        r = c.post("/v1/reload")
        assert r.status_code == 200 and set(r.json()) == {"reservations", "conflicts"}
        assert c.get("/v1/conflicts").json() == []
