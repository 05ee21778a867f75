"""Stored quotes: ``Promise.from_dict(p.to_record())`` is ``p``, and reserves the same units."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oms_plan
from oms_plan.atp import Promise, Promiser, Shipment
from oms_plan.errors import PlanningError
from tests.conftest import DATA

SAMPLE = oms_plan.load(DATA / "sample")
ITEMS = sorted(SAMPLE.item_ids)
REGIONS = sorted(SAMPLE.region_ids)


@settings(max_examples=60, deadline=None)
@given(
    item=st.sampled_from(ITEMS),
    quantity=st.integers(1, 400),
    region=st.sampled_from(REGIONS),
    day=st.integers(0, 120),
    partial=st.booleans(),
    late=st.none() | st.integers(0, 30),
)
def test_round_trip_reserves_the_same(
    item: str, quantity: int, region: str, day: int, partial: bool, late: int | None
) -> None:
    requested = SAMPLE.start + dt.timedelta(days=day)
    quote = Promiser(SAMPLE).promise(
        item,
        quantity,
        region,
        requested,
        partial_ok=partial,
        max_days_late=late,
        order="WEB-1",
        line="2",
    )
    record = json.loads(json.dumps(quote.to_record()))  # through JSON, as a ledger stores it
    back = Promise.from_dict(record)
    assert back == quote
    assert back.to_dict() == quote.to_dict()
    # Any promiser of the dataset holds exactly the same units for the copy.
    a, b = Promiser(SAMPLE), Promiser(SAMPLE)
    if quote.promised_quantity > 0:
        a.reserve(quote)
        b.reserve(back)
    for s in quote.shipments:
        where = s.source_location or s.location
        pd.testing.assert_frame_equal(a.atp(item, where), b.atp(item, where))


def test_bad_records() -> None:
    quote = Promiser(SAMPLE).promise("BK-TREK", 3, "FR", "2027-01-20")
    record = quote.to_record()
    with pytest.raises(PlanningError, match="missing field 'ship_to'"):
        Promise.from_dict({k: v for k, v in record.items() if k != "ship_to"})
    with pytest.raises(PlanningError, match="requested_date"):
        Promise.from_dict({**record, "requested_date": "soon"})
    with pytest.raises(PlanningError, match="quantity"):
        Promise.from_dict({**record, "quantity": "3"})
    # Members a newer version adds are ignored; missing optional ones take defaults.
    assert Promise.from_dict({**record, "new_member": 1}) == quote
    shipment = Shipment.from_dict(quote.shipments[0].to_dict())
    assert shipment.binding == "stock" and shipment.kind == "direct"
