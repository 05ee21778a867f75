"""The synthetic generator: deterministic, always valid, and it honours its knobs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oms_plan
from oms_plan import Dataset
from oms_plan.generate import generate_dataset, generate_frames, resolve_config
from oms_plan.network import build_network, low_level_codes


@pytest.fixture(scope="module")
def medium() -> Dataset:
    return generate_dataset(2000, seed=7)


def _end_item_supply(ds: Dataset) -> float:
    ends = set(ds.orders["item"])
    inv, sup = ds.inventory, ds.supply
    return float(
        inv.loc[inv["item"].isin(ends), "on_hand"].sum()
        + sup.loc[sup["item"].isin(ends), "quantity"].sum()
    )


def test_same_seed_gives_identical_frames() -> None:
    a, sa = generate_frames(300, seed=11)
    b, sb = generate_frames(300, seed=11)
    assert sa == sb
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def test_different_seed_gives_different_data() -> None:
    a, _ = generate_frames(300, seed=1)
    b, _ = generate_frames(300, seed=2)
    assert not a["orders"].equals(b["orders"])
    assert not a["bom"].equals(b["bom"])


def test_written_dataset_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ds = generate_dataset(150, seed=3)
    again = oms_plan.load(ds.write(tmp_path / "csv"))
    assert again.to_json() == ds.to_json()
    assert again.settings.extra["generator"]["scale"] == 150


@pytest.mark.parametrize(
    "knobs",
    [
        {},  # all defaults at this scale
        {"bom_levels": 1},  # traded goods only: no BOM, no workstations
        {"bom_levels": 2, "locations": 2},  # one plant, one warehouse
        {"bom_levels": 5, "items": 40},  # deep BOM on few items
        {"locations": 20, "workstations": 3},  # fewer workstations than plants
        {"workstations": 0},  # BOM-only plants
        {"supply_ratio": 0.0, "committed_share": 1.0},  # nothing in stock, all promised
        {"horizon_days": 7, "start": dt.date(2027, 3, 6)},  # shortest horizon, a Saturday
        {"items": 1, "bom_levels": 1},
        {"items": 3, "bom_levels": 3},  # one item per level
    ],
)
def test_knob_combinations_load_without_warnings(knobs: dict[str, object]) -> None:
    ds = generate_dataset(120, seed=5, **knobs)  # type: ignore[arg-type]
    assert ds.num_rows()["orders"] == 120
    assert ds.warnings == ()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    scale=st.integers(1, 150),
    seed=st.integers(0, 2**32),
    items=st.one_of(st.none(), st.integers(5, 60)),
    locations=st.one_of(st.none(), st.integers(2, 9)),
    horizon=st.one_of(st.none(), st.integers(7, 400)),
    levels=st.one_of(st.none(), st.integers(1, 5)),
    ratio=st.one_of(st.none(), st.floats(0, 3)),
    share=st.one_of(st.none(), st.floats(0, 1)),
    workstations=st.one_of(st.none(), st.integers(0, 12)),
)
def test_any_small_knobs_give_a_valid_dataset(
    scale: int,
    seed: int,
    items: int | None,
    locations: int | None,
    horizon: int | None,
    levels: int | None,
    ratio: float | None,
    share: float | None,
    workstations: int | None,
) -> None:
    if levels is not None and items is not None and levels > items:
        levels = items
    frames, plan = generate_frames(
        scale,
        seed=seed,
        items=items,
        locations=locations,
        horizon_days=horizon,
        bom_levels=levels,
        supply_ratio=ratio,
        committed_share=share,
        workstations=workstations,
    )
    report = oms_plan.validate(frames, settings=plan)
    assert report.errors == []
    assert report.warnings == []
    ds = report.dataset
    assert ds is not None
    assert len(ds.orders) == scale
    cfg = resolve_config(scale, items=items, locations=locations, bom_levels=levels)
    depth = max(low_level_codes(ds.bom).values()) + 1 if len(ds.bom) else 1
    assert depth == cfg.bom_levels


def test_counts_follow_the_knobs() -> None:
    ds = generate_dataset(
        400, seed=2, items=80, locations=6, bom_levels=4, workstations=9, horizon_days=90
    )
    assert len(ds.orders) == 400
    assert len(ds.items) == 80
    assert len(ds.locations) == 6
    assert len(ds.workstations) == 9
    assert ds.horizon_days == 90
    assert max(low_level_codes(ds.bom).values()) + 1 == 4
    assert build_network(ds).summary()["bom_levels"] == 4


def test_defaults_grow_with_scale() -> None:
    small, big = resolve_config(50), resolve_config(100_000)
    assert (small.items, small.locations) == (12, 3)
    assert (big.items, big.locations, big.workstations) == (10_000, 20, 200)
    assert resolve_config(20_000).locations > resolve_config(1000).locations
    assert big.plants + big.warehouses == big.locations


def test_bom_is_layered_and_every_item_is_sourced(medium: Dataset) -> None:
    codes = low_level_codes(medium.bom)
    items = medium.items.set_index("item")
    src = medium.sourcing
    end_items = set(medium.orders["item"])
    assert all(codes.get(i, 0) == 0 for i in end_items)
    # The deepest level is bought, never made.
    deepest = {i for i, c in codes.items() if c == max(codes.values())}
    made = set(src.loc[src["method"] == "make", "item"])
    assert deepest and not deepest & made
    assert set(src["item"]) == set(items.index)


def test_supply_ratio_is_honoured() -> None:
    for ratio in (0.8, 1.1, 1.5):
        ds = generate_dataset(1500, seed=4, supply_ratio=ratio)
        achieved = _end_item_supply(ds) / float(ds.orders["quantity"].sum())
        assert achieved == pytest.approx(ratio, rel=0.03)


def test_scarce_ratio_leaves_some_items_short(medium: Dataset) -> None:
    ds = generate_dataset(2000, seed=7, supply_ratio=0.8)
    assert _end_item_supply(ds) < _end_item_supply(medium)
    orders = ds.orders.groupby("item")["quantity"].sum()
    inv = ds.inventory.groupby("item")["on_hand"].sum()
    sup = ds.supply.groupby("item")["quantity"].sum()
    cover = inv.add(sup, fill_value=0).reindex(orders.index, fill_value=0) / orders
    assert (cover < 0.6).any() and (cover > 1.0).any()


def test_committed_share_is_honoured() -> None:
    for share in (0.0, 0.25, 0.7):
        ds = generate_dataset(1000, seed=1, committed_share=share)
        promised = ds.orders["promised_date"]
        assert promised.notna().mean() == pytest.approx(share, abs=0.001)
        requested = ds.orders["requested_date"]
        assert (promised.dropna() >= requested[promised.notna()]).all()


def test_end_item_stock_sits_where_lines_ship_from(medium: Dataset) -> None:
    ends = set(medium.orders["item"])
    ship = set(zip(medium.orders["item"], medium.shipping["ship_location"], strict=True))
    for table in ("inventory", "supply"):
        frame = medium.table(table)
        frame = frame.loc[frame["item"].isin(ends)]
        placed = set(zip(frame["item"], frame["location"], strict=True))
        assert placed <= ship, table


def test_realistic_structure(medium: Dataset) -> None:
    orders = medium.orders
    assert set(orders["priority"]) == {1, 2, 3, 4, 5}
    assert 0.6 < orders["partial_ok"].mean() < 0.95
    assert orders["ship_complete"].any()
    # ship_complete is an order-level flag.
    assert (orders.groupby("order")["ship_complete"].nunique() == 1).all()
    assert orders.groupby("order").size().max() > 1
    routing = medium.routing
    steps = routing.groupby("item")["step"].nunique()
    assert steps.min() >= 1 and steps.max() <= 4
    alternatives = routing.groupby(["item", "step"])["workstation"].nunique()
    assert (alternatives > 1).any()
    assert routing["setup_family"].notna().any()
    assert not medium.setups.empty and not medium.downtime.empty
    assert set(medium.calendars["weekday"]) == {0, 1, 2, 3, 4}  # weekends off
    assert set(medium.items["lot_rule"]) == {"lot_for_lot", "fixed", "poq", "eoq"}
    assert (medium.items["safety_stock"] > 0).any()
    assert set(medium.supply["kind"]) == {"purchase", "production", "transfer"}
    assert set(medium.locations["kind"]) == {"plant", "warehouse"}
    assert not medium.items["integral"].all()


def test_every_region_has_a_lane(medium: Dataset) -> None:
    assert set(medium.regions["region"]) <= set(medium.lanes["to"])


def test_run_minutes_keep_workstations_busy_but_not_overloaded(medium: Dataset) -> None:
    routing = medium.routing
    assert (routing["run_minutes"] > 0).all()
    assert routing["run_minutes"].max() <= 240


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"scale": 0}, "scale must be ≥ 1"),
        ({"scale": -5}, "scale must be ≥ 1"),
        ({"scale": 10, "seed": -1}, "seed must be ≥ 0"),
        ({"scale": 10, "locations": 1}, "locations must be ≥ 2"),
        ({"scale": 10, "supply_ratio": -0.1}, "supply_ratio must be a number ≥ 0"),
        ({"scale": 10, "supply_ratio": float("nan")}, "supply_ratio"),
        ({"scale": 10, "committed_share": 1.5}, "committed_share must be between 0 and 1"),
        ({"scale": 10, "horizon_days": 3}, "horizon_days must be between 7 and 3660"),
        ({"scale": 10, "bom_levels": 0}, "bom_levels must be ≥ 1"),
        ({"scale": 10, "items": 2, "bom_levels": 3}, "needs at least 3 items"),
        ({"scale": 10, "workstations": -1}, "workstations must be ≥ 0"),
        ({"scale": 2.5}, "scale must be a whole number"),
        ({"scale": 10, "items": True}, "items must be a whole number"),
        ({"scale": 10, "start": "2026-11-23"}, "start must be a date"),
    ],
)
def test_bad_knobs_are_named(knobs: dict[str, object], message: str) -> None:
    scale = knobs.pop("scale")
    with pytest.raises(ValueError, match=message):
        generate_frames(scale, **knobs)  # type: ignore[arg-type]


def test_numpy_integers_are_accepted() -> None:
    frames, _ = generate_frames(np.int64(40), items=np.int32(15))  # type: ignore[arg-type]
    assert len(frames["orders"]) == 40 and len(frames["items"]) == 15
