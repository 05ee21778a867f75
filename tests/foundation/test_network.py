"""The supply-network graph: low-level codes, independent components, summary counts."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from oms_plan import Dataset, Model
from oms_plan.network import buffer, build_network, low_level_codes


def test_low_level_codes_take_the_deepest_use() -> None:
    # CART (level 0) → BOX (1) → BOARD (2) → SCREW (3); SCREW is also used directly by CART
    # and BOX, and WHEEL only by CART: an item gets the code of its deepest use.
    bom = pd.DataFrame(
        [("CART", "BOX"), ("BOX", "BOARD"), ("BOARD", "SCREW"), ("CART", "SCREW"),
         ("BOX", "SCREW"), ("CART", "WHEEL")],
        columns=["parent", "component"],
    )  # fmt: skip
    assert low_level_codes(bom) == {"CART": 0, "BOX": 1, "BOARD": 2, "SCREW": 3, "WHEEL": 1}


def test_low_level_codes_of_an_empty_bom() -> None:
    assert low_level_codes(pd.DataFrame({"parent": [], "component": []})) == {}


def test_low_level_codes_refuse_a_cycle() -> None:
    with pytest.raises(nx.NetworkXUnfeasible):
        low_level_codes(pd.DataFrame({"parent": ["A", "B"], "component": ["B", "A"]}))


def _two_families() -> Dataset:
    m = Model(start="2026-05-04", horizon_days=14)
    for loc in ("PA", "PB"):
        m.add_location(location=loc, kind="plant")
    m.add_region(region="R")
    # Family A: made at PA on SAW-A from a bought component.
    m.add_item(item="TABLE")
    m.add_item(item="TOP")
    m.add_sourcing(item="TABLE", location="PA", method="make", lead_days=1)
    m.add_sourcing(item="TOP", location="PA", method="buy", lead_days=3)
    m.add_bom_line(parent="TABLE", component="TOP", quantity_per=1)
    m.add_workstation(workstation="SAW-A", location="PA")
    m.add_routing_step(item="TABLE", step=10, workstation="SAW-A", run_minutes=5)
    # Family B: bought and stocked at PB only.
    m.add_item(item="LAMP")
    m.add_sourcing(item="LAMP", location="PB", method="buy", lead_days=2)
    m.add_inventory(item="LAMP", location="PB", on_hand=5)
    # Family C: a workstation nobody uses.
    m.add_workstation(workstation="IDLE", location="PB")
    for loc in ("PA", "PB"):
        m.add_lane(from_location=loc, to="R", transit_days=1)
    m.add_order_line(
        order="O", line="1", item="LAMP", quantity=1, requested_date="2026-05-06", ship_to="R"
    )
    return m.dataset()


def test_independent_components() -> None:
    net = build_network(_two_families())
    comps = net.components
    assert [len(c) for c in comps] == [3, 1, 1]  # TABLE@PA+TOP@PA+SAW-A, LAMP@PB, IDLE
    assert comps[0] == frozenset(
        {buffer("TABLE", "PA"), buffer("TOP", "PA"), ("workstation", "SAW-A")}
    )
    assert net.component_items() == [["TABLE", "TOP"], ["LAMP"]]
    assert net.summary()["components"] == 3


def test_an_item_at_two_unconnected_places_couples_them() -> None:
    m = Model(start="2026-05-04", horizon_days=14)
    m.add_item(item="X")
    m.add_item(item="Y")
    for loc in ("L1", "L2"):
        m.add_location(location=loc, kind="warehouse")
    m.add_sourcing(item="X", location="L1", method="buy", lead_days=1)
    m.add_sourcing(item="X", location="L2", method="buy", lead_days=1)
    m.add_sourcing(item="Y", location="L2", method="buy", lead_days=1)
    net = build_network(m.dataset())
    assert len(net.components) == 3  # X@L1, X@L2, Y@L2 are separate buffers
    assert net.component_items() == [["X"], ["Y"]]


def test_summary_of_tiny(tiny: Dataset) -> None:
    net = build_network(tiny)
    assert net.summary() == {
        "buffers": 7,  # BIKE at P1, DC-N, DC-S; FRAME, WHEEL, TUBE, PAINT at P1
        "buy_buffers": 3,  # WHEEL, TUBE, PAINT
        "make_buffers": 2,  # BIKE, FRAME at P1
        "workstations": 4,
        "bom_edges": 4,  # the 4 bom rows, at P1 where the parents are made
        "transfer_edges": 2,  # P1 → DC-N, P1 → DC-S
        "capacity_edges": 4,  # WELD, PAINTSHOP → FRAME; ASSY-1, ASSY-2 → BIKE
        "bom_levels": 3,  # BIKE 0, FRAME/WHEEL 1, TUBE/PAINT 2
        "components": 1,
    }
    assert dict(net.low_level_codes) == {"BIKE": 0, "FRAME": 1, "WHEEL": 1, "TUBE": 2, "PAINT": 2}
    edge = net.graph.edges[buffer("TUBE", "P1"), buffer("FRAME", "P1")]
    assert edge["kind"] == "bom" and edge["quantity_per"] == pytest.approx(3 * 1.05)
    assert net.graph.edges[buffer("BIKE", "P1"), buffer("BIKE", "DC-S")]["lead_days"] == 3


def test_open_manufacturing_orders_place_the_bom() -> None:
    # No make row: the open production order says where the parent is made.
    m = Model(start="2026-05-04", horizon_days=14)
    m.add_item(item="P")
    m.add_item(item="C")
    m.add_location(location="PL", kind="plant")
    m.add_sourcing(item="C", location="PL", method="buy", lead_days=1)
    m.add_bom_line(parent="P", component="C", quantity_per=2)
    m.add_supply(
        supply="MO", kind="production", item="P", location="PL", quantity=3, due_date="2026-05-08"
    )
    net = build_network(m.dataset())
    assert net.graph.has_edge(buffer("C", "PL"), buffer("P", "PL"))
