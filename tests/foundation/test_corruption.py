"""Random corruption of valid datasets: the result is a Dataset with every row, or a
DatasetError whose every issue names a known table and a row within range; never a crash."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oms_plan
from oms_plan import Dataset, DatasetError, Model
from oms_plan.schema import TABLE_ORDER, TABLES

TINY = Path(__file__).resolve().parents[2] / "data" / "tiny"


def _raw_tiny() -> dict[str, pd.DataFrame]:
    """data/tiny as CSV strings, exactly as a user's files would be read."""
    return {
        name: pd.read_csv(TINY / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[])
        for name in TABLE_ORDER
        if (TINY / f"{name}.csv").is_file()
    }


def _built() -> dict[str, pd.DataFrame]:
    """A builder-made dataset with native dtypes (ints, floats, bools, dates)."""
    m = Model(start="2026-03-02", horizon_days=20)
    m.add_item(item="CHAIR", price=80.0)
    m.add_item(item="LEG", integral=True)
    m.add_item(item="VARNISH", integral=False)
    m.add_location(location="PL", kind="plant", calendar="WEEK")
    m.add_location(location="WH", kind="warehouse")
    m.add_region(region="CITY")
    m.add_sourcing(item="CHAIR", location="PL", method="make", lead_days=2)
    m.add_sourcing(item="CHAIR", location="WH", method="transfer", lead_days=1, from_location="PL")
    m.add_sourcing(item="LEG", location="PL", method="buy", lead_days=5, cost_per_unit=2.5)
    m.add_sourcing(item="VARNISH", location="PL", method="buy", lead_days=3)
    m.add_bom_line(parent="CHAIR", component="LEG", quantity_per=4)
    m.add_bom_line(parent="CHAIR", component="VARNISH", quantity_per=0.2, scrap_rate=0.1)
    m.add_workstation(workstation="SAW", location="PL", units=2)
    m.add_routing_step(item="CHAIR", step=10, workstation="SAW", run_minutes=12.5)
    for day in range(5):
        m.add_shift(calendar="WEEK", weekday=day, start="07:00", end="15:30")
    m.add_downtime(workstation="SAW", start="2026-03-04T07:00", end="2026-03-04T09:00")
    m.add_setup(from_family="oak", to_family="pine", minutes=20)
    m.add_lane(from_location="WH", to="CITY", transit_days=1, cost_per_unit=1.5)
    m.add_inventory(item="CHAIR", location="WH", on_hand=6)
    m.add_inventory(item="VARNISH", location="PL", on_hand=3.25)
    m.add_supply(
        supply="MO-7", kind="production", item="CHAIR", location="PL", quantity=10,
        due_date="2026-03-06", release_date="2026-03-03",
    )  # fmt: skip
    for k in range(4):
        m.add_order_line(
            order=f"SO-{k}", line=1, item="CHAIR", quantity=2 + k, ship_to="CITY",
            requested_date=f"2026-03-{5 + k:02d}", customer="C", priority=1 + k % 3,
            partial_ok=bool(k % 2),
        )  # fmt: skip
    ds = m.dataset()
    frames = {n: f for n, f in ds.to_frames().items() if not f.empty or TABLES[n].required}
    frames["dataset"] = ds.settings.to_dict()  # type: ignore[assignment]
    return frames


#: Dates that do not exist or are not written YYYY-MM-DD: never read as another day.
IMPOSSIBLE_DATES = [
    "2026-11-31", "2026-02-29", "2026-13-01", "2026-11-31T06:00", "20261130", "2026-12-20xyz",
    "2026-1-5",
]  # fmt: skip

SOURCES = {"tiny": _raw_tiny, "built": _built}
SETTINGS = {"tiny": {"start": "2026-11-23", "horizon_days": 60}, "built": None}

junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "   ", "\t", "nan", "NaN", "None", "inf", "-inf", "1e400", "-0", "½"]),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.sampled_from(["2026-11-30", "2026-02-30", "2026-11-25T06:00", "25:00", "06:30", "P1"]),
    st.sampled_from(IMPOSSIBLE_DATES),
    # rich markup and CSV quoting characters in ids and text
    st.sampled_from(["[/]", "[red]x", "[bold]", "\\[", "][", '"', 'GAMMA"', '"GAMMA', "a,b"]),
    st.sampled_from(["BIKE", "FRAME", "DC-N", "NORTH", "WELD", "DAY", "CHAIR", "PL", "CITY"]),
    st.dates().map(lambda d: d),
)


@st.composite
def corruption(draw: st.DrawFn) -> tuple[str, list[tuple[str, ...]], dict[str, pd.DataFrame]]:
    source = draw(st.sampled_from(sorted(SOURCES)))
    frames = SOURCES[source]()
    tables = sorted(n for n in frames if n in TABLES)
    steps: list[tuple[str, ...]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        name = draw(st.sampled_from(tables))
        frame = frames[name].copy()
        action = draw(
            st.sampled_from(
                ["cell", "cell", "cell", "drop_column", "duplicate", "delete", "rename"]
            )
        )
        if action == "cell" and len(frame) and len(frame.columns):
            row = draw(st.integers(0, len(frame) - 1))
            col = draw(st.sampled_from(list(frame.columns)))
            value = draw(junk)
            frame[col] = frame[col].astype(object)
            frame.iat[row, frame.columns.get_loc(col)] = value
            steps.append((name, action, str(row), str(col), repr(value)))
        elif action == "drop_column" and len(frame.columns):
            col = draw(st.sampled_from(list(frame.columns)))
            frame = frame.drop(columns=[col])
            steps.append((name, action, str(col)))
        elif action == "duplicate" and len(frame):
            row = draw(st.integers(0, len(frame) - 1))
            frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
            steps.append((name, action, str(row)))
        elif action == "delete" and len(frame):
            row = draw(st.integers(0, len(frame) - 1))
            frame = frame.drop(index=frame.index[row]).reset_index(drop=True)
            steps.append((name, action, str(row)))
        elif action == "rename" and len(frame):
            # rename an id everywhere in one table: references from other tables break
            col = TABLES[name].column_names[0]
            if col in frame.columns:
                old = frame[col].iloc[0]
                frame[col] = frame[col].astype(object).where(frame[col] != old, f"{old}-X")
                steps.append((name, action, str(col)))
        frames[name] = frame
    return source, steps, frames


def _impossible_cells(frames: dict[str, pd.DataFrame]) -> set[tuple[str, int, str]]:
    """(table, row, column) of date and time cells holding an impossible date."""
    out = set()
    for name, frame in frames.items():
        if name not in TABLES:
            continue
        for col in TABLES[name].columns:
            if col.kind in ("date", "time") and col.name in frame.columns:
                values = frame[col.name]
                if isinstance(values, pd.DataFrame):
                    continue
                for pos, value in enumerate(values.tolist()):
                    if isinstance(value, str) and value.strip() in IMPOSSIBLE_DATES:
                        out.add((name, pos + 1, col.name))
    return out


def _check_outcome(frames: dict[str, pd.DataFrame], settings: object) -> None:
    given_rows = {n: len(f) for n, f in frames.items() if n in TABLES}
    impossible = _impossible_cells(frames)
    try:
        ds = oms_plan.load(frames, settings=settings)  # type: ignore[arg-type]
    except DatasetError as exc:
        # Every impossible date is an error at its cell (unless its table was unusable).
        found = {(i.table, i.row, i.column) for i in exc.errors}
        unusable = {i.table for i in exc.errors if i.row is None}
        assert {c for c in impossible if c[0] not in unusable} <= found, (impossible, found)
        assert exc.errors, "a DatasetError lists at least one problem"
        for issue in exc.issues:
            assert issue.table in (*TABLES, "dataset", "dataset.toml"), issue
            assert issue.message, issue
            if issue.row is not None:
                assert issue.table in TABLES, issue
                assert 1 <= issue.row <= given_rows.get(issue.table, 0), issue
            if issue.column is not None and issue.table in TABLES and issue.row is not None:
                assert issue.column in TABLES[issue.table].column_names, issue
        return
    assert not impossible, f"impossible dates were read as dates: {impossible}"
    assert isinstance(ds, Dataset)
    for name in TABLE_ORDER:
        assert ds.num_rows()[name] == given_rows.get(name, 0), name  # no row dropped
    assert len(ds.shipping) == len(ds.orders)
    assert (ds.shipping["ship_day"] >= 0).all()
    assert ds.shipping["ship_location"].notna().all()
    # the typed tables have the contract dtypes
    assert ds.orders["quantity"].dtype == np.float64
    assert ds.orders["requested_date"].dtype == "datetime64[ns]"
    assert ds.items["integral"].dtype == bool


# OMS_FUZZ_EXAMPLES=2000 runs a deep, random (not derandomized) search outside CI.
FUZZ = int(os.environ.get("OMS_FUZZ_EXAMPLES", "0"))


@settings(
    max_examples=FUZZ or 30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not FUZZ,
)
@given(corruption())
def test_corrupted_datasets_never_crash(
    case: tuple[str, list[tuple[str, ...]], dict[str, pd.DataFrame]],
) -> None:
    source, _steps, frames = case
    _check_outcome(frames, SETTINGS[source])


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_uncorrupted_sources_are_valid(source: str) -> None:
    frames = SOURCES[source]()
    ds = oms_plan.load(frames, settings=SETTINGS[source])  # type: ignore[arg-type]
    assert ds.num_rows()["orders"] in (4, 6)


@settings(max_examples=FUZZ or 8, deadline=None, derandomize=not FUZZ)
@given(
    st.lists(junk, min_size=1, max_size=6),
    st.sampled_from(["quantity", "requested_date", "priority", "partial_ok", "line", "location"]),
)
def test_a_whole_column_of_junk(values: list[object], column: str) -> None:
    frames = _raw_tiny()
    orders = frames["orders"].copy()
    orders[column] = (values * 6)[: len(orders)]
    frames["orders"] = orders
    _check_outcome(frames, SETTINGS["tiny"])


def test_corrupted_folder_round_trip(tmp_path: Path) -> None:
    # Files on disk go through the same checks: a corrupted CSV written and read back.
    frames = _raw_tiny()
    frames["orders"].loc[0, "quantity"] = "1e400"
    frames["inventory"].loc[1, "on_hand"] = "  "
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "dataset.toml").write_text("[plan]\nstart = 2026-11-23\nhorizon_days = 60\n")
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    with pytest.raises(DatasetError) as caught:
        oms_plan.load(folder)
    assert {(i.table, i.row, i.column) for i in caught.value.errors} == {
        ("orders", 1, "quantity"),
        ("inventory", 2, "on_hand"),
    }


TEXT_CELLS = [("orders", "customer"), ("items", "name"), ("regions", "name")]


@settings(max_examples=FUZZ or 12, deadline=None, derandomize=not FUZZ)
@given(
    st.sampled_from(TEXT_CELLS),
    st.integers(0, 5),
    st.integers(1, 3),
    st.sampled_from(["", "[/]", "a,b"]),
)
def test_a_stray_quote_never_swallows_rows_silently(
    tmp_path_factory: pytest.TempPathFactory,
    cell: tuple[str, str],
    row: int,
    span: int,
    text: str,
) -> None:
    # A quote opens a cell and another one, some lines below, closes it: the CSV reader
    # reads the lines in between into that cell. The file is edited as text, as a hand
    # edit would (a CSV writer would have quoted the quotes).
    table, column = cell
    folder = tmp_path_factory.mktemp("quote") / "ds"
    shutil.copytree(TINY, folder)
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index(column)
    first = 1 + row % (len(lines) - 1)
    last = min(first + span, len(lines) - 1)
    cells = lines[first].split(",")
    cells[at] = '"' + text + cells[at]
    lines[first] = ",".join(cells)
    if last > first:
        cells = lines[last].split(",")
        cells[at] = cells[at] + '"'
        lines[last] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        ds = oms_plan.load(folder)
    except DatasetError as exc:
        assert any(i.table == table for i in exc.errors), exc.issues
        return
    # Loaded: then every line of the file is a row of its own, none swallowed.
    assert ds.num_rows()[table] == len(lines) - 1


@settings(max_examples=FUZZ or 6, deadline=None, derandomize=not FUZZ)
@given(st.sampled_from(["[/]", "[red]x", "[bold]y[/bold]", "\\[z", "a]["]))
def test_markup_in_ids_is_shown_verbatim(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    from typer.testing import CliRunner

    from oms_plan.cli.main import app

    folder = tmp_path_factory.mktemp("markup") / "ds"
    shutil.copytree(TINY, folder)
    orders = pd.read_csv(folder / "orders.csv", dtype=str, keep_default_na=False)
    orders.loc[1, "order"] = name
    orders.loc[1, "requested_date"] = "2026-11-01"  # a warning that names the line
    orders.loc[2, "item"] = name  # an error that names the unknown item
    orders.to_csv(folder / "orders.csv", index=False)
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert (result.exit_code == 2 and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    err = " ".join(result.stderr.split())
    assert f"order {name!r} line '1'" in err
    assert f"{name!r}" in err.split("[item]", 1)[1]


DATE_CELLS = [
    (name, col.name)
    for name, frame in _raw_tiny().items()
    for col in TABLES[name].columns
    if col.kind in ("date", "time") and col.name in frame.columns and len(frame)
]


@pytest.mark.parametrize(("table", "column"), DATE_CELLS)
@pytest.mark.parametrize("text", IMPOSSIBLE_DATES)
def test_impossible_dates_in_every_date_column(table: str, column: str, text: str) -> None:
    frames = _raw_tiny()
    frames[table] = frames[table].copy()
    frames[table].loc[0, column] = text
    _check_outcome(frames, SETTINGS["tiny"])
