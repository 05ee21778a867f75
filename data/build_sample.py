"""Build ``data/sample``: Velora Cycles, a small bicycle manufacturer-distributor.

Run ``python data/build_sample.py [OUT]`` (default: the ``sample`` folder next to this
script). The output is deterministic: the same script always writes the same files. The
story (network, scarce items, deliberate warnings, what-ifs) is told in ``data/README.md``.

The catalogue, BOMs, routings, calendars, lanes and the late or past-due supply are written
out by hand below; the order book and the routine stock levels are drawn from a seeded
random stream, sized against the order book so that the scarce items are scarce on purpose.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

import oms_plan
from oms_plan.schema import TABLES

START = dt.date(2026, 11, 23)
HORIZON_DAYS = 150
SEED = 2026
#: Existing stock and open supply cover the end-item demand that ships in these first days;
#: the pre-season peak after it is for the nightly plan (MRP and scheduling) to build.
NEAR_TERM_DAYS = 42


def day(offset: int) -> str:
    """ISO date ``offset`` days after plan start (negative: before it)."""
    return (START + dt.timedelta(days=offset)).isoformat()


# -- network ------------------------------------------------------------------------------
LOCATIONS = [
    ("LYON", "plant", "2-SHIFT"),  # frames: cutting, welding, heat treatment, powder coating
    ("PORTO", "plant", "2-SHIFT-SAT"),  # wheels, e-drive kits, final assembly, e-bike tests
    ("DC-PARIS", "warehouse", None),
    ("DC-MILAN", "warehouse", None),
    ("DC-HAMBURG", "warehouse", None),
]
REGIONS = [
    ("FR", "France"),
    ("DE", "Germany, Austria, Switzerland"),
    ("IT", "Italy"),
    ("BNL", "Benelux"),
    ("IB", "Spain and Portugal"),
    ("UK", "United Kingdom and Ireland"),
]
# from, to, transit days, cost per unit (per bike-sized parcel)
LANES = [
    ("DC-PARIS", "FR", 1, 4.0),
    ("DC-PARIS", "BNL", 2, 6.0),
    ("DC-PARIS", "UK", 3, 9.0),
    ("DC-PARIS", "DE", 3, 8.0),
    ("DC-PARIS", "IB", 4, 10.0),
    ("DC-MILAN", "IT", 1, 4.0),
    ("DC-MILAN", "FR", 3, 8.0),
    ("DC-MILAN", "DE", 3, 8.5),
    ("DC-MILAN", "IB", 4, 11.0),
    ("DC-HAMBURG", "DE", 1, 4.0),
    ("DC-HAMBURG", "BNL", 2, 5.0),
    ("DC-HAMBURG", "UK", 3, 8.0),
    ("DC-HAMBURG", "FR", 3, 8.0),
    ("PORTO", "IB", 2, 5.0),  # factory-direct to Iberian dealers
]
DCS = ["DC-PARIS", "DC-MILAN", "DC-HAMBURG"]

# -- calendars: weekday 0 = Monday ---------------------------------------------------------
CALENDARS: dict[str, list[tuple[int, str, str]]] = {
    "1-SHIFT": [(d, "07:00", "15:30") for d in range(5)],
    "2-SHIFT": [(d, s, e) for d in range(5) for s, e in (("06:00", "14:00"), ("14:00", "22:00"))],
    # Porto works Saturday mornings in the pre-season.
    "2-SHIFT-SAT": [
        *[(d, s, e) for d in range(5) for s, e in (("06:00", "14:00"), ("14:00", "22:00"))],
        (5, "06:00", "12:00"),
    ],
    # Around the clock Monday 06:00 to Saturday 06:00 (the night shift runs past midnight).
    "3-SHIFT": [
        (d, s, e)
        for d in range(5)
        for s, e in (("06:00", "14:00"), ("14:00", "22:00"), ("22:00", "06:00"))
    ],
}

# workstation, location, calendar (None: the location's), units, pausable
WORKSTATIONS = [
    ("SAW-1", "LYON", "1-SHIFT", 1, True),
    ("WELD-1", "LYON", None, 1, True),
    ("WELD-2", "LYON", None, 1, True),
    ("WELD-ROBOT", "LYON", "3-SHIFT", 1, True),
    ("HEAT-1", "LYON", "3-SHIFT", 1, False),  # an oven batch cannot stop half-way
    ("PAINT-1", "LYON", None, 1, True),
    ("PAINT-2", "LYON", "1-SHIFT", 1, True),  # the old booth: slower, day shift only
    ("WHEEL-1", "PORTO", None, 2, True),
    ("WHEEL-2", "PORTO", "1-SHIFT", 1, True),
    ("TRUE-1", "PORTO", None, 1, True),
    ("EASSY-1", "PORTO", None, 1, True),
    ("ASSY-1", "PORTO", None, 2, True),
    ("ASSY-2", "PORTO", None, 1, True),
    ("TEST-E", "PORTO", "1-SHIFT", 1, False),  # a test cycle runs to the end
]
DOWNTIME = [
    # The welding robot's controller failed on Friday; the spare part arrives Wednesday.
    ("WELD-ROBOT", "2026-11-20T14:00", "2026-11-25T14:00"),
    # Planned: filter change and cleaning of the main paint booth.
    ("PAINT-1", "2026-12-07T06:00", "2026-12-07T22:00"),
    # Planned: annual maintenance of assembly line 2.
    ("ASSY-2", "2027-01-18T06:00", "2027-01-19T22:00"),
    # Planned: oven calibration.
    ("HEAT-1", "2027-02-01T06:00", "2027-02-01T14:00"),
    # Christmas shutdown of both plants.
    *[(ws[0], "2026-12-24T00:00", "2027-01-04T00:00") for ws in WORKSTATIONS],
]
# Changeovers: welding between aluminium and steel, powder coating from light to dark
# colours is quick, back to white needs a full clean; assembly lines between e-bikes and
# muscle bikes (torque tools, software flashing station).
SETUPS = [
    ("alu", "steel", 30, None),
    ("steel", "alu", 45, None),
    ("white", "red", 20, None),
    ("white", "black", 20, None),
    ("red", "black", 25, None),
    ("red", "white", 60, None),
    ("black", "white", 90, None),
    ("black", "red", 45, None),
    ("muscle", "ebike", 25, None),
    ("ebike", "muscle", 15, None),
]

# -- catalogue -----------------------------------------------------------------------------
# Bought items: item, name, unit cost, lead days, where bought, lot rule and extras.
Bought = tuple[str, str, float, int, tuple[str, ...], dict[str, Any]]
LY, PO = ("LYON",), ("PORTO",)
BOUGHT: list[Bought] = [
    ("TUBE-ALU", "Aluminium tube 6061 (m)", 6.5, 14, LY, {"integral": False, "lot_multiple": 6}),
    ("TUBE-STL", "Steel tube 4130 (m)", 4.0, 14, LY, {"integral": False, "lot_multiple": 6}),
    ("DROPOUT", "Dropout pair", 3.2, 21, LY, {"lot_multiple": 50}),
    ("BB-SHELL", "Bottom bracket shell", 2.1, 21, LY, {"lot_multiple": 50}),
    (
        "PAINT-WHT",
        "Powder coat white (kg)",
        9.5,
        7,
        LY,
        {"integral": False, "lot_rule": "poq", "lot_days": 14},
    ),
    (
        "PAINT-RED",
        "Powder coat red (kg)",
        11.0,
        7,
        LY,
        {"integral": False, "lot_rule": "poq", "lot_days": 14},
    ),
    (
        "PAINT-BLK",
        "Powder coat black (kg)",
        9.0,
        7,
        LY,
        {"integral": False, "lot_rule": "poq", "lot_days": 14},
    ),
    ("RIM-700", "Rim 700C", 14.0, 21, PO, {"lot_multiple": 20}),
    ("RIM-29", "Rim 29in", 18.0, 21, PO, {"lot_multiple": 20}),
    ("RIM-20", "Rim 20in", 9.0, 21, PO, {"lot_multiple": 20}),
    (
        "SPOKE",
        "Spoke, stainless",
        0.25,
        10,
        PO,
        {"lot_multiple": 100, "lot_min": 2000, "safety_stock": 1000},
    ),
    ("HUB-F", "Front hub", 12.0, 28, PO, {"lot_rule": "eoq", "order_cost": 120}),
    ("HUB-R", "Rear hub", 22.0, 28, PO, {"lot_rule": "eoq", "order_cost": 120}),
    ("TIRE-700", "Tyre 700x35C", 8.5, 14, PO, {"lot_multiple": 10}),
    ("TIRE-29", "Tyre 29x2.3", 16.0, 14, PO, {"lot_multiple": 10}),
    ("TIRE-20", "Tyre 20x2.0", 6.0, 14, PO, {"lot_multiple": 10}),
    ("FORK-RIGID", "Rigid fork", 25.0, 35, PO, {}),
    ("FORK-SUSP", "Suspension fork", 95.0, 35, PO, {}),
    ("FORK-KIDS", "Kids fork", 12.0, 35, PO, {}),
    ("GROUP-7", "Groupset 7-speed hub gear", 85.0, 42, PO, {"lot_rule": "fixed", "lot_size": 50}),
    ("GROUP-11", "Groupset 11-speed", 240.0, 42, PO, {"lot_rule": "fixed", "lot_size": 50}),
    ("GROUP-1", "Single-speed drivetrain", 20.0, 28, PO, {"lot_rule": "fixed", "lot_size": 50}),
    ("BRAKE-V", "Rim brake set", 14.0, 21, PO, {}),
    ("BRAKE-DISC", "Hydraulic disc brake set", 70.0, 28, PO, {"lot_min": 40}),
    ("SADDLE", "Saddle", 12.0, 14, PO, {"lot_rule": "poq", "lot_days": 28}),
    ("HBAR", "Handlebar and stem", 18.0, 14, PO, {"lot_rule": "poq", "lot_days": 28}),
    ("PEDALS", "Pedal pair", 9.0, 14, PO, {"lot_rule": "poq", "lot_days": 28}),
    ("FENDERS", "Fender set", 11.0, 14, PO, {}),
    ("RACK", "Rear rack", 19.0, 21, PO, {}),
    ("CARGO-BOX", "Cargo box", 120.0, 28, PO, {}),
    ("MOTOR", "Mid-drive motor 250 W", 310.0, 56, PO, {"lot_rule": "fixed", "lot_size": 60}),
    (
        "BATTERY",
        "Battery 500 Wh",
        280.0,
        70,
        PO,
        {"lot_rule": "fixed", "lot_size": 100, "lot_max": 300},
    ),
    ("DISPLAY", "E-bike display", 45.0, 42, PO, {"lot_multiple": 20}),
    ("HARNESS", "Wiring harness", 12.0, 21, PO, {"lot_multiple": 20}),
]
# Traded accessories: bought ready-made at the warehouses.
ACCESSORIES = [
    ("AC-HELMET", "Helmet", 18.0, 39.0, 28),
    ("AC-LOCK", "Folding lock", 14.0, 35.0, 21),
    ("AC-LIGHTS", "Light set", 9.0, 24.0, 21),
    ("AC-PUMP", "Floor pump", 11.0, 29.0, 21),
]
# Bikes (made at PORTO): item, name, price, frame, wheelset, fork, groupset, brakes, extras.
BIKES = [
    (
        "BK-CITY",
        "City bike 7-speed",
        649.0,
        "FR-CITY",
        "WS-700",
        "FORK-RIGID",
        "GROUP-7",
        "BRAKE-V",
        ["FENDERS"],
    ),
    (
        "BK-TREK",
        "Trekking bike",
        899.0,
        "FR-TREK",
        "WS-700",
        "FORK-SUSP",
        "GROUP-11",
        "BRAKE-DISC",
        ["FENDERS", "RACK"],
    ),
    (
        "BK-ROAD",
        "Road bike",
        1299.0,
        "FR-ROAD",
        "WS-700",
        "FORK-RIGID",
        "GROUP-11",
        "BRAKE-DISC",
        [],
    ),
    (
        "BK-MTB",
        "Mountain bike 29",
        1099.0,
        "FR-MTB",
        "WS-29",
        "FORK-SUSP",
        "GROUP-11",
        "BRAKE-DISC",
        [],
    ),
    ("BK-KIDS", "Kids bike 20", 299.0, "FR-KIDS", "WS-20", "FORK-KIDS", "GROUP-1", "BRAKE-V", []),
    (
        "EB-CITY",
        "E-city bike",
        2299.0,
        "FR-ECITY",
        "WS-700",
        "FORK-RIGID",
        "GROUP-7",
        "BRAKE-DISC",
        ["FENDERS", "DRV-E", "BATTERY"],
    ),
    (
        "EB-TREK",
        "E-trekking bike",
        2899.0,
        "FR-ETREK",
        "WS-700",
        "FORK-SUSP",
        "GROUP-11",
        "BRAKE-DISC",
        ["FENDERS", "RACK", "DRV-E", "BATTERY"],
    ),
    (
        "EB-CARGO",
        "E-cargo bike",
        3999.0,
        "FR-CARGO",
        "WS-CARGO",
        "FORK-RIGID",
        "GROUP-7",
        "BRAKE-DISC",
        ["CARGO-BOX", "DRV-E", "BATTERY"],
    ),
]
# Frames (made at LYON): frame, name, tube, metres of tube, colour.
FRAMES = [
    ("FR-CITY", "City frame", "TUBE-ALU", 2.4, "black"),
    ("FR-TREK", "Trekking frame", "TUBE-ALU", 2.6, "white"),
    ("FR-ROAD", "Road frame", "TUBE-ALU", 2.2, "red"),
    ("FR-MTB", "MTB frame", "TUBE-ALU", 2.5, "black"),
    ("FR-KIDS", "Kids frame", "TUBE-STL", 1.6, "red"),
    ("FR-ECITY", "E-city frame", "TUBE-ALU", 2.7, "white"),
    ("FR-ETREK", "E-trekking frame", "TUBE-ALU", 2.8, "black"),
    ("FR-CARGO", "Cargo frame", "TUBE-STL", 4.2, "white"),
]
PAINT_OF = {"white": "PAINT-WHT", "red": "PAINT-RED", "black": "PAINT-BLK"}
# Wheelsets (made at PORTO): item, name, rim, tyre, spokes.
WHEELSETS = [
    ("WS-700", "Wheelset 700C", "RIM-700", "TIRE-700", 64),
    ("WS-29", "Wheelset 29in", "RIM-29", "TIRE-29", 64),
    ("WS-20", "Wheelset 20in", "RIM-20", "TIRE-20", 40),
    ("WS-CARGO", "Wheelset 20in reinforced", "RIM-20", "TIRE-20", 72),
]
# Assembly minutes per bike on ASSY-1 (ASSY-2, the older line, takes 15 % longer).
ASSEMBLY_MINUTES = {
    "BK-CITY": 45, "BK-TREK": 50, "BK-ROAD": 55, "BK-MTB": 55,
    "BK-KIDS": 30, "EB-CITY": 60, "EB-TREK": 65, "EB-CARGO": 80,
}  # fmt: skip

# End-item cover: stock + open supply ÷ the demand that ships in the first NEAR_TERM_DAYS.
# Below 1 = scarce on purpose (see data/README.md).
COVER = {
    "BK-CITY": 1.3, "BK-TREK": 1.2, "BK-ROAD": 0.6, "BK-MTB": 1.15, "BK-KIDS": 1.4,
    "EB-CITY": 0.75, "EB-TREK": 0.55, "EB-CARGO": 1.05, "WS-700": 1.2,
    "AC-HELMET": 0.5, "AC-LOCK": 1.5, "AC-LIGHTS": 1.25, "AC-PUMP": 1.3,
}  # fmt: skip

# -- customers -----------------------------------------------------------------------------
# customer, region, group, priority, lines per order (low, high), orders
KEY_ACCOUNTS = [
    ("SPORTMAX", "FR", "key_account", 1, (4, 8), 5),
    ("VELOHAUS", "DE", "key_account", 1, (4, 8), 5),
    ("CICLI-ITALIA", "IT", "key_account", 2, (3, 7), 4),
    ("FIETSPLAZA", "BNL", "key_account", 2, (3, 6), 4),
    ("URBANFLEET", "DE", "fleet", 1, (1, 2), 3),
]
DEALER_REGIONS = {"FR": 8, "DE": 8, "IT": 5, "BNL": 4, "IB": 5, "UK": 4}


def build(folder: Path) -> oms_plan.Dataset:
    """Write the sample dataset to ``folder`` and return it, validated."""
    rng = np.random.default_rng(SEED)
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    _network(rows)
    _catalogue(rows)
    _orders(rows, rng)
    # Load once without stock to learn where every line ships from (the SCHEMA rule).
    bare = oms_plan.load(_frames(rows), settings={"start": START, "horizon_days": HORIZON_DAYS})
    _stock_and_supply(rows, rng, bare)
    _write(rows, folder)
    return oms_plan.load(folder)


def _network(rows: dict[str, list[dict[str, Any]]]) -> None:
    for loc, kind, cal in LOCATIONS:
        rows["locations"].append({"location": loc, "kind": kind, "calendar": cal})
    for region, name in REGIONS:
        rows["regions"].append({"region": region, "name": name})
    for origin, to, transit, cost in LANES:
        rows["lanes"].append(
            {"from_location": origin, "to": to, "transit_days": transit, "cost_per_unit": cost}
        )
    for cal, shifts in CALENDARS.items():
        for weekday, start, end in shifts:
            rows["calendars"].append(
                {"calendar": cal, "weekday": weekday, "start": start, "end": end}
            )
    for ws, loc, cal, units, pausable in WORKSTATIONS:
        rows["workstations"].append(
            {"workstation": ws, "location": loc, "calendar": cal, "units": units,
             "pausable": pausable}
        )  # fmt: skip
    for ws, start, end in DOWNTIME:
        rows["downtime"].append({"workstation": ws, "start": start, "end": end})
    for a, b, minutes, on in SETUPS:
        rows["setups"].append(
            {"from_family": a, "to_family": b, "minutes": minutes, "workstation": on}
        )


def _item(rows: dict[str, list[dict[str, Any]]], item: str, name: str, cost: float,
          price: float = 0.0, **extra: Any) -> None:  # fmt: skip
    # Every column written out (the contract defaults where the catalogue says nothing).
    defaults = {"integral": True, "safety_stock": 0, "lot_rule": "lot_for_lot", "lot_size": 0,
                "lot_min": 0, "lot_max": None, "lot_multiple": 0, "lot_days": 1,
                "order_cost": 0}  # fmt: skip
    rows["items"].append(
        {"item": item, "name": name, "unit_cost": cost, "price": price, **defaults, **extra}
    )


def _source(rows: dict[str, list[dict[str, Any]]], item: str, loc: str, method: str, lead: int,
            cost: float = 0.0, origin: str | None = None, priority: int = 1) -> None:  # fmt: skip
    rows["sourcing"].append(
        {"item": item, "location": loc, "method": method, "lead_days": lead,
         "from_location": origin, "cost_per_unit": cost, "priority": priority}
    )  # fmt: skip


def _bom(rows: dict[str, list[dict[str, Any]]], parent: str, component: str, qty: float,
         scrap: float = 0.0) -> None:  # fmt: skip
    rows["bom"].append(
        {"parent": parent, "component": component, "quantity_per": qty, "scrap_rate": scrap}
    )


def _step(rows: dict[str, list[dict[str, Any]]], item: str, step: int, ws: str, run: float,
          setup: float = 0.0, family: str | None = None) -> None:  # fmt: skip
    rows["routing"].append(
        {"item": item, "step": step, "workstation": ws, "run_minutes": run,
         "setup_minutes": setup, "setup_family": family}
    )  # fmt: skip


def _catalogue(rows: dict[str, list[dict[str, Any]]]) -> None:
    costs: dict[str, float] = {}
    for item, name, cost, lead, where, extra in BOUGHT:
        costs[item] = cost
        _item(rows, item, name, cost, **extra)
        for loc in where:
            _source(rows, item, loc, "buy", lead, cost)
    # Welded and painted frames at LYON, shipped to PORTO for assembly.
    for frame, name, tube, metres, colour in FRAMES:
        raw = frame.replace("FR-", "FRW-")
        steel = tube == "TUBE-STL"
        _bom(rows, raw, tube, metres, 0.04)
        _bom(rows, raw, "DROPOUT", 1)
        _bom(rows, raw, "BB-SHELL", 1)
        costs[raw] = round(costs[tube] * metres * 1.04 + 5.3 + 22.0, 2)
        _item(rows, raw, f"{name}, welded", costs[raw], lot_rule="poq", lot_days=7)
        _source(rows, raw, "LYON", "make", 3, 22.0)
        family = "steel" if steel else "alu"
        _step(rows, raw, 10, "SAW-1", 5, 20)
        # Welding: two manual cells or the (faster) robot.
        _step(rows, raw, 20, "WELD-1", 30, 15, family)
        _step(rows, raw, 20, "WELD-2", 32, 15, family)
        _step(rows, raw, 20, "WELD-ROBOT", 14, 15, family)
        if not steel:
            _step(rows, raw, 30, "HEAT-1", 4, 45)  # aluminium frames are heat-treated
        _bom(rows, frame, raw, 1)
        _bom(rows, frame, PAINT_OF[colour], 0.35, 0.05)
        costs[frame] = round(costs[raw] + 0.35 * 1.05 * costs[PAINT_OF[colour]] + 8.0, 2)
        _item(rows, frame, f"{name}, {colour}", costs[frame], lot_rule="poq", lot_days=7)
        _source(rows, frame, "LYON", "make", 2, 8.0)
        _source(rows, frame, "PORTO", "transfer", 2, 1.5, "LYON")
        _step(rows, frame, 10, "PAINT-1", 9, 10, colour)
        _step(rows, frame, 10, "PAINT-2", 13, 10, colour)
    for ws_item, name, rim, tyre, spokes in WHEELSETS:
        for comp, qty in ((rim, 2), (tyre, 2), ("SPOKE", spokes), ("HUB-F", 1), ("HUB-R", 1)):
            _bom(rows, ws_item, comp, qty)
        costs[ws_item] = round(
            2 * costs[rim] + 2 * costs[tyre] + spokes * costs["SPOKE"] + 34.0 + 12.0, 2
        )
        spare = ws_item == "WS-700"  # also sold as a spare part through the warehouses
        _item(rows, ws_item, name, costs[ws_item], price=129.0 if spare else 0.0,
              lot_multiple=10, safety_stock=20 if spare else 0)  # fmt: skip
        _source(rows, ws_item, "PORTO", "make", 2, 12.0)
        if spare:
            for dc, lead in (("DC-PARIS", 3), ("DC-MILAN", 3), ("DC-HAMBURG", 4)):
                _source(rows, ws_item, dc, "transfer", lead, 2.0, "PORTO")
        _step(rows, ws_item, 10, "WHEEL-1", 8, 10)
        _step(rows, ws_item, 10, "WHEEL-2", 9, 10)
        _step(rows, ws_item, 20, "TRUE-1", 5)
    for comp in ("MOTOR", "DISPLAY", "HARNESS"):
        _bom(rows, "DRV-E", comp, 1)
    costs["DRV-E"] = costs["MOTOR"] + costs["DISPLAY"] + costs["HARNESS"] + 15.0
    _item(rows, "DRV-E", "E-drive kit (motor, display, harness)", costs["DRV-E"])
    _source(rows, "DRV-E", "PORTO", "make", 2, 15.0)
    _step(rows, "DRV-E", 10, "EASSY-1", 18, 20)
    for bike, name, price, frame, wheels, fork, group, brakes, extras in BIKES:
        parts = [frame, wheels, fork, group, brakes, "SADDLE", "HBAR", "PEDALS", *extras]
        for comp in parts:
            _bom(rows, bike, comp, 1)
        costs[bike] = round(sum(costs[c] for c in parts) + 40.0, 2)
        _item(rows, bike, name, costs[bike], price=price,
              safety_stock=5 if bike in ("BK-CITY", "BK-TREK") else 0)  # fmt: skip
        _source(rows, bike, "PORTO", "make", 3, 40.0)
        transit = {"DC-PARIS": 3, "DC-MILAN": 3, "DC-HAMBURG": 4}
        stocked = ["DC-PARIS", "DC-HAMBURG"] if bike == "EB-CARGO" else DCS
        for dc in stocked:
            _source(rows, bike, dc, "transfer", transit[dc], 12.0, "PORTO")
        if bike == "BK-KIDS":
            # A contract manufacturer in Asia is the (slow) second source for kids bikes.
            for dc in DCS:
                _source(rows, bike, dc, "buy", 60, 185.0, priority=2)
        e_bike = bike.startswith("EB-")
        family = "ebike" if e_bike else "muscle"
        minutes = ASSEMBLY_MINUTES[bike]
        _step(rows, bike, 10, "ASSY-1", minutes, 30, family)
        _step(rows, bike, 10, "ASSY-2", round(minutes * 1.15, 1), 30, family)
        if e_bike:
            _step(rows, bike, 20, "TEST-E", 12, 5)
    for item, name, cost, price, lead in ACCESSORIES:
        _item(rows, item, name, cost, price=price, lot_rule="eoq", order_cost=60)
        for dc in DCS:
            _source(rows, item, dc, "buy", lead, cost)


def _orders(rows: dict[str, list[dict[str, Any]]], rng: np.random.Generator) -> None:
    """About 400 open lines: key accounts, a fleet, dealers and web-shop orders."""
    bikes = [b[0] for b in BIKES if b[0] != "EB-CARGO"]
    bike_mix = np.array([0.24, 0.2, 0.14, 0.12, 0.1, 0.12, 0.08])
    accessories = [a[0] for a in ACCESSORIES]
    customers: list[tuple[str, str, str, int, tuple[int, int], int]] = list(KEY_ACCOUNTS)
    for region, count in DEALER_REGIONS.items():
        for k in range(1, count + 1):
            # The biggest dealer of each region comes first, the smallest last.
            priority = 2 if k == 1 else (4 if k == count else 3)
            customers.append(
                (f"DLR-{region}-{k:02d}", region, "dealer", priority, (1, 4), 3 + k % 2)
            )
    for region in DEALER_REGIONS:
        customers.append((f"WEB-{region}", region, "web", 5, (1, 2), 6))
    number = 0
    for cust, region, group, priority, (low, high), n_orders in customers:
        for _ in range(n_orders):
            number += 1
            order = f"SO-{number:04d}"
            if group == "web":
                when = int(rng.integers(2, 15))
            elif rng.random() < 0.45:
                when = int(rng.integers(70, 125))  # pre-season delivery (Feb-Mar)
            else:
                when = int(rng.integers(3, 45))
            # Dealers and key accounts got confirmations for part of their orders.
            promised = group != "web" and ((when < 45 and rng.random() < 0.4) or rng.random() < 0.3)
            n_lines = int(rng.integers(low, high + 1))
            ship_complete = group == "fleet"
            chosen: set[str] = set()
            for line in range(1, n_lines + 1):
                if group == "fleet":
                    item = "EB-CARGO" if line == 1 else "AC-HELMET"
                elif group == "web":
                    item = str(rng.choice([*bikes[:2], *accessories, "WS-700"]))
                elif rng.random() < 0.72:
                    item = str(rng.choice(bikes, p=bike_mix / bike_mix.sum()))
                elif rng.random() < 0.15 and region in ("FR", "DE", "BNL", "UK"):
                    item = "EB-CARGO" if rng.random() < 0.5 else "WS-700"
                else:
                    item = str(rng.choice(accessories))
                if item in chosen:
                    continue
                chosen.add(item)
                qty = _quantity(rng, group, item)
                delay = int(rng.integers(0, 8)) if rng.random() < 0.3 else 0
                rows["orders"].append(
                    {
                        "order": order,
                        "line": str(len(chosen)),
                        "item": item,
                        "quantity": qty,
                        "requested_date": day(when),
                        "ship_to": region,
                        "customer": cust,
                        "customer_group": group,
                        "priority": priority,
                        "partial_ok": group not in ("fleet",) and rng.random() < 0.85,
                        "ship_complete": ship_complete,
                        "max_days_late": 10 if group == "key_account" else None,
                        "promised_date": day(min(when + delay, HORIZON_DAYS - 1))
                        if promised
                        else None,
                    }
                )
    # A dealer's backorder from last week, still open: past due on purpose.
    rows["orders"].append(
        {
            "order": "SO-0042-BO",
            "line": "1",
            "item": "BK-ROAD",
            "quantity": 4,
            "requested_date": day(-4),
            "ship_to": "FR",
            "customer": "DLR-FR-03",
            "customer_group": "dealer",
            "priority": 2,
            "partial_ok": True,
            "ship_complete": False,
            "max_days_late": None,
            "promised_date": None,
        }
    )


def _quantity(rng: np.random.Generator, group: str, item: str) -> int:
    if group == "web":
        return 1
    accessory = item.startswith("AC-") or item.startswith("WS-")
    if group == "fleet":
        return int(rng.integers(12, 31)) if item == "EB-CARGO" else int(rng.integers(20, 41))
    base = {"key_account": (8, 30), "dealer": (2, 9)}[group]
    low, high = (base[0] * 2, base[1] * 2) if accessory else base
    return int(rng.integers(low, high + 1))


def _stock_and_supply(
    rows: dict[str, list[dict[str, Any]]], rng: np.random.Generator, bare: oms_plan.Dataset
) -> None:
    """Place stock and open supply: routine levels drawn, the interesting cases by hand."""
    orders, ship = bare.orders, bare.shipping
    near = ship["ship_day"] < NEAR_TERM_DAYS
    demand = (
        orders.assign(location=ship["ship_location"])
        .loc[near]
        .groupby(["item", "location"])["quantity"]
        .sum()
    )
    supply_no = {"purchase": 0, "production": 0, "transfer": 0}
    prefix = {"purchase": "PO", "production": "MO", "transfer": "TO"}

    def receipt(kind: str, item: str, loc: str, qty: float, due: int, *,
                origin: str | None = None, release: int | None = None,
                priority: int = 3, name: str | None = None) -> None:  # fmt: skip
        supply_no[kind] += 1
        rows["supply"].append(
            {
                "supply": name or f"{prefix[kind]}-{1000 + supply_no[kind]}",
                "kind": kind,
                "item": item,
                "location": loc,
                "quantity": qty,
                "due_date": day(due),
                "from_location": origin,
                "release_date": None if release is None else day(release),
                "priority": priority,
            }
        )

    # End items where their near-term lines ship from: ~60 % on hand, the rest arriving.
    for (item, loc), qty in demand.items():
        total = round(COVER[item] * float(qty))
        on_hand = round(total * rng.uniform(0.5, 0.7))
        if on_hand:
            rows["inventory"].append({"item": item, "location": loc, "on_hand": on_hand})
        rest = total - on_hand
        if rest <= 0:
            continue
        due = int(rng.integers(3, 21))
        if item.startswith("AC-"):
            receipt("purchase", item, loc, rest, due)
        elif loc == "PORTO":
            receipt("production", item, loc, rest, due, release=max(0, due - 3))
        else:
            receipt("transfer", item, loc, rest, due, origin="PORTO", release=max(0, due - 4))

    # Components: stock for a few weeks of the horizon's requirement, some purchases on order.
    requirement = _component_requirement(bare)
    hand_made = {"BATTERY", "FRW-ROAD", "FR-ROAD"}
    for (item, loc), qty in sorted(requirement.items()):
        if item in hand_made or item in COVER:
            continue
        integral = item not in ("TUBE-ALU", "TUBE-STL") and not item.startswith("PAINT-")
        share = qty * rng.uniform(0.15, 0.35)
        stock = float(np.ceil(share)) if integral else round(share, 1)
        if stock > 0:
            rows["inventory"].append({"item": item, "location": loc, "on_hand": stock})
        made = any(s["item"] == item and s["method"] == "make" for s in rows["sourcing"])
        if not made and rng.random() < 0.6:
            amount = qty * rng.uniform(0.1, 0.25)
            amount = float(np.ceil(amount)) if integral else round(amount, 1)
            receipt("purchase", item, loc, amount, int(rng.integers(2, 30)))

    # Open manufacturing orders on the shop floor (the scheduler sequences these).
    for bike, qty, due in (
        ("BK-CITY", 40, 6),
        ("BK-TREK", 30, 9),
        ("BK-MTB", 24, 12),
        ("EB-CITY", 16, 8),
        ("BK-KIDS", 30, 16),
        ("EB-CARGO", 12, 13),
    ):
        receipt("production", bike, "PORTO", qty, due, release=max(0, due - 5), priority=2)
    for ws_item, qty, due in (("WS-700", 120, 4), ("WS-29", 40, 7), ("WS-20", 40, 10)):
        receipt("production", ws_item, "PORTO", qty, due, release=max(0, due - 3))
    receipt("production", "DRV-E", "PORTO", 30, 5, release=1)
    for frame, qty, due in (
        ("FR-CITY", 60, 5),
        ("FR-TREK", 40, 8),
        ("FR-ECITY", 30, 6),
        ("FR-MTB", 30, 11),
    ):
        receipt("production", frame, "LYON", qty, due, release=max(0, due - 3))
        receipt("production", frame.replace("FR-", "FRW-"), "LYON", qty, due - 2,
                release=max(0, due - 6))  # fmt: skip
    receipt("transfer", "FR-KIDS", "PORTO", 40, 3, origin="LYON")

    # The road bike: the welding robot is down, so road frames are behind.
    rows["inventory"].append({"item": "FRW-ROAD", "location": "LYON", "on_hand": 6})
    rows["inventory"].append({"item": "FR-ROAD", "location": "PORTO", "on_hand": 4})
    receipt("production", "FRW-ROAD", "LYON", 50, 5, release=0, priority=1, name="MO-ROAD-W")
    receipt("production", "FR-ROAD", "LYON", 50, 7, release=3, priority=1, name="MO-ROAD-P")
    # Past due: released a week ago, due last Friday, still waiting for its frames.
    receipt("production", "BK-ROAD", "PORTO", 25, -3, release=-7, priority=1, name="MO-ROAD-B")

    # Batteries: one supplier, on allocation. A past-due PO and a late one.
    rows["inventory"].append({"item": "BATTERY", "location": "PORTO", "on_hand": 14})
    receipt("purchase", "BATTERY", "PORTO", 120, -7, priority=1, name="PO-BATT-1")
    receipt("purchase", "BATTERY", "PORTO", 200, 63, priority=2, name="PO-BATT-2")
    # Helmets: the supplier moved the delivery from December to mid-January.
    receipt("purchase", "AC-HELMET", "DC-HAMBURG", 150, 49, name="PO-HELMET")


def _component_requirement(ds: oms_plan.Dataset) -> dict[tuple[str, str], float]:
    """Gross requirement of every component at the plant that consumes it, whole horizon."""
    bom = ds.bom
    made_at = {r.item: r.location for r in ds.sourcing.itertuples() if r.method == "make"}
    children: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for r in bom.itertuples():
        children[r.parent].append((r.component, float(r.quantity_per) * (1 + r.scrap_rate)))
    need: dict[tuple[str, str], float] = defaultdict(float)

    def explode(item: str, qty: float) -> None:
        plant = made_at.get(item)
        if plant is None:  # bought: nothing to explode
            return
        for comp, per in children.get(item, []):
            need[(comp, plant)] += qty * per
            explode(comp, qty * per)

    for item, qty in ds.orders.groupby("item")["quantity"].sum().items():
        explode(str(item), float(qty))
    return dict(need)


def _frames(rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    import pandas as pd

    return {name: pd.DataFrame(table) for name, table in rows.items()}


def _write(rows: dict[str, list[dict[str, Any]]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    (folder / "dataset.toml").write_text(
        "# Velora Cycles: two plants, three warehouses, six regions; see data/README.md.\n"
        "# Built by data/build_sample.py (do not edit by hand: change the script, rerun it).\n"
        f"[plan]\nstart = {START.isoformat()}\nhorizon_days = {HORIZON_DAYS}\n",
        encoding="utf-8",
    )
    for name, table in rows.items():
        spec = TABLES[name]
        columns = [c for c in spec.column_names if any(c in row for row in table)]
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            for row in table:
                writer.writerow([_cell(row.get(c)) for c in columns])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}" if float(value).is_integer() else f"{float(value):.6g}"
    return str(value)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "sample"
    dataset = build(target)
    counts = ", ".join(f"{n} {t}" for t, n in dataset.num_rows().items() if n)
    print(f"wrote {target}: {counts}; {len(dataset.warnings)} warning(s)")
    for warning in dataset.warnings:
        print(f"  {warning}")
