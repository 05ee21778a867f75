"""Stable plans: plan(dataset, previous=..., freeze_days=N) and fast what-ifs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import oms_plan
from oms_plan import Dataset, Plan, PlanningError, Scenario
from oms_plan.generate import generate_dataset
from oms_plan.replan.previous import (
    INPUT_COLUMN,
    STAMPS,
    allocation_groups,
    forget,
    stamps_of,
)
from oms_plan.replan.repair import repair
from oms_plan.scenario import compare
from oms_plan.schedule.problem import SchedulingProblem
from tests.scenario.conftest import FAST

VOLATILE = {"runtime_seconds"}
#: The generated dataset's allocation needs CP-SAT, which under a wall-clock limit on a busy
#: machine is not reproducible; the greedy allocation is, and these tests compare plans.
SMALL = {**FAST, "allocation_solver": "greedy"}


def same_tables(a: Plan, b: Plan) -> None:
    """Every table equal, cell for cell (KPIs apart from the run time)."""
    for name in a.tables:
        left, right = a.tables[name], b.tables[name]
        if name == "kpis":
            left = left.loc[~left["kpi"].isin(VOLATILE)].reset_index(drop=True)
            right = right.loc[~right["kpi"].isin(VOLATILE)].reset_index(drop=True)
        # Values, not dtypes: a plan read from CSV has object columns where one made in
        # memory may have a text dtype.
        left, right = left.reset_index(drop=True), right.reset_index(drop=True)
        pd.testing.assert_frame_equal(
            left.astype(object).where(left.notna(), None),
            right.astype(object).where(right.notna(), None),
            obj=name,
        )


@pytest.fixture(scope="module")
def small() -> Dataset:
    """A generated dataset of 150 lines: several products, plants and shared machines."""
    return generate_dataset(150, seed=3)


@pytest.fixture(scope="module")
def small_plan(small: Dataset) -> Plan:
    return oms_plan.plan(small, **SMALL)  # type: ignore[arg-type]


def test_every_plan_is_stamped(tiny_plan: Plan) -> None:
    stamps = stamps_of(tiny_plan)
    assert set(stamps) == set(STAMPS)
    assert all(v.startswith("sha256:") for v in stamps.values())


@pytest.mark.parametrize("source", ["memory", "csv", "parquet"])
def test_an_unchanged_dataset_replanned_against_its_plan_changes_nothing(
    small: Dataset, small_plan: Plan, tmp_path: Path, source: str
) -> None:
    previous: Plan | Path = small_plan
    if source != "memory":
        small_plan.write(tmp_path, format=source)  # type: ignore[arg-type]
        previous = tmp_path
    again = oms_plan.plan(small, previous=previous, **SMALL)  # type: ignore[arg-type]
    diff = compare(small_plan, again)
    assert diff.promises.empty
    assert diff.exceptions.empty
    key = ["planned_order", "method", "item", "location", "quantity", "release_date", "due_date"]
    before = small_plan.planned_orders[key].sort_values("planned_order").reset_index(drop=True)
    after = again.planned_orders[key].sort_values("planned_order").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after, check_dtype=False)
    assert len(again.schedule) == len(small_plan.schedule)
    assert (again.schedule["start"].to_numpy() == small_plan.schedule["start"].to_numpy()).all()


def test_scenario_plan_equals_plan_with_previous(
    small: Dataset, small_plan: Plan, tmp_path: Path
) -> None:
    line = small.orders.iloc[0]
    s = (
        Scenario(small, base=small_plan)
        .add_order(
            order="RUSH",
            line="1",
            item=line["item"],
            quantity=25,
            requested_date=pd.Timestamp(small.start) + pd.Timedelta(days=12),
            ship_to=line["ship_to"],
            priority=1,
        )
        .machine_down(small.workstations["workstation"].iloc[0], "2026-12-01", "2026-12-04")
    )
    via_scenario = s.plan(**SMALL)
    via_plan = oms_plan.plan(s.dataset, previous=small_plan, **SMALL)  # type: ignore[arg-type]
    same_tables(via_scenario, via_plan)
    small_plan.write(tmp_path)
    same_tables(via_scenario, oms_plan.plan(s.dataset, previous=tmp_path, **SMALL))  # type: ignore[arg-type]


def test_a_stage_whose_inputs_did_not_change_keeps_what_a_fresh_run_gives(
    tiny: Dataset, tiny_plan: Plan
) -> None:
    # A machine down changes nothing the allocation reads (its stamp is kept) but the
    # schedule: the promises follow the repaired schedule and the plan stays coherent.
    s = Scenario(tiny, base=tiny_plan).machine_down("ASSY-1", "2026-11-23", "2026-11-25")
    after = s.plan(**FAST)
    assert stamps_of(after)["input_allocation"] == stamps_of(tiny_plan)["input_allocation"]
    assert stamps_of(after)["input_schedule"] != stamps_of(tiny_plan)["input_schedule"]
    assert not after.schedule.equals(tiny_plan.schedule)
    report = oms_plan.check(after, s.dataset)
    assert report.ok, report


def test_groups_an_edit_does_not_touch_keep_their_promises(tiny: Dataset, tiny_plan: Plan) -> None:
    groups = allocation_groups(tiny)
    assert groups["FRAME"] != groups["BIKE"]
    s = Scenario(tiny, base=tiny_plan).add_order(
        order="RUSH",
        line="1",
        item="FRAME",
        quantity=8,
        requested_date="2026-11-26",
        ship_to="EAST",
        priority=1,
    )
    after = s.plan(**FAST)

    def bikes(plan: Plan) -> pd.DataFrame:
        p = plan.promises
        return p.loc[p["item"] == "BIKE"].drop(columns=INPUT_COLUMN).reset_index(drop=True)

    assert len(bikes(tiny_plan)) > 0
    pd.testing.assert_frame_equal(bikes(after), bikes(tiny_plan), check_dtype=False)
    assert ("RUSH", "1") in set(zip(after.promises["order"], after.promises["line"], strict=True))


@pytest.mark.parametrize("solver", ["greedy", "cpsat"])
def test_repair_of_an_unchanged_problem_is_the_previous_schedule(
    tiny: Dataset, solver: str
) -> None:
    result = oms_plan.schedule_orders(tiny, solver=solver, time_limit=1.0, deterministic=True)
    problem = SchedulingProblem.from_dataset(tiny)
    repaired = repair(problem, result.to_frame(), result.objective, verify=True)
    pd.testing.assert_frame_equal(repaired.to_frame(), result.to_frame())


@pytest.mark.parametrize(
    "edit",
    [
        lambda s, ws: s.machine_down(ws, "2026-11-23", "2026-11-30"),
        lambda s, ws: s.machine_down(ws, "2026-12-02T10:00", "2026-12-09T06:00"),
        lambda s, ws: (
            s.set_stock(s.dataset.orders["item"].iloc[3], "DC-1", 0)
            if "DC-1" in s.dataset.location_ids
            else s.cancel_order(s.dataset.orders["order"].iloc[3])
        ),
        lambda s, ws: s.change_order(
            s.dataset.orders["order"].iloc[5], s.dataset.orders["line"].iloc[5], quantity=400
        ),
    ],
)
def test_a_repaired_schedule_keeps_every_rule(
    small: Dataset, small_plan: Plan, edit: object
) -> None:
    # verify=True runs the independent checker on the repaired schedule (raises if broken).
    busiest = small_plan.schedule["workstation"].value_counts().index[0]
    s = edit(Scenario(small, base=small_plan), busiest)  # type: ignore[operator]
    after = s.plan(verify=True, **SMALL)
    assert after.kpi("schedule_status") in ("feasible", "optimal")
    make = after.planned_orders.loc[after.planned_orders["method"] == "make", "planned_order"]
    production = s.dataset.supply.loc[s.dataset.supply["kind"] == "production", "supply"]
    assert set(after.schedule["order"]) <= set(make) | set(production)
    assert set(after.schedule["order"]) & set(make)


def test_frozen_planned_orders_are_kept_as_firm(small: Dataset, small_plan: Plan) -> None:
    planned = small_plan.planned_orders
    window = pd.Timestamp(small.start) + pd.Timedelta(days=10)
    early = planned.loc[pd.to_datetime(planned["release_date"]) < window]
    assert not early.empty, "the generated dataset should release planned orders early"
    # Doubling every line's quantity makes MRP plan more, earlier: the frozen ones stay.
    orders = small.orders.assign(quantity=small.orders["quantity"] * 2)
    s = Scenario(small, base=small_plan)
    bigger = small.replace(orders=orders)
    loose = oms_plan.plan(bigger, previous=s.base, **SMALL)  # type: ignore[arg-type]
    firm = oms_plan.plan(bigger, previous=s.base, freeze_days=10, **SMALL)  # type: ignore[arg-type]
    key = ["planned_order", "method", "item", "location", "quantity", "release_date", "due_date"]
    kept = firm.planned_orders.set_index("planned_order")
    for row in early[key].itertuples(index=False):
        assert row.planned_order in kept.index
        assert kept.loc[row.planned_order, "quantity"] == row.quantity
        assert kept.loc[row.planned_order, "due_date"] == row.due_date
    moved = loose.planned_orders.set_index("planned_order")
    changed = [
        p
        for p in early["planned_order"]
        if p not in moved.index
        or moved.loc[p, "quantity"] != early.set_index("planned_order").loc[p, "quantity"]
    ]
    assert changed, "without freezing, MRP re-plans some of those orders"
    # Firm orders are pegged like any receipt.
    assert set(early["planned_order"]) & set(firm.pegging["supplier"])


def test_a_changed_group_is_allocated_as_a_fresh_plan_allocates_it(
    small: Dataset, small_plan: Plan
) -> None:
    # Perturb a few lines; their groups are re-allocated in the parts and with the budget a
    # plan from scratch gives them, so their promises are the fresh plan's; every other
    # group keeps the base's promises.
    orders = small.orders
    changed = orders.index[::25]
    perturbed = orders.copy()
    perturbed.loc[changed, "quantity"] = (perturbed.loc[changed, "quantity"] * 1.5).round()
    edited = small.replace(orders=perturbed)
    stable = oms_plan.plan(edited, previous=small_plan, **SMALL)  # type: ignore[arg-type]
    fresh = oms_plan.plan(edited, **SMALL)  # type: ignore[arg-type]
    groups = allocation_groups(edited)
    touched = set(orders.loc[changed, "item"].map(groups))

    def rows(plan: Plan, inside: bool) -> pd.DataFrame:
        p = plan.promises
        mask = p["item"].map(groups).isin(touched) == inside
        return p.loc[mask].drop(columns=INPUT_COLUMN).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(stable, True), rows(fresh, True), check_dtype=False)
    pd.testing.assert_frame_equal(rows(stable, False), rows(small_plan, False), check_dtype=False)


def test_a_scenario_without_base_replans_from_the_remembered_plan(tiny: Dataset) -> None:
    forget()
    base = oms_plan.plan(tiny, **FAST)  # type: ignore[arg-type]
    remembered = Scenario(tiny).cancel_order("SO-3").plan(**FAST)
    explicit = Scenario(tiny, base=base).cancel_order("SO-3").plan(**FAST)
    same_tables(remembered, explicit)
    assert Scenario(tiny).base_plan(**FAST) is base


def test_bad_previous_options(tiny: Dataset, tiny_plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(PlanningError, match="freeze_days must be"):
        oms_plan.plan(tiny, previous=tiny_plan, freeze_days=-1)
    with pytest.raises(PlanningError, match="give previous"):
        oms_plan.plan(tiny, freeze_days=3)
    with pytest.raises(oms_plan.DatasetError, match="does not exist"):
        oms_plan.plan(tiny, previous=tmp_path / "nope")
    with pytest.raises(TypeError, match="polcy"):
        oms_plan.plan(tiny, previous=tiny_plan, polcy="x")


def test_cli_plan_against_a_previous_plan(tiny_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from oms_plan.cli.main import app

    runner = CliRunner()
    fast = ["--time-limit", "0.5", "--allocation-time-limit", "5"]
    first = runner.invoke(app, ["plan", str(tiny_path), "--out", str(tmp_path / "a"), *fast])
    assert first.exit_code == 0, first.output
    again = runner.invoke(
        app,
        [
            "plan",
            str(tiny_path),
            "--out",
            str(tmp_path / "b"),
            "--previous",
            str(tmp_path / "a"),
            "--freeze-days",
            "5",
            *fast,
        ],
    )
    assert again.exit_code == 0, again.output
    diff = compare(tmp_path / "a", tmp_path / "b")
    assert diff.promises.empty
    # Frozen orders are firm receipts now: MRP's receipt advice may change, the orders not.
    key = ["planned_order", "quantity", "release_date", "due_date"]
    before = pd.read_csv(tmp_path / "a" / "planned_orders.csv")[key].sort_values(key[0])
    after = pd.read_csv(tmp_path / "b" / "planned_orders.csv")[key].sort_values(key[0])
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))
    bad = runner.invoke(
        app,
        [
            "plan",
            str(tiny_path),
            "--out",
            str(tmp_path / "c"),
            "--previous",
            str(tmp_path / "nope"),
        ],
    )
    assert bad.exit_code == 2 and "does not exist" in " ".join(bad.output.split())
    lone = runner.invoke(
        app, ["plan", str(tiny_path), "--out", str(tmp_path / "d"), "--freeze-days", "3"]
    )
    assert lone.exit_code == 2 and "--previous" in lone.output
