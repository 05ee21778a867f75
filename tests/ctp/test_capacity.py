"""Workstation capacity in day buckets: calendars, downtime, units, open manufacturing orders."""

from __future__ import annotations

import numpy as np
import pytest

import oms_plan
from oms_plan import Model
from oms_plan.ctp.capacity import daily_capacity, open_order_load
from oms_plan.schedule.calendar import MINUTES_PER_DAY

from .networks import START, day


def _shop(**ws: object) -> Model:
    m = Model(start=START, horizon_days=14)  # START is a Monday
    m.add_item(item="F")
    m.add_location(location="P", kind="plant", calendar="DAY")
    m.add_shift(calendar="DAY", weekday=0, start="08:00", end="12:00")
    m.add_shift(calendar="DAY", weekday=0, start="13:00", end="17:00")
    m.add_shift(calendar="DAY", weekday=4, start="22:00", end="02:00")  # Friday night
    m.add_sourcing(item="F", location="P", method="make", lead_days=2)
    m.add_workstation(workstation="W", location="P", **ws)
    m.add_routing_step(item="F", step=10, workstation="W", run_minutes=3, setup_minutes=30)
    return m


def test_working_minutes_per_day_follow_the_calendar_and_units() -> None:
    ds = _shop(units=2).dataset()
    cap = daily_capacity(ds)[0]
    assert cap[0] == 2 * 480  # Monday: two 4-hour shifts, two units
    assert cap[1] == 0
    assert cap[4] == 2 * 120 and cap[5] == 2 * 120  # a shift past midnight counts per day
    assert cap[7] == 960


def test_downtime_and_always_open() -> None:
    m = _shop(calendar=None)
    m.add_downtime(workstation="W", start=f"{day(2)}T06:00", end=f"{day(3)}T12:00")
    ds = m.dataset()
    # The workstation has no calendar of its own: the location's applies.
    assert daily_capacity(ds)[0][0] == 480
    ds2 = ds.replace(
        locations=ds.locations.assign(calendar=None),
        workstations=ds.workstations.assign(calendar=None),
    )
    cap = daily_capacity(ds2)[0]
    assert cap[0] == MINUTES_PER_DAY
    assert cap[2] == 360 and cap[3] == 720  # downtime from 06:00 to the next noon


def test_open_orders_load_their_window_in_proportion_to_working_time() -> None:
    m = _shop(units=1)
    m.add_supply(
        supply="MO-1", kind="production", item="F", location="P", quantity=10,
        release_date=day(0), due_date=day(7),
    )  # fmt: skip
    ds = m.dataset()
    cap = daily_capacity(ds)
    load = open_order_load(ds, cap)[0]
    assert load.sum() == pytest.approx(30 + 10 * 3)
    working = cap[0][:8]
    np.testing.assert_allclose(load[:8], 60 * working / working.sum())
    assert load[8:].sum() == 0


def test_sample_capacity_is_positive_where_the_calendars_say() -> None:
    ds = oms_plan.load("data/sample")
    cap = daily_capacity(ds)
    assert cap.shape == (len(ds.workstations), ds.horizon_days)
    assert (cap >= 0).all()
    ws = list(ds.workstations["workstation"])
    # The Christmas shutdown: nobody works on 2026-12-28.
    assert cap[:, ds.day("2026-12-28")].sum() == 0
    # ASSY-1: two units on PORTO's two shifts (06:00-22:00) on a Tuesday.
    assert cap[ws.index("ASSY-1"), ds.day("2027-01-05")] == 2 * 960
