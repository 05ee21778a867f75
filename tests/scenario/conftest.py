"""Fixtures of the scenario tests: the tiny dataset planned fast (greedy schedule)."""

from __future__ import annotations

import pytest

import oms_plan
from oms_plan import Dataset, Plan

#: Options that keep every plan of these tests well under a second.
FAST: dict[str, object] = {"schedule_solver": "greedy", "allocation_time_limit": 5.0}


@pytest.fixture(scope="module")
def tiny_plan(tiny: Dataset) -> Plan:
    """The tiny dataset's plan."""
    return oms_plan.plan(tiny, **FAST)  # type: ignore[arg-type]
