"""Scenario edits: each returns a new scenario, is logged, validated, saved and replayed."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import oms_plan
from oms_plan import Dataset, DatasetError, Scenario
from oms_plan.scenario import EDIT_KINDS, Edit


def rush(s: Scenario) -> Scenario:
    return s.add_order(
        order="RUSH",
        line=1,
        item="BIKE",
        quantity=4,
        requested_date="2026-11-27",
        ship_to="NORTH",
        priority=1,
    )


def test_each_edit_returns_a_new_scenario_and_leaves_the_old_one(tiny: Dataset) -> None:
    base = Scenario(tiny, name="what-if")
    edited = rush(base)
    assert edited is not base
    assert len(base) == 0 and len(base.dataset.orders) == len(tiny.orders)
    assert len(edited) == 1 and len(edited.dataset.orders) == len(tiny.orders) + 1
    assert edited.base_dataset is tiny and edited.name == "what-if"
    with pytest.raises(AttributeError, match="immutable"):
        edited.name = "x"  # type: ignore[misc]


def test_every_edit_changes_what_it_says(tiny: Dataset) -> None:
    s = (
        rush(Scenario(tiny))
        .change_order("SO-2", "1", quantity=3, priority=1)
        .cancel_order("SO-5", "2")
        .cancel_order("SO-4")
        .delay_supply("PO-1", 7)
        .cancel_supply("TR-1")
        .machine_down("ASSY-1", "2026-11-30", "2026-12-01")
        .change_lead_time("WHEEL", "P1", "buy", 12)
        .set_stock("BIKE", "DC-N", 3)
        .set_stock("TUBE", "DC-N", 8)
    )
    ds = s.dataset
    orders = ds.orders.set_index(["order", "line"])
    assert orders.loc[("RUSH", "1"), "priority"] == 1
    assert orders.loc[("SO-2", "1"), ["quantity", "priority"]].tolist() == [3, 1]
    assert ("SO-5", "2") not in orders.index and ("SO-5", "1") in orders.index
    assert "SO-4" not in set(ds.orders["order"])
    supply = ds.supply.set_index("supply")
    before = tiny.supply.set_index("supply")
    assert supply.loc["PO-1", "due_date"] - before.loc["PO-1", "due_date"] == pd.Timedelta(days=7)
    assert "TR-1" not in supply.index
    down = ds.downtime.iloc[-1]
    assert (down["workstation"], down["start"], down["end"]) == (
        "ASSY-1",
        pd.Timestamp("2026-11-30"),
        pd.Timestamp("2026-12-02"),
    )
    sourcing = ds.sourcing.set_index(["item", "location", "method"])
    assert sourcing.loc[("WHEEL", "P1", "buy"), "lead_days"] == 12
    stock = ds.inventory.set_index(["item", "location"])["on_hand"]
    assert stock[("BIKE", "DC-N")] == 3 and stock[("TUBE", "DC-N")] == 8
    assert list(s.edits["edit"]) == [
        "add_order",
        "change_order",
        "cancel_order",
        "cancel_order",
        "delay_supply",
        "cancel_supply",
        "machine_down",
        "change_lead_time",
        "set_stock",
        "set_stock",
    ]
    assert list(s.edits["step"]) == list(range(1, 11))
    assert "supply='PO-1', days=7" in s.edits["arguments"].iloc[4]
    assert set(s.edits["edit"]) == set(EDIT_KINDS)


BAD_EDITS = [
    # unknown keys
    (lambda s: s.change_order("SO-9", "1", quantity=1), "no order 'SO-9' line '1'"),
    (lambda s: s.cancel_order("SO-1", "7"), "no order 'SO-1' line '7'"),
    (lambda s: s.delay_supply("PO-9", 3), "no supply 'PO-9'"),
    (lambda s: s.cancel_supply("PO-9"), "no supply 'PO-9'"),
    (lambda s: s.machine_down("MILL", "2026-11-24", "2026-11-25"), "no workstation 'MILL'"),
    (lambda s: s.change_lead_time("BIKE", "P1", "buy", 3), "no sourcing row buy of 'BIKE'"),
    (lambda s: s.set_stock("CAR", "P1", 3), "no item 'CAR'"),
    # bad values
    (lambda s: s.delay_supply("PO-1", 1.5), "whole number"),
    (lambda s: s.machine_down("ASSY-1", "2026-11-25", "2026-11-24"), "not after start"),
    (lambda s: s.machine_down("ASSY-1", "soon", "2026-11-24"), "start 'soon' is not a date"),
    (lambda s: s.change_lead_time("BIKE", "P1", "steal", 3), "method must be one of"),
    (lambda s: s.change_lead_time("BIKE", "P1", "make", -1), "lead_days"),
    (lambda s: s.set_stock("BIKE", "P1", -2), "on_hand must be a number ≥ 0"),
    (lambda s: s.change_order("SO-1", "1"), "nothing to change"),
    (lambda s: s.change_order("SO-1", "1", colour="red"), "unknown orders column(s) colour"),
    (lambda s: s.add_order(order="X", line="1", item="BIKE"), "missing quantity"),
    (
        lambda s: s.add_order(
            order="SO-1",
            line="1",
            item="BIKE",
            quantity=1,
            requested_date="2026-11-30",
            ship_to="NORTH",
        ),
        "already exists",
    ),
    # caught by the loader, still named after the edit
    (
        lambda s: s.add_order(
            order="X",
            line="1",
            item="CAR",
            quantity=1,
            requested_date="2026-11-30",
            ship_to="NORTH",
        ),
        "unknown item 'CAR'",
    ),
    (lambda s: s.change_order("SO-1", "1", quantity=-4), "quantity -4 must be ≥ 0"),
    (lambda s: s.change_order("SO-1", "1", requested_date="2026-02-30"), "requested_date"),
    (lambda s: s.change_order("SO-1", "1", quantity=[1]), "must be text, a number"),
]


@pytest.mark.parametrize(("make", "message"), BAD_EDITS)
def test_a_bad_edit_raises_naming_the_edit_and_its_arguments(
    tiny: Dataset, make: object, message: str
) -> None:
    s = Scenario(tiny)
    with pytest.raises(DatasetError) as info:
        make(s)  # type: ignore[operator]
    text = str(info.value)
    assert message in text
    # Every issue says which edit, with its arguments, caused it.
    for issue in info.value.errors:
        assert issue.message.startswith("edit ") and "(" in issue.message, issue
    assert len(s) == 0


def test_edit_records_are_plain_data() -> None:
    edit = Edit.make(
        "machine_down",
        workstation="W",
        start=pd.Timestamp("2026-11-24T06:00"),
        end=pd.Timestamp("2026-11-25"),
    )
    assert edit.args == {"workstation": "W", "start": "2026-11-24T06:00:00", "end": "2026-11-25"}
    assert Edit.from_dict(json.loads(json.dumps(edit.to_dict()))) == edit
    with pytest.raises(DatasetError, match="not a scenario edit"):
        Edit.from_dict({"edit": "teleport", "arguments": {}})


def test_save_and_load_replay_the_edits_on_the_recorded_base(
    tiny_path: Path, tmp_path: Path
) -> None:
    s = rush(Scenario(tiny_path, name="rush")).machine_down(
        "WELD", "2026-11-26T06:00", "2026-11-26T14:00"
    )
    folder = s.save(tmp_path / "rush")
    assert sorted(p.name for p in folder.iterdir()) == ["edits.csv", "scenario.json"]
    saved = json.loads((folder / "scenario.json").read_text())
    assert saved["base"]["path"] == str(tiny_path.resolve())
    assert saved["base"]["fingerprint"] == s.fingerprint()
    assert len(saved["edits"]) == 2
    # No copy of the data: the folder is a few hundred bytes.
    assert sum(p.stat().st_size for p in folder.iterdir()) < 4_000
    back = Scenario.load(folder)
    assert back.name == "rush" and back.edit_list == s.edit_list
    assert back.dataset.to_json() == s.dataset.to_json()
    s.save(folder)  # saving again over its own folder is fine


def test_load_refuses_another_base_dataset(tiny: Dataset, tmp_path: Path) -> None:
    folder = rush(Scenario(tiny)).save(tmp_path / "s")
    with pytest.raises(DatasetError, match="records no base dataset folder"):
        Scenario.load(folder)
    other = tiny.replace(inventory=tiny.inventory.assign(on_hand=1.0))
    with pytest.raises(DatasetError, match="different base dataset"):
        Scenario.load(folder, other)
    assert len(Scenario.load(folder, tiny)) == 1


def test_save_refuses_a_folder_of_other_files(tiny: Dataset, tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("x\n")
    with pytest.raises(DatasetError, match="not a scenario folder"):
        Scenario(tiny).save(tmp_path)
    with pytest.raises(DatasetError, match="cannot read"):
        Scenario.load(tmp_path, tiny)


def test_fingerprint_is_about_content(tiny_path: Path, tiny: Dataset) -> None:
    from oms_plan.scenario import fingerprint

    assert fingerprint(oms_plan.load(tiny_path)) == fingerprint(tiny)
    changed = tiny.replace(orders=tiny.orders.assign(priority=2))
    assert fingerprint(changed) != fingerprint(tiny)
