"""The application in process (FastAPI's TestClient): routing, errors and limits, quickly."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2 now; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from oms_plan.service import PromiseService, ServiceConfig, create_app
from tests.service.helpers import TOKEN, widget


@pytest.fixture
def client(dataset: Path, tmp_path: Path) -> Iterator[TestClient]:
    config = ServiceConfig(
        dataset=str(dataset),
        ledger=f"sqlite:///{tmp_path / 'l.sqlite'}",
        token=TOKEN,
        max_body_bytes=10_000,
    )
    with TestClient(create_app(PromiseService(config))) as c:
        yield c


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_round_trip(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "reservations": 0}
    r = client.post("/v1/reservations", json=widget(4), headers=AUTH)
    assert r.status_code == 201
    rid = r.json()["reservation"]
    assert rid.startswith("R-") and len(rid) == 34
    assert client.get(f"/v1/reservations/{rid}").json()["status"] == "held"
    assert client.get("/health").json()["reservations"] == 1
    assert client.delete(f"/v1/reservations/{rid}", headers=AUTH).json() == {
        "reservation": rid,
        "released": True,
    }
    assert client.post("/v1/reload", headers=AUTH).json() == {"reservations": 0, "conflicts": 0}


def test_tokens(client: TestClient) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        assert client.post("/v1/reservations", json=widget(1), headers=headers).status_code == 401
    # Authentication comes before the body is looked at.
    assert client.post("/v1/reservations", json={"bad": 1}).status_code == 401


def test_limits_and_errors(client: TestClient) -> None:
    big = b"{" + b" " * 20_000 + b"}"
    r = client.post("/v1/promise", content=big)
    assert r.status_code == 413 and r.json()["errors"][0]["field"] == "body"
    r = client.post("/v1/promise", content=iter([b" " * 6_000, b" " * 6_000]))
    assert r.status_code == 413
    assert client.get("/nowhere").status_code == 404
    assert client.put("/v1/promise").status_code == 405
    r = client.post(
        "/v1/reservations", json=widget(1), headers={**AUTH, "Idempotency-Key": "bad key"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Idempotency-Key"
    r = client.get("/v1/atp", params={"item": "WIDGET"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location"
    r = client.get("/v1/atp", params={"item": "WIDGET", "location": "NOWHERE"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location"


def test_browser_pages_of_other_origins_are_refused(dataset: Path, tmp_path: Path) -> None:
    config = ServiceConfig(dataset=str(dataset), ledger=f"sqlite:///{tmp_path / 'o.sqlite'}")
    with TestClient(create_app(PromiseService(config))) as c:  # no token
        assert c.post("/v1/reservations", json=widget(1)).status_code == 201
        same = {"Origin": "http://testserver"}
        assert c.post("/v1/reservations", json=widget(1), headers=same).status_code == 201
        evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
        r = c.post("/v1/reservations", content=json.dumps(widget(1)), headers=evil)
        assert r.status_code == 401
        assert c.get("/health").json()["reservations"] == 2
        assert c.get("/docs").status_code == 200
