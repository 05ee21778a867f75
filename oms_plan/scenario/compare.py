"""``compare(a, b)``: what changed between two plans, as tables, a summary and a chart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from oms_plan.outputs import write_outputs
from oms_plan.replan.plan_folder import read_plan
from oms_plan.replan.result import Plan
from oms_plan.scenario.diff import (
    exception_changes,
    kpi_changes,
    load_changes,
    promise_changes,
)
from oms_plan.writing import TableFormat

if TYPE_CHECKING:
    from oms_plan.dataset import Dataset

#: Tables of a plan difference, in the order they are written.
DIFF_TABLES = ("promises", "kpis", "load", "exceptions")
#: KPIs the summary quotes, when both plans have them.
_SUMMARY_KPIS = (
    "on_time_pct",
    "fill_rate_pct",
    "lines_late",
    "lines_short",
    "total_days_late",
    "planned_orders",
    "manufacturing_orders_late",
)

PlanLike = Plan | str | Path


@dataclass(frozen=True)
class PlanDiff:
    """The difference between plan ``before`` and plan ``after``.

    Attributes
    ----------
    promises
        Changed order lines: order, line, item, quantity_before, quantity_after,
        delivery_before, delivery_after, days_moved (``after − before`` in days; positive =
        later), status_before, status_after, then location_before, location_after.
    kpis
        kpi, before, after, delta (``after − before`` where both are numbers).
    load
        workstation, week (its Monday), minutes_before, minutes_after.
    exceptions
        kind, item, location, order, line, change (``new`` | ``resolved``), then severity,
        date, message of the side that has it.

    """

    promises: pd.DataFrame
    kpis: pd.DataFrame
    load: pd.DataFrame
    exceptions: pd.DataFrame

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table (copies) keyed by name, in :data:`DIFF_TABLES` order."""
        return {name: getattr(self, name).copy() for name in DIFF_TABLES}

    def write(self, out: str | Path, *, format: TableFormat = "csv") -> list[Path]:
        """Write every table into folder ``out``; return the paths."""
        return write_outputs(self.to_frames(), out, format=format)

    # -- reading it -------------------------------------------------------------------------
    def moved_later(self) -> pd.DataFrame:
        """Changed lines delivered later than before (their last delivery)."""
        return self.promises.loc[self.promises["days_moved"].fillna(0) > 0]

    def moved_earlier(self) -> pd.DataFrame:
        """Changed lines delivered earlier than before."""
        return self.promises.loc[self.promises["days_moved"].fillna(0) < 0]

    def newly_short(self) -> pd.DataFrame:
        """Lines short now that were not short (or did not exist) before."""
        p = self.promises
        return p.loc[(p["status_after"] == "short") & (p["status_before"] != "short")]

    def kpi_delta(self, name: str) -> object:
        """``after − before`` of KPI ``name`` (``KeyError`` if neither plan has it)."""
        match = self.kpis.loc[self.kpis["kpi"] == name, "delta"]
        if match.empty:
            raise KeyError(f"no KPI {name!r}")
        return match.iloc[0]

    def load_by_workstation(self) -> pd.DataFrame:
        """Total minutes per workstation before and after, largest absolute change first."""
        load = self.load.groupby("workstation")[["minutes_before", "minutes_after"]].sum()
        load["change"] = load["minutes_after"] - load["minutes_before"]
        ranked = load.assign(_abs=load["change"].abs()).sort_values(
            ["_abs", "minutes_after"], ascending=False, kind="mergesort"
        )
        return ranked.drop(columns="_abs")

    def summary(self) -> str:
        """A few lines a planner reads: lines moved, newly short, KPI deltas, load, exceptions."""
        p = self.promises
        later, earlier = self.moved_later(), self.moved_earlier()
        lines = [
            f"promises: {len(p)} line(s) changed; "
            f"{len(later)} later (by {int(later['days_moved'].sum())} days in all), "
            f"{len(earlier)} earlier (by {-int(earlier['days_moved'].sum())} days), "
            f"{len(self.newly_short())} newly short, "
            f"{int(((p['status_before'] == 'short') & (p['status_after'] != 'short')).sum())}"
            " no longer short",
        ]
        added = int(p["status_before"].isna().sum())
        removed = int(p["status_after"].isna().sum())
        if added or removed:
            lines.append(f"  {added} line(s) only in the new plan, {removed} only in the old one")
        deltas = []
        for name in _SUMMARY_KPIS:
            row = self.kpis.loc[self.kpis["kpi"] == name]
            if row.empty or row["delta"].iloc[0] is None:
                continue
            before, after, delta = row[["before", "after", "delta"]].iloc[0]
            deltas.append(f"{name} {_fmt(before)} → {_fmt(after)} ({delta:+g})")
        if deltas:
            lines.append("kpis: " + ", ".join(deltas))
        lines.append(self._load_line())
        lines.append(self._exceptions_line())
        return "\n".join(lines)

    def _load_line(self) -> str:
        if self.load.empty:
            return "load: no workstation is loaded in either plan"
        ranked = self.load_by_workstation()
        ws = str(ranked.index[0])
        change = float(ranked["change"].iloc[0])
        if change == 0:
            return "load: no workstation's weekly load changed"
        weeks = self.load.loc[self.load["workstation"] == ws].copy()
        weeks["change"] = weeks["minutes_after"] - weeks["minutes_before"]
        top = weeks.loc[weeks["change"].abs().idxmax()]
        return (
            f"load: {ws} changed most, {change:+,.0f} min in all "
            f"(week of {pd.Timestamp(top['week']):%Y-%m-%d}: {top['change']:+,.0f} min)"
        )

    def _exceptions_line(self) -> str:
        parts = []
        for change in ("new", "resolved"):
            chosen = self.exceptions.loc[self.exceptions["change"] == change, "kind"]
            kinds = ", ".join(f"{k} {n}" for k, n in chosen.value_counts().sort_index().items())
            parts.append(f"{len(chosen)} {change}" + (f" ({kinds})" if kinds else ""))
        return "exceptions: " + "; ".join(parts)

    def plot(self, *, top: int = 20) -> Any:
        """Promise moves and the weekly load of the most changed workstations, before/after.

        Parameters
        ----------
        top
            Most order lines drawn (the largest moves, then newly short lines).

        Returns
        -------
        matplotlib.figure.Figure
            Two panels: units promised after − before per changed line (status and days
            moved on the bar), and weekly load before/after.

        Raises
        ------
        ImportError
            When matplotlib is not installed (``pip install oms-plan[plot]``).

        """
        from oms_plan.scenario.plots import plot_diff

        return plot_diff(self, top=top)

    def __repr__(self) -> str:
        return (
            f"PlanDiff({len(self.promises)} changed lines, "
            f"{int((self.exceptions['change'] == 'new').sum())} new exceptions)"
        )


def _fmt(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def as_plan(plan: PlanLike) -> Plan:
    """A Plan as given, or read from a plan folder."""
    return plan if isinstance(plan, Plan) else read_plan(plan)


def compare(a: PlanLike, b: PlanLike, *, dataset: Dataset | None = None) -> PlanDiff:
    """The difference from plan ``a`` (before) to plan ``b`` (after).

    Parameters
    ----------
    a, b
        Two :class:`~oms_plan.Plan` objects or plan folders (CSV or Parquet, as written by
        ``oms-plan plan``; a sparse ``projection`` is fine).
    dataset
        The dataset of ``b``: the ``load`` table then counts working minutes (calendar
        minus downtime); without it, clock minutes from start to end of each operation.

    Returns
    -------
    PlanDiff
        Changed promises, KPI deltas, weekly workstation load and new/resolved exceptions.

    Raises
    ------
    DatasetError
        When a folder is not a readable plan folder (every problem listed).

    Examples
    --------
    >>> diff = oms_plan.compare(base, scenario.plan())  # doctest: +SKIP
    >>> print(diff.summary())  # doctest: +SKIP

    """
    before, after = as_plan(a), as_plan(b)
    return diff_tables(before.tables, after.tables, dataset)


def diff_tables(
    before: Mapping[str, pd.DataFrame],
    after: Mapping[str, pd.DataFrame],
    dataset: Dataset | None = None,
) -> PlanDiff:
    """The :class:`PlanDiff` of two plans given as their tables."""
    return PlanDiff(
        promises=promise_changes(before["promises"], after["promises"]),
        kpis=kpi_changes(before["kpis"], after["kpis"]),
        load=load_changes(before["schedule"], after["schedule"], dataset),
        exceptions=exception_changes(before["exceptions"], after["exceptions"]),
    )
