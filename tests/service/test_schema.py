"""A property-based run of the OpenAPI schema (schemathesis) against a real server.

Every operation gets generated requests, valid and not; no answer may be a 5xx, use an
undocumented status or content type, or fail its documented schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.service.helpers import Server, running, write_dataset

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("schema")
    data = write_dataset(root / "data")
    with running(data, f"sqlite:///{root / 'ledger.sqlite'}", root / "server.log") as srv:
        yield srv


def test_every_answer_is_documented(server: Server) -> None:
    api = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,  # the same cases on every run
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(base_url=server.url, headers=server.headers, checks=CHECKS)

        check()


def test_openapi_documents_every_endpoint(server: Server, tmp_path: Path) -> None:
    import httpx

    paths = httpx.get(server.url + "/openapi.json").json()["paths"]
    assert {
        "/health",
        "/v1/promise",
        "/v1/reservations",
        "/v1/reservations/{reservation_id}",
        "/v1/atp",
        "/v1/reload",
        "/v1/conflicts",
    } <= set(paths)
    assert "409" in paths["/v1/reservations"]["post"]["responses"]
