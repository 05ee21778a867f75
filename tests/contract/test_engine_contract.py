"""One contract for every engine's result (shared/DESIGN.md, "One engine shape").

Each engine runs on the same datasets, and its result must offer the same things: a
``status`` and ``stats``, a ``kpis`` dict with ``kpi(name)``, ``to_frames()``, ``summary()``,
an exact JSON round trip, and an independent check through ``oms_plan.check``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import oms_plan
from oms_plan import kpis
from oms_plan.results import SolverStats, SolveStatus

DATA = Path(__file__).resolve().parents[2] / "data"

#: Engine name → how to run it on a dataset (small limits: tests stay fast).
ENGINES: dict[str, Callable[[oms_plan.Dataset], Any]] = {
    "allocate": lambda ds: oms_plan.allocate_stock(ds, time_limit=2),
    "allocate_fair_share": lambda ds: oms_plan.allocate_stock(
        ds, policy="fair_share", time_limit=2
    ),
    "mrp": oms_plan.plan_materials,
    "schedule": lambda ds: oms_plan.schedule_orders(ds, time_limit=2, workers=1),
    "plan": lambda ds: oms_plan.plan(ds, schedule_time_limit=2),
}


def _empty_orders(ds: oms_plan.Dataset) -> oms_plan.Dataset:
    return ds.replace(orders=ds.orders.iloc[0:0])


DATASETS: dict[str, Callable[[], oms_plan.Dataset]] = {
    "tiny": lambda: oms_plan.load(DATA / "tiny"),
    "sample": lambda: oms_plan.load(DATA / "sample"),
    "no_orders": lambda: _empty_orders(oms_plan.load(DATA / "tiny")),
}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def dataset(request: pytest.FixtureRequest) -> oms_plan.Dataset:
    return DATASETS[request.param]()


@pytest.fixture(scope="module", params=sorted(ENGINES))
def outcome(request: pytest.FixtureRequest, dataset: oms_plan.Dataset) -> tuple[Any, Any]:
    return ENGINES[request.param](dataset), dataset


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def test_status_and_stats(outcome: tuple[Any, Any]) -> None:
    result, _ = outcome
    assert isinstance(result.status, SolveStatus)
    assert isinstance(result.stats, SolverStats)
    assert result.stats.status is result.status
    assert result.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.EMPTY)


def test_kpis_are_a_dict_and_kpi_reads_them(outcome: tuple[Any, Any]) -> None:
    result, _ = outcome
    assert isinstance(result.kpis, Mapping) and result.kpis
    for name, value in result.kpis.items():
        assert isinstance(name, str)
        assert _same(result.kpi(name), value)
    with pytest.raises(KeyError, match="no KPI 'no_such_kpi'"):
        result.kpi("no_such_kpi")
    table = result.to_frames()["kpis"]
    assert list(table["kpi"]) == list(result.kpis)


def test_tables_and_summary(outcome: tuple[Any, Any]) -> None:
    result, _ = outcome
    frames = result.to_frames()
    assert frames and all(isinstance(f, pd.DataFrame) for f in frames.values())
    assert isinstance(result.summary(), str) and result.summary().strip()


def test_json_round_trip_gives_equal_tables_with_their_dtypes(outcome: tuple[Any, Any]) -> None:
    result, _ = outcome
    back = type(result).from_json(result.to_json())
    assert type(back) is type(result)
    before, after = result.to_frames(), back.to_frames()
    assert list(before) == list(after)
    for name in before:
        assert list(before[name].dtypes) == list(after[name].dtypes), name
        assert before[name].equals(after[name]), name
        pd.testing.assert_frame_equal(before[name], after[name])
    assert back.status is result.status
    assert list(back.kpis) == list(result.kpis)
    assert all(_same(back.kpis[k], v) for k, v in result.kpis.items())


def test_the_independent_checker_accepts_the_answer(outcome: tuple[Any, Any]) -> None:
    result, dataset = outcome
    report = oms_plan.check(result, dataset)
    assert isinstance(report, oms_plan.CheckReport)
    assert report.ok, str(report)


def test_every_kpi_has_one_definition(outcome: tuple[Any, Any]) -> None:
    result, _ = outcome
    k = result.kpis
    for name in k:
        assert kpis.definition(name), name
    if "on_time_pct" in k:
        assert k["on_time_pct"] == kpis.on_time_pct(k["lines_on_time"], k["lines"])


def test_every_kpi_definition_is_documented() -> None:
    text = (DATA.parent / "docs" / "outputs.md").read_text(encoding="utf-8")
    for name in kpis.KPI_DEFINITIONS:
        assert f"`{name}`" in text, name


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("utilisation:WS-1", "utilisation:<workstation>"),
        ("exceptions_cancel", "exceptions_<kind>"),
        ("planned_orders_make", "planned_orders_<method>"),
        ("schedule_gap:WS-1+3", "schedule_gap:<part>"),
    ],
)
def test_a_kpi_of_a_family_takes_the_family_definition(name: str, family: str) -> None:
    assert kpis.definition(name) == kpis.KPI_DEFINITIONS[family]


@pytest.mark.parametrize("name", ["no_such_kpi", "utilisation:", "exceptions_"])
def test_a_kpi_without_definition_is_a_key_error(name: str) -> None:
    with pytest.raises(KeyError, match="has no definition"):
        kpis.definition(name)


def test_a_broken_answer_is_reported() -> None:
    ds = oms_plan.load(DATA / "tiny")
    result = oms_plan.plan_materials(ds)
    if result.pegging.empty:
        pytest.skip("nothing pegged")
    pegging = result.pegging.copy()
    pegging.loc[pegging.index[0], "quantity"] += 1
    broken = type(result)(
        planned_orders=result.planned_orders,
        pegging=pegging,
        projection=result.projection,
        exceptions=result.exceptions,
        kpis=result.kpis,
        runtime=result.runtime,
    )
    report = oms_plan.check(broken, ds)
    assert not report.ok and "pegs add up to" in str(report)


def test_a_broken_schedule_is_reported() -> None:
    import dataclasses

    ds = oms_plan.load(DATA / "tiny")
    result = oms_plan.schedule_orders(ds, time_limit=2, workers=1)
    first, *rest = result.operations
    # Every operation at once on the first one's unit and time: overlaps and broken steps.
    moved = [dataclasses.replace(op, start=first.start, end=first.end) for op in rest]
    broken = dataclasses.replace(result, operations=(first, *moved))
    report = oms_plan.check(broken, ds)
    # Every violation, not only the first: the steps out of order and the release broken.
    assert not report.ok and len(report.violations) > 1
    assert "before step ends" in str(report) and "before release" in str(report)


def test_a_schedule_table_that_cannot_be_read_is_reported() -> None:
    import dataclasses

    ds = oms_plan.load(DATA / "tiny")
    result = oms_plan.schedule_orders(ds, time_limit=2, workers=1)
    report = oms_plan.check(dataclasses.replace(result, operations=result.operations[1:]), ds)
    assert not report.ok and "is not in it" in str(report)


def test_a_check_report_has_no_truth_value() -> None:
    # Checkers once returned lists of violations: ``if report:`` would now read wrongly.
    with pytest.raises(TypeError, match=r"report\.ok"):
        bool(oms_plan.CheckReport())


def test_the_replan_is_checked_for_coherence() -> None:
    ds = oms_plan.load(DATA / "tiny")
    report = oms_plan.check(oms_plan.plan(ds, schedule_time_limit=2), ds)
    assert isinstance(report, oms_plan.CheckReport)
    assert report.ok, str(report)
