"""data/sample (Velora Cycles): valid, rebuilt byte for byte by its script, and the story holds."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import oms_plan
from oms_plan import Dataset
from oms_plan.network import build_network

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return oms_plan.load(SAMPLE)


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_sample", ROOT / "data" / "build_sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_validates_with_only_the_deliberate_warnings() -> None:
    report = oms_plan.validate(SAMPLE)
    assert report.errors == []
    described = {
        ("supply", "due_date", "MO-ROAD-B"),
        ("supply", "release_date", "MO-ROAD-B"),
        ("supply", "due_date", "PO-BATT-1"),
        ("orders", "requested_date", "SO-0042-BO"),
    }
    found = {
        (
            w.table,
            w.column,
            next(k for k in ("MO-ROAD-B", "PO-BATT-1", "SO-0042-BO") if k in w.message),
        )
        for w in report.warnings
    }
    assert len(report.warnings) == 4 and found == described


def test_script_rebuilds_the_committed_files(tmp_path: Path) -> None:
    _build_script().build(tmp_path)
    committed = sorted(p.name for p in SAMPLE.iterdir() if p.is_file())
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_network_matches_the_story(sample: Dataset) -> None:
    kinds = sample.locations["kind"].value_counts()
    assert (kinds["plant"], kinds["warehouse"]) == (2, 3)
    assert len(sample.regions) >= 4
    assert 55 <= len(sample.items) <= 70
    assert 12 <= len(sample.workstations) <= 16
    assert build_network(sample).summary()["bom_levels"] == 4
    assert set(sample.regions["region"]) <= set(sample.lanes["to"])
    bought = set(sample.sourcing.loc[sample.sourcing["method"] == "buy", "item"])
    assert len(bought) >= 30
    routing = sample.routing
    assert (routing.groupby(["item", "step"])["workstation"].nunique() > 1).any()
    assert set(routing["setup_family"].dropna()) >= {"alu", "steel", "white", "black", "ebike"}
    assert {"WELD-ROBOT", "PAINT-1"} <= set(sample.downtime["workstation"])
    assert len(set(sample.calendars["calendar"])) >= 3


def test_order_book_matches_the_story(sample: Dataset) -> None:
    orders = sample.orders
    assert 380 <= len(orders) <= 420
    assert set(orders["priority"]) == {1, 2, 3, 4, 5}
    assert 0.25 <= orders["promised_date"].notna().mean() <= 0.5
    assert orders["ship_complete"].any() and not orders["partial_ok"].all()
    open_mo = sample.supply.loc[sample.supply["kind"] == "production"]
    assert len(open_mo) >= 20


@pytest.mark.parametrize(
    ("item", "scarce"),
    [
        ("EB-TREK", True),
        ("EB-CITY", True),
        ("BK-ROAD", True),
        ("BK-CITY", False),
        ("BK-TREK", False),
        ("AC-LOCK", False),
    ],
)
def test_scarce_items_are_short_in_the_next_six_weeks(
    sample: Dataset, item: str, scarce: bool
) -> None:
    near = sample.orders.loc[
        (sample.orders["item"] == item) & (sample.shipping["ship_day"] < 42), "quantity"
    ].sum()
    have = (
        sample.inventory.loc[sample.inventory["item"] == item, "on_hand"].sum()
        + sample.supply.loc[sample.supply["item"] == item, "quantity"].sum()
    )
    assert bool(have < near) == scarce


def test_helmets_are_short_until_the_late_po(sample: Dataset) -> None:
    supply = sample.supply.set_index("supply")
    assert supply.loc["PO-HELMET", "due_date"] >= sample.dates[42]
    helmets = sample.orders.loc[
        (sample.orders["item"] == "AC-HELMET") & (sample.shipping["ship_day"] < 42), "quantity"
    ].sum()
    early = sample.inventory.loc[sample.inventory["item"] == "AC-HELMET", "on_hand"].sum() + (
        supply.loc[
            (supply["item"] == "AC-HELMET") & (supply.index != "PO-HELMET"), "quantity"
        ].sum()
    )
    assert early < helmets
