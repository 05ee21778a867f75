"""CP-SAT models per component give the same lexicographic optimum as one joint model."""

from __future__ import annotations

from pathlib import Path

import oms_solvers.cpsat.allocate as cpsat_allocate
import pytest

import oms_plan

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.mark.parametrize("policy", ["weighted", "strict_priority"])
def test_component_models_match_one_joint_model(
    policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = oms_plan.load(SAMPLE)
    monkeypatch.setattr(cpsat_allocate, "SEPARABLE_CHUNK_OPTIONS", 10**9)
    joint = oms_plan.allocate_stock(ds, policy=policy, solver="cpsat", time_limit=60)
    monkeypatch.setattr(cpsat_allocate, "SEPARABLE_CHUNK_OPTIONS", 1)
    split = oms_plan.allocate_stock(ds, policy=policy, solver="cpsat", time_limit=60)
    assert joint.status.value == split.status.value == "optimal"
    assert [(s.name, s.value) for s in joint.stages] == [(s.name, s.value) for s in split.stages]
