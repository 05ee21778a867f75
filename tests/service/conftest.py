"""Fixtures of the service tests: datasets, ledgers (SQLite and PostgreSQL), servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.helpers import pg_reachable, pg_schema, write_dataset

pytest.importorskip("fastapi", reason="the service extra is not installed")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data")


@pytest.fixture(scope="session")
def pg_available() -> None:
    reason = pg_reachable()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh ledger of each kind (PostgreSQL: a schema of its own, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite'}"
        return
    request.getfixturevalue("pg_available")
    with pg_schema() as dsn:
        yield dsn
