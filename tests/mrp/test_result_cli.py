"""MrpResult (tables, trace, summary, pickling, JSON) and the ``oms-plan mrp`` command."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oms_plan import MrpResult, PlanningError, plan_materials
from oms_plan.cli.main import app
from oms_plan.outputs import OUTPUT_COLUMNS

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def tiny_result(tiny):
    return plan_materials(tiny)


def test_tables_have_the_contract_columns(tiny_result):
    frames = tiny_result.to_frames()
    assert list(frames) == ["planned_orders", "pegging", "projection", "exceptions", "kpis"]
    for name, frame in frames.items():
        assert list(frame.columns[: len(OUTPUT_COLUMNS[name])]) == list(OUTPUT_COLUMNS[name])


def test_tiny_plan_explained(tiny_result):
    po = tiny_result.planned_orders.set_index("planned_order")
    # DC-N ships 22 bikes on 2026-11-25 from 20 in stock: a 2-bike transfer from P1,
    # released on plan start (lead 2 days); P1 has no bikes until MO-1, so it must make
    # 3 bikes (2 + DC-S's 1) due today: released 2 days in the past → expedite.
    assert po.loc["PLN-BIKE-DC-N-1", ["method", "from_location", "quantity"]].tolist() == [
        "transfer",
        "P1",
        2,
    ]
    assert po.loc["PLN-BIKE-P1-1", "release_date"] == pd.Timestamp("2026-11-21")
    kinds = tiny_result.exceptions["kind"].tolist()
    assert kinds.count("expedite") == 1 and "reschedule_in" in kinds
    assert tiny_result.kpi("planned_orders") == 3
    assert tiny_result.kpi("exceptions_expedite") == 1


def test_trace_goes_down_to_components(tiny_result):
    trace = tiny_result.trace("SO-3", 1)
    assert trace["depth"].max() == 2
    make = trace.loc[trace["method"] == "make"]
    assert make["supplier"].tolist() == ["PLN-BIKE-P1-1"]
    comps = trace.loc[trace["depth"] == 2].set_index("item")
    # One bike of the make order serves SO-3: one frame and two wheels.
    assert comps.at["FRAME", "attributed"] == pytest.approx(1)
    assert comps.at["WHEEL", "attributed"] == pytest.approx(2)


def test_trace_of_unknown_line_names_it(tiny_result):
    with pytest.raises(PlanningError, match="'NOPE'"):
        tiny_result.trace("NOPE", "1")


def test_pickle_and_json_round_trip(tiny_result):
    again = pickle.loads(pickle.dumps(tiny_result))
    back = MrpResult.from_json(tiny_result.to_json())

    def plain(frame):
        cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
        return frame.astype({c: str for c in cats}).reset_index(drop=True)

    for other in (again, back):
        for name, frame in tiny_result.to_frames().items():
            pd.testing.assert_frame_equal(
                plain(frame), plain(other.to_frames()[name]), check_dtype=False
            )
    assert "planned order" in tiny_result.summary()


def test_bad_option_is_a_planning_error(tiny):
    with pytest.raises(PlanningError, match="reschedule_days"):
        plan_materials(tiny, reschedule_days=-1)


@pytest.mark.parametrize("name", ["tiny", "sample"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cli_writes_the_tables(name, fmt, tmp_path):
    folder = DATA / name
    if not folder.exists():
        pytest.skip(f"data/{name} is not there yet")
    out = tmp_path / "plan"
    res = CliRunner().invoke(app, ["mrp", str(folder), "--out", str(out), "--format", fmt])
    assert res.exit_code == 0, res.output
    for table in ("planned_orders", "pegging", "projection", "exceptions", "kpis"):
        path = out / f"{table}.{fmt}"
        assert path.exists()
        frame = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
        assert list(frame.columns[: len(OUTPUT_COLUMNS[table])]) == list(OUTPUT_COLUMNS[table])


def test_cli_bad_dataset_exits_2(tmp_path):
    res = CliRunner().invoke(app, ["mrp", str(tmp_path / "missing"), "--out", str(tmp_path)])
    assert res.exit_code == 2
