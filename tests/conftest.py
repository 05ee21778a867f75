"""Shared fixtures: the bundled datasets and a small builder model."""

from __future__ import annotations

from pathlib import Path

import pytest

import oms_plan
from oms_plan import Dataset

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    """Folder of the tiny bicycle dataset."""
    return DATA / "tiny"


@pytest.fixture(scope="session")
def tiny(tiny_path: Path) -> Dataset:
    """The tiny bicycle dataset, loaded once per session (immutable, so safe to share)."""
    return oms_plan.load(tiny_path)
