"""compare(a, b): the difference tables, the summary, plan folders and the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import oms_plan
from oms_plan import Dataset, DatasetError, Plan, Scenario
from oms_plan.cli.main import app
from oms_plan.replan.plan_folder import read_plan
from oms_plan.scenario import DIFF_TABLES, compare
from oms_plan.scenario.diff import line_view, promise_changes
from tests.scenario.conftest import FAST

SCHEMA = {
    "promises": [
        "order",
        "line",
        "item",
        "quantity_before",
        "quantity_after",
        "delivery_before",
        "delivery_after",
        "days_moved",
        "status_before",
        "status_after",
    ],
    "kpis": ["kpi", "before", "after", "delta"],
    "load": ["workstation", "week", "minutes_before", "minutes_after"],
    "exceptions": ["kind", "item", "location", "order", "line", "change"],
}


def test_a_plan_compared_with_itself_changes_nothing(tiny_plan: Plan) -> None:
    diff = compare(tiny_plan, tiny_plan)
    frames = diff.to_frames()
    assert list(frames) == list(DIFF_TABLES)
    for name, columns in SCHEMA.items():
        assert list(frames[name].columns[: len(columns)]) == columns
    assert diff.promises.empty and diff.exceptions.empty
    assert (diff.load["minutes_before"] == diff.load["minutes_after"]).all()
    numeric = diff.kpis["delta"].dropna()
    assert set(numeric.loc[diff.kpis["kpi"] != "runtime_seconds"]) <= {0.0}
    assert "0 line(s) changed" in diff.summary()


def test_a_rush_order_shows_as_a_new_line_and_moves(tiny: Dataset, tiny_plan: Plan) -> None:
    s = (
        Scenario(tiny, base=tiny_plan)
        .add_order(
            order="RUSH",
            line="1",
            item="BIKE",
            quantity=15,
            requested_date="2026-11-25",
            ship_to="NORTH",
            priority=1,
        )
        .cancel_supply("MO-1")
    )
    after = s.plan(**FAST)
    diff = compare(tiny_plan, after)
    rows = diff.promises.set_index(["order", "line"])
    assert ("RUSH", "1") in rows.index
    new = rows.loc[("RUSH", "1")]
    assert pd.isna(new["status_before"]) and pd.isna(new["quantity_before"])
    assert new["status_after"] in ("on_time", "late", "short")
    # Every row really differs, and every line that differs is a row.
    views = line_view(tiny_plan.promises), line_view(after.promises)
    differing = {
        k
        for k in set(views[0].index) | set(views[1].index)
        if k not in views[0].index
        or k not in views[1].index
        or views[0].loc[k, "signature"] != views[1].loc[k, "signature"]
    }
    assert set(rows.index) == differing
    assert diff.kpi_delta("lines") == 1
    assert "only in the new plan" in diff.summary()
    with pytest.raises(KeyError):
        diff.kpi_delta("nope")


def test_days_moved_is_after_minus_before() -> None:
    before = pd.DataFrame(
        {
            "order": ["A", "B", "C"],
            "line": ["1", "1", "1"],
            "item": ["X"] * 3,
            "quantity": [5.0, 5.0, 5.0],
            "location": ["L", "L", "L"],
            "delivery_date": pd.to_datetime(["2026-12-01", "2026-12-05", "2026-12-05"]),
            "status": ["on_time", "late", "on_time"],
        }
    )
    after = before.copy()
    after.loc[0, "delivery_date"] = pd.Timestamp("2026-12-04")
    after.loc[1, "delivery_date"] = pd.Timestamp("2026-12-02")
    after.loc[2, ["status", "location", "delivery_date"]] = ["short", None, pd.NaT]
    diff = promise_changes(before, after).set_index("order")
    assert diff.loc["A", "days_moved"] == 3 and diff.loc["B", "days_moved"] == -3
    assert pd.isna(diff.loc["C", "days_moved"]) and diff.loc["C", "quantity_after"] == 0
    assert diff.loc["C", "status_after"] == "short"


shipments = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C", "D"]),
        st.sampled_from(["1", "2"]),
        st.integers(1, 9),
        st.sampled_from(["L1", "L2", None]),
        st.integers(0, 5),
    ),
    max_size=12,
)


def _promises(rows: list[tuple[str, str, int, str | None, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order": [r[0] for r in rows],
            "line": [r[1] for r in rows],
            "item": "X",
            "quantity": [float(r[2]) for r in rows],
            "location": [r[3] for r in rows],
            "delivery_date": [
                pd.NaT if r[3] is None else pd.Timestamp("2026-12-01") + pd.Timedelta(days=r[4])
                for r in rows
            ],
            "status": [
                "short" if r[3] is None else "late" if r[4] > 2 else "on_time" for r in rows
            ],
        },
        columns=["order", "line", "item", "quantity", "location", "delivery_date", "status"],
    )


@settings(max_examples=25, deadline=None)
@given(shipments, shipments)
def test_promise_changes_are_exactly_the_lines_that_differ(a: list, b: list) -> None:  # type: ignore[type-arg]
    before, after = _promises(a), _promises(b)
    assert promise_changes(before, before).empty
    diff = promise_changes(before, after)
    back = promise_changes(after, before)
    keys = set(zip(diff["order"], diff["line"], strict=True))
    assert keys == set(zip(back["order"], back["line"], strict=True))
    # Shuffling the shipments of a plan changes nothing.
    assert promise_changes(before, before.iloc[::-1]).empty
    moved = diff["days_moved"].dropna()
    again = back.set_index(["order", "line"])["days_moved"]
    for o, ln, days in zip(diff["order"], diff["line"], diff["days_moved"], strict=True):
        if not pd.isna(days):
            assert again[(o, ln)] == -days
    assert len(moved) <= len(diff)


def test_plan_folders_read_back_as_the_plan(tiny_plan: Plan, tmp_path: Path) -> None:
    for fmt in ("csv", "parquet"):
        tiny_plan.write(tmp_path / fmt, format=fmt)  # type: ignore[arg-type]
        back = read_plan(tmp_path / fmt)
        diff = compare(tiny_plan, back)
        assert diff.promises.empty and diff.exceptions.empty, fmt
        assert (diff.load["minutes_before"] == diff.load["minutes_after"]).all()
        delta = diff.kpis.set_index("kpi")["delta"].dropna()
        assert (delta == 0).all(), fmt
        assert len(back.projection) == len(tiny_plan.projection)


def test_a_sparse_projection_reads_and_plots(tiny_plan: Plan, tmp_path: Path) -> None:
    proj = tiny_plan.projection
    keep = proj.groupby(["item", "location"], observed=True)["on_hand"].transform(
        lambda s: s.ne(s.shift())
    )
    sparse = Plan(tables={**tiny_plan.tables, "projection": proj.loc[keep]})
    sparse.write(tmp_path / "p")
    back = read_plan(tmp_path / "p")
    assert len(back.projection) <= len(proj)  # the plan writes change days only already
    import matplotlib

    matplotlib.use("Agg")
    fig = back.plot_inventory("BIKE", "DC-N")
    assert fig.axes


def test_unreadable_plan_folders_are_reported(tmp_path: Path, tiny_plan: Plan) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        read_plan(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"no promises\.csv"):
        read_plan(tmp_path / "empty")
    tiny_plan.write(tmp_path / "bad")
    promises = pd.read_csv(tmp_path / "bad" / "promises.csv", dtype=str)
    promises.loc[0, "delivery_date"] = "someday"
    promises.to_csv(tmp_path / "bad" / "promises.csv", index=False)
    with pytest.raises(DatasetError) as info:
        read_plan(tmp_path / "bad")
    issue = info.value.errors[0]
    assert (issue.table, issue.row, issue.column) == ("promises", 1, "delivery_date")
    assert "'someday' is not a date" in issue.message


def test_cli_compare_writes_the_diff_tables(tiny: Dataset, tiny_plan: Plan, tmp_path: Path) -> None:
    tiny_plan.write(tmp_path / "a")
    later = Scenario(tiny, base=tiny_plan).cancel_order("SO-1").plan(**FAST)
    later.write(tmp_path / "b", format="parquet")
    runner = CliRunner()
    result = runner.invoke(
        app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "d")]
    )
    assert result.exit_code == 0, result.output
    assert "line(s) changed" in result.output
    for name in DIFF_TABLES:
        assert (tmp_path / "d" / f"{name}.csv").is_file()
    promises = pd.read_csv(tmp_path / "d" / "promises.csv", dtype=str)
    assert list(promises.columns[:10]) == SCHEMA["promises"]
    gone = promises.loc[promises["order"] == "SO-1"]
    assert len(gone) == 1 and gone["status_after"].isna().all()
    missing = runner.invoke(
        app, ["compare", str(tmp_path / "a"), str(tmp_path / "zz"), "--out", str(tmp_path / "e")]
    )
    assert missing.exit_code == 2
    said = " ".join(missing.output.split())
    assert "does not exist" in said and "Traceback" not in said


def test_compare_with_the_dataset_counts_working_minutes(tiny: Dataset, tiny_plan: Plan) -> None:
    clock = compare(tiny_plan, tiny_plan).load
    working = compare(tiny_plan, tiny_plan, dataset=tiny).load
    assert (working["minutes_after"] <= clock["minutes_after"] + 1e-9).all()
    ops = tiny_plan.schedule
    paint = ops.loc[ops["workstation"] == "PAINTSHOP"]
    if not paint.empty:  # PAINTSHOP works a day shift: nights do not count
        assert working.loc[working["workstation"] == "PAINTSHOP", "minutes_after"].sum() > 0
    assert oms_plan.compare is compare
