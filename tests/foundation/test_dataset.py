import pickle

import pandas as pd

import oms_plan
from oms_plan import Dataset


def test_tiny_loads_with_defaults(tiny: Dataset) -> None:
    assert tiny.num_rows()["orders"] == 6
    items = tiny.items.set_index("item")
    assert items.loc["BIKE", "holding_rate"] == 0.25
    assert bool(items.loc["PAINT", "integral"]) is False  # kg: fractional quantities
    assert bool(items.loc["WHEEL", "integral"]) is True
    orders = tiny.orders
    assert orders["price"].iloc[0] == 420.0  # item price when the line has none
    assert (orders["customer_group"] == orders["customer"]).all()
    sup = tiny.supply.set_index("supply")
    assert sup.loc["PO-1", "release_date"] == pd.Timestamp("2026-11-23")


def test_shipping_rule_prefers_least_transit(tiny: Dataset) -> None:
    ship = tiny.shipping
    # SO-4 to EAST: DC-S (2 days) beats DC-N (3) and P1 (4).
    assert ship["ship_location"].iloc[3] == "DC-S"
    assert ship["ship_day"].iloc[3] == 7 - 2
    # SO-1 is promised for 2026-11-26, one day in transit from DC-N.
    assert ship["ship_location"].iloc[0] == "DC-N"
    assert ship["ship_day"].iloc[0] == 2


def test_accessors_do_not_mutate(tiny: Dataset) -> None:
    orders = tiny.orders
    orders.loc[0, "quantity"] = 999
    assert tiny.orders["quantity"].iloc[0] == 12


def test_round_trips(tiny: Dataset, tmp_path) -> None:  # type: ignore[no-untyped-def]
    again = Dataset.from_json(tiny.to_json())
    assert again.to_json() == tiny.to_json()
    assert pickle.loads(pickle.dumps(tiny)).to_json() == tiny.to_json()
    for fmt in ("csv", "parquet"):
        folder = tiny.write(tmp_path / fmt, format=fmt)  # type: ignore[arg-type]
        assert oms_plan.load(folder).to_json() == tiny.to_json()


def test_replace_revalidates(tiny: Dataset) -> None:
    orders = tiny.orders
    orders.loc[0, "quantity"] = 1
    changed = tiny.replace(orders=orders)
    assert changed.orders["quantity"].iloc[0] == 1
    assert tiny.orders["quantity"].iloc[0] == 12
