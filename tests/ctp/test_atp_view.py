"""``GET /v1/atp`` and ``oms-plan atp`` show the same ATP: stock and scheduled receipts only.

SCHEMA.md (projection): atp counts stock and scheduled receipts, no new supply. The service's
promiser starts from the capable-to-promise plan state (new supply covering open lines); the
CLI's does not. Both must show the same rows, and a reservation must still count.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

import oms_plan
from oms_plan import Promiser
from oms_plan.cli.main import app
from tests.conftest import DATA

with warnings.catch_warnings():  # starlette asks for httpx2 now; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from oms_plan.service import PromiseService, ServiceConfig, create_app

SAMPLE = DATA / "sample"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    ledger = tmp_path_factory.mktemp("ledger") / "l.sqlite"
    config = ServiceConfig(dataset=str(SAMPLE), ledger=f"sqlite:///{ledger}")
    with TestClient(create_app(PromiseService(config))) as c:
        yield c


def _cli(item: str, location: str) -> list[dict[str, object]]:
    args = ["atp", str(SAMPLE), "--item", item, "--location", location, "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def test_service_and_cli_agree_on_the_sample(client: TestClient) -> None:
    ds = oms_plan.load(SAMPLE)
    # Buffers where the plan state's new supply changes the ledger (components taken for new
    # orders, new orders arriving): there the two used to disagree.
    engine = Promiser(ds)._engine
    assert engine is not None and engine.plan_rows
    touched = sorted({engine.ledger.buffers[b] for b in engine.plan_rows})
    assert ("TUBE-ALU", "LYON") in touched
    for item, location in [*touched[:3], ("TUBE-ALU", "LYON")]:
        answer = client.get("/v1/atp", params={"item": item, "location": location})
        assert answer.status_code == 200
        assert answer.json() == _cli(item, location), (item, location)


def test_every_buffer_agrees_and_a_reservation_counts(client: TestClient) -> None:
    ds = oms_plan.load(SAMPLE)
    with_ctp, atp_only = Promiser(ds), Promiser(ds, ctp=False)
    for item, location in atp_only.ledger.buffers:
        a, b = with_ctp.atp(item, location), atp_only.atp(item, location)
        assert (a["atp"] - b["atp"]).abs().max() < 1e-6, (item, location)
        assert (a["on_hand"] - b["on_hand"]).abs().max() < 1e-6, (item, location)
    # A reservation is a commitment: the components a capable-to-promise quote takes.
    quote = with_ctp.promise("BK-CITY", 400, "FR", "2027-01-20")
    assert quote.takes
    take = quote.takes[0]
    before = with_ctp.atp(take.item, take.location)["atp"].to_numpy()
    with_ctp.reserve(quote)
    after = with_ctp.atp(take.item, take.location)["atp"].to_numpy()
    assert (after <= before + 1e-9).all() and after.sum() < before.sum()
