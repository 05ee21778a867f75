"""Worked multi-level MRP examples from public operations-management course material.

Textbook periods (weeks) are day buckets here: period 1 = plan start. Master-schedule
quantities are order lines shipping from the plant in their period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oms_plan import plan_materials
from oms_plan.mrp.planner import expand_projection
from tests.mrp.builders import START, build, releases


def on_hand_row(result, item: str, days: int = 7) -> list[float]:
    # The projection lists change days only: carry values forward over every day.
    proj = expand_projection(result.projection, pd.date_range(START, periods=days))
    return proj.loc[proj["item"] == item, "on_hand"].tolist()


@pytest.fixture(scope="module")
def elsbeth():
    """Elsbeth Home Furnishing Ltd: dining tables from one top and four legs.

    Source: "Elsbeth Home Furnishing Ltd assembles dining room tables ...", worked solution,
    https://homeworksource.com/p/1100479/elsbeth-home-furnishing-ltd-assembles-dining-room-tables-usi
    Table: on hand 4, lead time 1, gross requirements 40 (period 5) and 80 (period 7);
    top: on hand 44, lead time 3; legs (4 per table): on hand 80, lead time 2; all L4L.
    """
    ds = build(
        horizon=7,
        items=[{"item": "TABLE"}, {"item": "TOP"}, {"item": "LEG"}],
        sourcing=[
            {"item": "TABLE", "method": "make", "lead_days": 1},
            {"item": "TOP", "method": "buy", "lead_days": 3},
            {"item": "LEG", "method": "buy", "lead_days": 2},
        ],
        bom=[("TABLE", "TOP", 1), ("TABLE", "LEG", 4)],
        inventory={"TABLE": 4, "TOP": 44, "LEG": 80},
        demand=[("TABLE", 4, 40), ("TABLE", 6, 80)],
    )
    return plan_materials(ds)


def test_elsbeth_planned_order_releases(elsbeth):
    po = elsbeth.planned_orders
    assert releases(po, "TABLE") == {4: 36, 6: 80}
    assert releases(po, "TOP") == {3: 72}
    assert releases(po, "LEG") == {2: 64, 4: 320}
    assert set(po["method"]) == {"make", "buy"}
    assert elsbeth.exceptions.empty


def test_elsbeth_projected_available_balance(elsbeth):
    # The solution's "projected available balance" rows, period 1 … 7.
    assert on_hand_row(elsbeth, "TABLE") == [4, 4, 4, 4, 0, 0, 0]
    assert on_hand_row(elsbeth, "TOP") == [44, 44, 44, 8, 8, 0, 0]
    assert on_hand_row(elsbeth, "LEG") == [80, 80, 80, 0, 0, 0, 0]


def test_elsbeth_planned_receipts_are_offset_by_lead_time(elsbeth):
    po = elsbeth.planned_orders
    lead = {"TABLE": 1, "TOP": 3, "LEG": 2}
    gap = (po["due_date"] - po["release_date"]).dt.days
    assert (gap == po["item"].map(lead)).all()
    # Receipts land in the periods of the net requirements: tables 5 and 7, top 6, legs 4, 6.
    due = {
        (i, (d.date() - START).days + 1) for i, d in zip(po["item"], po["due_date"], strict=True)
    }
    assert due == {("TABLE", 5), ("TABLE", 7), ("TOP", 6), ("LEG", 4), ("LEG", 6)}


@pytest.fixture(scope="module")
def aldershot():
    """Aldershot Manufacturing: chairs from a seat, a back and four legs, 8 weeks.

    Source: "Examples" (materials requirements plan for chairs), Scribd document 521630993,
    https://www.scribd.com/document/521630993/Examples
    Chair: 260 in stock, lead time 2, MPS 150 (week 1), 70 (3), 175 (5), 90 (7), 60 (8);
    seats 60 on hand + 50 due week 1; backs 40 + 10 due week 1; legs 80 on hand;
    components lead time 2; lot-for-lot, no safety stock.
    """
    ds = build(
        horizon=8,
        items=[{"item": "CHAIR"}, {"item": "SEAT"}, {"item": "BACK"}, {"item": "LEGS"}],
        sourcing=[
            {"item": "CHAIR", "method": "make", "lead_days": 2},
            {"item": "SEAT", "method": "buy", "lead_days": 2},
            {"item": "BACK", "method": "buy", "lead_days": 2},
            {"item": "LEGS", "method": "buy", "lead_days": 2},
        ],
        bom=[("CHAIR", "SEAT", 1), ("CHAIR", "BACK", 1), ("CHAIR", "LEGS", 4)],
        inventory={"CHAIR": 260, "SEAT": 60, "BACK": 40, "LEGS": 80},
        supply=[("S-SEAT", "SEAT", 50, 0), ("S-BACK", "BACK", 10, 0)],
        demand=[
            ("CHAIR", 0, 150),
            ("CHAIR", 2, 70),
            ("CHAIR", 4, 175),
            ("CHAIR", 6, 90),
            ("CHAIR", 7, 60),
        ],
    )
    return plan_materials(ds)


def test_aldershot_planned_order_releases(aldershot):
    # The solution's summary of actions (planned order releases by week).
    po = aldershot.planned_orders
    assert releases(po, "CHAIR") == {3: 135, 5: 90, 6: 60}
    assert releases(po, "SEAT") == {1: 25, 3: 90, 4: 60}
    assert releases(po, "BACK") == {1: 85, 3: 90, 4: 60}
    assert releases(po, "LEGS") == {1: 460, 3: 360, 4: 240}


def test_aldershot_projected_on_hand(aldershot):
    # Weeks 1-4 of the solution's projected on hand rows.
    assert on_hand_row(aldershot, "CHAIR")[:4] == [110, 110, 40, 40]
    assert on_hand_row(aldershot, "SEAT")[:4] == [110, 110, 0, 0]
    assert on_hand_row(aldershot, "BACK")[:4] == [50, 50, 0, 0]
    assert on_hand_row(aldershot, "LEGS")[:4] == [80, 80, 0, 0]


def test_aldershot_components_are_gross_requirements_of_parent_releases(aldershot):
    peg = aldershot.pegging
    chair_orders = aldershot.planned_orders.query("item == 'CHAIR'")
    for item, per in (("SEAT", 1), ("BACK", 1), ("LEGS", 4)):
        served = peg.loc[(peg["item"] == item) & peg["order"].isin(chair_orders["planned_order"])]
        assert served["quantity"].sum() == pytest.approx(per * chair_orders["quantity"].sum())
    # The early receipts of seats and backs are needed only in week 3: reschedule out.
    exc = aldershot.exceptions
    assert sorted(exc["kind"]) == ["reschedule_out", "reschedule_out"]
    assert np.all(exc["date"].dt.date == START.replace(day=START.day + 2))
