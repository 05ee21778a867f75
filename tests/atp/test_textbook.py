"""Worked ATP examples from public operations-management material, reproduced exactly.

Each period of the published tables is one day bucket here (a zero-transit lane, so a
commitment's ship day is its period).
"""

from __future__ import annotations

import numpy as np

from oms_plan.atp import Promiser, projection_frame

from .helpers import day, single_buffer


def _rows(ds):  # type: ignore[no-untyped-def]
    proj = projection_frame(ds)
    return proj["on_hand"].tolist(), proj["atp"].tolist()


def test_stevenson_industrial_pumps_mps_atp() -> None:
    """Stevenson, *Operations Management*, ch. "MRP and ERP", master scheduling example:
    industrial pumps, 64 in inventory, committed orders 33, 20, 10, 4, 2 in weeks 1-5, MPS of
    70 in weeks 3, 5, 7 and 8. Discrete ATP with look-ahead: week 1 = 64 - (33 + 20) = 11,
    week 3 = 70 - (10 + 4) = 56, week 5 = 70 - 2 = 68, weeks 7 and 8 = 70 (summarised at
    https://studymode.com/essays/Ops-571-Week-4-49373664.html). Cumulative ATP is the running
    sum of the discrete values.
    """
    ds = single_buffer(64, [0, 0, 70, 0, 70, 0, 70, 70], [33, 20, 10, 4, 2, 0, 0, 0])
    _, atp = _rows(ds)
    discrete = [11, 0, 56, 0, 68, 0, 70, 70]
    assert atp == np.cumsum(discrete).tolist()
    assert np.diff([0, *atp]).tolist() == discrete


def test_stevenson_pumps_promises() -> None:
    """The same record used to answer customers: 11 can go in week 1, the 12th waits for the
    week-3 MPS lot; 67 is the most promisable by week 4 (11 + 56)."""
    ds = single_buffer(64, [0, 0, 70, 0, 70, 0, 70, 70], [33, 20, 10, 4, 2, 0, 0, 0])
    p = Promiser(ds, ctp=False)
    assert p.promise("X", 11, "R", day(0)).on_time
    late = p.promise("X", 12, "R", day(0), partial_ok=False)
    assert late.shipments[0].delivery_date.isoformat() == day(2)
    assert late.binding == "supply:S2"
    split = p.promise("X", 12, "R", day(0))
    assert [s.quantity for s in split.shipments] == [11, 1]
    assert p.promise("X", 67, "R", day(3)).on_time
    assert not p.promise("X", 68, "R", day(3)).on_time


def test_oracle_projected_qoh_and_backward_netting() -> None:
    """Oracle Applications, *Inventory User's Guide*, "ATP with Backward Consumption"
    (https://docs.oracle.com/cd/A60725_05/html/comnls/us/inv/atpcal02.htm): supply
    6 4 2 4 8 4 4 4, demand 6 2 3 6 6 1 2 2 give projected QOH 0 2 1 (-1) 1 4 6 8 — our
    on_hand row exactly. Their period-4 shortage of 1 shows as negative ATP; in SCHEMA.md's
    cumulative ATP (never below 0, the look-ahead taking the shortage from later supply, as
    Infor LN's "corrected cumulative ATP": the lowest cumulative value in the future,
    https://docs.infor.com/ln/10.3.in/en-us/lnolh/help/cp/onlinemanual/000332.html) it is
    0 until period 5, which nets it: 1, then 4, 6, 8.
    """
    supply = [6, 4, 2, 4, 8, 4, 4, 4]
    demand = [6, 2, 3, 6, 6, 1, 2, 2]
    ds = single_buffer(0, supply, demand)
    on_hand, atp = _rows(ds)
    assert on_hand == [0, 2, 1, -1, 1, 4, 6, 8]
    assert atp == [0, 0, 0, 0, 1, 4, 6, 8]
    exc = Promiser(ds, ctp=False).exceptions()
    assert exc["kind"].tolist() == ["over_committed"]
    assert exc["date"].iloc[0].date().isoformat() == day(3)


def test_look_ahead_protects_a_later_commitment() -> None:
    """The defining property (APICS "cumulative with look-ahead"): stock needed by a later
    commitment is not available earlier. 10 on hand, 8 committed on day 5, a receipt of 10
    on day 6: only 2 can be promised before day 6."""
    ds = single_buffer(10, [0, 0, 0, 0, 0, 0, 10], [0, 0, 0, 0, 0, 8, 0])
    on_hand, atp = _rows(ds)
    assert on_hand == [10, 10, 10, 10, 10, 2, 12]
    assert atp == [2, 2, 2, 2, 2, 2, 12]
