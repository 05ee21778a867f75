"""Fixtures of the scheduling tests (helpers live in schedule_shops.py)."""

from __future__ import annotations

import pytest
from schedule_shops import shop

from oms_plan import Dataset


@pytest.fixture
def one_machine() -> Dataset:
    """Two orders competing for one always-open machine."""
    return shop(
        workstations=[{"workstation": "M"}],
        routing=[{"item": "X", "step": 10, "workstation": "M", "run_minutes": 60}],
        orders=[
            {"supply": "LOW", "item": "X", "quantity": 10, "priority": 5},
            {"supply": "HIGH", "item": "X", "quantity": 10, "priority": 1},
        ],
    )
